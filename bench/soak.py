"""Soak: the whole demo house on accelerated time, with random kill -9 and an InfluxDB outage.

The demo house (`tests.helpers.demo_data`, free ports, metrics in a real influxd started here)
runs under `basecamp up --clock C` for `--minutes` of wall time. Once every program runs and
the sentinel reports no incident, the measured window starts: every `--kill-every` seconds a
random service (bus forwarder excepted, see below) gets SIGKILL (its process group, found by
its supervisord pid); from 30 % of the window influxd is stopped for `--outage` seconds, then
started again; the last 25 % of the window is quiet, so every incident can close. Then
`basecamp up` gets SIGTERM.

What is counted, and why the two sides measure the same things:
- produced: every MutaUpdate, PowerUpdate and WaterUpdate a bench subscriber received on the
  bus during the run. Each is one reading that its daemon also wrote as one point (`muta`,
  `power` — `sensors.teleinfo.write_every_s = 0` so every frame is written, the demo's 10 s
  throttle would store a sample only —, `water` with tag slot=60s: WaterUpdate goes on the bus
  for the minute slots only, the 15-minute and hourly slots are stored, not published). A
  reading is keyed by its values (unit + temperature/humidity/light/battery; papp, iinst and
  indexes; slot + litres).
- stored: the points of those three measurements in InfluxDB, keyed the same way, after the
  house stopped and what was still queued on disk was drained (each service's queue file sent
  by the same `MetricsWriter` a restarted service would use; the count is reported).
- lost = produced − stored as multisets: readings seen on the bus with no stored point.
  `stored_unseen` is the other way round (a point stored whose bus message the bench missed).
  The bus forwarder itself is not killed by default (`--kill-bus` does): ZeroMQ has no
  acknowledgements, so a forwarder dying drops what it held — that blinds this bench's
  counter, not the store (readings reach InfluxDB through each daemon's disk queue).
- incidents: the sentinel's persisted outbox journal (`watch/outbox.sqlite`) — every notice it
  handed to a channel, with subject and notice (problem/reminder/recovery). Opened = problem
  notices on the always-up `log` channel during the window, closed = recovery notices;
  `incidents_open_at_end` comes from its saved state. Notifications per incident = sms + push
  notices of each incident (problem + reminders; recoveries reported apart): <= 1 + reminders
  per channel. `sms_duplicates` = texts the SMS gateway's own journal shows sent twice for one
  hand-over.
- peak RSS per service: psutil over each supervisord child and its children, every 3 s;
  `rss_growth_mb`: the largest growths of a process from 30 s after its start (leak hints).

Speed: a simulated week in the 10 minutes (×1008). Liveness runs in machine time (heartbeats
every 10 s of wall time, judged over 35 s; the sentinel's cycle every 2 s of wall time), the
house in house time, so a restart's 2-5 s stay 2-5 s for the sentinel while the readings,
the nights and the schedules pass a thousand times faster (see core.clock).

Last line: one JSON object. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil
import tomli_w

from core.config import Config, load
from core.messages.sensors import MutaUpdate, PowerUpdate, WaterUpdate
from core.messages.watch import Alert
from deploy.launcher import rpc
from tests.helpers import InfluxServer, demo_data

ROOT = Path(__file__).resolve().parents[1]
WEEK_S = 7 * 86400
DEFAULT_CLOCK = WEEK_S / 600
"""A simulated week in the 10 minutes (×1008)."""
WATCH_INTERVAL_S = 2.0
"""The sentinel's cycle in machine time: 34 house minutes at ×1008."""
START = "2026-11-23T00:00:00+01:00"
READINGS = (MutaUpdate.TOPIC, PowerUpdate.TOPIC, WaterUpdate.TOPIC)


def log(text: str) -> None:
    """Progress on stderr."""
    print(f"[soak {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def house(folder: Path, influx: InfluxServer) -> Config:
    """The demo house with free ports, metrics in `influx`, written to house.toml."""
    data = demo_data(folder / "var", {**influx.overrides(),
                                      "sensors": {"teleinfo": {"write_every_s": 0.0}},
                                      "watch": {"interval_s": WATCH_INTERVAL_S}})
    path = folder / "house.toml"
    path.write_text(tomli_w.dumps(data))
    return load(path)


def reading_key(topic: str, d: dict[str, Any]) -> tuple[Any, ...]:
    """A bus reading's identity (the same as `point_key` of its stored point)."""
    if topic.endswith("muta.update"):
        return ("muta", d["unit"], *(_num(d.get(k)) for k in
                                      ("temperature", "humidity", "light", "battery")))
    if topic.endswith("power.update"):
        idx = tuple(sorted((k.lower(), int(v)) for k, v in (d.get("index_wh") or {}).items()))
        return ("power", _num(d["papp_va"]), _num(d.get("iinst_a")), idx)
    return ("water", f"{d['slot_s']:g}s", _num(d["litres"]))


def point_key(measurement: str, row: dict[str, Any]) -> tuple[Any, ...]:
    """A stored point's identity."""
    if measurement == "muta":
        return ("muta", row["unit"], *(_num(row.get(k)) for k in
                                        ("temperature", "humidity", "light", "battery")))
    if measurement == "power":
        idx = tuple(sorted((k[:-3], int(v)) for k, v in row.items()
                           if k.endswith("_wh") and k != "total_wh" and v is not None))
        return ("power", _num(row["papp_va"]), _num(row.get("iinst_a")), idx)
    return ("water", row["slot"], _num(row["litres"]))


def _num(value: Any) -> float | None:
    return None if value is None else round(float(value), 6)


class Tally:
    """A bus subscriber in its own thread counting readings (and alerts, for progress)."""

    def __init__(self, config: Config) -> None:
        self.endpoint = config.bus_endpoints()[1]
        self.config = config
        self.readings: collections.Counter[tuple[Any, ...]] = collections.Counter()
        self.per_kind: collections.Counter[str] = collections.Counter()
        self.alerts: collections.Counter[str] = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tally", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import asyncio
        asyncio.run(self._listen())

    async def _listen(self) -> None:
        import asyncio

        from core import buskeys
        from core.bus import Subscriber
        keys = buskeys.load(buskeys.ensure(self.config), "bc-hq") \
            if self.config.bus.curve else None  # the house's keys (`basecamp up` uses them)
        sub = Subscriber(self.endpoint, [*READINGS, Alert.TOPIC], keys=keys)
        while not self._stop.is_set():
            try:
                async with asyncio.timeout(0.5):
                    batch = await sub.recv_batch()
            except TimeoutError:
                continue
            for env in batch:
                if env.topic == Alert.TOPIC:
                    self.alerts[str(env.data.get("state"))] += 1
                    continue
                self.readings[reading_key(env.topic, env.data)] += 1
                self.per_kind[env.topic.split(".")[1]] += 1
        sub.close()

    def stop(self) -> None:
        """Stop listening (after the house has stopped)."""
        self._stop.set()
        self._thread.join(10)


# ---- the running house -------------------------------------------------------------------
def programs(config: Config) -> dict[str, dict[str, Any]]:
    """`service@host` -> supervisord's process info, over every machine."""
    out = {}
    for host in config.machines:
        try:
            infos = rpc(config, host).supervisor.getAllProcessInfo()
        except Exception:  # a supervisord still starting or already gone
            continue
        for info in infos:
            out[f"{info['name']}@{host}"] = info
    return out


def label(config: Config, key: str) -> str:
    """`sentry@bc-hq` for multi-machine services, plain `muta` otherwise."""
    name, _, _ = key.partition("@")
    return key if len(config.hosts(name)) > 1 else name


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (xvfb-run wraps the kiosk), in MB."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def sentinel_report(config: Config) -> dict[str, Any] | None:
    """The sentinel's /status_report, or None while it does not answer."""
    try:
        with urllib.request.urlopen(config.service_url("watch") + "/status_report",
                                    timeout=5) as answer:
            return json.loads(answer.read())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def wait_settled(config: Config, timeout: float) -> tuple[float, list[str]]:
    """Wait until every program runs and the sentinel has no incident; (seconds, left open)."""
    start = time.monotonic()
    incidents: list[str] = ["(no report yet)"]
    while time.monotonic() - start < timeout:
        procs = programs(config)
        running = procs and all(i["statename"] == "RUNNING" for i in procs.values())
        report = sentinel_report(config)
        if report is not None:
            incidents = list(report.get("incidents", []))
        if running and report is not None and not incidents:
            break
        time.sleep(1)
    return time.monotonic() - start, incidents


# ---- after the run -----------------------------------------------------------------------
def drain_queues(config: Config) -> int:
    """Send what the stopped services left in their disk queues; lines sent."""
    from core.metrics import DiskQueue, MetricsWriter, open_store
    sent = 0
    for path in sorted(config.path(config.metrics.queue_dir).glob("*.sqlite")):
        writer = MetricsWriter(open_store(config), DiskQueue(path),
                               batch_size=config.metrics.batch_size)
        if not writer.flush(timeout=120):
            log(f"could not drain {path.name}: {writer.last_error}")
        sent += writer.written
        writer.queue.close()
        writer.store.close()
    return sent


def stored_readings(config: Config) -> collections.Counter[tuple[Any, ...]]:
    """Every `muta`, `power` and `water` point in InfluxDB, keyed like the bus readings."""
    from influxdb import InfluxDBClient
    m = config.metrics.influxdb
    client = InfluxDBClient(m.host, m.port, database=m.database, timeout=120)
    out: collections.Counter[tuple[Any, ...]] = collections.Counter()
    for measurement in ("muta", "power", "water"):
        where = " WHERE slot = '60s'" if measurement == "water" else ""
        offset = 0
        while True:  # pages: the client's chunked mode breaks on msgpack answers
            rows = list(client.query(f'SELECT * FROM "{measurement}"{where} '
                                     f"LIMIT 50000 OFFSET {offset}").get_points())
            for row in rows:
                out[point_key(measurement, row)] += 1
            if len(rows) < 50000:
                break
            offset += len(rows)
    client.close()
    return out


def incidents(config: Config, since: float) -> dict[str, Any]:
    """Incidents and notifications from the sentinel's outbox journal after `since`.

    The logbook channel gets every notice (even those the hourly cap moved off sms/push), so
    an incident is a problem notice there up to its recovery there. On sms and push, more than
    one problem notice for a subject between two of its recoveries means it was told twice;
    sends per incident = problem notices + reminders on one channel.
    """
    db = sqlite3.connect(config.path("watch") / "outbox.sqlite")
    rows = db.execute("SELECT channel, payload FROM journal WHERE sent >= ? ORDER BY id",
                      (since,)).fetchall()
    db.close()
    opened = closed = excess = 0
    kinds: collections.Counter[str] = collections.Counter()
    told: dict[str, collections.Counter[tuple[str, str]]] = collections.defaultdict(
        collections.Counter)  # subject -> (channel, notice) -> sends since its last recovery
    sends: list[int] = []
    recoveries: collections.Counter[str] = collections.Counter()
    for channel, payload in rows:
        p = json.loads(payload)
        subject, notice = p["subject"], p["notice"]
        if channel == "log":
            opened += notice == "problem"
            closed += notice == "recovery"
            kinds[subject.partition(":")[0]] += notice == "problem"
            if notice == "recovery":
                told.pop(subject, None)
            continue
        if channel not in ("sms", "push"):
            continue
        if notice == "recovery":
            recoveries[channel] += 1
            continue
        seen = told[subject]
        seen[(channel, notice)] += 1
        excess += notice == "problem" and seen[(channel, "problem")] > 1
        sends.append(seen[(channel, "problem")] + seen[(channel, "reminder")])
    state = json.loads((config.path("watch") / "state.json").read_text())
    return {"opened": opened, "closed": closed, "by_kind": dict(+kinds),
            "max_per_incident": max(sends, default=0), "excess": excess,
            "recoveries_sent": dict(recoveries),
            "open_at_end": sorted(state["book"]["incidents"])}


def sms_duplicates(config: Config) -> int:
    """SMS the gateway's journal shows sent more often than the sentinel handed them over."""
    def texts(path: Path, channel: str) -> collections.Counter[str]:
        if not path.exists():
            return collections.Counter()
        db = sqlite3.connect(path)
        rows = db.execute("SELECT payload FROM journal WHERE channel = ?", (channel,))
        out = collections.Counter(json.loads(r[0])["text"] for r in rows)
        db.close()
        return out
    handed = texts(config.path("watch") / "outbox.sqlite", "sms")
    sent = texts(config.path("sms") / "sms.sqlite", "sms")
    return sum(max(0, n - handed[t]) for t, n in sent.items() if t in handed)


# ---- the soak ----------------------------------------------------------------------------
class Soak:
    """The measured window: kills, the outage, RSS samples, progress."""

    def __init__(self, args: argparse.Namespace, config: Config, influx: InfluxServer,
                 tally: Tally) -> None:
        self.args, self.config, self.influx, self.tally = args, config, influx, tally
        self.rng = random.Random(args.seed)
        self.window = args.minutes * 60
        self.outage = self.window * 0.1 if args.outage is None else args.outage
        self.peak: dict[str, float] = collections.defaultdict(float)
        self.kills: list[str] = []
        self.restarts = 0
        self.fatal: set[str] = set()
        self.pids: dict[str, int] = {}
        self.first: dict[str, tuple[int, float, float | None]] = {}
        self.growth: dict[str, float] = {}
        """RSS growth of each service's current process since 30 s after it started (leaks)."""
        self.t0 = self.elapsed = 0.0

    def run(self) -> None:
        """Until the window ends (influxd is always running again afterwards)."""
        self.t0 = t0 = time.time()
        next_kill, next_report = t0 + self.args.kill_every, t0
        outage_at, down = t0 + self.window * 0.3, False
        try:
            while (now := time.time()) < t0 + self.window:
                procs = programs(self.config)
                self.sample(procs)
                if now >= next_kill and now < t0 + self.window * 0.75:
                    self.kill(procs)
                    next_kill = now + self.args.kill_every
                if not down and outage_at <= now < outage_at + self.outage:
                    self.influx.stop()
                    down = True
                    log(f"influxd stopped for {self.outage:.0f} s")
                elif down and now >= outage_at + self.outage:
                    self.influx.start()
                    down = False
                    log("influxd started again")
                if now >= next_report:
                    states = collections.Counter(i["statename"] for i in procs.values())
                    log(f"t={now - t0:4.0f} s sim={(now - t0) * self.args.clock / 86400:.2f} d"
                        f" readings={dict(self.tally.per_kind)} alerts={dict(self.tally.alerts)}"
                        f" states={dict(states)}")
                    next_report = now + 30
                time.sleep(3)
        finally:
            self.elapsed = time.time() - t0
            if down:
                self.influx.start()

    def sample(self, procs: dict[str, dict[str, Any]]) -> None:
        """Peak RSS per service, restarts (pid changes) and FATAL programs."""
        for key, info in procs.items():
            if info["statename"] == "FATAL":
                self.fatal.add(key)
            if not info["pid"]:
                continue
            if self.pids.get(key, info["pid"]) != info["pid"]:
                self.restarts += 1
            self.pids[key] = info["pid"]
            name, rss = label(self.config, key), rss_mb(info["pid"])
            self.peak[name] = max(self.peak[name], rss)
            pid, seen, base = self.first.get(name, (0, 0.0, None))
            if pid != info["pid"]:
                self.first[name] = (info["pid"], time.time(), None)  # a new process
            elif base is None and time.time() - seen >= 30:
                self.first[name] = (pid, seen, rss)  # its baseline, once it has started
            elif base is not None:
                self.growth[name] = rss - base

    def kill(self, procs: dict[str, dict[str, Any]]) -> None:
        """kill -9 one running service, at random."""
        only = {t for t in self.args.targets.split(",") if t}
        targets = sorted(k for k, i in procs.items() if i["statename"] == "RUNNING" and i["pid"]
                         and (self.args.kill_bus or not k.startswith("bus@"))
                         and (not only or k.partition("@")[0] in only))
        if not targets:
            return
        victim = self.rng.choice(targets)
        # its process group (supervisord makes one per program): a wrapper such as xvfb-run
        # dies with what it runs instead of leaving it orphaned, holding the port
        os.killpg(procs[victim]["pid"], signal.SIGKILL)
        self.kills.append(victim)
        log(f"kill -9 {victim} (pid {procs[victim]['pid']})")


def stop(up: subprocess.Popen[bytes], tally: Tally) -> None:
    """SIGTERM to `basecamp up`, then stop counting."""
    up.send_signal(signal.SIGTERM)
    try:
        up.wait(120)
    except subprocess.TimeoutExpired:
        up.kill()
    time.sleep(1)
    tally.stop()


def result(soak: Soak, left: list[str]) -> dict[str, Any]:
    """The figures, once the house has stopped."""
    config = soak.config
    produced = soak.tally.readings
    (config.path("produced.json")).write_text(json.dumps([[*k, n] for k, n in produced.items()]))
    drained = drain_queues(config)
    stored = stored_readings(config)
    inc = incidents(config, soak.t0)
    return {
        "simulated_days": round(soak.elapsed * soak.args.clock / 86400, 3),
        "produced": sum(produced.values()), "stored": sum(stored.values()),
        "lost": sum((produced - stored).values()),
        "incidents_opened": inc["opened"], "incidents_closed": inc["closed"],
        "max_notifications_per_incident": inc["max_per_incident"],
        "peak_rss_mb": {k: round(v, 1) for k, v in sorted(soak.peak.items())},
        "rss_growth_mb": dict(sorted(((k, round(v, 1)) for k, v in soak.growth.items()),
                                     key=lambda kv: -kv[1])[:5]),
        "stored_unseen": sum((stored - produced).values()),
        "lost_sample": [list(k) for k in list(produced - stored)[:5]],
        "unseen_sample": [list(k) for k in list(stored - produced)[:5]],
        "produced_by_kind": dict(soak.tally.per_kind), "drained_after_stop": drained,
        "notifications_over_bound": inc["excess"], "sms_duplicates": sms_duplicates(config),
        "recovery_notifications": inc["recoveries_sent"],
        "incidents_by_kind": inc["by_kind"], "incidents_open_at_end": inc["open_at_end"],
        "open_at_start": left, "kills": len(soak.kills), "killed": sorted(soak.kills),
        "restarts": soak.restarts, "fatal": sorted(soak.fatal), "clock": soak.args.clock,
        "wall_s": round(soak.elapsed, 1), "outage_s": soak.outage,
    }


def main() -> int:
    """Run the soak; print one JSON object last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="measured wall time")
    parser.add_argument("--clock", type=float, default=DEFAULT_CLOCK,
                        help=f"simulated seconds per wall second (default {DEFAULT_CLOCK:g}; "
                             f"a simulated week in 10 min would be {WEEK_S / 600:g})")
    parser.add_argument("--kill-every", type=float, default=30.0, metavar="S",
                        help="wall seconds between two kill -9")
    parser.add_argument("--kill-bus", action="store_true", help="the forwarder may be killed")
    parser.add_argument("--targets", default="", metavar="A,B",
                        help="kill only these services (default: any but the bus)")
    parser.add_argument("--outage", type=float, default=None, metavar="S",
                        help="InfluxDB outage in wall seconds (default 10 %% of the run)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bc-soak-"))
    influx = InfluxServer(folder / "influx").start()
    try:
        config = house(folder, influx)
        tally = Tally(config)
        up = subprocess.Popen(
            [sys.executable, "-m", "core.cli", "up", "--config", str(folder / "house.toml"),
             "--speed", "1000", "--clock", f"{args.clock:g}", "--start", START],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        soak = Soak(args, config, influx, tally)
        try:
            log(f"house starting in {folder} (clock x{args.clock:g}, influxd :{influx.port})")
            waited, left = wait_settled(config, 180)
            log(f"settled after {waited:.0f} s" + (f"; still open: {left}" if left else ""))
            soak.run()
        finally:
            stop(up, tally)
        log("house stopped; draining what is left in the services' queues")
        figures = result(soak, left)
    finally:
        influx.close()
    if args.keep:
        figures["folder"] = str(folder)
    else:
        import shutil
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
