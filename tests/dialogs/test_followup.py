"""Follow-ups without repeating the command: "et dans la chambre ?", "plus chaud", "encore deux
degrés" refer to the previous command of the same speaker, for a short while."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.config import Config
from core.messages.dialogs import Outcome
from dialogs.engine import DialogEngine, DialogTurn
from dialogs.grammar import expand_sentences
from dialogs.replies import render
from dialogs.report import Snapshot

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2024, 3, 5, 9, 0, tzinfo=PARIS)



def say(engine: DialogEngine, text: str, seconds: float = 0, *, channel: str = "voice",
        sender: str = "kiosk", room: str = "") -> DialogTurn:
    return engine.handle(text, channel=channel, sender=sender,
                         now=NOW + dt.timedelta(seconds=seconds), room=room)


def acted(turn: DialogTurn) -> tuple[str, dict[str, object]] | None:
    return (turn.intent.intent, turn.intent.slots) if turn.intent is not None else None


def test_the_previous_command_in_another_room(engine: DialogEngine) -> None:
    assert acted(say(engine, "allume la lumière du salon")) == \
        ("HassTurnOn", {"name": "lumière du salon", "area": "salon", "domain": "light"})
    second = say(engine, "et dans la chambre ?", 5)
    assert acted(second) == ("HassTurnOn", {"area": "chambre", "domain": "light"})
    assert "chambre" in second.reply and second.intent is not None
    assert second.intent.text == "et dans la chambre ?"
    assert acted(say(engine, "et la cuisine", 10)) == \
        ("HassTurnOn", {"area": "cuisine", "domain": "light"})  # a follow-up can be followed
    assert acted(say(engine, "éteins la lumière du garage", 15))[0] == "HassTurnOff"  # type: ignore[index]
    assert acted(say(engine, "pareil dans le salon", 20)) == \
        ("HassTurnOff", {"area": "salon", "domain": "light"})


def test_english_follow_ups(engine: DialogEngine) -> None:
    say(engine, "turn on the kitchen light")
    assert acted(say(engine, "and in the bedroom", 3)) == \
        ("HassTurnOn", {"area": "chambre", "domain": "light"})
    say(engine, "set the heating to 19 degrees", 6)
    assert acted(say(engine, "warmer", 9)) == \
        ("HassClimateSetTemperature", {"area": "salon", "temperature": 20})
    turn = say(engine, "two more degrees", 12)
    assert acted(turn) == ("HassClimateSetTemperature", {"area": "salon", "temperature": 22})
    assert turn.lang == "en"


def test_setpoint_moves_from_the_last_value(engine: DialogEngine) -> None:
    say(engine, "règle le chauffage du salon sur 20 degrés")
    steps = [("plus chaud", 21), ("encore deux degrés", 23), ("un peu moins", 22),
             ("baisse de trois degrés", 19)]
    for i, (text, expected) in enumerate(steps, 1):
        assert acted(say(engine, text, 5 * i)) == \
            ("HassClimateSetTemperature", {"area": "salon", "temperature": expected}), text
    assert acted(say(engine, "pareil dans la chambre", 30)) == \
        ("HassClimateSetTemperature", {"area": "chambre", "temperature": 19})


def test_the_setpoint_the_heater_took_is_what_moves(engine: DialogEngine) -> None:
    turn = say(engine, "règle le chauffage sur 20 degrés")
    assert turn.acts and turn.intent is not None
    engine.conclude(turn, Outcome("i1", turn.intent.intent, True, values={"setpoint": 20.5}))
    assert acted(say(engine, "plus chaud", 4)) == \
        ("HassClimateSetTemperature", {"area": "salon", "temperature": 21.5})


def test_a_warmer_after_a_light_moves_the_current_setpoint(defaults: Config) -> None:
    engine = DialogEngine(defaults, state=lambda: Snapshot(setpoint=19.0))
    say(engine, "allume la lumière de la chambre")
    assert acted(say(engine, "plus chaud", 2)) == \
        ("HassClimateSetTemperature", {"area": "chambre", "temperature": 20})
    unknown = DialogEngine(defaults)  # no setpoint known: the house says so, does nothing
    say(unknown, "allume la lumière de la chambre")
    turn = say(unknown, "plus chaud", 2)
    assert turn.intent is None and turn.reply == render("follow_up_no_setpoint", "fr",
                                                        turn.style)


def test_out_of_range_is_refused(engine: DialogEngine) -> None:
    say(engine, "règle le chauffage sur 27 degrés")
    turn = say(engine, "encore deux degrés", 3)
    assert turn.intent is None and "28" in turn.reply


@pytest.mark.parametrize("text", ["et dans la chambre ?", "plus chaud", "encore deux degrés"])
def test_nothing_to_refer_to(engine: DialogEngine, text: str) -> None:
    turn = say(engine, text)
    assert turn.intent is None
    assert turn.reply == "À quoi cela se rapporte ? Dis-moi la commande en entier."


def test_english_nothing_to_refer_to(engine: DialogEngine) -> None:
    turn = say(engine, "and in the bedroom")
    assert turn.intent is None and turn.reply == render("follow_up_unknown", "en", turn.style)


@pytest.mark.parametrize(("seconds", "channel", "sender", "room"), [
    (61, "voice", "kiosk", "salon"),  # too late (60 s of house time)
    (5, "sms", "kiosk", ""),  # another channel
    (5, "voice", "anna", "salon"),  # another speaker
    (5, "voice", "kiosk", "chambre"),  # heard in another room
    (-5, "voice", "kiosk", "salon"),  # the clock went back
])
def test_short_lived_and_per_speaker(engine: DialogEngine, seconds: float, channel: str,
                                     sender: str, room: str) -> None:
    first = say(engine, "allume la lumière du salon", room="salon")
    assert first.intent is not None and first.intent.room == "salon"
    late = say(engine, "et la cuisine", seconds, channel=channel, sender=sender, room=room)
    assert late.intent is None and "rapporte" in late.reply


def test_the_same_speaker_in_time_follows(engine: DialogEngine) -> None:
    say(engine, "allume la lumière du salon", room="salon")
    turn = say(engine, "et la cuisine", 59, room="salon")
    assert turn.intent is not None and turn.intent.room == "salon"
    assert turn.intent.slots["area"] == "cuisine"


def test_follow_ups_enter_the_speech_grammar(defaults: Config) -> None:
    fr = set(expand_sentences(defaults, "fr"))
    assert {"et dans la chambre", "encore deux degrés", "plus chaud", "un peu moins",
            "pareil dans le salon"} <= fr
    en = set(expand_sentences(defaults, "en"))
    assert {"warmer", "two more degrees", "and in the bedroom"} <= en


def test_a_question_about_a_room_is_asked_again_for_another(engine: DialogEngine) -> None:
    assert acted(say(engine, "quelle température fait-il dans le salon")) == \
        ("HassClimateGetTemperature", {"area": "salon"})
    assert acted(say(engine, "et dans la chambre ?", 4)) == \
        ("HassClimateGetTemperature", {"area": "chambre"})


def test_a_command_that_cannot_be_followed_is_not_remembered(engine: DialogEngine) -> None:
    say(engine, "allume la lumière du salon")
    say(engine, "quelle heure est-il", 2)  # answered, but "et dans la chambre" is not about it
    assert acted(say(engine, "et dans la chambre", 4)) == \
        ("HassTurnOn", {"area": "chambre", "domain": "light"})
