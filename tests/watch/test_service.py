"""The sentinel end to end: supervisord, the SMS gateway on the dummy phone, push to a loopback
Pushover endpoint, a real bus; a killed service, a blackout, a restart of the sentinel."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from core.bus import Publisher, Subscriber
from core.config import Config
from core.messages import Source
from core.messages.watch import Alert, PowerState
from core.service import running
from tests.helpers import free_port
from tests.watch.conftest import small_house
from tests.watch.test_push import TOKEN, USER, FakePushover, wait_for
from watch import push, service, sms
from watch.cli import format_table
from watch.outbox import Outbox

pytestmark = pytest.mark.slow


def house(tmp_path: Path, bus: Config, sd_port: int, logbook_port: int, api_url: str = "",
          **watch: Any) -> Config:
    (tmp_path / "secrets").mkdir(exist_ok=True)
    (tmp_path / "secrets" / "pushover_user").write_text(USER)
    (tmp_path / "secrets" / "pushover_token").write_text(TOKEN)
    services = {"logbook": {"machine": "bc-hq", "port": logbook_port},
                "sms": {"machine": "bc-watch", "port": free_port()},
                "push": {"machine": "bc-watch", "port": free_port()},
                "watch": {"machine": "bc-watch", "port": free_port()}}
    return small_house(
        tmp_path, services=services, bus=bus,
        supervisor_ports={"bc-hq": sd_port, "bc-watch": sd_port},
        watch={"service_checks": ["http", "supervisor"], "ignore_services": ["sms", "push",
                                                                            "watch"],
               "reminder_cycles": 0, **watch},
        sms={"poll_s": 0.1}, push={"api_url": api_url or "http://127.0.0.1:9/x", "retry_s": 0.1})


async def test_killed_service_one_message_per_channel_restart_and_recovery(
        tmp_path: Path, config: Config, bus: Any, supervisord_factory: Any,
        alive_script: Path) -> None:
    port = free_port()
    sd = supervisord_factory({"logbook": [sys.executable, str(alive_script), "logbook",
                                          str(port)]})
    await wait_port(port)
    async with FakePushover() as api, contextlib.AsyncExitStack() as stack:
        cfg = house(tmp_path, config, sd.port, port, api.url)
        await stack.enter_async_context(running("sms", sms.serve, cfg))
        await stack.enter_async_context(running("push", push.serve, cfg))
        rt = await stack.enter_async_context(running("watch", service.serve, cfg))
        sentinel = rt.app[service.SENTINEL]
        await wait_for(lambda: sentinel.memory.history.cycle >= 3)
        assert not sentinel.memory.book.incidents
        first_pid = sd.info("logbook")["pid"]
        sd.kill("logbook")
        await wait_for(lambda: sd.info("logbook")["statename"] == "RUNNING"
                       and sd.info("logbook")["pid"] != first_pid, 15)
        await wait_for(lambda: not sentinel.memory.book.incidents
                       and len(api.received) >= 2, 15)
        journal = Outbox(sms_dir(cfg) / "sms.sqlite")
        await wait_for(lambda: len(journal.journal("sms")) >= 2, 15)
        cycle = sentinel.memory.history.cycle
        await wait_for(lambda: sentinel.memory.history.cycle >= cycle + 5)
        texts = [p["text"] for _, p in journal.journal("sms")]
        journal.close()
        url = cfg.service_url("watch", "bc-watch") + "/status_report"
        report = await asyncio.to_thread(lambda: json.load(urllib.request.urlopen(url)))
    assert [t.split(":")[0] for t in texts] == ["PROBLÈME", "RÉTABLI"]
    assert "logbook sur bc-hq" in texts[0]
    assert [m["message"].split(":")[0] for m in api.received] == ["PROBLÈME", "RÉTABLI"]
    svc = report["machines"]["bc-hq"]["services"]["logbook"]
    assert svc["state"] == "ok" and svc["last_error"]
    assert "logbook" in format_table(report)


async def wait_port(port: int, timeout: float = 15.0) -> None:
    """Wait until something listens on a loopback port (the program has started)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)


def sms_dir(cfg: Config) -> Path:
    return cfg.path("sms")


async def test_blackout_silences_all_but_mains_and_waits_after_return(
        tmp_path: Path, config: Config, bus: Any, supervisord_factory: Any,
        alive_script: Path) -> None:
    port = free_port()
    sd = supervisord_factory({"logbook": [sys.executable, str(alive_script), "logbook",
                                          str(port)]})
    await wait_port(port)
    mains = tmp_path / "mains"
    mains.write_text("1")
    cfg = house(tmp_path, config, sd.port, port, restart=False,
                power={"probe": "file", "path": str(mains), "return_wait_s": 1.0})
    pub = Publisher(cfg.bus_endpoints()[0], Source("bc-hq", "test"))
    sub = Subscriber(cfg.bus_endpoints()[1], [Alert.TOPIC, PowerState.TOPIC])
    assert await sub.settle(pub, 5)
    got: list[Any] = []

    async def collect() -> None:
        while True:
            got.extend(await sub.recv_batch())

    reader = asyncio.ensure_future(collect())
    async with running("watch", service.serve, cfg) as rt:
        sentinel = rt.app[service.SENTINEL]
        await wait_for(lambda: sentinel.memory.history.cycle >= 3)
        mains.write_text("0")
        await wait_for(lambda: sentinel.memory.mains.state.value == "BLACKOUT")
        sd.kill("logbook")  # machines lose power too: nothing but mains must be told
        cycle = sentinel.memory.history.cycle
        await wait_for(lambda: sentinel.memory.history.cycle >= cycle + 6)
        during = [e.data["key"] for e in got if e.topic == Alert.TOPIC]
        assert during == ["power:mains"]
        mains.write_text("1")
        await wait_for(lambda: sentinel.memory.mains.state.value == "POWER_OK")
        back = rt.clock.now()
        await wait_for(lambda: "service:bc-hq/logbook" in sentinel.memory.book.incidents, 10)
        waited = (rt.clock.now() - back).total_seconds()
    reader.cancel()
    alerts = [(e.data["key"], e.data["state"]) for e in got if e.topic == Alert.TOPIC]
    assert alerts[:2] == [("power:mains", "problem"), ("power:mains", "recovery")]
    assert ("service:bc-hq/logbook", "problem") in alerts
    assert waited >= 1.0  # normal checks resumed only after return_wait_s
    states = [e.data["state"] for e in got if e.topic == PowerState.TOPIC]
    assert states == ["BLACKOUT", "POWER_OK"]
    pub.close()
    sub.close()


async def test_sentinel_restart_keeps_incidents_open(
        tmp_path: Path, config: Config, bus: Any) -> None:
    port = free_port()  # nothing listens there: the service is down from the start
    cfg = house(tmp_path, config, free_port(), port, restart=False, machine_check="none")
    pub = Publisher(cfg.bus_endpoints()[0], Source("bc-hq", "test"))
    sub = Subscriber(cfg.bus_endpoints()[1], [Alert.TOPIC])
    assert await sub.settle(pub, 5)
    for _ in range(2):
        async with running("watch", service.serve, cfg) as rt:
            memory = rt.app[service.SENTINEL]
            start = memory.memory.history.cycle
            await wait_for(lambda m=memory, s=start: m.memory.history.cycle >= s + 5)
            assert "service:bc-hq/logbook" in memory.memory.book.incidents
    await asyncio.sleep(0.2)
    alerts = []
    with contextlib.suppress(TimeoutError):
        while True:
            alerts += await asyncio.wait_for(sub.recv_batch(), 0.3)
    problems = [e for e in alerts if e.data["key"] == "service:bc-hq/logbook"]
    assert len(problems) == 1 and problems[0].data["state"] == "problem"
    pub.close()
    sub.close()
