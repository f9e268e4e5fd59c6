"""The dialogs service on a real bus: SMS dialogs (whitelist), commands, reports from the
state seen on the bus, expiry on the service clock, HTTP /command; and the whole SMS path
through the watch gateway with Gammu's dummy phone."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from core.bus import Forwarder, Publisher, Subscriber
from core.clock import ManualClock
from core.config import Config
from core.messages import Envelope, Source
from core.messages.dialogs import Command, Intent, Reply, SmsIncoming, SmsSend
from core.messages.heating import HeatingState
from core.messages.presence import ModeChanged
from core.messages.sensors import MutaUpdate
from core.messages.watch import Alert
from core.service import running
from dialogs import service as dialogs_service
from modes import heater_service, lights_service, nightlight_service
from modes import service as modes_service
from tests.helpers import demo_config

OWNER, FAMILY = "+33600000001", "+33600000002"
ACTING = [("modes", modes_service.serve), ("heater", heater_service.serve),
          ("lights", lights_service.serve), ("nightlight", nightlight_service.serve)]
START = dt.datetime(2024, 3, 5, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


async def collect(sub: Subscriber, until: Any, timeout: float = 5.0) -> list[Envelope]:
    """Envelopes received until `until(envelopes)` holds."""
    got: list[Envelope] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while not until(got):
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise TimeoutError(f"got only {[e.topic for e in got]}")
        try:
            got += await asyncio.wait_for(sub.recv_batch(), left)
        except TimeoutError:
            continue
    return got


def of(envs: list[Envelope], cls: type[Any]) -> list[Any]:
    return [cls.from_envelope(e) for e in envs if e.topic.startswith(cls.TOPIC)]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The demo house, answering a command that no service confirms within a second."""
    return demo_config(tmp_path / "var", {"dialogs": {"outcome_timeout_s": 1.0,
                                                    "spoken_timeout_s": 1.0}})


@pytest.fixture
async def house(config: Config, bus: Forwarder) -> Any:
    pub = Publisher(config.bus_endpoints()[0], Source("bc-watch", "test"))
    sub = Subscriber(config.bus_endpoints()[1], ["basecamp.intent.", SmsSend.TOPIC,
                                                 Reply.TOPIC, "basecamp.log.warning"])
    assert await sub.settle(pub, 5)
    clock = ManualClock(START)
    async with contextlib.AsyncExitStack() as stack:
        for name, serve in ACTING:  # the services that carry commands out, for real
            acting = await stack.enter_async_context(running(name, serve, config, clock=clock))
            assert await acting.settle()
        rt = await stack.enter_async_context(
            running("dialogs", dialogs_service.serve, config, clock=clock))
        assert await rt.settle()
        yield pub, sub, rt, clock
    pub.close()
    sub.close()


async def test_je_pars_over_sms(house: Any) -> None:
    pub, sub, rt, _ = house
    pub.publish(SmsIncoming(OWNER, "Je pars"))
    got = await collect(sub, lambda g: of(g, SmsSend))
    assert of(got, SmsSend)[0].number == OWNER
    assert of(got, SmsSend)[0].text.startswith("Retour quand ?")
    assert of(got, Intent) == []
    pub.publish(SmsIncoming(OWNER, "demain soir"))
    got = await collect(sub, lambda g: of(g, Intent) and of(g, SmsSend))
    [intent] = of(got, Intent)
    assert got[0].topic == "basecamp.intent.BasecampLeave" or \
        any(e.topic == "basecamp.intent.BasecampLeave" for e in got)
    assert (intent.intent, intent.slots, intent.channel, intent.sender) == (
        "BasecampLeave", {"return_at": "2024-03-06T19:00:00+01:00"}, "sms", OWNER)
    assert of(got, SmsSend)[0].text == "OK, mode absence. Retour : demain à 19:00."
    assert rt.counters["intents"] == 1


async def test_unknown_sender_gets_nothing(house: Any) -> None:
    pub, sub, rt, _ = house
    pub.publish(SmsIncoming(FAMILY, "silence"))
    got = await collect(sub, lambda g: any(e.topic == "basecamp.log.warning" for e in g))
    assert of(got, SmsSend) == [] and of(got, Intent) == []
    assert "non-whitelisted" in got[-1].data["message"]
    await asyncio.sleep(0.2)
    assert rt.counters["sms_refused"] == 1 and rt.counters["intents"] == 0


async def test_junk_sms_is_answered_without_action(house: Any) -> None:
    pub, sub, _rt, _ = house
    pub.publish(SmsIncoming(OWNER, "\x00\xff" * 2500))
    got = await collect(sub, lambda g: of(g, SmsSend))
    assert of(got, Intent) == [] and "trop long" in of(got, SmsSend)[0].text


async def test_report_from_bus_state(house: Any) -> None:
    pub, sub, _rt, _ = house
    pub.publish(ModeChanged("lockout", "2024-03-05T07:00:00+01:00", "sms"))
    pub.publish(HeatingState("force_eco", 16.0, False))
    pub.publish(MutaUpdate("salon", 1, temperature=19.5))
    pub.publish(Alert("sensor:chambre", "minor", "problem", "capteur chambre muet"))
    await asyncio.sleep(0.3)
    pub.publish(Command("rapport complet", "push", "owner"))
    got = await collect(sub, lambda g: of(g, Reply))
    report = of(got, Reply)[0].text
    assert report.splitlines()[0] == "Mode absence depuis 2 h."
    assert "salon 19,5°C" in report and "capteur chambre muet" in report
    assert of(got, Intent)[0].intent == "BasecampReport"
    pub.publish(Command("rapport complet", "push", "owner"))
    got = await collect(sub, lambda g: of(g, Reply))
    assert "Aucun problème depuis le dernier rapport." in of(got, Reply)[0].text


async def test_unanswered_question_expires_on_the_service_clock(house: Any) -> None:
    pub, sub, rt, clock = house
    pub.publish(SmsIncoming(OWNER, "je m'absente"))
    await collect(sub, lambda g: of(g, SmsSend))
    for _ in range(3):
        clock.advance(1000)
        await asyncio.sleep(0.05)
    got = await collect(sub, lambda g: of(g, Intent))
    assert of(got, Intent)[0].slots == {}
    assert rt.counters["timeouts"] == 1


async def test_http_command_needs_the_token(house: Any, monkeypatch: Any) -> None:
    _, _, rt, _ = house
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", "s3cret")
    url = rt.config.service_url("dialogs") + "/command"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"text": "silence", "channel": "kiosk"}) as resp:
            assert resp.status == 401
        async with http.post(url, json={"text": "silence", "channel": "kiosk"},
                             headers={"Authorization": "Bearer s3cret"}) as resp:
            body = await resp.json()
        async with http.post(url, data=b"\xff", headers={
                "Authorization": "Bearer s3cret"}) as resp:
            assert resp.status == 400
    assert body["reply"] == "D'accord, je me tais."
    assert body["intent"]["intent"] == "BasecampSilence"


@pytest.mark.slow
async def test_je_pars_through_the_gammu_dummy_phone(tmp_path: Path) -> None:
    """SMS in the dummy phone -> gateway -> dialogs -> gateway -> SMS sent (outbox journal)."""
    gammu = pytest.importorskip("gammu")
    from watch import sms as gateway
    from watch.outbox import Outbox
    config = demo_config(tmp_path / "var", {"sms": {"poll_s": 0.1, "max_per_hour": 100}})
    forwarder = Forwarder(*config.bus_endpoints(), grace_s=0.05).start()
    sub = Subscriber(config.bus_endpoints()[1], ["basecamp.intent."])
    pub = Publisher(config.bus_endpoints()[0], Source("bc-hq", "test"))
    try:
        assert await sub.settle(pub, 5)
        async with running("modes", modes_service.serve, config) as modes, \
                running("dialogs", dialogs_service.serve, config) as dialogs, \
                running("sms", gateway.serve, config) as sms:
            await modes.settle()
            await dialogs.settle()
            await sms.settle()
            phone = config.path("gammu-phone")
            journal = Outbox(sms.data_dir() / "sms.sqlite")

            def drop(location: int, text: str) -> None:
                gammu.SaveSMSBackup(str(phone / "sms" / "1" / str(location)), [{
                    "Text": text, "Number": OWNER, "SMSC": {"Location": 0, "Number": "+33000"},
                    "Folder": 1, "State": "UnRead", "Memory": "SM", "InboxFolder": 1,
                    "Type": "Deliver", "Coding": "Default_No_Compression", "Class": -1}])

            async def sent(n: int) -> list[str]:
                for _ in range(200):
                    texts = [p["text"] for _, p in journal.journal("sms")]
                    if len(texts) >= n:
                        return texts
                    await asyncio.sleep(0.05)
                raise TimeoutError(f"sent so far: {texts}")

            for _ in range(100):
                if (phone / "sms" / "1").is_dir():
                    break
                await asyncio.sleep(0.05)
            drop(1, "je pars")
            assert (await sent(1))[0].startswith("Retour quand ?")
            drop(2, "dans deux jours")
            texts = await sent(2)
            assert texts[1].startswith("OK, mode absence. Retour :")
            got = await collect(sub, lambda g: of(g, Intent), timeout=10)
            assert of(got, Intent)[0].intent == "BasecampLeave"
            assert "return_at" in of(got, Intent)[0].slots
            journal.close()
    finally:
        pub.close()
        sub.close()
        forwarder.stop()


async def _sms(house: Any, text: str) -> tuple[str, list[Envelope]]:
    """An SMS from the owner, and the SMS the house answers (with what came meanwhile)."""
    pub, sub, _, _ = house
    pub.publish(SmsIncoming(OWNER, text))
    got = await collect(sub, lambda g: of(g, SmsSend), timeout=8)
    return of(got, SmsSend)[0].text, got


async def test_a_light_is_switched_before_the_house_says_so(house: Any, config: Config) -> None:
    reply, _ = await _sms(house, "allume la lumière de la cuisine")
    assert reply == "Allumé : lumière de la cuisine."
    relay = next(config.path("lights").rglob("relay-light:lumière de la cuisine.json"))
    assert json.loads(relay.read_text())["on"] is True


async def test_what_nothing_switches_is_refused_and_not_published(house: Any) -> None:
    reply, got = await _sms(house, "allume le sèche-serviettes")
    assert reply == "Rien pour commander : sèche-serviettes."
    assert of(got, Intent) == []


async def test_a_rooms_temperature_is_set_on_the_heater(house: Any) -> None:
    reply, _ = await _sms(house, "mets vingt-deux degrés dans la chambre")
    assert reply == "Consigne 22°C (chambre)."
    reply, _ = await _sms(house, "mets vingt-deux degrés dans la cuisine")
    assert reply == "Pas de chauffage réglable : cuisine (seulement salon, chambre)."


async def test_no_outcome_is_said_as_such(house: Any) -> None:
    """No interphone runs here: an announcement is not claimed as made."""
    pub, sub, _, _ = house
    reply, _ = await _sms(house, "annonce que le dîner est prêt")
    assert reply.startswith("Confirmer :")
    pub.publish(SmsIncoming(OWNER, "oui"))
    got = await collect(sub, lambda g: of(g, SmsSend), timeout=8)
    assert of(got, SmsSend)[0].text == "Pas de confirmation : peut-être pas fait."
