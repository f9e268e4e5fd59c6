"""The French audio set builds from installed packages (quick mode) and holds what it says."""

from __future__ import annotations

import array
import wave
from pathlib import Path

import pytest

from assistant.audio import read_pcm
from tests.assistant.audio_fr import asterisk, build, mbrola

from .conftest import needs_espeak


def test_noise_entries_are_not_speech() -> None:
    entries = asterisk.parse_transcripts(
        "; comment\nascending-2tone: [ascending tones]\nbeeperr: (ahooga)\n"
        "vm-goodbye: Au revoir.\ndigits/1: un\nempty:\n")
    assert entries == {"vm-goodbye": "Au revoir.", "digits/1": "un"}


def test_a_failing_command_says_what_and_why(tmp_path: Path) -> None:
    with pytest.raises(asterisk.AudioSetError, match="converting"):
        asterisk._convert(tmp_path / "missing.wav", tmp_path / "out.wav")


@needs_espeak
def test_quick_set(audio_fr: Path) -> None:
    clips = build.load(audio_fr)
    kinds = {c.kind for c in clips}
    assert kinds == {"human", "house"}
    for clip in clips:
        assert clip.text.strip()
        with wave.open(str(audio_fr / clip.file)) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
            seconds = wav.getnframes() / wav.getframerate()
        assert 0.4 < seconds < 30, (clip.file, seconds)
    house = [c for c in clips if c.kind == "house"]
    assert all(c.intent for c in house)
    assert {c.voice for c in house} <= set(mbrola.VOICES)  # MBROLA spoke them, not espeak-ng
    tune = [c for c in house if c.split == "tune"]
    held = [c for c in house if c.split == "held_out"]
    assert tune and held
    assert not {c.voice for c in tune} & {c.voice for c in held}
    assert not {c.speed for c in tune} & {c.speed for c in held}
    human = [c for c in clips if c.kind == "human"]
    assert {c.split for c in human} == {"tune", "held_out"}
    assert all(c.split == build.human_split(Path(c.file).stem.replace("__", "/"))
               for c in human)


@needs_espeak
def test_house_audio_is_speech_in_noise(audio_fr: Path) -> None:
    """Each house clip has its room noise under it and louder speech on top."""
    for clip in (c for c in build.load(audio_fr) if c.kind == "house"):
        samples = array.array("h", read_pcm(audio_fr / clip.file))
        lead = samples[:1600]  # the first 0.1 s: padding, so noise only
        floor = max(abs(s) for s in lead)
        peak = max(abs(s) for s in samples)
        assert floor > 0, f"{clip.file}: no room noise"
        assert peak > 4 * floor, f"{clip.file}: speech not above the noise"


@needs_espeak
def test_house_noise_is_at_its_stated_level(audio_fr: Path) -> None:
    """The room noise sits at the signal-to-noise ratio the manifest states (within 4 dB: brown
    noise wanders over a quarter second): noise measured in the lead-in (0.25 s of padding),
    speech where it is loud."""
    import numpy as np
    levels = {label: snr for label, snr, _ in build.ROOMS}
    for clip in (c for c in build.load(audio_fr) if c.kind == "house"):
        samples = np.asarray(array.array("h", read_pcm(audio_fr / clip.file)), dtype=float)
        noise = float(np.sqrt(np.mean(samples[:4000] ** 2)))
        voiced = samples[np.abs(samples) > 0.05 * np.abs(samples).max()]
        speech = float(np.sqrt(np.mean(voiced ** 2)))
        snr = 20 * np.log10(speech / noise)
        assert abs(snr - levels[clip.noise]) < 4, (clip.file, clip.noise, round(snr, 1))


def test_the_mirror_is_the_systems_own(tmp_path: Path) -> None:
    """MBROLA's packages come from the Debian mirror the machine already uses (its security
    and snapshot sources are not mirrors of the release), in either sources format."""
    codename = mbrola.mirror()[1]
    (tmp_path / "debian.sources").write_text(
        "Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
        "URIs: http://mirror.example/debian-security\nSuites: x\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: x\n")
    assert mbrola.mirror([tmp_path]) == ("http://mirror.example/debian", codename)
    one_line = tmp_path / "sources.list"
    one_line.write_text(f"deb [signed-by=/k.gpg] http://other.example/debian/ {codename} main\n")
    assert mbrola.mirror([one_line]) == ("http://other.example/debian", codename)
    assert mbrola.mirror([tmp_path / "none"]) == (mbrola.MIRROR, codename)


def test_only_french_mbrola_voices_are_asked_for(tmp_path: Path) -> None:
    with pytest.raises(asterisk.AudioSetError, match="not French MBROLA voices"):
        mbrola.environment(tmp_path, ["mb-de1"])
    with pytest.raises(asterisk.AudioSetError, match="unknown voice set"):
        build.build(tmp_path, voices="festival")
