"""Sensor throughput: Téléinfo and MUTA frames through our parsers, and end to end through a pty
into the real daemon (pyserial, parsing, metrics queue on disk) and onto the bus.

The reference is the real devices' frame rates x 100 (the issue's target): a Téléinfo meter
sends one frame per (frame bytes x 10 bits / baud) seconds; three MUTA units one frame a minute
each. Sides:
- parse: pure `FrameSplitter + parse_frame + to_reading` (TIC), `LineSplitter + decode` (MUTA);
- e2e: frames written as fast as the pty takes them, counted when they arrive on the bus
  (subscriber in the same process); lost = written - received;
- paced: the same path fed at exactly 100x the real rate for a few seconds, to check that
  nothing is lost at the target.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.bus import Forwarder, Subscriber
from core.config import Config
from core.messages.sensors import MutaUpdate, PowerUpdate
from core.service import running
from sensors import muta, teleinfo, tic
from sensors.lines import LineSplitter
from sensors.muta import MutaDecoder
from sensors.muta_protocol import format_frame
from sensors.settings import Bounds, SensorSettings
from sensors.simulate import TeleinfoSimulator
from sensors.vport import VirtualPort
from tests.helpers import demo_data

T0 = dt.datetime(2026, 1, 15, 20, 0, tzinfo=dt.UTC)


def tic_frames(mode: tic.Mode, n: int) -> list[bytes]:
    """n distinct, valid frames from the simulator."""
    sim = TeleinfoSimulator(mode)
    return [sim.frames(T0 + dt.timedelta(seconds=2 * i))[0] for i in range(n)]


def muta_frames(n: int) -> list[bytes]:
    """n distinct frames round-robin over the demo's three units."""
    return [format_frame(1 + i % 3, (i // 3) % 65536,
                         {"temperature": 20 + (i % 50) / 10, "humidity": 45.0, "battery": 2.9})
            for i in range(n)]


def real_fps(sample: bytes, baud: int) -> float:
    """Frames per second of a real TIC line (7E1: 10 bits per character)."""
    return baud / 10 / len(sample)


def parse_rate_tic(frames: list[bytes], mode: tic.Mode) -> float:
    """Frames/s through the pure Téléinfo path."""
    stream = b"".join(frames)
    splitter = tic.FrameSplitter()
    start = time.perf_counter()
    good = 0
    for i in range(0, len(stream), 4096):
        for raw in splitter.feed(stream[i:i + 4096]):
            frame = tic.parse_frame(raw, mode) if isinstance(raw, bytes) else raw
            if isinstance(frame, tic.TicFrame) and \
                    isinstance(tic.to_reading(frame), tic.PowerReading):
                good += 1
    elapsed = time.perf_counter() - start
    if good != len(frames):
        raise RuntimeError(f"parsed {good} of {len(frames)} TIC frames")
    return len(frames) / elapsed


def parse_rate_muta(frames: list[bytes]) -> float:
    """Frames/s through the pure MUTA path (de-duplication included)."""
    stream = b"".join(frames)
    splitter = LineSplitter()
    decoder = MutaDecoder(SensorSettings().muta.units, Bounds())
    start = time.perf_counter()
    good = 0
    for i in range(0, len(stream), 4096):
        for line in splitter.feed(stream[i:i + 4096]):
            if isinstance(line, bytes) and not hasattr(decoder.decode(line), "reason"):
                good += 1
    elapsed = time.perf_counter() - start
    if good != len(frames):
        raise RuntimeError(f"parsed {good} of {len(frames)} MUTA frames")
    return len(frames) / elapsed


async def through_daemon(service: str, serve: Any, topic: str, overrides: dict[str, Any],
                         frames: list[bytes], pace_fps: float | None, folder: Path
                         ) -> dict[str, Any]:
    """Write frames into a pty read by the daemon; count what reaches the bus."""
    port = VirtualPort()
    key = "muta" if service == "muta" else "teleinfo"
    data = demo_data(folder / service, {"sensors": {key: {"device": port.path, **overrides}}})
    config = Config.from_dict(data, base_dir=str(folder))
    pub, sub_ep = config.bus_endpoints()
    if config.bus.curve:  # the bus as the house runs it: keys on every socket
        from core import bus, buskeys
        bus.secure_from(buskeys.ensure(config), "bc-hq")
    forwarder = Forwarder(pub, sub_ep, grace_s=0.05).start()
    sub = Subscriber(sub_ep, [topic])
    received = 0
    first = last = 0.0
    try:
        async with running(service, serve, config) as rt:
            await sub.settle(rt.publisher)
            while not rt.status["serial"]()["connected"]:
                await asyncio.sleep(0.01)

            async def count() -> None:
                nonlocal received, last
                while True:
                    batch = await sub.recv_batch()
                    received += len(batch)
                    last = time.perf_counter()

            counter = asyncio.create_task(count())
            first = time.perf_counter()
            if pace_fps is None:
                for i in range(0, len(frames), 50):
                    await port.write(b"".join(frames[i:i + 50]))
            else:
                for i, frame in enumerate(frames):
                    delay = first + i / pace_fps - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    await port.write(frame)
            deadline = time.perf_counter() + 20
            while received < len(frames) and time.perf_counter() < deadline:
                await asyncio.sleep(0.02)
            counter.cancel()
            rejected = dict(rt.status["rejected"]())
    finally:
        sub.close()
        port.close()
        forwarder.stop()
    elapsed = max(last - first, 1e-9)
    return {"frames": len(frames), "received": received, "lost": len(frames) - received,
            "frames_s": round(received / elapsed, 1), "rejected": rejected}


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    """Run every measurement."""
    hist, std = tic_frames("historique", args.parse_n), tic_frames("standard", args.parse_n)
    mframes = muta_frames(args.parse_n)
    parse = {"tic_historique": round(parse_rate_tic(hist, "historique")),
             "tic_standard": round(parse_rate_tic(std, "standard")),
             "muta": round(parse_rate_muta(mframes))}
    real = {"tic_historique": real_fps(hist[0], 1200), "tic_standard": real_fps(std[0], 9600),
            "muta": 3 / 60}
    target = {k: round(100 * v, 2) for k, v in real.items()}
    runs = {"tic_historique": ("power", teleinfo.serve, PowerUpdate.TOPIC,
                               {"mode": "historique", "write_every_s": 0}, hist),
            "tic_standard": ("power", teleinfo.serve, PowerUpdate.TOPIC,
                             {"mode": "standard", "write_every_s": 0}, std),
            "muta": ("muta", muta.serve, MutaUpdate.TOPIC, {}, mframes)}
    e2e, paced = {}, {}
    with tempfile.TemporaryDirectory(prefix="bc-bench-sensors-") as tmp:
        for name, (service, serve, topic, over, frames) in runs.items():
            e2e[name] = await through_daemon(service, serve, topic, over,
                                             frames[:args.e2e_n], None, Path(tmp) / name)
            n = max(5, int(target[name] * args.paced_s))
            paced[name] = await through_daemon(service, serve, topic, over, frames[:n],
                                               target[name], Path(tmp) / f"{name}-paced")
    ratios = {k: round(e2e[k]["frames_s"] / target[k], 1) for k in target}
    lost = sum(r["lost"] for r in e2e.values()) + sum(r["lost"] for r in paced.values())
    return {"bench": "sensors",
            "parse_frames_s": min(parse.values()), "e2e_frames_s": min(
                e2e[k]["frames_s"] for k in e2e), "lost": lost,
            "reference_100x_fps": target, "ratio_vs_100x": min(ratios.values()),
            "ratios_vs_100x": ratios, "parse": parse,
            "e2e": {k: {"frames_s": v["frames_s"], "lost": v["lost"]} for k, v in e2e.items()},
            "paced_100x": {k: {"frames": v["frames"], "lost": v["lost"]}
                           for k, v in paced.items()}}


def main() -> None:
    """Print details, then one JSON object on the last line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parse-n", type=int, default=20000)
    parser.add_argument("--e2e-n", type=int, default=3000)
    parser.add_argument("--paced-s", type=float, default=3.0)
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
