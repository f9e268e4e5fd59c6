"""Wake word engines combined, and a level front-end.

`combo` runs several engines on the same audio (`voice.combo.engines`, each configured in its
own section; "porcupine+agc" is porcupine behind the front-end below) and accepts
- "any": the first engine that fires (detections add up, and so do false accepts);
- "all": only when every engine fired within `window_s` of each other (a second stage that
  confirms a low-threshold first one).

`AgcFrontEnd` wraps any engine (`voice.front_end = "agc"`): the DC offset out, and an
automatic gain that brings the recent speech level to -20 dBFS (at most +24 dB, starting at
+12 dB, 50 ms attack, 0.8 s release), so that a voice across the room reaches the engine at
the level of one near it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from assistant.audio import RATE, WIDTH
from assistant.errors import EngineUnavailable
from assistant.settings import VoiceSettings
from core.config import Config

STEP = 160
"""Samples per `process` call of the combination (10 ms); each engine gets its own frames."""


def create(voice: VoiceSettings, config: Config) -> ComboWakeDetector:
    """The engines of `voice.combo`, each built from its own section; "<engine>+agc" puts the
    AGC front-end before that one (`voice.front_end` applies to single engines only)."""
    from assistant import wake
    plain = dataclasses.replace(voice, front_end="none")
    detectors: list[wake.WakeWordDetector] = []
    try:
        for entry in voice.combo.engines:
            name, _, front = entry.partition("+")
            if name == "combo" or front not in ("", "agc"):
                raise EngineUnavailable(f"combo: {entry!r} is not an engine of "
                                        "voice.combo.engines (an engine, or engine+agc)")
            detector = wake.create(plain, config, name)
            detectors.append(AgcFrontEnd(detector) if front == "agc" else detector)
    except EngineUnavailable:
        for d in detectors:
            d.close()
        raise
    return ComboWakeDetector(detectors, voice.combo.mode, voice.combo.window_s)


class ComboWakeDetector:
    """Several engines on one stream: any of them, or all within a window."""

    name = "combo"
    frame_length = STEP

    def __init__(self, detectors: list[Any], mode: str = "any", window_s: float = 1.0) -> None:
        if not detectors:
            raise EngineUnavailable("combo: at least one engine")
        if mode not in ("any", "all"):
            raise EngineUnavailable(f"combo: unknown mode {mode!r} (any, all)")
        self.detectors = detectors
        self.mode = mode
        self.window = int(window_s * RATE)
        self.keywords: tuple[str, ...] = tuple(dict.fromkeys(
            k for d in detectors for k in d.keywords))
        self.reset()

    def reset(self) -> None:
        """Forget the audio and the detections heard so far."""
        self._buffers = [b""] * len(self.detectors)
        self._fired: list[tuple[int, str] | None] = [None] * len(self.detectors)
        self._samples = 0
        for d in self.detectors:
            d.reset()

    def process(self, frame: bytes) -> str | None:
        """The keyword accepted in this frame, or None."""
        self._samples += len(frame) // WIDTH
        heard: str | None = None
        for k, detector in enumerate(self.detectors):
            buffer = self._buffers[k] + frame
            size = detector.frame_length * WIDTH
            offset = 0
            while offset + size <= len(buffer):
                keyword = detector.process(buffer[offset:offset + size])
                offset += size
                if keyword is not None:
                    self._fired[k] = (self._samples, keyword)
            self._buffers[k] = buffer[offset:]
        fired = [f for f in self._fired if f is not None]
        if self.mode == "any":
            if fired:
                heard = fired[0][1]
                self._fired = [None] * len(self.detectors)
            return heard
        recent = [f for f in fired if self._samples - f[0] <= self.window]
        if len(recent) == len(self.detectors):
            heard = recent[0][1]
            self._fired = [None] * len(self.detectors)
        return heard

    def close(self) -> None:
        """Close every engine."""
        for d in self.detectors:
            d.close()


class AgcFrontEnd:
    """DC removal and automatic gain in front of an engine (same Protocol, same frames)."""

    TARGET = 0.1 * 32768
    """-20 dBFS."""
    MAX_GAIN = 10 ** (24 / 20)
    FLOOR = 10 ** (-50 / 20) * 32768
    """Below this RMS a block is silence: the gain holds."""

    def __init__(self, detector: Any) -> None:
        self.detector = detector
        self.name: str = detector.name
        self.keywords: tuple[str, ...] = detector.keywords
        self.frame_length: int = detector.frame_length
        self._block = detector.frame_length / RATE
        self.reset()

    def reset(self) -> None:
        """Unit gain, no offset, the engine reset."""
        self._dc = 0.0
        self._level = self.TARGET / 4
        self.detector.reset()

    def process(self, frame: bytes) -> str | None:
        """Filter and level the frame, then let the engine hear it."""
        x = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        # DC out, then a slow running mean (about 0.1 s) out of the rest: rumble and offset
        self._dc += 0.2 * (float(x.mean()) - self._dc) if x.size else 0.0
        y = x - self._dc
        rms = float(np.sqrt(np.mean(y ** 2))) if y.size else 0.0
        if rms > self.FLOOR:
            # attack 50 ms up, release 0.8 s down (the level follows loud speech at once)
            tau = 0.05 if rms > self._level else 0.8
            alpha = 1 - np.exp(-self._block / tau)
            self._level += alpha * (rms - self._level)
        gain = min(self.MAX_GAIN, self.TARGET / max(self._level, 1.0))
        out = np.clip(y * gain, -32768, 32767).astype("<i2").tobytes()
        return self.detector.process(out)

    def close(self) -> None:
        """Close the engine."""
        self.detector.close()
