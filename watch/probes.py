"""Probes: one async function per check kind, run concurrently, each cut by its timeout.

A probe returns `(ok, detail)` or raises; `run_checks` turns every outcome (including a hang,
a refused connection or a malformed answer) into an `Observation`, never an exception.
Blocking clients (XML-RPC, metric stores) run in threads. supervisord is asked once per machine
and cycle (`getAllProcessInfo`), whatever the number of services on it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import psutil

from core.config import Config
from core.metrics import MetricsStore
from core.redact import redact
from watch import phrases, power, water
from watch.policy import Check, Kind
from watch.rules import Observation
from watch.settings import METERS, WatchSettings
from watch.supervisor import process_table

Result = tuple[bool, str]


@dataclass
class ProbeContext:
    """What probes need: config, clock time, HTTP session, heartbeats, metrics, bus probe."""

    config: Config
    now: Callable[[], dt.datetime]
    http: aiohttp.ClientSession
    store: MetricsStore | None = None
    heartbeats: dict[str, float] = field(default_factory=dict)
    """topic -> machine time (wall epoch seconds) of the last heartbeat seen."""
    started: float = field(default_factory=time.time)
    """Machine time the sentinel started (heartbeats are awaited from then)."""
    wall: Callable[[], float] = time.time
    """Machine time: liveness is judged in it, whatever the house clock's speed."""
    machine_slack_s: float = 0.0
    """House seconds the machinery adds to the age of a stored reading (the metrics flush and
    this cycle, machine time seen on the house clock): nothing at real speed, hours at ×1000,
    where a reading reaches the store many house minutes after it was taken."""
    bus_probe: Callable[[], Awaitable[bool]] | None = None
    starts: dict[str, int] = field(default_factory=dict)
    """machine/program -> the start time first seen (-1 once it restarted)."""
    lang: str = ""
    """The language of the probes' details ("" = the house's: `config.house.lang`)."""
    _supervisors: dict[str, asyncio.Task[dict[str, dict[str, Any]]]] = field(
        default_factory=dict)

    def __post_init__(self) -> None:
        self.lang = self.lang or self.config.house.lang

    def say(self, key: str, **values: object) -> str:
        """The phrase `key` in this context's language (`watch.phrases`)."""
        return phrases.text(key, self.lang, **values)

    @property
    def settings(self) -> WatchSettings:
        """The [watch] section."""
        return self.config.section("watch", WatchSettings)

    def new_cycle(self) -> None:
        """Forget per-cycle caches (supervisord answers)."""
        self._supervisors = {}

    def supervisor(self, machine: str) -> asyncio.Task[dict[str, dict[str, Any]]]:
        """This cycle's process table of a machine (asked once, shared by its services)."""
        if machine not in self._supervisors:
            self._supervisors[machine] = asyncio.ensure_future(asyncio.to_thread(
                process_table, self.config, machine, self.settings.timeout_s, self.lang))
        return self._supervisors[machine]


async def _tcp(host: str, port: int, lang: str = "fr") -> Result:
    _, writer = await asyncio.open_connection(host, port)
    writer.close()
    return True, phrases.text("detail.open", lang, host=host, port=port)


def _split_target(target: str) -> tuple[str, int]:
    host, _, port = target.rpartition(":")
    return host, int(port)


async def probe_tcp(check: Check, ctx: ProbeContext) -> Result:
    """A TCP connect succeeds."""
    return await _tcp(*_split_target(check.target), ctx.lang)


async def probe_icmp(check: Check, ctx: ProbeContext) -> Result:
    """One ICMP echo answered (`ping`, no shell)."""
    wait = str(max(1, math.ceil(ctx.settings.timeout_s)))
    proc = await asyncio.create_subprocess_exec(
        "ping", "-n", "-q", "-c", "1", "-W", wait, check.target,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        code = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
    return code == 0, ctx.say("detail.ping_ok" if code == 0 else "detail.ping_no")


async def probe_http(check: Check, ctx: ProbeContext) -> Result:
    """GET /alive answers 200 with a JSON object naming the service."""
    async with ctx.http.get(check.target) as resp:
        if resp.status != 200:
            return False, f"/alive: HTTP {resp.status}"
        try:
            body = await resp.json(content_type=None)
        except ValueError:
            return False, ctx.say("detail.not_json")
    if not isinstance(body, dict) or body.get("service", check.service) != check.service:
        return False, ctx.say("detail.malformed_alive", body=repr(str(body)[:80]))
    return True, f"up {body.get('uptime_s', '?')} s"


async def probe_supervisor(check: Check, ctx: ProbeContext) -> Result:
    """The program is RUNNING under supervisord (with its uptime)."""
    table = await asyncio.shield(ctx.supervisor(check.machine))
    info = table.get(check.target)
    if info is None:
        return False, ctx.say("detail.unknown_program", program=check.target)
    state = str(info.get("statename", "?"))
    if state != "RUNNING":
        return False, f"supervisord: {state}"
    uptime = max(0, int(info.get("now", 0)) - int(info.get("start", 0)))
    return True, ctx.say("detail.running", uptime=uptime)


async def probe_heartbeat(check: Check, ctx: ProbeContext) -> Result:
    """A heartbeat was seen on the bus recently (machine time)."""
    seen = ctx.heartbeats.get(check.target)
    now = ctx.wall()
    age = now - (seen if seen is not None else ctx.started)
    limit = check.high or 35.0
    if age > limit:
        return False, ctx.say("detail.last_beat", age=age) if seen else ctx.say("detail.no_beat")
    return True, ctx.say("detail.beat", age=age) if seen else ctx.say("detail.first_beat")


async def probe_bus(check: Check, ctx: ProbeContext) -> Result:
    """A probe published through the forwarder comes back."""
    if ctx.bus_probe is None:
        return True, ctx.say("detail.no_bus_probe")
    ok = await ctx.bus_probe()
    return ok, ctx.say("detail.bus_ok" if ok else "detail.bus_lost")


def _store(ctx: ProbeContext) -> MetricsStore:
    if ctx.store is None:
        raise RuntimeError(ctx.say("detail.no_store"))
    return ctx.store


async def _last(ctx: ProbeContext, measurement: str, fld: str, unit: str) -> Any:
    return await asyncio.to_thread(_store(ctx).last, measurement, fld, {"unit": unit})


async def probe_store(check: Check, ctx: ProbeContext) -> Result:
    """The metrics store answers a query (the metric checks depend on it)."""
    await asyncio.to_thread(_store(ctx).last, "muta", "battery")
    return True, ctx.say("detail.store_ok")


async def probe_freshness(check: Check, ctx: ProbeContext) -> Result:
    """The sensor unit reported within `high` seconds."""
    times = [r[1] for f in ("temperature", "battery", "light")
             if (r := await _last(ctx, "muta", f, check.target)) is not None]
    return _silence(ctx.say("detail.sensor", unit=check.target), max(times, default=None),
                    check.high or 900, ctx)


async def probe_meter(check: Check, ctx: ProbeContext) -> Result:
    """The meter's metric was written within `high` seconds (house time)."""
    measurement, fld = METERS[check.target]
    tags = dict(ctx.settings.water.meter_tags) if measurement == "water" else {}
    last = await asyncio.to_thread(_store(ctx).last, measurement, fld, tags or None)
    return _silence(ctx.say("detail.meter", meter=check.target), last[1] if last else None,
                    check.high or 300, ctx)


def _silence(what: str, latest: dt.datetime | None, limit_s: float,
             ctx: ProbeContext) -> Result:
    """A reading no older than `limit_s` of house time, allowing for the machinery's latency."""
    if latest is None:
        return False, ctx.say("detail.no_reading", what=what)
    age = (ctx.now() - latest).total_seconds()
    if age > limit_s + ctx.machine_slack_s:
        return False, ctx.say("detail.silent", what=what, minutes=age / 60)
    return True, ctx.say("detail.last_reading", age=age)


async def probe_battery(check: Check, ctx: ProbeContext) -> Result:
    """The unit's battery is above `low` volts."""
    last = await _last(ctx, "muta", "battery", check.target)
    if last is None:
        return True, ctx.say("detail.no_battery")
    volts = float(last[0])
    ok = volts >= (check.low or 0)
    return ok, ctx.say("detail.battery", volts=volts) + ("" if ok else f" (< {check.low:.1f} V)")


async def probe_temperature(check: Check, ctx: ProbeContext) -> Result:
    """The unit's temperature is within [low, high]."""
    last = await _last(ctx, "muta", "temperature", check.target)
    if last is None:
        return True, ctx.say("detail.no_measure")
    temp = float(last[0])
    low, high = check.low if check.low is not None else -math.inf, check.high or math.inf
    if temp < low:
        return False, ctx.say("detail.too_cold", temp=temp, low=low)
    if temp > high:
        return False, ctx.say("detail.too_hot", temp=temp, high=high)
    return True, f"{temp:.1f} °C"


async def probe_disk(check: Check, ctx: ProbeContext) -> Result:
    """Free space on a local path is above `low` percent."""
    usage = await asyncio.to_thread(psutil.disk_usage, check.target)
    free = 100.0 - usage.percent
    return free >= (check.low or 0), ctx.say("detail.free", free=free, what=check.target)


async def probe_machine_disk(check: Check, ctx: ProbeContext) -> Result:
    """Free space on another machine's disk above `low` percent, as last reported (and the
    report no older than `high` seconds)."""
    last = await asyncio.to_thread(_store(ctx).last, "system", "disk_percent",
                                   {"host": check.machine, "path": check.target})
    what = ctx.say("detail.disk", path=check.target, machine=check.machine)
    if last is None:  # its daemon not started yet, or not there: its own checks say so
        return True, ctx.say("detail.not_yet", what=what)
    ok, detail = _silence(what, last[1], check.high or 300, ctx)
    if not ok:
        return ok, detail
    free = 100.0 - float(last[0])
    return free >= (check.low or 0), ctx.say("detail.free", free=free, what=what)


async def probe_gsm_signal(check: Check, ctx: ProbeContext) -> Result:
    """The GSM modem's signal quality at least `low` percent, measured within `high` s."""
    last = await asyncio.to_thread(_store(ctx).last, "gsm", "signal_percent",
                                   {"host": check.machine})
    if last is None:  # the gateway measures every few minutes; its own checks say if it is down
        return True, ctx.say("detail.not_yet", what=ctx.say("detail.gsm"))
    ok, detail = _silence(ctx.say("detail.gsm"), last[1], check.high or 900, ctx)
    if not ok:
        return ok, detail
    percent = float(last[0])
    if percent < (check.low or 0):
        return False, ctx.say("detail.gsm_weak", percent=percent, low=check.low)
    return True, ctx.say("detail.gsm_ok", percent=percent)


async def probe_internet(check: Check, ctx: ProbeContext) -> Result:
    """At least one of the targets answers a TCP connect."""
    async def attempt(target: str) -> Result:
        async with asyncio.timeout(ctx.settings.timeout_s * 0.8):  # one dead target is not all
            return await _tcp(*_split_target(target), ctx.lang)

    results = await asyncio.gather(*(attempt(t) for t in check.args), return_exceptions=True)
    up = [t for t, r in zip(check.args, results, strict=True) if not isinstance(r, BaseException)]
    return bool(up), ctx.say("detail.reachable", up=len(up), total=len(check.args))


async def _run(args: Iterable[str]) -> int:
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.DEVNULL)
    try:
        return await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()


async def probe_command(check: Check, ctx: ProbeContext) -> Result:
    """A custom command exits with 0."""
    code = await _run(check.args)
    return code == 0, ctx.say("detail.exit_code", code=code)


async def probe_mains(check: Check, ctx: ProbeContext) -> Result:
    """Mains present, from the configured file or command."""
    if check.args:
        on = await _run(check.args) == 0
    else:
        path = ctx.config.path(check.target)
        text = await asyncio.to_thread(lambda: path.read_text() if path.exists() else "1")
        on = power.parse_reading(text)
    return on, ctx.say("detail.mains_on" if on else "detail.blackout")


async def probe_leak(check: Check, ctx: ProbeContext) -> Result:
    """Last night had at least one slot without water consumption."""
    ws = ctx.settings.water
    start, end = water.last_night(ctx.now(), ws.night_start, ws.night_end,
                                  ctx.config.house.timezone)
    series = await asyncio.to_thread(_store(ctx).series, "water", "litres", start, end,
                                     ws.meter_tags or None)
    values = [(when, float(v)) for when, v in series]
    leak, detail = water.leaking(values, start, end, ws.slot_s, ctx.lang)
    return not leak, detail


async def probe_water_hourly(check: Check, ctx: ProbeContext) -> Result:
    """Water used in the last hour is under the safety maximum."""
    now = ctx.now()
    series = await asyncio.to_thread(_store(ctx).series, "water", "litres",
                                     now - dt.timedelta(hours=1), now,
                                     ctx.settings.water.meter_tags or None)
    over, detail = water.over_maximum(sum(float(v) for _, v in series), check.high or 0, "L",
                                      ctx.lang)
    return not over, detail


async def probe_power_hourly(check: Check, ctx: ProbeContext) -> Result:
    """Mean apparent power over the last hour is under the safety maximum."""
    now = ctx.now()
    stats = await asyncio.to_thread(_store(ctx).stats, "power", "papp_va",
                                    now - dt.timedelta(hours=1), now)
    over, detail = water.over_maximum(stats.mean if stats else 0.0, check.high or 0, "VA",
                                      ctx.lang)
    return not over, detail


PROBES: dict[Kind, Callable[[Check, ProbeContext], Awaitable[Result]]] = {
    Kind.ICMP: probe_icmp, Kind.TCP: probe_tcp, Kind.HTTP: probe_http,
    Kind.SUPERVISOR: probe_supervisor, Kind.HEARTBEAT: probe_heartbeat, Kind.BUS: probe_bus,
    Kind.FRESHNESS: probe_freshness, Kind.METER: probe_meter, Kind.BATTERY: probe_battery,
    Kind.TEMPERATURE: probe_temperature, Kind.DISK: probe_disk, Kind.INTERNET: probe_internet,
    Kind.MACHINE_DISK: probe_machine_disk, Kind.GSM_SIGNAL: probe_gsm_signal,
    Kind.COMMAND: probe_command, Kind.MAINS: probe_mains, Kind.LEAK: probe_leak,
    Kind.WATER_HOURLY: probe_water_hourly, Kind.POWER_HOURLY: probe_power_hourly,
    Kind.STORE: probe_store,
}


async def run_check(check: Check, ctx: ProbeContext) -> Observation:
    """One check as an Observation: timeouts and errors are failures with a detail."""
    timeout = ctx.settings.timeout_s
    try:
        async with asyncio.timeout(timeout):  # unlike 3.11's wait_for, never eats a cancel
            ok, detail = await PROBES[check.kind](check, ctx)
    except TimeoutError:
        ok, detail = False, ctx.say("detail.timeout", timeout=timeout)
    except Exception as err:  # any failure of the checked thing is a finding
        ok, detail = False, _describe(err, ctx.lang)
    return Observation(check.id, check.subject, ok, detail)


def _describe(err: BaseException, lang: str = "fr") -> str:
    if isinstance(err, aiohttp.ClientConnectorError | ConnectionRefusedError):
        return phrases.text("detail.refused", lang)
    text = redact(str(err)) or type(err).__name__  # a URL in an error may hold a password
    return f"{type(err).__name__}: {text}"[:200]


async def run_checks(checks: Iterable[Check], ctx: ProbeContext) -> list[Observation]:
    """Run checks concurrently (one cycle); services still starting are left out."""
    checks = list(checks)
    ctx.new_cycle()
    observations = list(await asyncio.gather(*(run_check(c, ctx) for c in checks)))
    young = await _starting(checks, ctx)
    return [o for o in observations if o.subject not in young]


async def _starting(checks: list[Check], ctx: ProbeContext) -> set[str]:
    """Subjects whose program is still booting: supervisord reports it STARTING, or it started
    within the grace and this sentinel has not seen it run before. A program that restarted
    (its start time changed) is judged at once: it died, that is news."""
    grace = ctx.settings.start_grace_s
    young = set()
    for check in checks:
        if check.kind is not Kind.SUPERVISOR:
            continue
        try:
            info = (await asyncio.shield(ctx.supervisor(check.machine))).get(check.target, {})
        except Exception:  # unreachable supervisord: the supervisor check itself says so
            continue
        state = info.get("statename")
        start = int(info.get("start", 0))
        key = f"{check.machine}/{check.target}"
        first = ctx.starts.setdefault(key, start)
        if start != first:
            ctx.starts[key] = -1  # restarted at least once: never young again
        uptime = int(info.get("now", 0)) - start
        booting = state == "STARTING" or (state == "RUNNING" and uptime < grace)
        if booting and ctx.starts[key] == start:
            young.add(check.subject)
    return young
