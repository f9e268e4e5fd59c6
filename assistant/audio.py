"""Audio in: 16 kHz mono 16-bit PCM from a microphone, WAV files, raw PCM on stdin, or a spool
folder (a simulated microphone: WAVs dropped there are heard at real-time pace)."""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from assistant.errors import AudioUnavailable

_LOGGER = logging.getLogger(__name__)

RATE = 16000
WIDTH = 2
CHUNK = 480  # samples per chunk: 30 ms, one VAD frame
BYTES_PER_S = RATE * WIDTH
RAW = ("-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer")
"""sox's words for our PCM (16 kHz mono 16-bit) on a pipe."""


class AudioSource(Protocol):
    """A stream of 16 kHz mono 16-bit PCM chunks (blocking iterator)."""

    name: str

    def chunks(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


def sox(*args: str, pcm: bytes | None = None) -> bytes:
    """sox run repeatably on `args` (`pcm` on its standard input), its standard output.

    `-R`: sox dithers whatever it changes the level or rate of, with a new random seed each
    run unless told, so one announcement rendered to different bytes each time (porcupine woke
    on some renders of the house's own voice and not on others; the TTS cache kept whichever
    came first). Raises AudioUnavailable without sox, CalledProcessError (with sox's message
    in `stderr`) when it fails."""
    if not shutil.which("sox"):
        raise AudioUnavailable("sox is not installed (apt-get install sox)")
    return subprocess.run(["sox", "-R", *args], input=pcm, capture_output=True,
                          check=True).stdout


def scaled(pcm: bytes, factor: float) -> bytes:
    """16 kHz mono PCM with its amplitude times `factor` (sox `vol`: clipped, not wrapped)."""
    return sox(*RAW, "-", *RAW, "-", "vol", f"{factor:g}", pcm=pcm)


def read_pcm(path: str | Path) -> bytes:
    """The samples of a WAV file as 16 kHz mono 16-bit PCM (converted with sox if needed)."""
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (RATE, 1, WIDTH):
            return wav.readframes(wav.getnframes())
    if not shutil.which("sox"):
        raise AudioUnavailable(f"{path} is not 16 kHz mono 16-bit and sox is not installed")
    return sox(str(path), *RAW, "-")


def write_wav(path: str | Path, pcm: bytes, rate: int = RATE) -> Path:
    """Write mono 16-bit PCM to a WAV file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(WIDTH)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return path


def split(pcm: bytes, samples: int = CHUNK) -> Iterator[bytes]:
    """Cut PCM into chunks of `samples` samples (the last one may be shorter)."""
    size = samples * WIDTH
    for start in range(0, len(pcm), size):
        yield pcm[start:start + size]


def silence(seconds: float) -> bytes:
    """PCM silence."""
    return b"\0\0" * int(seconds * RATE)


class WavSource:
    """A WAV file, or every WAV of a folder in name order, then the end of the stream."""

    def __init__(self, path: str | Path, *, trailing_silence_s: float = 1.0) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise AudioUnavailable(f"no such WAV file or folder: {self.path}")
        self.files = sorted(self.path.glob("*.wav")) if self.path.is_dir() else [self.path]
        self.name = f"file:{self.path}"
        self.trailing_silence_s = trailing_silence_s

    def chunks(self) -> Iterator[bytes]:
        """Each file's samples, followed by a little silence so the last command ends."""
        for file in self.files:
            yield from split(read_pcm(file) + silence(self.trailing_silence_s))

    def close(self) -> None:
        """Nothing to release."""


class StdinSource:
    """Raw 16 kHz mono 16-bit PCM read from a binary stream (stdin by default)."""

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self.stream = stream or sys.stdin.buffer
        self.name = "stdin"

    def chunks(self) -> Iterator[bytes]:
        """Chunks as they arrive, until end of file."""
        while block := self.stream.read(CHUNK * WIDTH):
            yield block

    def close(self) -> None:
        """Nothing to release: stdin belongs to the process."""


class MicrophoneSource:
    """The default (or named) input device through sounddevice/PortAudio."""

    def __init__(self, device: str = "") -> None:
        try:
            import sounddevice
        except (ImportError, OSError) as err:
            raise AudioUnavailable(f"no microphone: sounddevice/PortAudio unavailable ({err}); "
                                   "install basecamp[voice] and libportaudio2") from err
        self._sd = sounddevice
        spec: Any = int(device) if device.isdigit() else (device or None)
        try:
            info = sounddevice.query_devices(spec, kind="input")
        except (ValueError, sounddevice.PortAudioError) as err:
            raise AudioUnavailable(f"no microphone: {err}") from err
        self.device = spec
        self.name = f"mic:{info['name'] if isinstance(info, dict) else spec}"
        self._queue: queue.Queue[bytes] = queue.Queue(maxsize=500)
        self._stream: Any = None

    def _callback(self, data: Any, frames: int, time: Any, status: Any) -> None:
        if status:
            _LOGGER.debug("microphone status: %s", status)
        # the consumer is stuck: drop audio, never block PortAudio
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(bytes(data))

    def chunks(self) -> Iterator[bytes]:
        """Chunks from the microphone, forever."""
        self._stream = self._sd.RawInputStream(samplerate=RATE, channels=1, dtype="int16",
                                               blocksize=CHUNK, device=self.device,
                                               callback=self._callback)
        self._stream.start()
        while self._stream is not None:
            try:
                yield self._queue.get(timeout=0.5)
            except queue.Empty:  # wake up now and then to notice close()
                continue

    def close(self) -> None:
        """Stop the input stream."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()


SPOOL_PENDING = ".part"
"""Suffix of a WAV still being written into a spool (never read until renamed)."""


class SpoolSource:
    """A simulated microphone: a folder where each WAV dropped (written, then renamed into
    place) is heard at real-time pace as if spoken in the room, oldest name first, then
    removed; silence the rest of the time. Forever, until `close()`."""

    IDLE_CHECK_S = 0.1
    """How often the folder is looked at while only silence is heard."""
    MAX_LAG_S = 2.0
    """Behind real time by more than this (a slow consumer), the pace starts again from now
    instead of rushing the backlog."""

    def __init__(self, folder: str | Path, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise AudioUnavailable(f"no spool folder {self.folder}: {err}") from err
        self.name = f"spool:{self.folder}"
        self.heard = 0
        """WAVs heard so far."""
        self._clock, self._sleep = clock, sleep
        self._closed = threading.Event()

    def _next_file(self) -> bytes | None:
        for path in sorted(self.folder.glob("*.wav")):
            try:
                pcm = read_pcm(path)
            except (OSError, EOFError, wave.Error, subprocess.CalledProcessError) as err:
                _LOGGER.warning("spool: cannot read %s (%s): dropped", path, err)
                pcm = b""
            path.unlink(missing_ok=True)
            self.heard += 1
            return pcm
        return None

    def chunks(self) -> Iterator[bytes]:
        """What the room hears, one 30 ms chunk at a time, at real-time pace."""
        pending: Iterator[bytes] = iter(())
        quiet = silence(CHUNK / RATE)
        checked = due = self._clock()
        while not self._closed.is_set():
            chunk = next(pending, None)
            if chunk is None:
                now = self._clock()
                if now - checked >= self.IDLE_CHECK_S:
                    checked = now
                    pcm = self._next_file()
                    if pcm:
                        pending = split(pcm)
                        chunk = next(pending, None)
            if chunk is None:
                chunk = quiet
            due += len(chunk) / (RATE * WIDTH)
            now = self._clock()
            if now - due > self.MAX_LAG_S:
                due = now
            elif due > now:
                self._sleep(due - now)
            yield chunk

    def close(self) -> None:
        """Stop hearing (the iterator ends at its next chunk)."""
        self._closed.set()


def feed_wav(folder: str | Path, pcm: bytes) -> Path:
    """Drop 16 kHz mono 16-bit PCM into a spool folder, whole (written, then renamed), named
    to be heard after everything already there; the WAV's final path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{time.time_ns():020d}-{threading.get_ident() % 10_000:04d}"
    part = write_wav(folder / f"{stem}.wav{SPOOL_PENDING}", pcm)
    return part.rename(folder / f"{stem}.wav")


def open_source(kind: str, path: str = "", device: str = "") -> AudioSource:
    """The audio source named in config; raises AudioUnavailable with a clear message."""
    if kind == "file":
        return WavSource(path)
    if kind == "spool":
        return SpoolSource(path)
    if kind == "stdin":
        return StdinSource()
    return MicrophoneSource(device)
