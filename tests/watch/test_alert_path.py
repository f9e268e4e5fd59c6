"""One alert path: what the modes and the heater raise reaches a person like the sentinel's own
findings — the SMS in the dummy phone's journal, the logbook, and the interphone while someone
is home (not while the house is away) — driven from the source, on a real bus."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from assistant import interphone
from core.bus import Publisher, Subscriber
from core.clock import ManualClock
from core.config import Config
from core.messages import Source
from core.messages.dialogs import Intent
from core.messages.log import LogEntry
from core.messages.presence import PirMotion
from core.messages.sensors import MutaUpdate
from core.messages.voice import Spoken
from core.service import running
from modes import heater_service
from modes import service as modes_service
from tests.helpers import free_port
from tests.watch.conftest import small_house
from tests.watch.test_push import wait_for
from watch import service, sms
from watch.outbox import Outbox

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which("espeak-ng"),
                                 reason="espeak-ng is needed for the interphone")]
CET = dt.timezone(dt.timedelta(hours=1))


def alert_house(tmp_path: Path, bus: Config) -> Config:
    services = {name: {"machine": machine, "port": free_port()} for name, machine in (
        ("sms", "bc-watch"), ("watch", "bc-watch"), ("modes", "bc-hq"), ("heater", "bc-hq"),
        ("interphone", "bc-hq"))}
    return small_house(
        tmp_path, services=services, bus=bus,
        watch={"service_checks": [], "ignore_services": list(services),
               "machine_check": "none", "reminder_cycles": 0},
        sms={"poll_s": 0.1},
        interphone={"output": "wav", "tts": "espeak-ng", "contrast": 0},
        presence={"tick_s": 0.2, "exit_delay_s": 60, "scan_grace_s": 30})


async def test_the_houses_alerts_reach_a_person(tmp_path: Path, config: Config,
                                                bus: Any) -> None:
    cfg = alert_house(tmp_path / "var", config)
    clock = ManualClock(dt.datetime(2026, 11, 23, 7, 0, tzinfo=CET))
    pub = Publisher(cfg.bus_endpoints()[0], Source("bc-hq", "test"))
    sub = Subscriber(cfg.bus_endpoints()[1], [Spoken.TOPIC, LogEntry.TOPIC])
    assert await sub.settle(pub, 5)
    spoken: list[Spoken] = []
    logged: list[LogEntry] = []

    async def listen() -> None:
        while True:
            for envelope in await sub.recv_batch():
                if envelope.topic == Spoken.TOPIC:
                    spoken.append(Spoken.from_envelope(envelope))
                elif envelope.topic.startswith(LogEntry.TOPIC):
                    logged.append(LogEntry.from_envelope(envelope))
    listener = asyncio.create_task(listen())
    async with contextlib.AsyncExitStack() as stack:
        for name, serve in (("sms", sms.serve), ("interphone", interphone.serve),
                            ("watch", service.serve), ("modes", modes_service.serve),
                            ("heater", heater_service.serve)):
            rt = await stack.enter_async_context(running(name, serve, cfg, clock=clock))
            assert await rt.settle()
        await asyncio.sleep(1.0)  # heartbeats: the sentinel sees the SMS and voice channels up
        journal = Outbox(cfg.path("sms") / "sms.sqlite")

        def texts() -> list[str]:
            return [str(p["text"]) for _, p in journal.journal("sms")]

        # 1. home: the heater's reference goes silent while heating -> failsafe
        pub.publish(MutaUpdate("salon", 1, temperature=17.0))
        await asyncio.sleep(0.5)
        clock.advance(31 * 60)
        pub.publish(MutaUpdate("chambre", 1, temperature=17.0))  # any reading makes it decide
        await wait_for(lambda: bool(texts()), 15)
        failsafe = texts()[0]
        assert failsafe.startswith("PROBLÈME: Chauffage coupé")
        await wait_for(lambda: Spoken(failsafe) in spoken, 20)  # said to who is home
        # 2. away: motion indoors after the exit delay, no known phone -> intrusion
        before = len(texts())
        pub.publish(Intent("BasecampLeave", {}, "sms"))
        await asyncio.sleep(0.5)
        clock.advance(90)
        await asyncio.sleep(0.5)
        pub.publish(PirMotion("indoor", 1))
        await asyncio.sleep(0.5)
        clock.advance(40)  # the grace for a known phone runs out
        await wait_for(lambda: len(texts()) > before, 15)
        intrusion = texts()[before]
        assert intrusion.startswith("PROBLÈME") and "absence" in intrusion.lower()
        await wait_for(lambda: any(s.muted and s.text == intrusion for s in spoken), 15)
        await wait_for(lambda: any(e.service == "watch" and e.message == intrusion
                                   for e in logged), 10)  # and the logbook's line
        journal.close()
    listener.cancel()
    pub.close()
    sub.close()
