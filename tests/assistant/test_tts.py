"""Text to speech: the sox chain (pure), then real rendering checked with sox."""

from __future__ import annotations

import re
import shutil
import subprocess
import wave
from pathlib import Path

import numpy
import pytest

from assistant.settings import InterphoneSettings
from assistant.tts import Renderer, effects, play

needs_tts = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")),
                               reason="espeak-ng and sox are needed")


def test_effect_chain() -> None:
    plain = InterphoneSettings(volume=0.5, contrast=20)
    assert effects(plain, radio=False) == ["gain", "-n", "-3", "contrast", "20", "vol", "0.5"]
    radio = effects(InterphoneSettings(radio_band_hz=(400, 3000), radio_overdrive=5), radio=True)
    assert radio[radio.index("sinc") + 1] == "400-3000"
    assert radio[radio.index("overdrive") + 1] == "5"


def stat(path: Path) -> dict[str, float]:
    """sox's `stat` figures of a WAV."""
    err = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True).stderr
    return {m[1].strip(): float(m[2]) for m in re.finditer(r"^([^:]+):\s+(-?[\d.]+)\s*$", err,
                                                              re.M)}


@needs_tts
@pytest.mark.parametrize("tts", ["pyttsx3", "espeak-ng"])
def test_render_applies_volume_and_uses_the_cache(tts: str, tmp_path: Path) -> None:
    loud = Renderer(InterphoneSettings(tts=tts, volume=1.0, contrast=0), tmp_path / "a")
    soft = Renderer(InterphoneSettings(tts=tts, volume=0.25, contrast=0), tmp_path / "b")
    text = "Il est dix heures et demie."
    a, b = loud.render(text), soft.render(text)
    sa, sb = stat(a), stat(b)
    assert 1.0 < sa["Length (seconds)"] < 5.0
    assert sa["Length (seconds)"] == pytest.approx(sb["Length (seconds)"], abs=0.05)
    assert sa["Maximum amplitude"] == pytest.approx(10 ** (-3 / 20), abs=0.03)  # gain -n -3
    assert sb["RMS     amplitude"] == pytest.approx(sa["RMS     amplitude"] * 0.25, rel=0.05)
    assert loud.render(text) == a and (loud.hits, loud.misses) == (1, 1)


@needs_tts
def test_without_cache_every_phrase_is_rendered_and_kept_until_played(tmp_path: Path) -> None:
    renderer = Renderer(InterphoneSettings(tts="espeak-ng", cache_size=0), tmp_path)
    first = renderer.render("Bonjour.")
    assert first.exists()
    second = renderer.render("Bonsoir.")
    assert second.exists() and not first.exists()
    assert renderer.render("Bonsoir.").exists() and (renderer.hits, renderer.misses) == (0, 3)


@needs_tts
def test_radio_colour_cuts_the_band_and_adds_noise(tmp_path: Path) -> None:
    settings = InterphoneSettings(tts="espeak-ng", contrast=0, radio_noise=0.02)
    renderer = Renderer(settings, tmp_path)
    clean = renderer.render("Attention, fuite d'eau.", radio=False)
    radio = renderer.render("Attention, fuite d'eau.", radio=True)
    assert clean != radio
    a, b = pcm(clean), pcm(radio)
    # band-pass: little left below the low cut, relative to the whole signal
    assert band_share(b, 0, 150) < band_share(a, 0, 150) / 3
    # low noise fills the pauses: the quietest 20 ms is louder than in the clean render
    assert quietest(b) > quietest(a) + 50


def pcm(path: Path) -> tuple[numpy.ndarray, int]:
    with wave.open(str(path)) as wav:
        return numpy.frombuffer(wav.readframes(wav.getnframes()), numpy.int16), \
            wav.getframerate()


def band_share(signal: tuple[numpy.ndarray, int], lo: float, hi: float) -> float:
    data, rate = signal
    power = numpy.abs(numpy.fft.rfft(data.astype(float))) ** 2
    freqs = numpy.fft.rfftfreq(len(data), 1 / rate)
    return float(power[(freqs >= lo) & (freqs < hi)].sum() / power.sum())


def quietest(signal: tuple[numpy.ndarray, int]) -> float:
    data, rate = signal
    size = rate // 50
    windows = data[:len(data) // size * size].reshape(-1, size).astype(float)
    return float(numpy.sqrt((windows ** 2).mean(axis=1)).min())


def test_no_output_writes_wav_only(tmp_path: Path) -> None:
    wav = tmp_path / "x.wav"
    wav.write_bytes(b"")
    assert play(wav, "wav") == "wav"
