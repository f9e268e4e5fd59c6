"""Enrolling the personal wake word: recordings saved as the templates of
assistant/wake_personal.py, from WAV files (`basecamp voice enroll`) or from the next
utterances of the live audio (the assistant's POST /voice/enroll, driven by the kiosk's page).
"""

from __future__ import annotations

import shutil
import threading
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from assistant.audio import RATE, WIDTH, read_pcm, silence, write_wav
from assistant.errors import EngineUnavailable
from assistant.vad import FRAME_BYTES, FRAME_MS, START_FRAMES, IsSpeech

MIN_S = 0.25
"""A shorter sound is not a word (a click, a cough)."""
MAX_S = 2.5
"""A longer utterance is a sentence, not a wake word."""
END_SILENCE_MS = 300
PAD_S = 0.2


class Phase(StrEnum):
    """Where an enrollment stands."""

    IDLE = "idle"
    RECORDING = "recording"
    DONE = "done"
    FAILED = "failed"


def save(folder: Path, recordings: list[bytes]) -> list[Path]:
    """Replace the word's templates with these recordings (each trimmed to its speech and
    checked to be usable); returns the WAVs written."""
    from assistant.wake_personal import template, trim
    clean = []
    for i, pcm in enumerate(recordings, 1):
        speech = trim(pcm)
        try:
            template(speech)
        except EngineUnavailable as err:
            raise EngineUnavailable(f"recording {i}: {err}") from None
        clean.append(silence(PAD_S) + speech + silence(PAD_S))
    staging = folder.with_name(folder.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    written = [write_wav(staging / f"{i:02d}.wav", pcm) for i, pcm in enumerate(clean, 1)]
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return [folder / p.name for p in written]


def enroll_files(folder: Path, wavs: list[Path]) -> list[Path]:
    """`basecamp voice enroll`: the word's templates from WAV files."""
    return save(folder, [read_pcm(w) for w in wavs])


@dataclass
class Recorder:
    """Takes the next `count` utterances of a stream (webrtcvad frames of 30 ms), then saves
    them as the word's templates. Fed from the audio thread; `status()` from any thread."""

    folder: Path
    count: int
    is_speech: IsSpeech
    phase: Phase = Phase.RECORDING
    recordings: list[bytes] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    """Why utterances were not kept ("too_short", "too_long")."""
    error: str = ""
    _buffer: bytes = b""
    _pre: deque[bytes] = field(default_factory=lambda: deque(maxlen=START_FRAMES + 7))
    _voiced_run: int = 0
    _speech: bytearray | None = None
    _silent_ms: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def feed(self, chunk: bytes) -> None:
        """Audio in (any chunk size)."""
        if self.phase is not Phase.RECORDING:
            return
        self._buffer += chunk
        while len(self._buffer) >= FRAME_BYTES and self.phase is Phase.RECORDING:
            frame, self._buffer = self._buffer[:FRAME_BYTES], self._buffer[FRAME_BYTES:]
            self._frame(frame)

    def _frame(self, frame: bytes) -> None:
        voiced = self.is_speech(frame)
        if self._speech is None:
            self._pre.append(frame)
            self._voiced_run = self._voiced_run + 1 if voiced else 0
            if self._voiced_run >= START_FRAMES:
                self._speech = bytearray(b"".join(self._pre))
                self._silent_ms = 0
            return
        self._speech += frame
        self._silent_ms = 0 if voiced else self._silent_ms + FRAME_MS
        if len(self._speech) > (MAX_S + 1.0) * RATE * WIDTH:
            self._end("too_long")
        elif self._silent_ms >= END_SILENCE_MS:
            self._end("")

    def _end(self, problem: str) -> None:
        assert self._speech is not None
        pcm = bytes(self._speech)
        self._speech = None
        self._pre.clear()
        self._voiced_run = 0
        spoken_s = len(pcm) / (RATE * WIDTH) - self._silent_ms / 1000
        problem = problem or ("too_short" if spoken_s < MIN_S else
                              "too_long" if spoken_s > MAX_S else "")
        with self._lock:
            if problem:
                self.rejected.append(problem)
                return
            self.recordings.append(pcm)
            if len(self.recordings) < self.count:
                return
        try:
            save(self.folder, self.recordings)
            with self._lock:
                self.phase = Phase.DONE
        except (EngineUnavailable, OSError) as err:
            with self._lock:
                self.error = str(err)
                self.phase = Phase.FAILED

    def cancel(self) -> None:
        """Stop without saving."""
        with self._lock:
            if self.phase is Phase.RECORDING:
                self.phase = Phase.FAILED
                self.error = "cancelled"

    def status(self) -> dict[str, Any]:
        """What the kiosk's page shows."""
        with self._lock:
            return {"phase": self.phase.value, "recorded": len(self.recordings),
                    "count": self.count, "rejected": list(self.rejected), "error": self.error,
                    "word": self.folder.name}
