"""Timers and reminders end to end on the running demo house (real services, two satellites).

A timer is set by voice: a WAV (wake word + a spoken command) dropped into the chambre
satellite's simulated microphone. The Korean Vosk model is the only speech model here, so the
command is a Korean phrase that `voice.commands` maps to the French house sentence "mets un
minuteur d'une minute pour les pâtes" — the dialogs then read it as any French sentence. The
reply comes from the timers service's outcome; the timer survives a kill -9 of that service
(supervisord restarts it) and rings in the chambre — the room it was set in — as a `Say` for
the chambre, the chambre interphone's `Spoken` and the WAV it writes. A reminder set through
the owner's SMS while the house is in lockout (left through the assistant's `/ask`, text as
once heard) reaches the owner, when due, as an SMS in the dummy phone's journal instead of
being said to an empty house.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from core.messages.presence import ModeChanged
from core.messages.timers import TimersState
from core.messages.voice import Say, Spoken
from tests.e2e.house import House, running_house, wait_for
from tests.e2e.voice import (
    CHAMBRE,
    MARKS,
    SALON,
    START,
    command,
    say_until_woken,
    spoken,
    voice_overrides,
    wait_listening,
)

pytestmark = MARKS

OWNER = "+33600000001"
TIMER = "타이머 시작"
""""Start the timer", in Korean: what the chambre's microphone hears."""
PASTA = "mets un minuteur d'une minute pour les pâtes"
OVERRIDES: dict[str, Any] = {
    "voice": voice_overrides({TIMER: PASTA}),
    "sms": {"poll_s": 0.2}}


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Iterator[House]:
    """The demo house with both satellites listening and the timers service up."""
    def ready(h: House) -> None:
        wait_listening(h, SALON, CHAMBRE)
        wait_for(lambda: h.get("timers")["timers"] is not None, 30, "the timers service")
    with running_house(tmp_path_factory.mktemp("house"), OVERRIDES, speed=1.0, start=START,
                       ready=ready) as h:
        yield h


def ask(house: House, text: str) -> dict[str, Any]:
    """What the salon's assistant answers to a sentence (as once heard), carried out."""
    answer: dict[str, Any] = house.post("assistant", "/ask?text=" + urllib.parse.quote(text),
                                        timeout=30)
    return answer


def trace(house: House, since: float) -> str:
    """What the voice path said on the bus since `since`, and the chambre's assistant status
    (for a failure's message)."""
    said = [(round(t - since, 1), e.src.host, e.topic, e.data) for t, e in house.bus.messages
            if t >= since and e.topic.startswith(("basecamp.voice", "basecamp.intent",
                                                  "basecamp.outcome", "basecamp.interphone"))]
    return f"{said} status={house.get('assistant', host=CHAMBRE)['assistant']}"


def timers_now(house: House) -> list[dict[str, Any]]:
    """The timers of the latest `TimersState` on the bus."""
    states = house.bus.since(0, TimersState.TOPIC)
    return TimersState.from_envelope(states[-1]).timers if states else []


def test_a_timer_set_by_voice_survives_a_kill_and_rings_in_its_room(house: House) -> None:
    before = {h: spoken(house, h) for h in (SALON, CHAMBRE)}
    since = say_until_woken(house, CHAMBRE, command(TIMER, 0.9))
    pasta = wait_for(lambda: [t for t in timers_now(house) if t["name"] == "pâtes"], 120,
                     lambda: "the timer set by voice in TimersState; heard: "
                     + trace(house, since))[0]
    assert pasta["room"] == "chambre" and pasta["seconds"] == 60
    reply = wait_for(lambda: [s for e in house.bus.since(since, Say.TOPIC)
                              if e.src.service == "assistant"
                              and (s := Say.from_envelope(e)).text.startswith("C'est parti")],
                     30, "the assistant's reply")
    assert reply[0].text == "C'est parti : minuteur « pâtes », 1 minute." \
        and reply[0].rooms == ["chambre"]  # from the timers service's outcome
    old = house.process("bc-hq", "timers")
    os.kill(old["pid"], signal.SIGKILL)
    wait_for(lambda: (p := house.process("bc-hq", "timers"))["pid"] != old["pid"]
             and p["statename"] == "RUNNING", 60, "supervisord to restart the timers service")
    status = wait_for(lambda: house.get("timers")["timers"], 30, "the restarted service")
    assert status["restored"] == 1 and status["set"] == 1
    said = wait_for(lambda: [s for e in house.bus.since(since, Say.TOPIC)
                             if "terminé" in (s := Say.from_envelope(e)).text], 90,
                    "the timer to ring")
    assert said == [Say("Le minuteur « pâtes » est terminé !", priority=1, lang="fr",
                        rooms=["chambre"])]
    assert house.now() >= dt.datetime.fromisoformat(pasta["due"])
    wait_for(lambda: [e for e in house.bus.since(since, Spoken.TOPIC)
                      if e.src.host == CHAMBRE and Spoken.from_envelope(e).text == said[0].text
                      and not Spoken.from_envelope(e).muted], 60, "the chambre to say it")
    assert not [e for e in house.bus.since(since, Spoken.TOPIC)
                if e.src.host == SALON and Spoken.from_envelope(e).text == said[0].text]
    wavs = wait_for(lambda: spoken(house, CHAMBRE) - before[CHAMBRE], 60, "the chambre's WAVs")
    assert all(w.stat().st_size > 1000 for w in wavs)
    assert not [t for t in timers_now(house) if t["name"] == "pâtes"]


def test_a_reminder_due_in_lockout_goes_to_the_owner_by_sms(house: House) -> None:
    since, sent = time.time(), len(house.sms_sent())
    left = ask(house, "je pars, je reviens ce soir")
    assert left["intent"] == "BasecampLeave"
    wait_for(lambda: [e for e in house.bus.since(since, ModeChanged.TOPIC)
                      if ModeChanged.from_envelope(e).mode == "lockout"], 20, "lockout")
    # away, the owner texts the house a reminder (the dialogs service, channel sms)
    house.receive_sms(OWNER, "rappelle-moi dans une minute de sortir les poubelles")
    reply = wait_for(lambda: [s for s in house.sms_sent()[sent:] if "Rappel " in s["text"]],
                     60, "the SMS reply to the reminder")
    assert reply[0]["number"] == OWNER and "sortir les poubelles" in reply[0]["text"]
    sms = wait_for(lambda: [s for s in house.sms_sent()[sent:]
                            if s["text"].startswith("Petit rappel")], 150,
                   "the reminder by SMS")
    assert [(s["number"], s["text"]) for s in sms] == \
        [(OWNER, "Petit rappel : sortir les poubelles.")]
    assert not [e for e in house.bus.since(since, Say.TOPIC)  # not said to an empty house
                if Say.from_envelope(e).text.startswith("Petit rappel")]
    assert ask(house, "je suis revenu")["intent"] == "BasecampReturn"
