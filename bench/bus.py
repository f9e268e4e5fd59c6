"""Bus throughput: our helpers and envelope against raw pyzmq, in the same run.

Publisher, forwarder and subscriber each run in their own process, for both sides:
- ours: `core.bus.Publisher` (typed message -> JSON envelope) -> `core.bus.Forwarder` ->
  `core.bus.Subscriber` (envelope decoded and checked);
- raw:  PUB socket sending raw bytes the idiomatic pyzmq way, `send_multipart([topic, payload])`
  -> `zmq.proxy(XSUB, XPUB)` -> SUB socket `recv_multipart()`; the ratio is against this;
- raw1: the same with one pre-built frame per message (ZeroMQ's ceiling, reported for scale);
- curve: ours as the house runs it: every socket a CURVE client with a machine's key pair, the
  forwarder admitting only the house's keys (ZAP) and checking each message's topic against the
  machine it came from (core.trust) and its claimed source against that machine;
  `curve_ratio` is curve against ours (target >= 0.8).
raw, ours and curve run in `--rounds` interleaved rounds (the machine's drift hits each side
alike); the ratios are the medians of each round's own ratio. Throughput is messages / (last
received - first sent). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import zmq

from core.messages import Message, Source


@dataclass(frozen=True)
class Tick(Message):
    """A small message like a sensor reading."""

    TOPIC: ClassVar[str] = "basecamp.bench.tick"
    """The bench's own topic: no service of the house hears it."""
    seq: int
    unit: str = "salon"
    temperature: float = 19.5


TOPIC = Tick.TOPIC


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- roles, each run in its own process --------------------------------------------------
KEYS = ""
"""The keys folder of the curve side (set by --keys in each role's process)."""
MACHINE = "bc-hq"


def _secure() -> None:
    """On the curve side, this process's sockets use a machine's keys, as a service's do."""
    if KEYS:
        from core import bus
        bus.secure_from(KEYS, MACHINE)


def forwarder(kind: str, pub: str, sub: str) -> None:
    if kind in ("ours", "curve"):
        from core.bus import Forwarder
        if kind == "curve":
            from core.trust import Authorizer
            from tests.helpers import demo_config
            _secure()
            authorize = Authorizer(demo_config(Path(KEYS) / "house"))
            Forwarder(pub, sub, grace_s=0.0, authorize=authorize).start()
        else:
            Forwarder(pub, sub, grace_s=0.0).start()
        print("ready", flush=True)
        time.sleep(3600)
    ctx = zmq.Context()
    xsub, xpub = ctx.socket(zmq.XSUB), ctx.socket(zmq.XPUB)
    for s in (xsub, xpub):
        s.setsockopt(zmq.SNDHWM, 0)
        s.setsockopt(zmq.RCVHWM, 0)
    xsub.bind(pub)
    xpub.bind(sub)
    print("ready", flush=True)
    zmq.proxy(xsub, xpub)


def subscriber(kind: str, pub: str, sub: str, count: int, timeout: float) -> None:
    if kind in ("ours", "curve"):
        _secure()
        asyncio.run(_our_subscriber(pub, sub, count, timeout))
        return
    ctx = zmq.Context()
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.RCVHWM, 0)
    s.setsockopt(zmq.SUBSCRIBE, TOPIC.encode())
    s.connect(sub)
    time.sleep(0.5)  # raw pyzmq has no way to know the subscription is active
    print("ready", flush=True)
    got, last = 0, 0.0
    poller = zmq.Poller()
    poller.register(s, zmq.POLLIN)
    while got < count and poller.poll(timeout * 1000):
        while got < count:
            try:
                if kind == "raw1":
                    s.recv(zmq.NOBLOCK)
                else:
                    s.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            got += 1
        last = time.time()
    print(json.dumps({"received": got, "last": last}), flush=True)


async def _our_subscriber(pub: str, sub: str, count: int, timeout: float) -> None:
    from core.bus import Publisher, Subscriber
    s = Subscriber(sub, [TOPIC])
    prober = Publisher(pub, Source(MACHINE, "probe"))
    await s.settle(prober)
    print("ready", flush=True)
    got, last = 0, 0.0
    try:
        while got < count:
            batch = await asyncio.wait_for(s.recv_batch(), timeout)
            for envelope in batch:
                Tick.from_envelope(envelope)
            got += len(batch)
            last = time.time()
    except TimeoutError:
        pass
    print(json.dumps({"received": got, "last": last, "malformed": s.malformed}), flush=True)


def publisher(kind: str, pub: str, count: int) -> None:
    if kind in ("ours", "curve"):
        _secure()
        asyncio.run(_our_publisher(pub, count))
        return
    ctx = zmq.Context()
    s = ctx.socket(zmq.PUB)
    s.setsockopt(zmq.SNDHWM, 0)
    s.connect(pub)
    time.sleep(0.5)  # settle by hand, as raw users do
    topic = TOPIC.encode()
    payload = json.dumps({"seq": 0, "unit": "salon", "temperature": 19.5}).encode()
    frame = topic + b" " + payload
    start = time.time()
    if kind == "raw1":
        for _ in range(count):
            s.send(frame)
    else:
        for _ in range(count):
            s.send_multipart([topic, payload])
    print(json.dumps({"start": start}), flush=True)
    s.close(linger=-1)
    ctx.term()


async def _our_publisher(pub: str, count: int) -> None:
    from core.bus import Publisher
    p = Publisher(pub, Source(MACHINE, "publisher"))
    await p.wait_ready(10)
    start = time.time()
    for seq in range(count):
        p.publish(Tick(seq))
        if seq % 20_000 == 0:
            await asyncio.sleep(0)
    print(json.dumps({"start": start}), flush=True)
    p.close()


# ---- driver ------------------------------------------------------------------------------
def run_side(kind: str, count: int, timeout: float) -> dict[str, float]:
    keys = ["--keys", KEYS] if kind == "curve" else []

    def _spawn(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, __file__, *args, "--kind", kind, *keys],
                                stdout=subprocess.PIPE, text=True)
    pub, sub = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    fwd = _spawn("--role", "forwarder", "--pub", pub, "--sub", sub)
    try:
        assert fwd.stdout is not None
        fwd.stdout.readline()
        sbr = _spawn("--role", "subscriber", "--pub", pub, "--sub", sub,
                     "--count", str(count), "--timeout", str(timeout))
        assert sbr.stdout is not None
        sbr.stdout.readline()
        pbr = _spawn("--role", "publisher", "--pub", pub, "--count", str(count))
        out_pub, _ = pbr.communicate(timeout=120)
        out_sub, _ = sbr.communicate(timeout=120)
    finally:
        fwd.kill()
        fwd.wait()
    start = json.loads(out_pub.strip().splitlines()[-1])["start"]
    result = json.loads(out_sub.strip().splitlines()[-1])
    elapsed = max(result["last"] - start, 1e-9)
    return {"msg_s": result["received"] / elapsed, "lost": count - result["received"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200_000, help="messages per side")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds of raw, ours and curve, interleaved (median reported)")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds of silence after which the subscriber stops waiting")
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    parser.add_argument("--pub", help=argparse.SUPPRESS)
    parser.add_argument("--sub", help=argparse.SUPPRESS)
    parser.add_argument("--keys", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global KEYS
    KEYS = args.keys
    if args.role == "forwarder":
        forwarder(args.kind, args.pub, args.sub)
    elif args.role == "subscriber":
        subscriber(args.kind, args.pub, args.sub, args.count, args.timeout)
    elif args.role == "publisher":
        publisher(args.kind, args.pub, args.count)
    else:
        print(f"bus bench: {args.count} messages per side, {args.rounds} rounds",
              file=sys.stderr)
        sides: dict[str, list[dict[str, float]]] = {k: [] for k in ("raw", "ours", "curve")}
        with tempfile.TemporaryDirectory(prefix="bc-bus-keys-") as folder:
            from core import buskeys
            buskeys.generate(Path(folder), [MACHINE])
            KEYS = folder
            for n in range(args.rounds):  # interleaved: the machine's drift hits every side
                for kind in sides:
                    got = run_side(kind, args.count, args.timeout)
                    sides[kind].append(got)
                    print(f"round {n + 1} {kind:5s}: {got['msg_s']:,.0f} msg/s, "
                          f"lost {got['lost']}", file=sys.stderr)
        raw1 = run_side("raw1", args.count, args.timeout)
        print(f"raw1: {raw1['msg_s']:,.0f} msg/s, lost {raw1['lost']}", file=sys.stderr)

        def median(kind: str) -> float:
            return statistics.median(r["msg_s"] for r in sides[kind])

        def ratio(a: str, b: str) -> float:  # the median of the rounds' own ratios
            return statistics.median(x["msg_s"] / y["msg_s"]
                                     for x, y in zip(sides[a], sides[b], strict=True))
        print(json.dumps({"bench": "bus", "rounds": args.rounds,
                          "ours_msg_s": round(median("ours")),
                          "raw_msg_s": round(median("raw")),
                          "ratio": round(ratio("ours", "raw"), 3),
                          "curve_msg_s": round(median("curve")),
                          "curve_ratio": round(ratio("curve", "ours"), 3),
                          "curve_ratios": [round(c["msg_s"] / o["msg_s"], 3) for c, o
                                           in zip(sides["curve"], sides["ours"], strict=True)],
                          "lost": int(sum(r["lost"] for r in sides["ours"])),
                          "curve_lost": int(sum(r["lost"] for r in sides["curve"])),
                          "raw_lost": int(sum(r["lost"] for r in sides["raw"])),
                          "raw_single_frame_msg_s": round(raw1["msg_s"])}))


if __name__ == "__main__":
    main()
