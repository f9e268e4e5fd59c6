"""The personal wake word: enrolled from three espeak-ng recordings (`basecamp voice enroll`),
heard in another voice and speed, not in other French speech; recorded from a live stream by
the assistant's Recorder (the kiosk page's back end), which keeps words and rejects sentences."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assistant import samples, wake
from assistant.audio import silence, write_wav
from assistant.cli import voice_command
from assistant.enroll import Phase, Recorder
from assistant.settings import PersonalWakeSettings, VoiceSettings
from assistant.vad import webrtc

from .conftest import needs_espeak
from .test_cli import write_config

ENROLL = [("fr-fr", 150, 50), ("fr-be", 170, 45), ("fr-fr+f2", 160, 65)]
SENTENCE = "Je pense que ce mot est beaucoup trop long, on devrait en choisir un autre."
OTHER_FRENCH = ["Allume la lumière du salon s'il te plaît.",
                "On part en camping-car dans les Alpes au mois d'août.",
                "Le campement de base est installé au pied de la montagne."]


def heard(detector: wake.WakeWordDetector, pcm: bytes) -> int:
    detector.reset()
    spotter = wake.Spotter(detector, cooldown_s=2.0)
    return sum(len(spotter.feed(pcm[i:i + 960])) for i in range(0, len(pcm), 960))


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, VoiceSettings]:
    """The word enrolled through the CLI into a house's data_dir."""
    folder = tmp_path_factory.mktemp("personal")
    config = write_config(folder, '[voice]\nwake_engine = "personal"\n')
    wavs = [write_wav(folder / f"take{i}.wav", samples.utterance(
        0.3, "Basecamp", 0.4, voice=v, speed=s, pitch=p)) for i, (v, s, p) in enumerate(ENROLL)]
    assert voice_command(["enroll", *map(str, wavs), "--config", str(config)]) == 0
    from core.config import load
    house = load(str(config))
    return config, house.section("voice", VoiceSettings)


@needs_espeak
def test_enrolled_word_is_heard_in_another_voice_and_not_in_other_speech(
        enrolled: tuple[Path, VoiceSettings]) -> None:
    config_path, voice = enrolled
    from core.config import load
    config = load(str(config_path))
    kept = sorted((config.path("voice/wake") / "basecamp").glob("*.wav"))
    assert [p.name for p in kept] == ["01.wav", "02.wav", "03.wav"]
    detector = wake.create(voice, config)
    assert detector.name == "personal" and detector.keywords == ("basecamp",)
    other = silence(0.5) + samples.utterance("Basecamp", voice="fr-ch", speed=185,
                                             pitch=60) + silence(1.0)
    assert heard(detector, other) == 1
    speech = samples.utterance(*[p for s in OTHER_FRENCH for p in (s, 0.5)], voice="fr-fr")
    assert heard(detector, speech) == 0


def test_no_recording_is_a_clear_error(tmp_path: Path) -> None:
    from assistant.errors import EngineUnavailable
    voice = VoiceSettings(wake_engine="personal",
                          personal=PersonalWakeSettings(templates_dir=str(tmp_path)))
    with pytest.raises(EngineUnavailable, match="voice enroll"):
        wake.create(voice, None)


@needs_espeak
def test_recorder_keeps_the_next_words_and_rejects_a_sentence(tmp_path: Path) -> None:
    word = tmp_path / "wake" / "basecamp"
    recorder = Recorder(word, 3, webrtc(2))
    stream = silence(0.5)
    for i, (v, s, p) in enumerate(ENROLL):
        stream += samples.speak("Basecamp", v, speed=s, pitch=p) + silence(0.8)
        if i == 0:  # a sentence in between is not taken as the word
            stream += samples.speak(SENTENCE, "fr-fr", speed=150) + silence(0.8)
    for i in range(0, len(stream), 1000):
        recorder.feed(stream[i:i + 1000])
    status = recorder.status()
    assert status["phase"] == Phase.DONE and status["recorded"] == 3
    assert status["rejected"] == ["too_long"]
    voice = VoiceSettings(personal=PersonalWakeSettings(templates_dir=str(tmp_path / "wake")))
    detector = wake.create(replace(voice, wake_engine="personal"), None)
    assert heard(detector, silence(0.4) + samples.speak("Basecamp", "fr-fr", speed=165)
                 + silence(1.0)) == 1
