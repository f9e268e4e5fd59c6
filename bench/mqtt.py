"""Home Assistant bridge throughput: bus readings -> MQTT states, against plain paho, same run.

- ours: MUTA readings (`MutaUpdate`, 4 values each) published on the bus by `core.bus.Publisher`
  -> the forwarder (CURVE, as the house runs it) -> `basecamp run mqtt` in its own process
  (decode, fold into the HA entities, one paho publish per value) -> mosquitto -> a paho
  subscriber; throughput is MQTT states received / (last received - first reading sent);
- paho: the same (topic, payload) states published by a plain paho loop, in its own process
  too, to the same mosquitto and the same subscriber: what MQTT itself costs in Python, the
  reference of the ratio. Both sides are bounded by paho's Python client (some 10-20 000
  messages a second here, publishing or receiving): the ratio says what the bus and the
  bridge add to that, not how fast MQTT can go.
Both sides run in `--rounds` interleaved rounds; the figures are medians, the ratio the median
of the rounds' own ratios. `lost`: states of ours that never arrived. `p95_ms`: bus publish to
MQTT receipt of a temperature, readings paced at `--paced` a second (a house's pace, not the
flood's queue). Progress on stderr; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt
import tomli_w

from core import bus, buskeys
from core.bus import Forwarder, Publisher
from core.config import load
from core.messages import Source
from core.messages.sensors import MutaUpdate
from dialogs.discovery import MUTA_FIELDS, Bridge
from tests.dialogs.mosquitto import MosquittoServer
from tests.helpers import demo_data

UNITS = 50
MAX_SEQ = 80_000
FIELDS = tuple(MUTA_FIELDS)


def reading(seq: int) -> MutaUpdate:
    """Reading `seq`: its temperature carries seq (for the latency; the bridge drops what no
    sensor can read, above 85 °C, hence MAX_SEQ), the rest plausible."""
    return MutaUpdate(f"u{seq % UNITS}", seq, temperature=seq / 1000, humidity=40.0 + seq % 10,
                      light=float(seq % 500), battery=3.0)


class Counter:
    """A paho subscriber counting the readings' states, and when each temperature arrived."""

    def __init__(self, port: int, topics: set[str]) -> None:
        self.topics = topics
        self.lock = threading.Lock()
        self.count, self.last = 0, 0.0
        self.arrived: dict[int, float] = {}
        ready = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"bench-{uuid.uuid4().hex[:6]}")
        self.client.on_connect = lambda c, *_: c.subscribe("basecamp/+/state")
        self.client.on_subscribe = lambda *_: ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        ready.wait(5)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        if message.topic not in self.topics:
            return  # the bridge's own health states
        now = time.time()
        with self.lock:
            self.count += 1
            self.last = now
            if message.topic.endswith("_temperature/state"):
                self.arrived[round(float(message.payload) * 1000)] = now

    def reset(self) -> None:
        with self.lock:
            self.count, self.last, self.arrived = 0, 0.0, {}

    def wait(self, expected: int, silence_s: float) -> None:
        """Until `expected` states came, or none came for `silence_s`."""
        seen, quiet_since = -1, time.monotonic()
        while self.count < expected and time.monotonic() - quiet_since < silence_s:
            if self.count != seen:
                seen, quiet_since = self.count, time.monotonic()
            time.sleep(0.01)


async def ours(publisher: Publisher, counter: Counter, count: int, silence_s: float,
               states: int) -> dict[str, float]:
    counter.reset()
    start = time.time()
    for seq in range(count):
        publisher.publish(reading(seq))
        if seq % 1000 == 0:
            await asyncio.sleep(0)
    await asyncio.to_thread(counter.wait, states, silence_s)
    return {"msg_s": counter.count / max(counter.last - start, 1e-9),
            "lost": states - counter.count}


def states(config_file: Path, count: int) -> list[tuple[str, bytes]]:
    """The states the bridge publishes for `count` readings, computed by its own rules."""
    shown = Bridge(load(config_file))
    return [(t, p) for seq in range(count) for t, p, _ in shown.on_message(reading(seq), "bc-hq")
            if t.startswith("basecamp/")]


def paho_publisher(config_file: Path, port: int, count: int) -> None:
    """The reference, in its own process as the bridge is: a plain paho publish loop."""
    pairs = states(config_file, count)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-paho")
    client.connect("127.0.0.1", port)
    client.loop_start()
    time.sleep(0.2)
    print(json.dumps({"start": time.time()}), flush=True)
    for topic, payload in pairs:
        client.publish(topic, payload)
    time.sleep(0.5)  # paho's thread writes what is queued
    client.disconnect()
    client.loop_stop()


def plain(config_file: Path, port: int, count: int, counter: Counter,
          silence_s: float) -> dict[str, float]:
    counter.reset()
    expected = len(counter.topics) and count * len(FIELDS)
    proc = subprocess.Popen([sys.executable, __file__, "--role", "paho", "--config",
                             str(config_file), "--port", str(port), "--count", str(count)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    start = json.loads(proc.stdout.readline())["start"]
    counter.wait(expected, silence_s)
    proc.wait(30)
    return {"msg_s": counter.count / max(counter.last - start, 1e-9),
            "lost": expected - counter.count}


async def paced(publisher: Publisher, counter: Counter, first: int, count: int,
                rate: float) -> list[float]:
    """Latencies (ms) of `count` readings sent at `rate` a second, numbered from `first`."""
    counter.reset()
    sent: dict[int, float] = {}
    for n in range(count):
        seq = first + n  # other values than the flood's
        sent[seq] = time.time()
        publisher.publish(reading(seq))
        await asyncio.sleep(1 / rate)
    await asyncio.to_thread(counter.wait, count * len(FIELDS), 2.0)
    return [(counter.arrived[s] - t) * 1000 for s, t in sent.items() if s in counter.arrived]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bc-bench-mqtt-"))
    broker = MosquittoServer().start()
    data = demo_data(folder / "var", broker.overrides())
    config_file = folder / "basecamp.toml"
    config_file.write_text(tomli_w.dumps(data))
    config = load(config_file)
    keys = folder / "keys"
    buskeys.generate(keys, config.machines)
    bus.secure_from(keys, "bc-hq")
    pub, sub = config.bus_endpoints()
    forwarder = Forwarder(pub, sub, grace_s=0.0).start()
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "run", "mqtt", "--config",
                             str(config_file)], cwd=Path(__file__).resolve().parents[1],
                            env={**os.environ, buskeys.ENV: str(keys)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pairs = states(config_file, args.count)
    counter = Counter(broker.port, {t for t, _ in pairs})
    publisher = Publisher(pub, Source("bc-hq", "muta"))
    try:
        await publisher.wait_ready(10)
        await asyncio.sleep(3)  # the bridge connected and subscribed (it is its own process)
        await ours(publisher, counter, UNITS, 3.0, UNITS * len(FIELDS))  # entities announced
        sides: dict[str, list[dict[str, float]]] = {"paho": [], "ours": []}
        for n in range(args.rounds):
            got = plain(config_file, broker.port, args.count, counter, args.silence)
            sides["paho"].append(got)
            print(f"round {n + 1} paho: {got['msg_s']:,.0f} msg/s, lost {got['lost']}",
                  file=sys.stderr)
            got = await ours(publisher, counter, args.count, args.silence, len(pairs))
            sides["ours"].append(got)
            print(f"round {n + 1} ours: {got['msg_s']:,.0f} msg/s, lost {got['lost']}",
                  file=sys.stderr)
        latencies = await paced(publisher, counter, args.count, args.paced_count, args.paced)
        print(f"paced: {len(latencies)} of {args.paced_count} timed", file=sys.stderr)
    finally:
        publisher.close()
        proc.kill()
        proc.wait()
        counter.client.disconnect()
        counter.client.loop_stop()
        forwarder.stop()
        broker.close()
    return {"bench": "mqtt", "rounds": args.rounds, "states_per_round": len(pairs),
            "ours_msg_s": round(statistics.median(r["msg_s"] for r in sides["ours"])),
            "paho_msg_s": round(statistics.median(r["msg_s"] for r in sides["paho"])),
            "ratio": round(statistics.median(o["msg_s"] / p["msg_s"] for o, p in
                                             zip(sides["ours"], sides["paho"], strict=True)), 3),
            "lost": int(sum(r["lost"] for r in sides["ours"]))
            + args.paced_count - len(latencies),
            "paho_lost": int(sum(r["lost"] for r in sides["paho"])),
            "p95_ms": round(statistics.quantiles(latencies, n=20)[18], 2) if len(
                latencies) > 1 else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000, help="readings per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--paced", type=float, default=100.0,
                        help="readings a second for the latency")
    parser.add_argument("--paced-count", type=int, default=300)
    parser.add_argument("--silence", type=float, default=5.0,
                        help="seconds without a state after which a side stops waiting")
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "paho":
        paho_publisher(Path(args.config), args.port, args.count)
        return
    if args.count + args.paced_count > MAX_SEQ:
        parser.error(f"--count + --paced-count must stay under {MAX_SEQ}")
    print(f"mqtt bench: {args.count} readings ({args.count * len(FIELDS)} states) per side, "
          f"{args.rounds} rounds", file=sys.stderr)
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
