"""The forgeries the trust issue was opened with, replayed against the running demo house
(CURVE on, as the demo runs): a forged SetProfile, Intent, SmsIncoming, SmsSend and remote
access, from a socket without a key, a socket with a key of its own, a machine of the house
whose services may send none of them, and a machine that may send intents claiming another's
name. None reaches the bus or acts; each is counted and logged as refused. The same intent
sent by the kiosk's machine is obeyed, so the refusals are the forwarder's doing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.messages.dialogs import Intent
from core.messages.heating import SetProfile
from tests.e2e.house import House, running_house, wait_for
from tests.security import forgeries

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

START = dt.datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
OVERRIDES: dict[str, Any] = {"sms": {"poll_s": 0.2}}


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Iterator[House]:
    with running_house(tmp_path_factory.mktemp("house"), OVERRIDES, speed=1.0,
                       start=START) as h:
        yield h


def test_the_house_runs_with_bus_keys_and_refuses_none_of_its_own(house: House) -> None:
    status = house.get("bus")["endpoints"]
    assert status["curve"] is True
    keys = sorted(p.name for p in house.config.path("secrets/bus").glob("*.key"))
    assert "forwarder.key" in keys and "bc-watch.key" in keys
    assert status["refused"] == {}, "a service of the house was refused: the table is wrong"


def test_forgeries_are_refused_counted_and_logged(house: House) -> None:
    assert house.get("modes")["presence"]["mode"] == "cocoon"
    tried = forgeries.replay(house)
    assert tried.tried == len(forgeries.FORGERIES) * len(forgeries.SENDERS) + 1
    assert tried.accepted == []
    refused = tried.refused
    assert refused.get("connection", 0) >= 2  # no key, own key
    for topic in (SetProfile.TOPIC, "basecamp.intent.BasecampLeave", "basecamp.sms.incoming",
                  "basecamp.sms.send", "basecamp.intent.BasecampRemoteAccess"):
        assert refused.get(f"topic:{topic}") == 1, (topic, refused)  # from bc-water
    assert refused.get("source:basecamp.intent.BasecampLeave") == 1  # the spoofed one
    def refusals() -> list[str] | None:
        lines = [e["message"] for e in house.logbook()
                 if e["service"] == "bus" and e["message"].startswith("bus : ")]
        return lines if len(lines) >= 7 else None  # connection, 5 topics, the spoof
    said = wait_for(refusals, 15, "the refusals in the logbook")
    assert "bus : connexion sans clé de la maison refusée" in said
    assert f"bus : refusé {SetProfile.TOPIC} de bc-water" in said
    assert any("se dit d'une autre machine" in line and "bc-ui" in line for line in said)


def test_the_same_intent_from_the_kiosks_machine_is_obeyed(house: House) -> None:
    """The control: what the forwarder refused from others, it lets through from bc-ui."""
    house.bus.publish(Intent("BasecampLeave", channel="kiosk", sender="owner"))
    wait_for(lambda: house.get("modes")["presence"]["mode"] == "lockout", 20, "lockout")
    house.bus.publish(Intent("BasecampReturn", channel="kiosk", sender="owner"))
    wait_for(lambda: house.get("modes")["presence"]["mode"] == "cocoon", 20, "cocoon")
