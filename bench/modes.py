"""Benchmark: a year of a busy house (1 million events) through the pure `modes.house.step`.

Events are generated (seeded): temperatures of two rooms and outdoor light every 5 min, a tick a
minute, motion, phones, alerts, and the day's intents (wake, leave with or without a return,
come back, heating profiles, silence, sleep). The reference beside ours is the presence machine
alone on the same events, to show what the other machines cost. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config import load
from core.messages.dialogs import Intent
from core.messages.presence import BluetoothPresence, PirMotion
from core.messages.sensors import MutaUpdate
from core.messages.watch import Alert, Notice, Severity
from modes import house, presence
from modes.effects import Tick

TZ = dt.timezone(dt.timedelta(hours=1))


def _day(rng: random.Random, day: dt.datetime) -> list[tuple[dt.datetime, Any]]:
    events: list[tuple[dt.datetime, Any]] = []
    for minute in range(0, 24 * 60):
        at = day + dt.timedelta(minutes=minute)
        events.append((at, Tick()))
        if minute % 5 == 0:
            hour = minute / 60
            inside = 18.5 + 2.0 * rng.random()
            events.append((at + dt.timedelta(seconds=10), MutaUpdate("salon", minute,
                                                                    temperature=inside)))
            events.append((at + dt.timedelta(seconds=20), MutaUpdate("chambre", minute,
                                                                    temperature=inside - 1)))
            lux = max(0.0, 20000 * (1 - abs(hour - 13) / 6)) + rng.random() * 3
            events.append((at + dt.timedelta(seconds=30), MutaUpdate("exterieur", minute,
                                                                    light=lux)))
        if rng.random() < 0.2:
            sensor = rng.choice(("entry", "kiosk", "indoor"))
            events.append((at + dt.timedelta(seconds=40), PirMotion(sensor, 1)))
        if rng.random() < 0.03:
            events.append((at + dt.timedelta(seconds=50),
                           BluetoothPresence("phone-owner", rng.random() < 0.8)))
    away = rng.random() < 0.7
    back = day + dt.timedelta(hours=18, minutes=rng.randrange(60))
    plan = [(6 * 60 + 40, Intent("BasecampWake", {}, "voice"))]
    if away:
        slots = {"return_at": back.isoformat()} if rng.random() < 0.6 else {}
        plan.append((7 * 60 + 50, Intent("BasecampLeave", slots, "voice")))
        plan.append((back.hour * 60 + back.minute, Intent("BasecampReturn", {}, "voice")))
    plan += [(19 * 60 + 5, Intent("BasecampHeatingProfile", {"profile": "force_comfort"},
                                  "kiosk")),
             (21 * 60, Intent("BasecampHeatingProfile", {"profile": "work_week"}, "kiosk")),
             (21 * 60 + 30, Intent("BasecampSilence", {"state": "on"}, "voice")),
             (22 * 60 + 40, Intent("BasecampSleep", {}, "voice"))]
    if rng.random() < 0.1:
        plan.append((rng.randrange(24 * 60),
                     Alert("watch:disk", Severity.MINOR, Notice.PROBLEM, "disk")))
        plan.append((23 * 60 + 50, Alert("watch:disk", Severity.MINOR, Notice.RECOVERY, "disk ok")))
    events += [(day + dt.timedelta(minutes=m, seconds=55), e) for m, e in plan]
    events.sort(key=lambda pair: pair[0])
    return events


def generate(count: int, seed: int = 1) -> tuple[list[tuple[dt.datetime, Any]], int]:
    """At least `count` events (whole days), and the number of days."""
    rng = random.Random(seed)
    events: list[tuple[dt.datetime, Any]] = []
    day = dt.datetime(2026, 1, 1, tzinfo=TZ)
    days = 0
    while len(events) < count:
        events += _day(rng, day + dt.timedelta(days=days))
        days += 1
    return events[:count], days


def run_house(rules: house.Rules, events: list[tuple[dt.datetime, Any]]) -> tuple[float, int]:
    """Seconds to replay `events` through the whole house, and effects produced."""
    state, _ = house.start(house.initial(rules), events[0][0])
    step, produced = house.step, 0
    t0 = time.perf_counter()
    for at, event in events:
        state, effects = step(state, event, at)
        produced += len(effects)
    return time.perf_counter() - t0, produced


def run_presence(rules: house.Rules, events: list[tuple[dt.datetime, Any]]) -> float:
    """Seconds to replay `events` through the presence machine alone (the reference)."""
    state = presence.Presence(rules.presence)
    step = presence.step
    t0 = time.perf_counter()
    for at, event in events:
        state, _ = step(state, event, at)
    return time.perf_counter() - t0


def main() -> None:
    """Generate, replay, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    rules = house.rules_from_config(load(None))
    t0 = time.perf_counter()
    events, days = generate(args.events)
    generated = time.perf_counter() - t0
    seconds, produced = run_house(rules, events)
    reference = run_presence(rules, events)
    per_day = len(events) / days
    result = {
        "bench": "modes",
        "events": len(events),
        "simulated_days": days,
        "events_s": round(len(events) / seconds),
        "ms_per_simulated_day": round(seconds * 1000 / (len(events) / per_day), 3),
        "presence_only_events_s": round(len(events) / reference),
        "effects": produced,
        "generate_s": round(generated, 1),
        "target_events_s": 100_000,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
