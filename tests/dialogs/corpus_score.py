"""Scoring the recogniser on the language corpus (`tests/dialogs/corpus/`).

A line is right when `basecamp intent` gives its intent and canonical slots: switch commands are
compared by the devices they reach (so "la lumière de la cuisine" as a device or as the lights
of the kitchen is the same command), messages to announce by their folded words, everything
else exactly. A line that must not match is right when no intent comes back (declined or not
understood). A **false action** is a must-not-match line on which the house would act without
asking: an exact match, or a fuzzy guess sure enough not to be confirmed.

The held-out files are reported as numbers only: their sentences are never printed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.cli import recognize_line
from dialogs.grammar import SWITCHABLE
from dialogs.text import fold
from dialogs.timers import HANDLED

FOLDER = Path(__file__).parent / "corpus"
DEFAULT_NOW = dt.datetime.fromisoformat("2026-03-10T08:30:00+01:00")
PARTS = ("tune", "heldout")


def lines(lang: str, part: str) -> list[dict[str, Any]]:
    """The corpus lines of one language and part ("tune" or "heldout")."""
    name = f"{lang}.jsonl" if part == "tune" else f"{lang}.heldout.jsonl"
    with (FOLDER / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def targets(slots: dict[str, Any], config: Any) -> frozenset[str]:
    """The devices a switch command reaches."""
    devices = [d for d in config.devices if d.kind in SWITCHABLE]
    if slots.get("name"):
        return frozenset({str(slots["name"])})
    area, domain = slots.get("area"), slots.get("domain")
    return frozenset(d.name for d in devices
                     if (area in (None, "*") or d.room == area)
                     and (domain is None or SWITCHABLE[d.kind] == domain))


def same(expected: dict[str, Any], got: dict[str, Any], config: Any) -> bool:
    """True when the recognised intent and slots are the expected ones."""
    if expected.get("intent") is None:
        return got["intent"] is None and got.get("refused") == expected.get("refused") \
            if expected.get("refused") else got["intent"] is None
    if got["intent"] != expected["intent"]:
        return False
    want, have = expected.get("slots", {}), got["slots"]
    if expected["intent"] in ("HassTurnOn", "HassTurnOff"):
        return targets(want, config) == targets(have, config)
    if expected["intent"] == "HassBroadcast":
        return fold(str(want.get("message", ""))) == fold(str(have.get("message", "")))
    if expected["intent"] in HANDLED:  # a timer's name, a reminder's text: as said
        return {k: fold(v) if k in ("name", "message") else _plain(v) for k, v in want.items()} \
            == {k: fold(v) if k in ("name", "message") else _plain(v) for k, v in have.items()}
    return {k: _plain(v) for k, v in want.items()} == {k: _plain(v) for k, v in have.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class Report:
    """How the recogniser did on one set of lines."""

    total: int = 0
    right: int = 0
    must_not_match: int = 0
    false_actions: int = 0
    """Must-not-match lines acted on without asking."""
    wrong_actions: int = 0
    """Command lines given another command, acted on without asking."""
    by_stage: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of lines right."""
        return self.right / self.total if self.total else 0.0


def evaluate(engine: Any, corpus: list[dict[str, Any]]) -> Report:
    """Run every line through `basecamp intent`'s core and count."""
    report = Report()
    zone = ZoneInfo(engine.config.house.timezone)
    for line in corpus:
        now = dt.datetime.fromisoformat(line["now"]) if line.get("now") else DEFAULT_NOW
        now = now.astimezone(zone)  # the house's clock: "jeudi 2 avril" is in summer time
        got = recognize_line(engine, line["text"], now)
        report.total += 1
        report.by_stage[str(got.get("match"))] += 1
        acted = got["intent"] is not None and not got.get("asks", False)
        if line.get("intent") is None and not line.get("refused"):
            report.must_not_match += 1
            report.false_actions += acted
        if same(line, got, engine.config):
            report.right += 1
        else:
            report.misses.append((line, got))
            if line.get("intent") is not None and acted:
                report.wrong_actions += 1
    return report
