"""The service runtime on real loopback sockets: /alive, /status, heartbeats, logbook entries,
tokens, and a service that keeps running without its bus."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from core.bus import Forwarder, Publisher, Subscriber
from core.clock import FastClock, ManualClock, house_seconds
from core.config import Config
from core.messages import Source
from core.service import Runtime, running


async def _serve_nothing(rt: Runtime) -> None:
    async def change(request: web.Request) -> web.Response:
        rt.check_token(request)
        return web.Response(text="changed")
    rt.app.router.add_post("/change", change)
    rt.status["answer"] = lambda: 42


async def _get(url: str, token: str = "") -> tuple[int, object]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as resp:
        return resp.status, (await resp.json() if resp.content_type == "application/json"
                             else await resp.text())


async def test_alive_status_heartbeat_and_started_entry(
        config: Config, bus: Forwarder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", "t0k3n")
    listener = Subscriber(config.bus_endpoints()[1], ["basecamp.alive.", "basecamp.log."])
    probe = Publisher(config.bus_endpoints()[0], Source("test", "probe"))
    assert await listener.settle(probe)
    async with running("heater", _serve_nothing, config) as rt:
        url = config.service_url("heater")
        status, alive = await _get(f"{url}/alive")
        assert status == 200
        assert alive == {"service": "heater", "version": rt.version, "host": "bc-power",
                         "uptime_s": alive["uptime_s"]}  # type: ignore[index]
        assert (await _get(f"{url}/status"))[0] == 401  # who is home is not for anyone
        status, body = await _get(f"{url}/status", "t0k3n")
        assert body["answer"] == 42 and body["bus"]["connected"]  # type: ignore[index]
        topics = set()
        while not {"basecamp.alive.bc-power.heater", "basecamp.log.info"} <= topics:
            envelope = await asyncio.wait_for(listener.recv(), 5)
            topics.add(envelope.topic)
            if envelope.topic == "basecamp.log.info":
                assert envelope.data["message"].startswith("started heater ")
    probe.close()
    listener.close()


async def test_metrics_are_served_to_prometheus_with_the_token(
        config: Config, bus: Forwarder, monkeypatch: pytest.MonkeyPatch) -> None:
    """GET /metrics: the counters the service keeps, in Prometheus' text format (parsed back
    with prometheus_client's own parser), behind the token."""
    from prometheus_client.parser import text_string_to_metric_families
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", "t0k3n")
    async with running("heater", _serve_nothing, config) as rt:
        assert await rt.publisher.wait_ready(5)  # the forwarder reached
        rt.counters["rejected"] += 3
        rt.metrics.write([])  # the writer exists: its series appear
        url = config.service_url("heater") + "/metrics"
        assert (await _get(url))[0] == 401
        status, text = await _get(url, "t0k3n")
        assert status == 200
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(str(text))
                   for s in family.samples}
    ids = (("host", "bc-power"), ("service", "heater"))
    assert samples[("basecamp_events_total", (("event", "rejected"), *ids))] == 3
    assert samples[("basecamp_bus_connected", ids)] == 1
    assert ("basecamp_bus_messages_total", (("direction", "sent"), *ids)) in samples
    assert samples[("basecamp_metrics_queue_full", ids)] == 0
    assert samples[("basecamp_uptime_seconds", ids)] >= 0


async def test_house_changes_need_the_token(config: Config, bus: Forwarder,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    async with running("heater", _serve_nothing, config):
        url = config.service_url("heater") + "/change"
        async with aiohttp.ClientSession() as http:
            async with http.post(url) as resp:
                assert resp.status == 403  # no token configured: changes disabled
            monkeypatch.setenv("BASECAMP_HTTP_TOKEN", "t0k3n")
            async with http.post(url, headers={"Authorization": "Bearer wrong"}) as resp:
                assert resp.status == 401
            async with http.post(url, headers={"Authorization": "Bearer t0k3n"}) as resp:
                assert resp.status == 200 and await resp.text() == "changed"


async def test_runs_without_a_bus_and_delivers_when_it_appears(config: Config) -> None:
    async with running("heater", _serve_nothing, config) as rt:
        status, _ = await _get(config.service_url("heater") + "/alive")
        assert status == 200 and not rt.publisher.ready
        pub_ep, sub_ep = config.bus_endpoints()
        forwarder = Forwarder(pub_ep, sub_ep, grace_s=0.5).start()
        listener = Subscriber(sub_ep, ["basecamp.log."])
        try:
            envelope = await asyncio.wait_for(listener.recv(), 10)
            assert envelope.data["message"].startswith("started heater")
        finally:
            listener.close()
            forwarder.stop()


async def test_clock_drives_periodic_jobs(config: Config) -> None:
    clock = ManualClock(dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC))
    runs: list[dt.datetime] = []

    async def serve(rt: Runtime) -> None:
        rt.every(60, lambda: runs.append(rt.clock.now()), name="tick")

    async with running("heater", serve, config, clock=clock):
        await asyncio.sleep(0.05)
        for _ in range(3):
            clock.advance(60)
            await asyncio.sleep(0.01)
    assert len(runs) == 4 and runs[-1] - runs[0] == dt.timedelta(minutes=3)


async def test_heartbeats_keep_machine_time_when_the_house_runs_fast(config: Config,
                                                                  bus: Forwarder) -> None:
    """At ×1000 a house day passes in 86 s, but a heartbeat every 0.3 s stays one every 0.3 s
    of wall time (not one every 0.3 ms), and jobs asked for in machine time follow it too."""
    import dataclasses
    config = dataclasses.replace(config, bus=dataclasses.replace(config.bus, heartbeat_s=0.3))
    clock = FastClock(dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC), 1000)
    assert house_seconds(clock, 0.3) == pytest.approx(300)
    listener = Subscriber(config.bus_endpoints()[1], ["basecamp.alive.bc-power.heater"])
    probe = Publisher(config.bus_endpoints()[0], Source("test", "probe"))
    assert await listener.settle(probe)
    house_ticks, machine_ticks = [], []

    async def serve(rt: Runtime) -> None:
        rt.every(1, lambda: house_ticks.append(1), name="house")  # 1 house second: 1 ms
        rt.every(0.3, lambda: machine_ticks.append(1), name="machine", machine_time=True)

    async with running("heater", serve, config, clock=clock):
        loop = asyncio.get_running_loop()
        end, beats = loop.time() + 1.0, 0
        while (left := end - loop.time()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listener.recv(), left)
                beats += 1
    assert 3 <= beats <= 5, beats
    assert 3 <= len(machine_ticks) <= 5, machine_ticks
    assert len(house_ticks) > 100  # the house's own jobs do run fast
    probe.close()
    listener.close()


def test_run_command_stops_cleanly_on_sigterm(config: Config, tmp_path: Path) -> None:
    import tomli_w

    from tests.helpers import demo_data
    data = demo_data(tmp_path / "var")
    conf = tmp_path / "house.toml"
    conf.write_text(tomli_w.dumps(data))
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "run", "logbook", "--config",
                             str(conf)], cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(root)})
    try:
        url = f"http://127.0.0.1:{data['services']['logbook']['port']}/alive"
        asyncio.run(_wait_alive(url))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.stderr is not None
    assert "logbook stopping" in proc.stderr.read()


async def _wait_alive(url: str) -> None:
    for _ in range(200):
        try:
            status, _ = await _get(url)
            if status == 200:
                return
        except aiohttp.ClientError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never answered")


def test_port_taken_is_a_clear_error(config: Config, tmp_path: Path) -> None:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", config.service_port("heater")))
        s.listen()

        async def go() -> None:
            async with running("heater", _serve_nothing, config):
                pass
        from core.service import ServiceError
        with pytest.raises(ServiceError, match="cannot listen on port"):
            asyncio.run(go())


def test_clock_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from core.clock import ENV_VAR, FastClock, SystemClock, clock_spec, from_environment
    assert isinstance(from_environment("Europe/Paris"), SystemClock)
    start = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
    monkeypatch.setenv(ENV_VAR, clock_spec(3600, start, wall0=time.time() - 2))
    clock = from_environment("Europe/Paris")
    assert isinstance(clock, FastClock)
    assert dt.timedelta(hours=1.9) < clock.now() - start < dt.timedelta(hours=2.5)
    monkeypatch.setenv(ENV_VAR, "speed=fast")
    with pytest.raises(ValueError, match="BASECAMP_CLOCK"):
        from_environment("UTC")


async def test_a_crashed_background_task_stops_the_service(config: Config) -> None:
    from core.service import ServiceError, run

    async def serve(rt: Runtime) -> None:
        async def reader() -> None:
            await asyncio.sleep(0.05)
            raise OSError("device vanished")
        rt.spawn(reader(), name="reader")
        rt.every(0.01, lambda: 1 / 0, name="flaky")  # periodic failures are only counted

    with pytest.raises(ServiceError, match="background task crashed"):
        async with asyncio.timeout(10):
            await run("heater", serve, config)
