"""The sentinel's memory on disk: histories, open incidents, mains state and remedies tried.

Saved after every cycle (write to a temporary file, then rename) and read at start, so a
restarted sentinel keeps its incidents open instead of alerting again. `to_plain`/`from_plain`
are pure.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import store
from core.messages.watch import Severity
from watch.power import Mains, Power
from watch.rules import AlertBook, History, Incident, State, SubjectHistory

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Memory:
    """Everything the sentinel carries from one cycle to the next."""

    history: History = field(default_factory=History)
    book: AlertBook = field(default_factory=AlertBook)
    mains: Mains = field(default_factory=Mains)
    remedied: dict[str, str] = field(default_factory=dict)
    """subject -> what was tried (once per incident)."""


def to_plain(memory: Memory) -> dict[str, Any]:
    """Memory as JSON-friendly data."""
    return dataclasses.asdict(memory)


def from_plain(data: dict[str, Any]) -> Memory:
    """Memory from `to_plain` data; raises KeyError/ValueError/TypeError on bad data."""
    h = data["history"]
    subjects = {k: SubjectHistory(tuple(v["results"]), State(v["state"]), v["since"],
                                  tuple(v["changes"]), v["last_check"], v["last_error"])
                for k, v in h["subjects"].items()}
    b = data["book"]
    incidents = {k: Incident(v["subject"], Severity(v["severity"]), v["opened"], v["detail"],
                             v["cycles"], v["reminders"], v["flapping"],
                             tuple(v.get("told", ())))
                 for k, v in b["incidents"].items()}
    mains = Mains(Power(data["mains"]["state"]), data["mains"]["since"])
    return Memory(History(int(h["cycle"]), subjects),
                  AlertBook(incidents, {k: tuple(v) for k, v in b["sent"].items()},
                            int(b["capped"])),
                  mains, dict(data["remedied"]))


def save(path: Path, memory: Memory) -> None:
    """Write atomically (`core.store`: temp file, fsync, rename)."""
    store.save(path, to_plain(memory))


def load(path: Path) -> Memory:
    """Read the memory, or start fresh when it is missing or unreadable (logged)."""
    data = store.load(path)
    if data is None:
        return Memory()
    try:
        return from_plain(data)
    except (ValueError, KeyError, TypeError) as err:
        _LOGGER.error("sentinel memory %s unreadable (%s): starting fresh", path, err)
        return Memory()
