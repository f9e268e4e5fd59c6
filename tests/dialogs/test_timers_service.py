"""The timers service on a real bus with a manual house clock: intents answered with outcomes,
a timer rung in its room when the clock reaches it, a reminder texted to the owner in lockout,
the state published and kept across a restart — and across a kill -9 of the process."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

from core.bus import Forwarder
from core.clock import ManualClock
from core.config import Config
from core.messages.dialogs import Intent, Outcome, SmsSend
from core.messages.presence import Mode, ModeChanged
from core.messages.timers import TimersState
from core.messages.voice import Say
from core.service import running
from dialogs import timers_service
from tests.modes.test_services import TOKEN, Probe
from tests.service_process import ServiceProcess

CET = dt.timezone(dt.timedelta(hours=1))
START = dt.datetime(2026, 11, 24, 18, 0, tzinfo=CET)


async def _advance(clock: ManualClock, seconds: float) -> None:
    clock.advance(seconds)
    await asyncio.sleep(0.1)


async def test_timers_ring_text_and_persist(config: Config, bus: Forwarder) -> None:
    clock = ManualClock(START)
    probe = Probe(config, [Outcome.TOPIC, Say.TOPIC, SmsSend.TOPIC, TimersState.TOPIC])
    await probe.settle()
    owner = next(c.phone for c in config.contacts if c.role == "owner")
    async with running("timers", timers_service.serve, config, clock=clock) as rt:
        assert await rt.settle()
        probe.send(Intent("HassStartTimer", {"seconds": 600, "name": "pâtes"}, "voice",
                          id="t1", room="cuisine"))
        done = await probe.expect(Outcome.TOPIC, lambda d: d["intent_id"] == "t1")
        assert done["done"] and done["values"]["timer"]["left_s"] == 600
        state = await probe.expect(TimersState.TOPIC, lambda d: len(d["timers"]) == 1)
        assert state["timers"][0]["name"] == "pâtes"
        probe.send(Intent("HassCancelTimer", {"name": "gâteau"}, "voice", id="t2"))
        refused = await probe.expect(Outcome.TOPIC, lambda d: d["intent_id"] == "t2")
        assert (refused["done"], refused["reason"]) == (False, "no_timer")
        await _advance(clock, 590)
        assert not [e for e in probe.backlog if e.topic == Say.TOPIC]
        await _advance(clock, 15)
        said = await probe.expect(Say.TOPIC)
        assert said["rooms"] == ["cuisine"] and "pâtes" in said["text"]
        due = START + dt.timedelta(seconds=605 + 1200)
        probe.send(Intent("BasecampReminder", {"message": "sortir les poubelles",
                                               "due": due.isoformat()}, "voice", id="r1"))
        await probe.expect(Outcome.TOPIC, lambda d: d["intent_id"] == "r1")
        saved = json.loads((rt.data_dir() / timers_service.STATE_FILE).read_text())
        assert [i["message"] for i in saved["items"]] == ["sortir les poubelles"]
    async with running("timers", timers_service.serve, config, clock=clock) as rt:
        assert await rt.settle()
        assert rt.status["timers"]()["restored"] == 1
        probe.send(ModeChanged(Mode.LOCKOUT, clock.now().isoformat(), "voice"))
        await asyncio.sleep(0.2)
        await _advance(clock, 1200)
        sms = await probe.expect(SmsSend.TOPIC)
        assert (sms["number"], sms["text"]) == (owner, "Petit rappel : sortir les poubelles.")
        assert not [e for e in probe.backlog if e.topic == Say.TOPIC]
        assert json.loads((rt.data_dir() / timers_service.STATE_FILE).read_text())["items"] == []
    probe.close()


def test_kill_9_then_restart_keeps_the_timer(tmp_path: Path) -> None:
    with ServiceProcess(tmp_path, "timers", TOKEN) as timers:
        asyncio.run(_kill_and_restart(timers))


async def _kill_and_restart(timers: ServiceProcess) -> None:
    pub, sub = timers.config.bus_endpoints()
    forwarder = Forwarder(pub, sub, grace_s=0.05).start()
    probe = Probe(timers.config, [TimersState.TOPIC, Outcome.TOPIC])
    await probe.settle()
    timers.start()
    try:
        await probe.expect(TimersState.TOPIC, timeout=20)
        await asyncio.sleep(0.5)  # its subscriptions reach the forwarder
        probe.send(Intent("HassStartTimer", {"seconds": 3600, "name": "rôti"}, "voice", id="k"))
        await probe.expect(Outcome.TOPIC, lambda d: d["intent_id"] == "k", timeout=10)
        before = await probe.expect(TimersState.TOPIC, lambda d: len(d["timers"]) == 1)
        timers.kill9()
        timers.start()
        after = await probe.expect(TimersState.TOPIC, lambda d: len(d["timers"]) == 1,
                                   timeout=20)
        assert after["timers"][0]["name"] == "rôti"
        assert after["timers"][0]["due"] == before["timers"][0]["due"]  # not restarted anew
        assert (await timers.status())["timers"]["restored"] == 1
    finally:
        probe.close()
        forwarder.stop()
