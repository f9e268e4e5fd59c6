"""The voice path's dialog handler on text: `voice.commands` first, then the dialogs'
DialogEngine, whose grammar (expand_sentences) is what the recogniser is restricted to."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from assistant import dialog
from assistant.settings import VoiceSettings
from core.config import Config
from tests.helpers import demo_config

NOW = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)

pytest.importorskip("dialogs.engine", reason="the dialogs package is not importable")


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return demo_config(tmp_path_factory.mktemp("house"))


def voice_of(config: Config, **changes: object) -> VoiceSettings:
    return dataclasses.replace(config.section("voice", VoiceSettings), **changes)


def test_french_commands_go_through_the_dialog_engine(house: Config) -> None:
    handle = dialog.handler(house, voice_of(house), lambda: NOW)
    turn = handle("allume la lumière du salon")
    assert type(turn).__module__ == "dialogs.engine"  # the dialogs' DialogTurn, not a local Answer
    assert turn.intent.intent == "HassTurnOn"
    assert turn.intent.slots["area"] == "salon" and turn.intent.channel == "voice"
    assert turn.reply and not turn.expects_answer
    assert handle("bla bla bla").intent is None


def test_a_question_opens_a_follow_up_answered_by_voice(house: Config) -> None:
    handle = dialog.handler(house, voice_of(house), lambda: NOW)
    asked = handle("je pars")
    assert asked.intent is None and asked.expects_answer
    done = handle("ce soir")
    assert done.intent.intent == "BasecampLeave"
    assert done.conversation == asked.conversation
    assert done.intent.slots["return_at"].startswith("2026-11-21T19:00")


def test_every_sentence_of_the_grammar_is_understood(house: Config) -> None:
    voice = voice_of(house)
    sentences = dialog.sentences(house, voice)
    assert len(sentences) > 1000
    clock = [NOW]
    handle = dialog.handler(house, voice, lambda: clock[0])
    sample = sentences[::len(sentences) // 60]
    from dialogs.replies import render
    not_understood = render("not_understood", "fr")
    for text in sample:
        clock[0] += dt.timedelta(hours=1)  # any question left open by the last one expires
        turn = handle(text)
        if turn.reply == not_understood:  # an answer to a question, e.g. "demain midi"
            assert handle("je pars").expects_answer
            turn = handle(text)
            assert turn.reply != not_understood and not turn.expects_answer, text


def test_commands_first_then_the_house_language(house: Config) -> None:
    voice = voice_of(house, lang="ko", commands={"불 꺼": "HassTurnOff"})
    assert dialog.sentences(house, voice) == ["불 꺼"]  # the dialogs have no Korean sentences
    handle = dialog.handler(house, voice, lambda: NOW)
    assert handle("불 꺼").intent.intent == "HassTurnOff"
    french = handle("quelle heure est-il")  # no crash: the dialogs answer in French
    assert french.intent.intent == "HassGetCurrentTime"


def test_config_slot_lists_reach_the_grammar(tmp_path: Path) -> None:
    config = demo_config(tmp_path)
    rooms = [room.name.lower() for room in config.rooms]
    sentences = " | ".join(dialog.sentences(config, config.section("voice", VoiceSettings)))
    assert rooms and all(room in sentences for room in rooms)
