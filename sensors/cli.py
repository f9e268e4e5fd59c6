"""`basecamp simulate <sensor>` and `basecamp rooms generate|train|evaluate`."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import shutil
import sys
from pathlib import Path
from typing import Any

from core.cli import add_config_argument, load_config_or_exit
from core.clock import FastClock
from core.config import Config

SERIAL_SIMULATORS = ("muta", "pir", "power", "water")


def _simulator(name: str, config: Config, args: argparse.Namespace) -> Any:
    from sensors.settings import SensorSettings
    from sensors.simulate import MutaSimulator, PirSimulator, TeleinfoSimulator, WaterSimulator
    s = config.section("sensors", SensorSettings)
    if name == "muta":
        return MutaSimulator(s.muta.units, period_s=args.period or s.muta.sim_period_s,
                             latitude=config.house.latitude, longitude=config.house.longitude)
    if name == "pir":
        return PirSimulator(s.pir.sensors, period_s=args.period or 30.0)
    if name == "power":
        return TeleinfoSimulator(args.mode or s.teleinfo.mode,
                                 period_s=args.period or s.teleinfo.sim_period_s)
    return WaterSimulator(period_s=args.period or 10.0, leak=args.leak or s.water.sim_leak)


async def _serial(name: str, config: Config, args: argparse.Namespace, clock: FastClock) -> int:
    from sensors.simulate import feed
    from sensors.vport import VirtualPort
    sim = _simulator(name, config, args)
    port = VirtualPort(args.link)
    print(f"simulated {name} device: {port.path}"
          + (f" -> {port.tty}" if args.link else ""), flush=True)
    try:
        sent = await feed(port, sim, clock, count=args.count)
    finally:
        port.close()
    print(f"{sent} periods, {port.written} bytes written", flush=True)
    return 0


async def _rssi(config: Config, args: argparse.Namespace, clock: FastClock) -> int:
    import aiohttp

    from sensors.rooms_model import RssiSimulator
    rooms = [r.name for r in config.rooms]
    sim = RssiSimulator(rooms)
    url = args.url or f"{config.service_url('rooms')}/readings"
    token = config.reveal(config.http.token)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    period = args.period or 5.0
    sent = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        while args.count is None or sent < args.count:
            # the owner's badge spends ten periods in each room in turn
            room = rooms[(sent // 10) % len(rooms)]
            reading = sim.reading(room, badge="badge-owner").to_dict()
            try:
                async with http.post(url, json=reading, headers=headers) as resp:
                    if resp.status in (401, 403):
                        print(f"rooms service at {url} refused the readings (HTTP {resp.status}"
                              f"): it needs the house's HTTP token "
                              f"({config.http.token.describe()})", file=sys.stderr)
                        return 2
                    answer = await resp.json()
                print(f"in {room}: {answer}", flush=True)
            except (aiohttp.ClientError, TimeoutError, ValueError) as err:
                print(f"rooms service at {url} did not answer: {err}", file=sys.stderr)
            sent += 1
            await clock.sleep(period)
    return 0


def simulate_command(argv: list[str]) -> int:
    """Write a realistic stream to a virtual serial port (or post RSSI readings)."""
    parser = argparse.ArgumentParser(
        prog="basecamp simulate",
        description="Feed a sensor daemon: a pty pair whose slave the daemon opens "
                    "(config `sensors.<sensor>.device`), or RSSI readings to the rooms service.")
    parser.add_argument("sensor", choices=[*SERIAL_SIMULATORS, "rssi"])
    parser.add_argument("--link", help="make this symlink point at the simulated device")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="simulated seconds per real second (default 1)")
    parser.add_argument("--start", help="simulated start time, ISO (default: now)")
    parser.add_argument("--period", type=float, help="seconds between frames")
    parser.add_argument("--count", type=int, help="stop after this many periods")
    parser.add_argument("--mode", choices=["historique", "standard"], help="power: TIC mode")
    parser.add_argument("--leak", action="store_true", help="water: a dripping tap")
    parser.add_argument("--url", help="rssi: where to post (default: the rooms service)")
    add_config_argument(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    config = load_config_or_exit(args.config)
    start = dt.datetime.fromisoformat(args.start) if args.start else \
        dt.datetime.now(dt.UTC).astimezone()
    if start.tzinfo is None:
        start = start.astimezone()
    clock = FastClock(start, args.speed)
    coro = _rssi(config, args, clock) if args.sensor == "rssi" else \
        _serial(args.sensor, config, args, clock)
    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        return 130


def rooms_command(argv: list[str]) -> int:
    """Generate a labelled RSSI set, or train/evaluate the room classifier on one."""
    parser = argparse.ArgumentParser(prog="basecamp rooms",
                                     description="The room-location classifier.")
    sub = parser.add_subparsers(dest="action", required=True)
    gen = sub.add_parser("generate", help="write a labelled set from the RSSI simulator")
    gen.add_argument("file")
    gen.add_argument("--per-room", type=int, default=40)
    gen.add_argument("--noise", type=float, default=6.0, help="RSSI noise, dB")
    gen.add_argument("--seed", type=int, default=7)
    for name, text in (("train", "cross-validate, then install as the house's training set"),
                       ("evaluate", "cross-validate only")):
        p = sub.add_parser(name, help=text)
        p.add_argument("file", help="labelled readings, JSON lines")
        p.add_argument("--folds", type=int, default=5)
    add_config_argument(parser)
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    from sensors.rooms import load_labelled, settings_of
    from sensors.rooms_model import RssiSimulator, cross_validate
    if args.action == "generate":
        sim = RssiSimulator([r.name for r in config.rooms], seed=args.seed,
                            noise_db=args.noise)
        readings = sim.labelled(args.per_room)
        Path(args.file).write_text("".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n"
                                           for r in readings), encoding="utf-8")
        print(f"wrote {len(readings)} labelled readings of {len(sim.rooms)} rooms "
              f"to {args.file}")
        return 0
    try:
        labelled, bad = load_labelled(Path(args.file))
    except OSError as err:
        print(f"basecamp rooms: cannot read {args.file}: {err.strerror}", file=sys.stderr)
        return 2
    rooms = sorted({r.room for r in labelled})
    if len(rooms) < 2 or len(labelled) < args.folds * len(rooms):
        print(f"basecamp rooms: {args.file}: need >= {args.folds} labelled readings in each "
              f"of at least two rooms (got {len(labelled)} in {len(rooms)})", file=sys.stderr)
        return 2
    s = settings_of(config).rooms
    try:
        accuracy = cross_validate(labelled, folds=args.folds, neighbours=s.neighbours,
                                  missing=s.missing_rssi)
    except ValueError as err:
        print(f"basecamp rooms: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"readings": len(labelled), "refused": len(bad), "rooms": rooms,
                      "folds": args.folds, "cv_accuracy": round(accuracy, 4)},
                     ensure_ascii=False))
    if args.action == "train":
        target = config.path(s.training)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.file, target)
        print(f"installed as {target} (the rooms service trains on it at start)")
    return 0
