"""What the owner says, understood and carried out, on the whole running demo house: the
everyday sentences the language issue was opened with, through `basecamp chat` and by SMS
through Gammu's dummy phone, each checked on its effect — the mode, the lights' relays, the
heater's setpoint, the interphone's announcement — not on the reply's words; and a guess that
asks before it locks the house."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.messages.voice import Spoken
from tests.e2e.house import House, parse_time, running_house, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

TZ = ZoneInfo("Europe/Paris")
START = dt.datetime(2026, 3, 10, 9, 0, tzinfo=TZ)
"""A Tuesday morning, in real time."""
OWNER = "+33600000001"
OVERRIDES: dict[str, Any] = {"watch": {"interval_s": 1.0, "machine_check": "tcp"},
                             "sms": {"poll_s": 0.2},
                             "scheduler": {"sent_reports": ["09:02"]}}


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Iterator[House]:
    with running_house(tmp_path_factory.mktemp("house"), OVERRIDES, speed=1.0,
                       start=START) as h:
        yield h


def chat(house: House, *lines: str) -> list[str]:
    out = house.basecamp("chat", stdin="".join(f"{line}\n" for line in lines), timeout=90)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    return out.stdout.splitlines()


def sms(house: House, text: str) -> str:
    before = len(house.sms_sent())
    house.receive_sms(OWNER, text)
    # the house's answer, not an alert the sentinel happened to send meanwhile
    sent = wait_for(lambda: [s for s in house.sms_sent()[before:] if s["number"] == OWNER
                             and s.get("kind") == "reply"], 30, f"the SMS answer to {text!r}")
    return str(sent[0]["text"])


def mode(house: House) -> dict[str, Any]:
    presence: dict[str, Any] = house.get("modes")["presence"]
    return presence


def lights(house: House) -> dict[str, bool]:
    on: dict[str, bool] = house.get("lights")["lights"]["on"]
    return on


def heater(house: House) -> dict[str, Any]:
    state: dict[str, Any] = house.get("heater")["heating"]
    return state


def home(house: House) -> None:
    if mode(house)["mode"] != "cocoon":
        chat(house, "je suis revenu")
    wait_for(lambda: mode(house)["mode"] == "cocoon", 20, "cocoon")


class Say:
    """One channel: the lines said in turn -> the house's replies."""

    def __init__(self, house: House, channel: str) -> None:
        self.house = house
        self.channel = channel

    def __call__(self, *lines: str) -> list[str]:
        if self.channel == "chat":
            return chat(self.house, *lines)
        return [sms(self.house, line) for line in lines]


@pytest.fixture(params=["chat", "sms"])
def say(request: pytest.FixtureRequest, house: House) -> Say:
    """Each example through `basecamp chat` and through an SMS from the owner's phone."""
    return Say(house, request.param)


def test_leaving_for_a_few_days(house: House, say: Say) -> None:
    [reply] = say("je m'en vais pour quelques jours")
    assert reply.startswith("OK")
    wait_for(lambda: mode(house)["mode"] == "lockout", 20, "lockout")
    assert mode(house)["return_at"] is None  # "quelques jours": no return said
    home(house)


def test_coming_back_at_eight(house: House, say: Say) -> None:
    say("je serai de retour vers vingt heures")
    wait_for(lambda: mode(house)["mode"] == "lockout", 20, "lockout")
    back = parse_time(mode(house)["return_at"]).astimezone(TZ)
    assert (back.date(), back.time()) == (house.now().astimezone(TZ).date(), dt.time(20, 0))
    home(house)


def test_good_night(house: House, say: Say) -> None:
    say("bonne nuit la maison")
    wait_for(lambda: mode(house)["mode"] == "asleep", 20, "asleep")
    home(house)


def test_the_day_asked(house: House, say: Say) -> None:
    [reply] = say("c'est quel jour aujourd'hui")
    assert "mardi 10 mars" in reply


def test_every_lamp_on_then_off_here(house: House, say: Say) -> None:
    chat(house, "éteins toutes les lumières")
    wait_for(lambda: not any(lights(house).values()), 20, "every light off")
    say("allume toutes les lampes")
    wait_for(lambda: all(lights(house).values()), 20, "every room light on")
    if say.channel == "chat":  # said at the kiosk: its room, the salon
        say("éteins ici")
        off, kept = "lumière du salon", "lumière de la cuisine"
    else:  # a phone is in no room: the house asks which before it acts
        [ask] = say("eteins ici")
        assert ask.startswith("Quelle pièce ?") and all(lights(house).values())
        say("la cuisine")
        off, kept = "lumière de la cuisine", "lumière du salon"
    wait_for(lambda: not lights(house)[off], 20, f"{off} off")
    assert lights(house)[kept]


def test_bedroom_light(house: House, say: Say) -> None:
    chat(house, "éteins toutes les lumières")
    wait_for(lambda: not any(lights(house).values()), 20, "every light off")
    say("lumiere chambre")
    wait_for(lambda: lights(house)["lampe de chevet"], 20, "the bedroom's lights on")
    on = lights(house)
    assert on["lumière du plafond"] and not on["lumière de la cuisine"]


def test_twenty_two_degrees_in_the_bedroom(house: House, say: Say) -> None:
    chat(house, "mets 19 degrés dans la chambre")
    wait_for(lambda: heater(house)["override"] == 19.0, 20, "the heater holding 19 °C")
    say("mets vingt-deux degrés dans la chambre")
    state = wait_for(lambda: (h := heater(house))["override"] == 22.0 and h, 20,
                     "the heater holding 22 °C for the bedroom")
    assert state["override_room"] == "chambre"


def test_an_announcement_is_spoken(house: House, say: Say) -> None:
    since = time.time()
    ask, _ = say("annonce qu'on passe à table", "oui")
    assert "« on passe à table »" in ask
    wait_for(lambda: [e for e in house.bus.since(since, Spoken.TOPIC)
                      if Spoken.from_envelope(e) == Spoken("on passe à table")], 30,
             "the interphone saying it")


def test_a_guessed_leave_asks_before_locking(house: House) -> None:
    ask, dropped = chat(house, "je m'en vais faire un tour au parc", "non")
    assert ask == "Tu veux que je passe en mode absent ?"
    assert dropped == "D'accord, j'annule."
    time.sleep(1.0)
    assert mode(house)["mode"] == "cocoon"


def test_a_guessed_leave_confirmed_locks(house: House) -> None:
    ask, when, done = chat(house, "je pars faire un tour", "oui", "je ne sais pas")
    assert ask == "Tu veux que je passe en mode absent ?"
    assert when == "Tu reviens quand ?"
    assert done.startswith("OK, je surveille en ton absence.")
    wait_for(lambda: mode(house)["mode"] == "lockout", 20, "lockout")
    home(house)


FAMILY = "+33600000002"
"""Claire: a contact of the house who may not command it."""


def spoken_since(house: House, since: float, text: str) -> list[Any]:
    return [e for e in house.bus.since(since, Spoken.TOPIC)
            if Spoken.from_envelope(e).text == text]


def test_a_family_sms_is_read_out_never_obeyed(house: House) -> None:
    home(house)
    since, sent = time.time(), len(house.sms_sent())
    house.receive_sms(FAMILY, "je pars")
    wait_for(lambda: spoken_since(house, since, "Message de Claire : je pars"), 30,
             "the interphone reading Claire's SMS")
    assert mode(house)["mode"] == "cocoon"  # a message, not a command
    assert not [s for s in house.sms_sent()[sent:] if s["number"] == FAMILY]


def test_a_family_sms_while_away_is_kept_reported_and_read_on_return(house: House) -> None:
    chat(house, "je m'en vais pour quelques jours")
    wait_for(lambda: mode(house)["mode"] == "lockout", 20, "lockout")
    since = time.time()
    house.receive_sms(FAMILY, "je rentre tard")
    report = sms(house, "rapport complet")
    assert "Claire : « je rentre tard »" in report
    assert not spoken_since(house, since, "Message de Claire : je rentre tard")
    chat(house, "je suis revenu")
    wait_for(lambda: spoken_since(house, since, "Message de Claire : je rentre tard"), 30,
             "Claire's SMS read out on return")


def test_the_scheduled_report_reaches_the_owner_by_sms(house: House) -> None:
    """At 09:02 (house time) the report is due: composed by the dialogs service from the
    running house's state and sent to the owner's phone."""
    [sent] = wait_for(lambda: [s for s in house.sms_sent() if s["number"] == OWNER
                               and str(s["text"]).startswith("Rapport 09:02\nMode ")], 240,
                      "the 09:02 report in the SMS journal")
    assert "Chauffage" in sent["text"] and "problème" in sent["text"]
