"""Conversations without repeating the wake word, on synthesised speech and the real Korean
Vosk model: the microphone stays open after a command people follow ("et dans la chambre ?"
goes to the real dialog engine), closes quietly when nothing is said, and a sentence cut by a
pause is waited for instead of half of it answered."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from assistant import samples, wake
from assistant.audio import silence
from assistant.pipeline import Answer, Pipeline, invites_follow_up
from assistant.settings import PorcupineSettings, VoiceSettings
from assistant.stt import Transcriber, VoskTranscriber
from assistant.vad import Limits, webrtc
from core.messages import Message
from core.messages.dialogs import Intent
from core.messages.voice import Listening, Say, Transcript, Wake

from .conftest import needs_espeak, needs_ko_model

pytestmark = [needs_espeak, needs_ko_model,
              pytest.mark.skipif(importlib.util.find_spec("pvporcupine") is None,
                                 reason="pvporcupine is not installed")]

SAID = {"불 꺼": "éteins la lumière du salon", "오늘 날씨 어때": "et dans la chambre",
        "지금 몇 시": "quelle heure est-il", "음악 틀어 줘": "plus chaud"}
"""Korean phrases the test model hears -> the French the dialog engine is given."""


def run(pcm: bytes, transcriber: Transcriber, handler: Any, *, wake_word: bool = True,
        follow_up_s: float = 3.0) -> tuple[list[Message], Pipeline]:
    events: list[Message] = []
    voice = VoiceSettings(porcupine=PorcupineSettings(keywords=("computer",)))
    spotter = wake.Spotter(wake.create(voice, None, "porcupine"), 2.0) if wake_word else None
    pipeline = Pipeline(spotter=spotter, transcriber=transcriber, handler=handler,
                        emit=events.append, is_speech=webrtc(2),
                        limits=Limits(600, 3.0, 8.0, 90), follow_up_s=follow_up_s, lang="fr")
    for i in range(0, len(pcm), 960):
        pipeline.feed(pcm[i:i + 960])
    pipeline.flush()
    return events, pipeline


def speech(wav_dir: Path, *parts: str | float) -> bytes:
    return samples.load(samples.cached_wav(wav_dir, *parts, voice="ko", speed=150))


def woken(wav_dir: Path) -> bytes:
    return samples.load(samples.cached_wav(wav_dir, 0.5, "computer", 0.4, voice="en-us"))


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    from core.config import load
    from dialogs.engine import DialogEngine
    return DialogEngine(load())


@pytest.fixture
def house(engine: Any) -> Any:
    """The real dialog engine behind the Korean phrases (a fresh memory per test)."""
    from dialogs.followup import Recent
    engine.recent = Recent(60.0)
    engine.conversations.pending.clear()
    import datetime as dt
    now = dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC)

    def handle(text: str) -> Any:
        return engine.handle(SAID[text], channel="voice", sender="owner", now=now,
                             room="salon")

    return handle


def intents(events: list[Message]) -> list[tuple[str, str]]:
    return [(e.intent, e.slots.get("area", "")) for e in events if isinstance(e, Intent)]


def test_the_rule_of_what_keeps_the_microphone_open() -> None:
    assert invites_follow_up(Answer(expects_answer=True))
    assert invites_follow_up(Answer(intent=Intent("HassTurnOn")))
    assert invites_follow_up(Answer(carried="HassClimateSetTemperature"))
    assert not invites_follow_up(Answer(intent=Intent("HassGetCurrentTime")))
    assert not invites_follow_up(Answer(reply="Désolé, je n'ai pas compris."))


def test_a_follow_up_without_the_wake_word(ko_transcriber: VoskTranscriber, wav_dir: Path,
                                           house: Any) -> None:
    pcm = woken(wav_dir) + speech(wav_dir, "불 꺼", 1.0, "오늘 날씨 어때", 0.5)
    events, _ = run(pcm, ko_transcriber, house)
    assert sum(isinstance(e, Wake) for e in events) == 1
    assert intents(events) == [("HassTurnOff", "salon"), ("HassTurnOff", "chambre")]
    opened = [e.follow_up for e in events if isinstance(e, Listening) and e.active]
    assert opened[:2] == [False, True]
    said = [e.text for e in events if isinstance(e, Say)]
    assert len(said) == 2 and "chambre" in said[1]


def test_a_command_nobody_follows_closes_the_microphone(ko_transcriber: VoskTranscriber,
                                                        wav_dir: Path, house: Any) -> None:
    pcm = woken(wav_dir) + speech(wav_dir, "지금 몇 시", 1.0, "오늘 날씨 어때", 0.5)
    events, _ = run(pcm, ko_transcriber, house)
    assert intents(events) == [("HassGetCurrentTime", "")]
    assert [e.text for e in events if isinstance(e, Transcript)] == ["지금 몇 시"]


def test_nothing_said_closes_quietly(ko_transcriber: VoskTranscriber, wav_dir: Path,
                                     house: Any) -> None:
    pcm = woken(wav_dir) + speech(wav_dir, "불 꺼") + silence(2.5)
    events, pipeline = run(pcm, ko_transcriber, house, follow_up_s=1.5)
    closed = [e for e in events if isinstance(e, Listening) and not e.active]
    assert closed[-1] == Listening(False, follow_up=True, outcome="no_speech")
    assert sum(isinstance(e, Say) for e in events) == 1  # the command's reply, nothing more
    assert sum(isinstance(e, Transcript) for e in events) == 1
    assert len(pipeline.turns) == 1
    assert pipeline.phase.value == "waiting"


def test_plus_chaud_in_the_follow_up_window(ko_transcriber: VoskTranscriber, wav_dir: Path,
                                            house: Any) -> None:
    """After a light, "plus chaud" with no setpoint known: the honest reply, no command."""
    pcm = woken(wav_dir) + speech(wav_dir, "불 꺼", 1.0, "음악 틀어 줘", 0.5)
    events, _ = run(pcm, ko_transcriber, house)
    assert intents(events) == [("HassTurnOff", "salon")]
    assert [e.text for e in events if isinstance(e, Say)][-1].startswith(
        "Je ne connais pas la consigne")


CUT = ["지금 몇 시 오늘 날씨 어때", "오늘 날씨 어때", "불 꺼"]
""""지금 몇 시" only begins a sentence here."""


@pytest.fixture(scope="module")
def cut_transcriber(ko_model: Path) -> VoskTranscriber:
    return VoskTranscriber.from_path(ko_model, CUT)


def test_a_sentence_cut_by_a_pause_is_waited_for(cut_transcriber: VoskTranscriber,
                                                 wav_dir: Path) -> None:
    heard: list[str] = []

    def handler(text: str) -> Answer:
        heard.append(text)
        return Answer()

    pcm = silence(0.3) + speech(wav_dir, "지금 몇 시", 1.2, "오늘 날씨 어때", 0.8)
    _, pipeline = run(pcm, cut_transcriber, handler, wake_word=False)
    assert heard == ["지금 몇 시 오늘 날씨 어때"]
    turn = pipeline.turns[0]
    assert turn.resumed == 1
    assert turn.ended_s - turn.speech_end_s < 0.7  # ended after the rest, not at the pause


def test_a_whole_sentence_then_a_pause_is_answered(ko_model: Path, wav_dir: Path) -> None:
    """The same audio where "지금 몇 시" is a sentence: answered at the pause, not resumed."""
    transcriber = VoskTranscriber.from_path(ko_model, ["지금 몇 시", *CUT])
    heard: list[str] = []

    def handler(text: str) -> Answer:
        heard.append(text)
        return Answer()

    pcm = silence(0.3) + speech(wav_dir, "지금 몇 시", 1.2, "오늘 날씨 어때", 0.8)
    _, pipeline = run(pcm, transcriber, handler, wake_word=False)
    assert heard == ["지금 몇 시"]
    assert pipeline.turns[0].resumed == 0


def test_the_rest_never_comes(cut_transcriber: VoskTranscriber, wav_dir: Path) -> None:
    heard: list[str] = []

    def handler(text: str) -> Answer:
        heard.append(text)
        return Answer()

    pcm = silence(0.3) + speech(wav_dir, "지금 몇 시") + silence(3.0)
    _, pipeline = run(pcm, cut_transcriber, handler, wake_word=False, follow_up_s=1.5)
    assert len(heard) == 1  # what was said is still answered (here: whatever it snaps to)
    turn = pipeline.turns[0]
    assert turn.resumed == 1
    assert 0.6 + 1.5 - 0.1 < turn.ended_s - turn.speech_end_s < 0.6 + 1.5 + 0.3


CHATTER = "안녕하세요 반갑습니다"
"""Talk in the room that is no house sentence (the test model decodes it freely)."""


@pytest.mark.parametrize("asked", [False, True])
def test_talk_after_a_command_is_not_answered(ko_transcriber: VoskTranscriber, wav_dir: Path,
                                              asked: bool) -> None:
    """After a command, what follows is only answered if it is a house sentence; after a
    question, any answer goes to the dialog (which says when it did not understand)."""
    heard: list[str] = []

    def handler(text: str) -> Answer:
        heard.append(text)
        if text == "불 꺼":
            return Answer(reply="ok", intent=None if asked else Intent("HassTurnOff"),
                          expects_answer=asked, conversation="c1" if asked else "")
        return Answer(reply="pardon ?")

    pcm = woken(wav_dir) + speech(wav_dir, "불 꺼", 1.0, CHATTER, 0.5)
    events, _ = run(pcm, ko_transcriber, handler)
    opened = [e.follow_up for e in events if isinstance(e, Listening) and e.active]
    assert opened == [False, True]
    if asked:
        assert len(heard) == 2 and heard[0] == "불 꺼"
        assert [e.text for e in events if isinstance(e, Say)] == ["ok", "pardon ?"]
    else:
        assert heard == ["불 꺼"]
        assert [e.text for e in events if isinstance(e, Transcript)] == ["불 꺼"]
        assert [e.text for e in events if isinstance(e, Say)] == ["ok"]


def test_cut_off_is_the_beginning_of_a_sentence_only() -> None:
    from assistant.grammar import compile_grammar
    grammar = compile_grammar(["allume la lumière de la cuisine", "allume la lumière",
                               "éteins tout"])
    assert grammar.cut_off("allume la lumière de la")
    assert not grammar.cut_off("allume la lumière")  # a whole sentence: answered
    assert not grammar.cut_off("éteins tout")
    assert not grammar.cut_off("la cuisine")  # not the beginning of any sentence
