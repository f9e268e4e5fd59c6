"""The combination engine ("combo": any of several engines, or all within a window) and the
AGC front-end, with the real porcupine and microWakeWord engines on espeak-ng speech."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant import samples, wake
from assistant.errors import EngineUnavailable
from assistant.settings import (
    ComboWakeSettings,
    MicroWakeWordSettings,
    PorcupineSettings,
    VoiceSettings,
)
from assistant.wake_combo import AgcFrontEnd, ComboWakeDetector
from core.schema import ConfigError

from .conftest import needs_espeak

needs_engines = pytest.mark.skipif(
    importlib.util.find_spec("pvporcupine") is None
    or importlib.util.find_spec("pymicro_wakeword") is None,
    reason="pvporcupine and pymicro_wakeword are needed")

VOICE = VoiceSettings(wake_engine="combo", cooldown_s=1.0,
                      porcupine=PorcupineSettings(keywords=("computer",)),
                      microwakeword=MicroWakeWordSettings(keywords=("okay_nabu",),
                                                           probability_cutoff=0.5))


def heard(detector: wake.WakeWordDetector, pcm: bytes) -> list[str]:
    detector.reset()
    spotter = wake.Spotter(detector, 1.0)
    return [d.keyword for i in range(0, len(pcm), 960) for d in spotter.feed(pcm[i:i + 960])]


@needs_espeak
@needs_engines
def test_any_wakes_on_either_engine_and_all_needs_both(wav_dir: Path) -> None:
    computer = samples.load(samples.cached_wav(wav_dir, 0.5, "computer", 1.0))
    nabu = samples.load(samples.cached_wav(wav_dir, 0.5, "okay nabu", 1.0))
    both = samples.load(samples.cached_wav(wav_dir, 0.5, "computer", 0.2, "okay nabu", 1.0))
    other = samples.load(samples.cached_wav(wav_dir, 0.3, "the weather will be sunny", 0.5,
                                            voice="en-gb"))
    any_of = wake.create(VOICE, None)
    assert isinstance(any_of, ComboWakeDetector)
    try:
        assert set(any_of.keywords) == {"computer", "okay_nabu"}
        assert heard(any_of, computer) == ["computer"]
        assert heard(any_of, nabu) == ["okay_nabu"]
        assert heard(any_of, other) == []
    finally:
        any_of.close()
    all_of = wake.create(replace(VOICE, combo=ComboWakeSettings(mode="all", window_s=1.5)),
                         None)
    try:
        assert heard(all_of, computer) == []
        assert heard(all_of, nabu) == []
        assert len(heard(all_of, both)) == 1
        # the same two words further apart than the window do not confirm each other
        apart = samples.load(samples.cached_wav(wav_dir, 0.5, "computer", 2.5, "okay nabu",
                                                1.0))
        assert heard(all_of, apart) == []
    finally:
        all_of.close()


class Level:
    """Records the RMS of what a wrapped engine hears (an engine that never fires)."""

    name = "level"
    keywords = ("none",)
    frame_length = 512

    def __init__(self) -> None:
        self.rms: list[float] = []

    def process(self, frame: bytes) -> str | None:
        x = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        self.rms.append(float(np.sqrt(np.mean(x ** 2))))
        return None

    def reset(self) -> None:
        self.rms = []

    def close(self) -> None:
        pass


@needs_espeak
def test_agc_brings_a_far_voice_to_the_level_of_a_near_one(wav_dir: Path) -> None:
    near = samples.load(samples.cached_wav(wav_dir, 1.0, "turn on the light in the kitchen",
                                           0.5, voice="en-gb"))
    far = (np.frombuffer(near, dtype="<i2") * 10 ** (-24 / 20)).astype("<i2").tobytes()
    levels = []
    for pcm in (near, far):
        level = Level()
        heard(AgcFrontEnd(level), pcm)
        voiced = [r for r, x in zip(level.rms, _rms(pcm), strict=False) if x > 30]
        levels.append(float(np.median(voiced[len(voiced) // 3:])))  # once settled
    before = 20 * np.log10(np.median(_rms(near)[40:]) / np.median(_rms(far)[40:]))
    after = 20 * np.log10(levels[0] / levels[1])
    assert before > 20
    assert abs(after) < 6


def _rms(pcm: bytes) -> list[float]:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return [float(np.sqrt(np.mean(x[i:i + 512] ** 2))) for i in range(0, x.size - 511, 512)]


def test_front_end_setting_wraps_the_engine() -> None:
    if importlib.util.find_spec("pymicro_wakeword") is None:
        pytest.skip("pymicro_wakeword is not installed")
    detector = wake.create(replace(VOICE, front_end="agc"), None, "microwakeword")
    try:
        assert isinstance(detector, AgcFrontEnd)
        assert detector.keywords == ("okay_nabu",)
    finally:
        detector.close()


def test_combo_entries_name_their_front_end(tmp_path: Path) -> None:
    if importlib.util.find_spec("pvporcupine") is None:
        pytest.skip("pvporcupine is not installed")
    voice = replace(VOICE, front_end="agc",
                    combo=ComboWakeSettings(engines=("porcupine", "porcupine+agc")))
    detector = wake.create(voice, None)
    try:
        assert isinstance(detector, ComboWakeDetector)
        plain, levelled = detector.detectors
        assert not isinstance(plain, AgcFrontEnd)  # voice.front_end is for single engines
        assert isinstance(levelled, AgcFrontEnd) and levelled.keywords == ("computer",)
    finally:
        detector.close()
    with pytest.raises(EngineUnavailable, match="engine\\+agc"):
        wake.create(replace(voice, combo=ComboWakeSettings(engines=("porcupine+eq",))), None)
    with pytest.raises(ConfigError, match=r"combo\.engines"):
        replace(voice, combo=ComboWakeSettings(engines=("combo",))).check(None, "voice")
