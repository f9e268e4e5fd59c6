"""Probes against real things: loopback HTTP servers, supervisord, TCP, commands, metrics."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from core.clock import ManualClock
from core.metrics import Point, SQLiteStore, open_store, to_line
from tests.helpers import free_port
from tests.watch.conftest import small_house
from watch import rules
from watch.policy import STORE, Check, Kind, build_policy
from watch.probes import ProbeContext, run_check, run_checks
from watch.settings import WatchSettings

NOW = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)


async def http_server(routes: dict[str, Any]) -> tuple[web.AppRunner, int]:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


async def test_http_alive_good_bad_malformed_hanging(tmp_path: Path) -> None:
    async def good(_: web.Request) -> web.Response:
        return web.json_response({"service": "logbook", "uptime_s": 3})

    async def broken(_: web.Request) -> web.Response:
        return web.Response(status=500)

    async def garbage(_: web.Request) -> web.Response:
        return web.Response(text="<html>nope")

    async def wrong(_: web.Request) -> web.Response:
        return web.json_response(["not", "an", "object"])

    async def hang(_: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response()

    runner, port = await http_server({"/good": good, "/broken": broken, "/garbage": garbage,
                                      "/wrong": wrong, "/hang": hang})
    config = small_house(tmp_path, watch={"timeout_s": 0.3})
    async with aiohttp.ClientSession() as http:
        ctx = ProbeContext(config, lambda: NOW, http)
        checks = [Check(p, p, Kind.HTTP, "bc-hq", "logbook", f"http://127.0.0.1:{port}/{p}")
                  for p in ("good", "broken", "garbage", "wrong", "hang")]
        checks.append(Check("refused", "refused", Kind.HTTP, "bc-hq", "logbook",
                            f"http://127.0.0.1:{free_port()}/alive"))
        started = time.monotonic()
        obs = {o.check: o for o in await run_checks(checks, ctx)}
        elapsed = time.monotonic() - started
    await runner.cleanup()
    assert obs["good"].ok
    assert not obs["broken"].ok and "HTTP 500" in obs["broken"].detail
    assert not obs["garbage"].ok and "mal formée" in obs["garbage"].detail
    assert not obs["wrong"].ok and "mal formée" in obs["wrong"].detail
    assert not obs["hang"].ok and "pas de réponse" in obs["hang"].detail
    assert not obs["refused"].ok and "refusée" in obs["refused"].detail
    assert elapsed < 1.5  # concurrent, and the hanging one is cut at 0.3 s


async def test_supervisor_state_and_unknown_program(tmp_path: Path, supervisord_factory: Any,
                                                    alive_script: Path) -> None:
    port = free_port()
    sd = supervisord_factory({"logbook": [sys.executable, str(alive_script), "logbook",
                                          str(port)],
                              "sleeper": ["sleep", "300"]})
    config = small_house(tmp_path, supervisor_ports={"bc-hq": sd.port})
    async with aiohttp.ClientSession() as http:
        ctx = ProbeContext(config, lambda: NOW, http)
        checks = [Check(n, n, Kind.SUPERVISOR, "bc-hq", n, n)
                  for n in ("logbook", "sleeper", "ghost")]
        obs = {o.check: o for o in await run_checks(checks, ctx)}
        assert obs["logbook"].ok and "RUNNING" in obs["logbook"].detail
        assert not obs["ghost"].ok and "inconnu" in obs["ghost"].detail
        sd.kill("sleeper")
        obs = {o.check: o for o in await run_checks(checks, ctx)}
        assert not obs["sleeper"].ok and "EXITED" in obs["sleeper"].detail
        sd.close()
        obs = {o.check: o for o in await run_checks(checks, ctx)}
        assert not obs["logbook"].ok and "injoignable" in obs["logbook"].detail


async def test_programs_still_starting_are_not_judged(tmp_path: Path, supervisord_factory: Any,
                                                     alive_script: Path) -> None:
    port = free_port()
    sd = supervisord_factory({"logbook": [sys.executable, str(alive_script), "logbook",
                                          str(port)]})
    config = small_house(tmp_path, supervisor_ports={"bc-hq": sd.port},
                         watch={"start_grace_s": 3600})
    async with aiohttp.ClientSession() as http:
        ctx = ProbeContext(config, lambda: NOW, http)
        checks = [Check("logbook#supervisor", "logbook", Kind.SUPERVISOR, "bc-hq", "logbook",
                        "logbook"),
                  Check("logbook#http", "logbook", Kind.HTTP, "bc-hq", "logbook",
                        f"http://127.0.0.1:{port}/alive"),
                  Check("ghost#supervisor", "ghost", Kind.SUPERVISOR, "bc-hq", "ghost",
                        "ghost")]
        # started a moment ago: neither its supervisor nor its HTTP check counts yet
        seen = await run_checks(checks, ctx)
        assert {o.subject for o in seen} == {"ghost"}, seen
        # a restart (a new start time) is news: judged at once, young or not
        await asyncio.sleep(1.1)  # supervisord's start times are whole seconds
        await asyncio.to_thread(sd.rpc.supervisor.stopProcess, "logbook")
        await asyncio.to_thread(sd.rpc.supervisor.startProcess, "logbook")
        seen = await run_checks(checks, ctx)
        assert {o.subject for o in seen} == {"ghost", "logbook"}, seen
    sd.close()


async def test_malformed_xmlrpc_answer_is_a_finding(tmp_path: Path) -> None:
    async def rpc(_: web.Request) -> web.Response:
        return web.Response(text="<?xml version='1.0'?><methodResponse><params><param>"
                                 "<value><string>hello</string></value></param></params>"
                                 "</methodResponse>", content_type="text/xml")

    async def junk(_: web.Request) -> web.Response:
        return web.Response(text="<<<not xml", content_type="text/xml")

    app = web.Application()
    app.router.add_post("/RPC2", rpc)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    config = small_house(tmp_path, supervisor_ports={"bc-hq": port})
    async with aiohttp.ClientSession() as http:
        ctx = ProbeContext(config, lambda: NOW, http)
        obs = await run_check(Check("x", "x", Kind.SUPERVISOR, "bc-hq", "x", "x"), ctx)
    await runner.cleanup()
    assert not obs.ok and "mal formée" in obs.detail


async def test_tcp_command_internet_and_timeouts(tmp_path: Path) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    config = small_house(tmp_path, watch={"timeout_s": 0.5})
    async with aiohttp.ClientSession() as http:
        ctx = ProbeContext(config, lambda: NOW, http)
        checks = [Check("tcp", "a", Kind.TCP, "bc-hq", target=f"127.0.0.1:{port}"),
                  Check("tcp-closed", "b", Kind.TCP, "bc-hq", target=f"127.0.0.1:{free_port()}"),
                  Check("true", "c", Kind.COMMAND, "bc-hq", args=("true",)),
                  Check("false", "d", Kind.COMMAND, "bc-hq", args=("false",)),
                  Check("slow", "e", Kind.COMMAND, "bc-hq", args=("sleep", "20")),
                  Check("net", "f", Kind.INTERNET, "bc-watch",
                        args=(f"127.0.0.1:{free_port()}", f"127.0.0.1:{port}")),
                  Check("nonet", "g", Kind.INTERNET, "bc-watch",
                        args=(f"127.0.0.1:{free_port()}",)),
                  Check("ping", "h", Kind.ICMP, "bc-hq", target="127.0.0.1"),
                  Check("disk", "i", Kind.DISK, "bc-watch", target=str(tmp_path), low=0.0),
                  Check("fulldisk", "j", Kind.DISK, "bc-watch", target=str(tmp_path),
                        low=100.0)]
        obs = {o.check: o for o in await run_checks(checks, ctx)}
    server.close()
    assert obs["tcp"].ok and not obs["tcp-closed"].ok
    assert obs["true"].ok and not obs["false"].ok
    assert not obs["slow"].ok and "pas de réponse" in obs["slow"].detail
    assert obs["net"].ok and not obs["nonet"].ok
    assert obs["ping"].ok
    assert obs["disk"].ok and not obs["fulldisk"].ok


def write(store: Any, *points: Point) -> None:
    store.write_lines([to_line(p) for p in points])


def muta(unit: str, when: dt.datetime, **fields: float) -> Point:
    return Point("muta", fields, {"unit": unit}, when)


async def metric_observations(config: Any, now: dt.datetime) -> dict[str, Any]:
    policy = build_policy(config)
    checks = [c for c in policy.checks if c.kind in (
        Kind.FRESHNESS, Kind.BATTERY, Kind.TEMPERATURE, Kind.LEAK, Kind.WATER_HOURLY,
        Kind.POWER_HOURLY)]
    store = open_store(config)
    async with aiohttp.ClientSession() as http:
        ctx = ProbeContext(config, lambda: now, http, store=store)
        obs = {o.subject: o for o in await run_checks(checks, ctx)}
    store.close()
    return obs


def sensor_house(tmp_path: Path, **extra: Any) -> Any:
    return small_house(tmp_path, watch={
        "sensors": {"units": ["salon", "chambre", "exterieur"], "max_silence_s": 900},
        "temperatures": [{"unit": "salon", "min_c": 12, "max_c": 30},
                         {"unit": "congelateur", "min_c": -30, "max_c": -15,
                          "label": "congélateur", "severity": "major"}]}, **extra)


def fill(store: Any, now: dt.datetime) -> None:
    write(store,
          muta("salon", now - dt.timedelta(minutes=2), temperature=19.5, battery=2.9),
          muta("chambre", now - dt.timedelta(minutes=40), temperature=17.0, battery=2.8),
          muta("exterieur", now - dt.timedelta(minutes=1), light=300.0, battery=1.8),
          muta("congelateur", now - dt.timedelta(minutes=1), temperature=-8.0),
          Point("power", {"papp_va": 9500.0}, {}, now - dt.timedelta(minutes=30)),
          *[Point("water", {"litres": 80.0}, {"slot": "60s"}, now - dt.timedelta(minutes=m))
            for m in (10, 20, 30, 40, 50)],
          # the meter's hourly slot repeats those litres: read once, they stay under 300 L/h
          Point("water", {"litres": 400.0}, {"slot": "3600s"}, now - dt.timedelta(minutes=59)))


def check_sensor_findings(obs: dict[str, Any]) -> None:
    assert obs["sensor:salon"].ok
    assert not obs["sensor:chambre"].ok and "muet depuis 40 min" in obs["sensor:chambre"].detail
    assert obs["sensor:exterieur"].ok
    assert obs["battery:salon"].ok and not obs["battery:exterieur"].ok
    assert obs["temperature:salon"].ok
    assert not obs["temperature:congelateur"].ok
    assert "trop chaud" in obs["temperature:congelateur"].detail
    assert not obs["water:hourly"].ok and not obs["power:hourly"].ok


async def test_sensor_checks_on_sqlite_store(tmp_path: Path) -> None:
    config = sensor_house(tmp_path)
    store = SQLiteStore(config.path(config.metrics.sqlite_path))
    fill(store, NOW)
    store.close()
    check_sensor_findings(await metric_observations(config, NOW))


async def test_sensor_checks_on_influxdb(tmp_path: Path, influx: Any) -> None:
    config = sensor_house(tmp_path, metrics=influx.overrides(database="watch_probes")["metrics"])
    store = open_store(config)
    fill(store, NOW)
    store.close()
    check_sensor_findings(await metric_observations(config, NOW))


@pytest.mark.parametrize("leak", [True, False])
async def test_water_leak_night(tmp_path: Path, leak: bool) -> None:
    config = small_house(tmp_path, watch={"water": {"night_start": "01:00",
                                                    "night_end": "05:00", "slot_s": 900}},
                         house={"timezone": "UTC", "data_dir": str(tmp_path)})
    store = SQLiteStore(config.path(config.metrics.sqlite_path))
    night = dt.datetime(2024, 3, 1, 1, 0, tzinfo=dt.UTC)
    minutes = range(0, 240, 5)
    write(store, *[Point("water", {"litres": 0.0 if (not leak and 120 <= m < 135) else 0.3},
                         {"slot": "60s"}, night + dt.timedelta(minutes=m)) for m in minutes],
          # the meter's hourly slots, stamped at the start of the hour (03:00 for 03:00-04:00):
          # they must not fill the quiet quarter 03:00-03:15
          *[Point("water", {"litres": 3.0}, {"slot": "3600s"}, night + dt.timedelta(hours=h))
            for h in range(4)])
    store.close()
    obs = await metric_observations(config, NOW)
    assert obs["water:leak"].ok is not leak
    # during the next night the finding still concerns the last complete night...
    clock = ManualClock(dt.datetime(2024, 3, 2, 3, 0, tzinfo=dt.UTC))
    assert (await metric_observations(config, clock.now()))["water:leak"].ok is not leak
    # ...and the morning after a quiet night clears it
    clock.advance(3 * 3600)
    assert (await metric_observations(config, clock.now()))["water:leak"].ok


async def test_store_outage_is_one_incident_not_a_false_leak(tmp_path: Path) -> None:
    nobody = free_port()  # no InfluxDB listens there: every query fails
    config = sensor_house(tmp_path, metrics={"backend": "influxdb", "influxdb": {
        "host": "127.0.0.1", "port": nobody, "timeout_s": 0.5}})
    policy = build_policy(config, host="bc-watch")
    checks = [c for c in policy.checks if c.kind in (
        Kind.FRESHNESS, Kind.BATTERY, Kind.TEMPERATURE, Kind.LEAK, Kind.WATER_HOURLY,
        Kind.POWER_HOURLY, Kind.STORE)]
    assert all(policy.depends[c.subject] == STORE for c in checks if c.subject != STORE)
    history, book, notes = rules.History(), rules.AlertBook(), []
    store = open_store(config)
    async with aiohttp.ClientSession() as http:
        ctx = ProbeContext(config, lambda: NOW, http, store=store)
        for _ in range(4):
            observations = await run_checks(checks, ctx)
            findings, history = rules.evaluate(observations, history, NOW, policy)
            new, book = rules.decide(findings, book, NOW, policy)
            notes += new
    store.close()
    assert not any(o.ok for o in observations)
    assert list(book.incidents) == [STORE]
    assert {n.subject for n in notes} == {STORE}
    assert "water:leak" not in {n.subject for n in notes}


async def test_heartbeats_are_judged_in_machine_time(tmp_path: Path) -> None:
    """The house may run at ×1000 (a heartbeat 1 s old is 17 house minutes old): liveness is
    judged on the wall clock all the same."""
    from core.clock import FastClock
    house = FastClock(NOW, 1000)
    config = small_house(tmp_path)
    topic = "basecamp.alive.bc-hq.logbook"
    check = Check("logbook#heartbeat", "logbook", Kind.HEARTBEAT, "bc-hq", "logbook", topic,
                  high=3.0)
    async with aiohttp.ClientSession() as http:
        ctx = ProbeContext(config, house.now, http, heartbeats={topic: time.time() - 1.0})
        ok = await run_check(check, ctx)
        assert ok.ok, ok.detail
        ctx.heartbeats[topic] = time.time() - 5.0
        late = await run_check(check, ctx)
        assert not late.ok and "il y a 5 s" in late.detail, late.detail


async def test_sensor_silence_allows_for_the_machinery_on_a_fast_clock(tmp_path: Path) -> None:
    """At ×1000 a reading reaches the store (1 s flush) and is looked at (2 s cycle) 50 house
    minutes after it was taken: a 40-minute-old reading is not a silent sensor there."""
    config = sensor_house(tmp_path)
    store = SQLiteStore(config.path(config.metrics.sqlite_path))
    fill(store, NOW)
    check = next(c for c in build_policy(config).checks if c.subject == "sensor:chambre")
    async with aiohttp.ClientSession() as http:
        real = ProbeContext(config, lambda: NOW, http, store=store)
        fast = ProbeContext(config, lambda: NOW, http, store=store, machine_slack_s=3 * 1000)
        assert not (await run_check(check, real)).ok
        assert (await run_check(check, fast)).ok
    store.close()


async def test_a_silent_meter_is_a_finding(tmp_path: Path) -> None:
    """The Téléinfo cable comes off: the power daemon lives on, its metric goes quiet."""
    services = {"power": {"machine": "bc-hq", "port": free_port()},
                "water": {"machine": "bc-hq", "port": free_port()}}
    config = small_house(tmp_path, services=services,
                         watch={"sensors": {"units": [], "meters": {"power": 300,
                                                                    "water": 600}}})
    store = SQLiteStore(config.path(config.metrics.sqlite_path))
    write(store, Point("power", {"papp_va": 800.0}, {}, NOW - dt.timedelta(minutes=2)),
          Point("water", {"litres": 0.0}, {"slot": "60s"}, NOW - dt.timedelta(minutes=20)),
          Point("water", {"litres": 3.0}, {"slot": "900s"}, NOW - dt.timedelta(minutes=1)))
    checks = [c for c in build_policy(config).checks if c.kind is Kind.METER]
    assert {c.subject for c in checks} == {"meter:power", "meter:water"}
    async with aiohttp.ClientSession() as http:
        ctx = ProbeContext(config, lambda: NOW, http, store=store)
        obs = {o.subject: o for o in await run_checks(checks, ctx)}
    store.close()
    assert obs["meter:power"].ok, obs["meter:power"].detail
    # the 15-minute slot is fresh, but it is the 1-minute series that says the meter is alive
    assert not obs["meter:water"].ok and "muet depuis 20 min" in obs["meter:water"].detail
    # a house without the daemon has no meter to watch
    assert not [c for c in build_policy(small_house(tmp_path / "b")).checks
                if c.kind is Kind.METER]


def test_unknown_meter_is_a_config_error(tmp_path: Path) -> None:
    from core.schema import ConfigError
    with pytest.raises(ConfigError, match=r"watch\.sensors\.meters\.gaz"):
        small_house(tmp_path, watch={"sensors": {"meters": {"gaz": 300}}}).section(
            "watch", WatchSettings)


async def test_every_machines_disk_is_checked_from_what_it_reports(tmp_path: Path) -> None:
    """bc-hq's disks as its sysmetrics daemon wrote them: nearly full, silent, fine; the
    sentinel's own machine is checked directly (disk_paths), not twice."""
    config = small_house(tmp_path, services={"sysmetrics": {"machines": ["*"],
                                                             "port": free_port()}},
                         sensors={"system": {"disks": ["/", "/data", "/srv"]}})
    store = SQLiteStore(config.path(config.metrics.sqlite_path))

    def disk(path: str, used: float, ago_min: float) -> Point:
        return Point("system", {"disk_percent": used, "disk_free_mb": 1.0},
                     {"host": "bc-hq", "path": path}, NOW - dt.timedelta(minutes=ago_min))
    write(store, disk("/", 95.0, 1), disk("/data", 40.0, 20), disk("/srv", 40.0, 1))
    store.close()
    policy = build_policy(config, host="bc-watch")
    checks = [c for c in policy.checks if c.kind is Kind.MACHINE_DISK]
    assert sorted(c.subject for c in checks) == ["disk:bc-hq/", "disk:bc-hq/data",
                                                 "disk:bc-hq/srv"]
    assert policy.depends["disk:bc-hq/"] == "machine:bc-hq"
    store = open_store(config)
    async with aiohttp.ClientSession() as http:
        ctx = ProbeContext(config, lambda: NOW, http, store=store)
        obs = {o.subject: o for o in await run_checks(checks, ctx)}
    store.close()
    assert not obs["disk:bc-hq/"].ok and "5 % libre sur disque / de bc-hq" in obs[
        "disk:bc-hq/"].detail
    assert not obs["disk:bc-hq/data"].ok and "muet depuis 20 min" in obs["disk:bc-hq/data"].detail
    assert obs["disk:bc-hq/srv"].ok
