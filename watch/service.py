"""`basecamp run watch`: the sentinel (nightwatch) on bc-watch.

Runs a check cycle every `watch.interval_s`, publishes alerts, mains state and the periodic
`SentinelOk` the sentries wait for, writes every check result to metrics, and serves
`/status_report` (JSON per machine) next to the runtime's `/alive` and `/status`.

The cycle, heartbeat ages and the OK signal run in machine time (wall seconds); what the
checks find (readings, the night, the mains) is dated in house time (see core.clock).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core.bus import Envelope
from core.clock import house_seconds
from core.messages.alive import ALIVE_PREFIX
from core.messages.watch import Alert, SentinelOk
from core.metrics import Point, open_store
from core.service import Runtime
from watch.notifiers import build_notifiers
from watch.outbox import Outbox
from watch.probes import ProbeContext
from watch.rules import State
from watch.sentinel import Sentinel
from watch.settings import WatchSettings

SENTINEL = web.AppKey("sentinel", Sentinel)
"""The running sentinel, on `rt.app` (for tests and the kiosk's in-process use)."""


def make_sentinel(rt: Runtime) -> Sentinel:
    """The sentinel wired to this runtime's bus, clock, HTTP session and data folder."""
    config = rt.config
    ws = config.section("watch", WatchSettings)
    heartbeats: dict[str, float] = {}
    wall = rt.machine.now
    ctx = ProbeContext(config, rt.clock.now, rt.http, store=open_store(config),
                       heartbeats=heartbeats, started=wall().timestamp(),
                       wall=lambda: wall().timestamp(),
                       machine_slack_s=house_seconds(
                           rt.clock, config.metrics.flush_interval_s + ws.interval_s),
                       lang=config.house.lang)
    rt.on_stop(lambda: ctx.store.close() if ctx.store else None)

    def heard(envelope: Envelope) -> None:
        heartbeats[envelope.topic] = wall().timestamp()

    sub = rt.subscribe([ALIVE_PREFIX], heard)

    async def bus_probe() -> bool:
        return await sub.settle(rt.publisher, timeout=ws.timeout_s * 0.8)

    ctx.bus_probe = bus_probe
    outbox = Outbox(rt.data_dir() / "outbox.sqlite", rt.clock)
    rt.on_stop(outbox.close)
    notifiers = build_notifiers(config, rt.host, heartbeats, rt.publish, rt.log,
                                now=lambda: wall().timestamp())
    return Sentinel(config, ctx, rt.clock, host=rt.host, notifiers=notifiers, outbox=outbox,
                    state_path=rt.data_dir() / "state.json", publish=rt.publish, log=rt.log)


async def serve(rt: Runtime) -> None:
    """Start the sentinel's cycle, its OK signal and its HTTP report."""
    ws = rt.config.section("watch", WatchSettings)
    sentinel = make_sentinel(rt)
    rt.status["watch"] = lambda: {"cycle": sentinel.memory.history.cycle,
                                  "incidents": sorted(sentinel.memory.book.incidents),
                                  "queued": sentinel.outbox.count(),
                                  "power": sentinel.memory.mains.state.value}
    last_cycle: dict[str, float] = {}

    async def cycle() -> None:
        findings = await sentinel.cycle()
        rt.counters["cycles"] += 1
        last_cycle["at"] = rt.machine.now().timestamp()
        now = rt.clock.now()
        for f in findings:
            rt.metrics.write(Point("watch", {"ok": f.state is State.OK,
                                             "suppressed": bool(f.suppressed_by)},
                                   {"subject": f.subject, "severity": f.severity.value}, now))

    def sentinel_ok() -> None:
        at = last_cycle.get("at")
        if at is not None and rt.machine.now().timestamp() - at <= 3 * ws.interval_s + 5:
            rt.publish(SentinelOk(sentinel.memory.history.cycle))

    async def status_report(_: web.Request) -> web.Response:
        return web.json_response(sentinel.report(), dumps=_dumps)

    rt.app.router.add_get("/status_report", status_report)
    def raised(envelope: Envelope) -> None:  # alerts from the other services
        alert = Alert.from_envelope(envelope)
        if alert.source != "watch":
            rt.counters["alerts_raised"] += 1
            rt.spawn(sentinel.raised(alert), name="raised")
    rt.subscribe([Alert.TOPIC], raised)
    rt.every(ws.interval_s, cycle, name="cycle", machine_time=True)
    rt.every(ws.sentry.ok_interval_s, sentinel_ok, name="sentinel_ok", machine_time=True)
    rt.app[SENTINEL] = sentinel


def _dumps(obj: Any) -> str:
    import json
    return json.dumps(obj, ensure_ascii=False)
