"""Wake word engines behind one Protocol, chosen by name, and the spotter that feeds them.

Adding an engine = one adapter file (`wake_<name>.py` with `create(voice, config)`), one entry
in `_FACTORIES`, one config value, one WAV test skipped when the engine's package is absent.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.audio import RATE, WIDTH
from assistant.errors import EngineUnavailable
from assistant.settings import VoiceSettings
from core.config import Config


class WakeWordDetector(Protocol):
    """One wake word engine: fixed-size frames of 16 kHz 16-bit PCM in, keyword or None out."""

    name: str
    keywords: tuple[str, ...]
    frame_length: int
    """Samples per `process` call."""

    def process(self, frame: bytes) -> str | None: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


Factory = Callable[[VoiceSettings, Any], WakeWordDetector]

# name -> "module:function"; modules are imported only when chosen (heavy native libraries).
_FACTORIES: dict[str, str] = {
    "porcupine": "assistant.wake_porcupine:create",
    "microwakeword": "assistant.wake_microwakeword:create",
    "vosk": "assistant.wake_vosk:create",
    "personal": "assistant.wake_personal:create",
    "combo": "assistant.wake_combo:create",
}

ENGINES = tuple(_FACTORIES)


def create(voice: VoiceSettings, config: Config, engine: str | None = None) -> WakeWordDetector:
    """The configured (or named) wake word engine; raises EngineUnavailable clearly."""
    name = engine or voice.wake_engine
    if name not in _FACTORIES:
        raise EngineUnavailable(f"unknown wake engine {name!r} (engines: {', '.join(ENGINES)})")
    module, _, attr = _FACTORIES[name].partition(":")
    factory: Factory = getattr(importlib.import_module(module), attr)
    detector = factory(voice, config)
    if voice.front_end == "agc" and name != "combo":
        from assistant.wake_combo import AgcFrontEnd
        return AgcFrontEnd(detector)
    return detector


@dataclass(frozen=True)
class Detection:
    """A wake word heard at `at_s` seconds of audio."""

    keyword: str
    engine: str
    at_s: float


class Spotter:
    """Feeds any chunk size to a detector in its frame size; applies the cooldown on audio time."""

    def __init__(self, detector: WakeWordDetector, cooldown_s: float = 2.0) -> None:
        self.detector = detector
        self.cooldown_s = cooldown_s
        self._buffer = b""
        self._samples = 0
        self._last: float | None = None
        self._frame_bytes = detector.frame_length * WIDTH

    @property
    def position_s(self) -> float:
        """Seconds of audio fed so far."""
        return self._samples / RATE

    def feed(self, chunk: bytes) -> list[Detection]:
        """Process a chunk; return the detections outside the cooldown."""
        self._buffer += chunk
        found: list[Detection] = []
        size = self._frame_bytes
        offset = 0
        while offset + size <= len(self._buffer):
            keyword = self.detector.process(self._buffer[offset:offset + size])
            offset += size
            self._samples += self.detector.frame_length
            if keyword is None:
                continue
            now = self.position_s
            if self._last is not None and now - self._last < self.cooldown_s:
                continue
            self._last = now
            found.append(Detection(keyword, self.detector.name, now))
        self._buffer = self._buffer[offset:]
        return found

    def skip(self, samples: int, reset: bool = True) -> None:
        """Account for audio that went elsewhere (e.g. to the recogniser, or was muted) and
        reset the engine (once is enough for a run of skipped chunks)."""
        self._samples += samples
        self._buffer = b""
        if reset:
            self.detector.reset()
