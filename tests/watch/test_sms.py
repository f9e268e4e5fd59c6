"""The SMS gateway with Gammu's dummy phone (a phone emulated in a folder) and a real bus."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from pathlib import Path
from typing import Any

import gammu

from core.bus import Publisher, Subscriber
from core.clock import ManualClock
from core.config import Config
from core.messages import Source
from core.messages.dialogs import FamilyMessage, SmsIncoming, SmsSend
from core.messages.watch import PushSend
from core.service import running
from tests.helpers import free_port
from tests.watch.conftest import small_house
from watch import sms as gateway
from watch.modem import same_number
from watch.outbox import Outbox

OWNER, FAMILY, STRANGER = "+33600000001", "+33600000002", "+33699999999"


def house(tmp_path: Path, bus: Config) -> Config:
    return small_house(tmp_path, services={"sms": {"machine": "bc-watch", "port": free_port()}},
                       sms={"poll_s": 0.1, "max_per_hour": 100}, bus=bus)


def drop_incoming(phone: Path, location: int, number: str, text: str) -> None:
    """An incoming SMS, as the dummy driver reads it: a backup file in sms/1/."""
    gammu.SaveSMSBackup(str(phone / "sms" / "1" / str(location)), [{
        "Text": text, "Number": number, "SMSC": {"Location": 0, "Number": "+33000000000"},
        "Folder": 1, "State": "UnRead", "Memory": "SM", "InboxFolder": 1, "Type": "Deliver",
        "Coding": "Default_No_Compression", "Class": -1}])


async def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


def test_numbers_compare_in_national_and_international_form() -> None:
    assert same_number("+33 6 00 00 00 01", "0600000001")
    assert same_number("0033600000001", "+33600000001")
    assert not same_number("+33600000001", "+33600000002")


async def test_incoming_commands_family_messages_and_strangers(tmp_path: Path, config: Config,
                                                            bus: Any) -> None:
    config = house(tmp_path, config)
    pub = Publisher(config.bus_endpoints()[0], Source("bc-hq", "test"))
    sub = Subscriber(config.bus_endpoints()[1], [SmsIncoming.TOPIC, FamilyMessage.TOPIC,
                                                 "basecamp.log.warning"])
    assert await sub.settle(pub, 5)
    async with running("sms", gateway.serve, config) as rt:
        phone = config.path("gammu-phone")
        await wait_for(lambda: (phone / "sms" / "1").is_dir())  # the phone is up
        drop_incoming(phone, 1, OWNER, "rapport complet")
        drop_incoming(phone, 2, STRANGER, "gagnez un iphone")
        drop_incoming(phone, 3, FAMILY, "je rentre tard")
        got: list[Any] = []
        while len(got) < 3:
            got += await asyncio.wait_for(sub.recv_batch(), 10)
        await wait_for(lambda: not os.listdir(phone / "sms" / "1"))  # deleted once published
        await asyncio.sleep(0.3)
        got += [e for e in sub._batch]
    incoming = [SmsIncoming.from_envelope(e) for e in got if e.topic == SmsIncoming.TOPIC]
    assert [(m.number, m.text) for m in incoming] == [(OWNER, "rapport complet")]
    # the family's SMS is a message for the people at home, never a command
    family = [FamilyMessage.from_envelope(e) for e in got if e.topic == FamilyMessage.TOPIC]
    [name] = [c.name for c in config.contacts if c.phone == FAMILY]
    assert [(m.number, m.name, m.text) for m in family] == [(FAMILY, name, "je rentre tard")]
    warnings = [e.data["message"] for e in got if e.topic == "basecamp.log.warning"]
    assert sum("inconnu" in w for w in warnings) == 1 and not any(
        "gagnez" in w for w in warnings)
    assert rt.counters["unknown_sender"] == 1
    pub.close()
    sub.close()


async def test_send_journal_and_modem_outage(tmp_path: Path, config: Config,
                                             bus: Any) -> None:
    config = house(tmp_path, config)
    pub = Publisher(config.bus_endpoints()[0], Source("bc-watch", "watch"))
    sub = Subscriber(config.bus_endpoints()[1], [PushSend.TOPIC])
    assert await sub.settle(pub, 5)
    async with running("sms", gateway.serve, config) as rt:
        await rt.settle()
        journal = Outbox(rt.data_dir() / "sms.sqlite")
        pub.publish(SmsSend(OWNER, "PROBLÈME: logbook sur bc-hq"))
        await wait_for(lambda: len(journal.journal("sms")) == 1)
        phone = config.path("gammu-phone")
        phone.rename(phone.with_name("unplugged"))
        for i in range(3):
            pub.publish(SmsSend(OWNER, f"message {i}"))
        await wait_for(lambda: rt.counters["queued"] == 4 and rt.counters["modem_errors"] >= 3)
        assert journal.count("sms") == 3 and len(journal.journal("sms")) == 1
        phone.with_name("unplugged").rename(phone)
        await wait_for(lambda: journal.count("sms") == 0)
        texts = [p["text"] for _, p in journal.journal("sms")]
        journal.close()
    assert texts == ["PROBLÈME: logbook sur bc-hq", "message 0", "message 1", "message 2"]
    reports = [PushSend.from_envelope(e) for e in await asyncio.wait_for(sub.recv_batch(), 5)]
    await asyncio.sleep(0.2)
    assert len(reports) == 1 and reports[0].kind == "error_report"
    assert "modem absent" in reports[0].message
    pub.close()
    sub.close()


async def test_hourly_cap_defers_without_dropping(tmp_path: Path, config: Config,
                                                  bus: Any) -> None:
    config = small_house(tmp_path, services={"sms": {"machine": "bc-watch", "port": free_port()}},
                         sms={"poll_s": 0.1, "max_per_hour": 3}, bus=config)
    pub = Publisher(config.bus_endpoints()[0], Source("bc-watch", "watch"))
    async with running("sms", gateway.serve, config) as rt:
        await rt.settle()
        for i in range(10):
            pub.publish(SmsSend(OWNER, f"flood {i}"))
        await wait_for(lambda: rt.counters["queued"] == 10)
        await asyncio.sleep(0.5)
        outbox = Outbox(rt.data_dir() / "sms.sqlite")
        assert len(outbox.journal("sms")) == 3 and outbox.count("sms") == 7
        outbox.close()
    pub.close()


async def test_hourly_cap_is_an_hour_of_the_house_clock(tmp_path: Path, config: Config,
                                                        bus: Any) -> None:
    """The allowance counts the journal on the runtime's clock: an hour of house time later
    (no wall time at all) the next messages go out."""
    config = small_house(tmp_path, services={"sms": {"machine": "bc-watch", "port": free_port()}},
                         sms={"poll_s": 0.1, "max_per_hour": 3}, bus=config)
    clock = ManualClock(dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC))
    pub = Publisher(config.bus_endpoints()[0], Source("bc-watch", "watch"))
    async with running("sms", gateway.serve, config, clock=clock) as rt:
        await rt.settle()
        for i in range(5):
            pub.publish(SmsSend(OWNER, f"flood {i}"))
        await wait_for(lambda: rt.counters["sent"] == 3 and rt.counters["queued"] == 5)
        await asyncio.sleep(0.5)
        assert rt.counters["sent"] == 3 and rt.status["sms"]()["sent_last_hour"] == 3
        clock.advance(3601)
        await wait_for(lambda: rt.counters["sent"] == 5)
        outbox = Outbox(rt.data_dir() / "sms.sqlite")
        stamps = [when for when, _ in outbox.journal("sms")]
        assert outbox.count("sms") == 0 and stamps[-1] == clock.now().timestamp()
        outbox.close()
    pub.close()


async def test_gateway_restart_keeps_the_queue(tmp_path: Path, config: Config,
                                               bus: Any) -> None:
    config = house(tmp_path, config)
    phone = config.path("gammu-phone")
    pub = Publisher(config.bus_endpoints()[0], Source("bc-watch", "watch"))
    async with running("sms", gateway.serve, config) as rt:
        await rt.settle()
        phone.rename(phone.with_name("away"))
        pub.publish(SmsSend(OWNER, "en attente"))
        await wait_for(lambda: rt.counters["queued"] == 1)
    phone.with_name("away").rename(phone)
    async with running("sms", gateway.serve, config) as rt:
        outbox = Outbox(rt.data_dir() / "sms.sqlite")
        await wait_for(lambda: outbox.count("sms") == 0)
        assert [p["text"] for _, p in outbox.journal("sms")] == ["en attente"]
        outbox.close()
    pub.close()


async def test_signal_quality_is_a_metric_and_a_check(tmp_path: Path, config: Config,
                                                      bus: Any) -> None:
    """The gateway reads the modem's signal (Gammu's dummy phone says 42 %) into the metric
    `gsm`; the sentinel's check finds it weak against a 50 % floor, fine against 10 %."""
    import aiohttp

    from core.metrics import SQLiteStore
    from watch.policy import Kind, build_policy
    from watch.probes import ProbeContext, run_checks
    config = small_house(tmp_path, services={"sms": {"machine": "bc-watch", "port": free_port()}},
                         sms={"poll_s": 0.1, "signal_every_s": 1}, bus=config)
    store = SQLiteStore(config.path(config.metrics.sqlite_path))
    async with running("sms", gateway.serve, config) as rt:
        await rt.settle()
        await wait_for(lambda: store.last("gsm", "signal_percent", {"host": "bc-watch"}))
        assert rt.status["sms"]()["signal_percent"] == 42
    value, at = store.last("gsm", "signal_percent", {"host": "bc-watch"})
    store.close()
    assert value == 42.0
    for floor, ok in ((50.0, False), (10.0, True)):
        strict = small_house(tmp_path, services={"sms": {"machine": "bc-watch", "port": 1}},
                             watch={"gsm_min_signal_pct": floor})
        [check] = [c for c in build_policy(strict).checks if c.kind is Kind.GSM_SIGNAL]
        store = SQLiteStore(strict.path(strict.metrics.sqlite_path))
        async with aiohttp.ClientSession() as http:
            [obs] = await run_checks([check], ProbeContext(strict, lambda: at, http,
                                                           store=store))
        store.close()
        assert obs.ok is ok, obs.detail
        assert ("signal GSM faible : 42 % (< 50 %)" in obs.detail) is not ok
