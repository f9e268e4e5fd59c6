"""Timers and reminders: HA's timer sentences and ours recognised with canonical slots, the
pure machine (start, cancel, increase, decrease, pause, unpause, status, reminders, due on the
house clock, rung in the room where set or texted in lockout, kept across a restart), and the
replies composed from the machine's outcomes (never "c'est parti" when nothing was set)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.config import load
from core.messages.dialogs import Intent, Outcome, SmsSend
from core.messages.presence import Mode, ModeChanged
from core.messages.timers import TIMER_FIELDS, TimersState
from core.messages.voice import Say
from dialogs import timers
from dialogs.cli import recognize_line
from dialogs.engine import DialogEngine, DialogTurn

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 10, 8, 30, tzinfo=PARIS)
HOUSE = timers.TimerHouse("salon", ("+33600000001",), "fr")


@pytest.fixture(scope="module")
def engine() -> DialogEngine:
    return DialogEngine(load())


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("mets un minuteur de dix minutes", "HassStartTimer", {"seconds": 600}),
    ("mets un minuteur de 1 heure et 30 minutes", "HassStartTimer", {"seconds": 5400}),
    ("mets un minuteur d'une heure et demie", "HassStartTimer", {"seconds": 5400}),
    ("lance un minuteur d'un quart d'heure pour le gâteau", "HassStartTimer",
     {"seconds": 900, "name": "gâteau"}),
    ("minuteur des pâtes dix minutes", "HassStartTimer", {"seconds": 600, "name": "pâtes"}),
    ("annule le minuteur des pâtes", "HassCancelTimer", {"name": "pâtes"}),
    ("ajoute deux minutes au minuteur des pâtes", "HassIncreaseTimer",
     {"seconds": 120, "name": "pâtes"}),
    ("enlève deux minutes au minuteur", "HassDecreaseTimer", {"seconds": 120}),
    ("mets le minuteur des pâtes en pause", "HassPauseTimer", {"name": "pâtes"}),
    ("reprends le minuteur", "HassUnpauseTimer", {}),
    ("combien de temps reste-t-il au minuteur des pâtes", "HassTimerStatus", {"name": "pâtes"}),
    ("set a 10 minute timer for the pasta", "HassStartTimer", {"seconds": 600, "name": "pasta"}),
    ("cancel the pasta timer", "HassCancelTimer", {"name": "pasta"}),
    ("add 5 minutes to the timer", "HassIncreaseTimer", {"seconds": 300}),
    ("rappelle-moi de sortir les poubelles à 19 h", "BasecampReminder",
     {"message": "sortir les poubelles", "due": "2026-03-10T19:00:00+01:00"}),
    ("rappelle-moi dans vingt minutes de sortir le linge", "BasecampReminder",
     {"message": "sortir le linge", "due": "2026-03-10T08:50:00+01:00"}),
    ("remind me to take the bins out at 7 pm", "BasecampReminder",
     {"message": "take the bins out", "due": "2026-03-10T19:00:00+01:00"}),
])
def test_timer_sentences(engine: DialogEngine, text: str, intent: str,
                         slots: dict[str, Any]) -> None:
    turn = engine.handle(text, channel="voice", sender="kiosk", now=NOW)
    assert turn.intent is not None, turn.reply
    assert (turn.intent.intent, turn.intent.slots) == (intent, slots)
    assert turn.acts  # carried out by the timers service: the reply waits for its outcome


@pytest.mark.parametrize(("text", "intent"), [
    ("rappelle-moi la date d'aujourd'hui", "HassGetCurrentDate"),
    ("rappelle-moi le mode du chauffage", "BasecampHeatingStatus"),
])
def test_rappelle_moi_without_de_is_not_a_reminder(engine: DialogEngine, text: str,
                                                   intent: str) -> None:
    assert recognize_line(engine, text, NOW)["intent"] == intent


def test_a_reminder_without_a_time_is_asked_for_one(engine: DialogEngine) -> None:
    turn = engine.handle("rappelle-moi de sortir les poubelles", channel="voice",
                         sender="kiosk", now=NOW)
    assert turn.intent is None and "Quand" in turn.reply


def _run(state: timers.Timers, event: Any, now: dt.datetime) -> tuple[timers.Timers, list[Any]]:
    return timers.step(state, event, now, HOUSE)


def _start(state: timers.Timers, seconds: int, name: str = "", room: str = "cuisine",
           id: str = "a1") -> tuple[timers.Timers, list[Any]]:
    slots: dict[str, Any] = {"seconds": seconds, **({"name": name} if name else {})}
    return _run(state, Intent("HassStartTimer", slots, channel="voice", id=id, room=room), NOW)


def test_a_timer_rings_in_its_room_when_due_and_not_before() -> None:
    state, effects = _start(timers.Timers(), 600, "pâtes")
    outcome = next(e for e in effects if isinstance(e, Outcome))
    assert outcome.done and outcome.values["timer"]["left_s"] == 600
    assert isinstance(effects[-1], TimersState) and len(effects[-1].timers) == 1
    assert set(effects[-1].timers[0]) == set(TIMER_FIELDS)
    state, effects = _run(state, timers.Tick(), NOW + dt.timedelta(seconds=599))
    assert not [e for e in effects if isinstance(e, Say)] and len(state.items) == 1
    state, effects = _run(state, timers.Tick(), NOW + dt.timedelta(seconds=601))
    said = [e for e in effects if isinstance(e, Say)]
    assert said == [Say("Le minuteur « pâtes » est terminé !", priority=1, lang="fr",
                        rooms=["cuisine"])]
    assert state.items == ()


def test_a_timer_heard_in_no_room_rings_in_the_default_room() -> None:
    state, _ = _start(timers.Timers(), 60, room="")
    _, effects = _run(state, timers.Tick(), NOW + dt.timedelta(minutes=2))
    assert next(e for e in effects if isinstance(e, Say)).rooms == ["salon"]


def test_increase_decrease_pause_unpause_cancel() -> None:
    state, _ = _start(timers.Timers(), 600, "pâtes")
    state, _ = _start(state, 300, id="b2")
    later = NOW + dt.timedelta(seconds=60)
    state, effects = _run(state, Intent("HassIncreaseTimer", {"seconds": 120, "name": "pates"},
                                        id="c"), later)
    pasta = next(t for t in state.items if t.name == "pâtes")
    assert pasta.left(later) == 660 and next(e for e in effects if isinstance(e, Outcome)).done
    state, _ = _run(state, Intent("HassDecreaseTimer", {"seconds": 60}, id="d"), later)
    other = next(t for t in state.items if not t.name)  # the one ringing soonest
    assert other.left(later) == 180
    state, _ = _run(state, Intent("HassPauseTimer", {"name": "pâtes"}, id="e"), later)
    much_later = later + dt.timedelta(hours=1)
    assert next(t for t in state.items if t.name == "pâtes").left(much_later) == 660
    state, effects = _run(state, Intent("HassUnpauseTimer", {"name": "pâtes"}, id="f"),
                          much_later)
    assert next(t for t in state.items if t.name == "pâtes").due == \
        much_later + dt.timedelta(seconds=660)
    rang = [e.text for e in effects if isinstance(e, Say)]  # the other one, due meanwhile
    assert rang == ["Le minuteur de 4 minutes est terminé !"]  # 5 minutes, less one
    state, effects = _run(state, Intent("HassCancelTimer", {"name": "pâtes"}, id="g"),
                          much_later)
    assert state.items == () and next(e for e in effects if isinstance(e, Outcome)).done


def test_commands_on_no_timer_are_refused_not_claimed(engine: DialogEngine) -> None:
    _state, effects = _run(timers.Timers(), Intent("HassCancelTimer", {"name": "gâteau"},
                                                  id="x"), NOW)
    outcome = next(e for e in effects if isinstance(e, Outcome))
    assert not outcome.done and outcome.reason == "no_timer"
    turn = engine.handle("annule le minuteur du gâteau", channel="voice", sender="k", now=NOW)
    reply = engine.conclude(turn, outcome).reply
    assert reply == "Je n'ai pas de minuteur en cours de ce nom."
    assert engine.conclude(turn, None).reply.startswith("Je n'ai pas eu de confirmation")


def test_replies_come_from_the_outcome(engine: DialogEngine) -> None:
    state = timers.Timers()
    replies = []
    for text in ("mets un minuteur de dix minutes pour les pâtes",
                 "ajoute deux minutes au minuteur des pâtes",
                 "combien de temps reste-t-il au minuteur des pâtes"):
        turn = engine.handle(text, channel="voice", sender="k", now=NOW)
        assert turn.intent is not None
        state, effects = _run(state, dataclasses.replace(turn.intent, id="i" + text[:5]), NOW)
        outcome = next(e for e in effects if isinstance(e, Outcome))
        replies.append(engine.conclude(turn, outcome).reply)
    assert replies == ["C'est parti : minuteur « pâtes », 10 minutes.",
                       "J'ajoute 2 minutes au minuteur « pâtes » : il reste 12 minutes.",
                       "Il reste 12 minutes au minuteur « pâtes »."]


def test_a_reminder_in_lockout_goes_by_sms() -> None:
    due = NOW + dt.timedelta(minutes=20)
    state, _ = _run(timers.Timers(), Intent("BasecampReminder", {
        "message": "sortir les poubelles", "due": due.isoformat()}, id="r", room="cuisine"), NOW)
    state, _ = _run(state, ModeChanged(Mode.LOCKOUT, NOW.isoformat(), "voice"), NOW)
    state, effects = _run(state, timers.Tick(), due)
    assert [e for e in effects if isinstance(e, SmsSend)] == [
        SmsSend("+33600000001", "Petit rappel : sortir les poubelles.", kind="reminder")]
    assert not [e for e in effects if isinstance(e, Say)]


def test_the_state_survives_a_restart() -> None:
    state, _ = _start(timers.Timers(), 600, "pâtes")
    state, _ = _run(state, Intent("HassPauseTimer", {}, id="p"), NOW + dt.timedelta(minutes=1))
    again = timers.from_plain(timers.to_plain(state))
    assert again == state


def test_a_command_heard_twice_sets_one_timer() -> None:
    state, _ = _start(timers.Timers(), 600)
    state, _ = _start(state, 600)
    assert len(state.items) == 1


@pytest.mark.parametrize(("seconds", "lang", "said"), [
    (5400, "fr", "1 heure 30 minutes"), (45, "fr", "45 secondes"), (60, "en", "1 minute"),
    (7322, "en", "2 hours 2 minutes 2 seconds")])
def test_durations_said(seconds: int, lang: str, said: str) -> None:
    assert timers.say_duration(seconds, lang) == said


def test_turn_acts_type() -> None:
    assert DialogTurn("", Intent("HassTimerStatus"), False, "").acts
