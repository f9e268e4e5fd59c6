"""Audio in: 16 kHz mono 16-bit PCM from a microphone, WAV files, or raw PCM on stdin."""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from assistant.errors import AudioUnavailable

_LOGGER = logging.getLogger(__name__)

RATE = 16000
WIDTH = 2
CHUNK = 480  # samples per chunk: 30 ms, one VAD frame
BYTES_PER_S = RATE * WIDTH


class AudioSource(Protocol):
    """A stream of 16 kHz mono 16-bit PCM chunks (blocking iterator)."""

    name: str

    def chunks(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


def read_pcm(path: str | Path) -> bytes:
    """The samples of a WAV file as 16 kHz mono 16-bit PCM (converted with sox if needed)."""
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (RATE, 1, WIDTH):
            return wav.readframes(wav.getnframes())
    if not shutil.which("sox"):
        raise AudioUnavailable(f"{path} is not 16 kHz mono 16-bit and sox is not installed")
    return subprocess.run(["sox", str(path), "-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16",
                           "-e", "signed-integer", "-"], capture_output=True, check=True).stdout


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


def open_source(kind: str, path: str = "", device: str = "") -> AudioSource:
    """The audio source named in config; raises AudioUnavailable with a clear message."""
    if kind == "file":
        return WavSource(path)
    if kind == "stdin":
        return StdinSource()
    return MicrophoneSource(device)
