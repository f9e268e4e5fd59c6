"""End of speech: voice-activity detection (webrtcvad) with timeouts, on audio time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from assistant.audio import RATE, WIDTH
from assistant.errors import EngineUnavailable

FRAME_MS = 30
FRAME_BYTES = RATE * FRAME_MS // 1000 * WIDTH
START_FRAMES = 3
"""Consecutive voiced frames that count as the start of speech (90 ms)."""

IsSpeech = Callable[[bytes], bool]


class Outcome(StrEnum):
    """How listening for a command ended."""

    LISTENING = "listening"
    ENDED = "ended"
    """The speaker stopped."""
    NO_SPEECH = "no_speech"
    """Nothing was said in time."""
    TOO_LONG = "too_long"
    """Cut at the maximum command length."""


def webrtc(aggressiveness: int = 2) -> IsSpeech:
    """A webrtcvad frame classifier (30 ms frames of 16 kHz PCM)."""
    try:
        import webrtcvad
    except ImportError as err:
        raise EngineUnavailable(f"webrtcvad is not installed ({err}): "
                                "pip install webrtcvad-wheels") from err
    vad = webrtcvad.Vad(aggressiveness)
    return lambda frame: bool(vad.is_speech(frame, RATE))


@dataclass(frozen=True)
class Limits:
    """When a command ends."""

    end_silence_ms: int = 600
    no_speech_s: float = 4.0
    max_command_s: float = 10.0
    quick_end_ms: int = 90
    """Silence after which the pipeline checks whether a whole sentence was said."""


class Endpointer:
    """Collects one command's audio and says when the speaker has stopped."""

    def __init__(self, is_speech: IsSpeech, limits: Limits) -> None:
        self.is_speech = is_speech
        self.limits = limits
        self.audio = bytearray()
        self.outcome = Outcome.LISTENING
        self._pending = b""
        self._frames = 0
        self._run = 0
        self._started_at: int | None = None
        self._last_voiced = 0
        self._end_ms = limits.end_silence_ms

    def hurry(self, end_silence_ms: int) -> None:
        """End sooner: what was said is already a complete sentence."""
        self._end_ms = min(self._end_ms, end_silence_ms)

    @property
    def speech_end_s(self) -> float:
        """Audio time (from the start of listening) of the end of the last voiced frame."""
        return self._last_voiced * FRAME_MS / 1000

    @property
    def silent_ms(self) -> int:
        """Silence since the last voiced frame (0 before speech started)."""
        if self._started_at is None:
            return 0
        return (self._frames - self._last_voiced) * FRAME_MS

    @property
    def heard_speech(self) -> bool:
        """Whether speech started."""
        return self._started_at is not None

    def feed(self, chunk: bytes) -> Outcome:
        """Add audio; returns LISTENING until the command is over."""
        if self.outcome is not Outcome.LISTENING:
            return self.outcome
        self._pending += chunk
        end_frames = max(1, self._end_ms // FRAME_MS)
        while len(self._pending) >= FRAME_BYTES and self.outcome is Outcome.LISTENING:
            frame, self._pending = self._pending[:FRAME_BYTES], self._pending[FRAME_BYTES:]
            self.audio += frame
            self._frames += 1
            voiced = self.is_speech(frame)
            self._run = self._run + 1 if voiced else 0
            if voiced and self._started_at is None and self._run >= START_FRAMES:
                self._started_at = self._frames - START_FRAMES
            if voiced:
                self._last_voiced = self._frames
            elapsed = self._frames * FRAME_MS / 1000
            if self._started_at is None:
                if elapsed >= self.limits.no_speech_s:
                    self.outcome = Outcome.NO_SPEECH
            elif self._frames - self._last_voiced >= end_frames:
                self.outcome = Outcome.ENDED
            elif elapsed >= self.limits.max_command_s:
                self.outcome = Outcome.TOO_LONG
        return self.outcome
