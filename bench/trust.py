"""Trust: forged bus messages, an alert behind a burst of junk, a full disk, the cost of keys.

- forgeries: the demo house runs under `basecamp up` with its bus keys; the catalogue of
  tests/security/forgeries.py (a forged SetProfile, Intent, SmsIncoming, SmsSend and remote
  access from a socket without a key, one with a key of its own, a house machine not entitled
  to them, and a spoofed source) is replayed; a forgery is accepted when it reaches the bus or
  its effect shows on the house (target 0);
- alert delay: 100 junk SMS from the owner's phone through Gammu's dummy phone, then the mains
  go off: seconds from the cut to the alert's SMS handed to the modem (target < one sentinel
  cycle, `--cycle-s`), and how many "pas compris" the junk got;
- full disk: a service writes readings for `--full-s` seconds while its metrics queue's disk
  (a real 1 MiB tmpfs) is full, then room comes back: readings lost (target 0);
- CURVE: bench/bus.py's throughput with keys and the forwarder's checks against without, in
  one run (`curve_ratio`, target >= 0.8).

Needs root (the tmpfs). Last line: one JSON object {"forged_tried", "forged_accepted",
"alert_delay_s", "disk_full_lost", "curve_ratio", ...}. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import bus, buskeys
from core.bus import Forwarder
from tests.e2e.house import running_house
from tests.helpers import demo_config
from tests.security import forgeries, scenarios

START = dt.datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


def log(text: str) -> None:
    print(f"trust: {text}", file=sys.stderr, flush=True)


def forged(folder: Path) -> dict[str, object]:
    (folder / "house").mkdir(parents=True)
    with running_house(folder / "house", {"sms": {"poll_s": 0.2}}, speed=1.0,
                       start=START) as house:
        tried = forgeries.replay(house)
    for line in tried.accepted:
        log(f"ACCEPTED: {line}")
    return {"forged_tried": tried.tried, "forged_accepted": len(tried.accepted),
            "refused": tried.refused}


def burst(folder: Path, cycle_s: float, junk: int) -> dict[str, float]:
    config = demo_config(folder / "bus")
    forwarder = Forwarder(*config.bus_endpoints(), grace_s=0.05).start()
    try:
        got = asyncio.run(scenarios.burst_then_power_cut(folder, config, cycle_s=cycle_s,
                                                         junk=junk))
    finally:
        forwarder.stop()
    return got


def disk_full(folder: Path, full_s: float, rate: float) -> dict[str, object]:
    with scenarios.tiny_disk(folder / "tiny") as disk:
        config = scenarios.house_on_disk(folder, disk)
        forwarder = Forwarder(*config.bus_endpoints(), grace_s=0.05).start()
        try:
            return asyncio.run(scenarios.full_queue_disk(
                config, disk, readings=max(1, round(full_s * rate)), full_s=full_s))
        finally:
            forwarder.stop()


def curve(count: int, rounds: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("bus.py")),
                          "--count", str(count), "--rounds", str(rounds)],
                         capture_output=True, text=True, check=True, timeout=1800)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycle-s", type=float, default=5.0,
                        help="the sentinel's cycle in the burst scenario (default 5)")
    parser.add_argument("--junk", type=int, default=100, help="junk SMS in the burst")
    parser.add_argument("--full-s", type=float, default=60.0,
                        help="seconds the queue disk stays full (default 60)")
    parser.add_argument("--rate", type=float, default=10.0,
                        help="readings per second while it is full (default 10)")
    parser.add_argument("--count", type=int, default=200_000,
                        help="messages per side for the CURVE throughput (default 200000)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved rounds of bench/bus.py (default 5, median reported)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("needs root (it mounts a 1 MiB tmpfs to fill)")
    with tempfile.TemporaryDirectory(prefix="bc-trust-") as tmp:
        folder = Path(tmp)
        keys = folder / "bus-keys"  # the in-process scenarios' bus runs with keys too
        buskeys.generate(keys, demo_config(folder / "keys-house").machines)
        os.environ[buskeys.ENV] = str(keys)
        bus.secure_from(keys, "bc-hq")
        log("forgeries against the running demo house")
        result: dict[str, object] = dict(forged(folder))
        log(f"  {result['forged_accepted']} of {result['forged_tried']} accepted")
        log(f"burst of {args.junk} junk SMS, then a power cut (cycle {args.cycle_s:g} s)")
        got = burst(folder / "burst", args.cycle_s, args.junk)
        log(f"  told after {got['alert_delay_s']:.2f} s; {got['replies']} replies to the junk")
        log(f"queue disk full for {args.full_s:g} s at {args.rate:g} readings/s")
        full = disk_full(folder / "disk", args.full_s, args.rate)
        log(f"  written {full['written']}, stored {full['stored']}, lost {full['lost']}")
        log(f"bus throughput with and without keys ({args.count} messages per side, "
            f"{args.rounds} rounds)")
        bus_result = curve(args.count, args.rounds)
        log(f"  curve {bus_result['curve_msg_s']:,.0f} msg/s, plain "
            f"{bus_result['ours_msg_s']:,.0f} msg/s")
    result.update({
        "alert_delay_s": round(got["alert_delay_s"], 3), "sentinel_cycle_s": args.cycle_s,
        "replies_to_junk": got["replies"], "junk_sms": args.junk,
        "disk_full_lost": full["lost"], "disk_full_s": args.full_s,
        "readings_written": full["written"], "memory_dropped": full["memory_dropped"],
        "curve_ratio": bus_result["curve_ratio"],
        "curve_ratios": bus_result["curve_ratios"], "curve_msg_s": bus_result["curve_msg_s"],
        "plain_msg_s": bus_result["ours_msg_s"], "curve_lost": bus_result["curve_lost"]})
    print(json.dumps({"bench": "trust", **result}))


if __name__ == "__main__":
    main()
