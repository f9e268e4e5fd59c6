"""The health page's data: the sentinel's status report and the logbook's day, parsed
tolerantly from their JSON [pure].

The status report (`<watch>/status_report`) is JSON per machine: its state, since when, last
check, last error and its services with the same fields. Shapes accepted:
`{"machines": {name: {...}}}`, `{"machines": [{"name": ...}]}`, `{name: {...}}` or a list;
services as a table or a list. Unknown states count as "warn" (orange).

When the sentinel does not answer, the grid is drawn from the bus heartbeats instead. One rule
says when a service (no heartbeat) or the bus itself (no message at all) is shown silent:
`silent_after_s`, three missed heartbeats and a few seconds of slack in machine time
(`bus.heartbeat_s`), converted whole to the house clock the screen's ages are read on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.clock import Clock, house_seconds

MISSED_HEARTBEATS = 3
"""Heartbeats a service may miss before it is shown silent..."""
SILENCE_SLACK_S = 5.0
"""...plus this many machine seconds (a busy machine's hiccup)."""


class Level(StrEnum):
    """Colour of a health cell."""

    OK = "ok"
    WARN = "warn"
    BAD = "bad"
    UNKNOWN = "unknown"


_OK = {"ok", "up", "running", "alive", "green", "power_ok", "healthy", "recovered"}
_BAD = {"problem", "down", "failed", "fatal", "error", "major", "red", "dead", "backoff",
        "exited", "critical", "blackout"}
_UNKNOWN = {"", "unknown", "none", "?"}


def level_of(state: str) -> Level:
    """The colour of a state word from the sentinel or supervisord."""
    word = state.strip().lower()
    if word in _OK:
        return Level.OK
    if word in _BAD:
        return Level.BAD
    if word in _UNKNOWN:
        return Level.UNKNOWN
    return Level.WARN


@dataclass(frozen=True)
class ServiceHealth:
    """One service of a machine as the sentinel last saw it."""

    name: str
    state: str = ""
    since: str = ""
    last_check: str = ""
    last_error: str = ""

    @property
    def level(self) -> Level:
        """Its colour."""
        return level_of(self.state)


@dataclass(frozen=True)
class MachineHealth:
    """One machine and its services."""

    name: str
    state: str = ""
    since: str = ""
    last_check: str = ""
    last_error: str = ""
    services: tuple[ServiceHealth, ...] = ()

    @property
    def level(self) -> Level:
        """Its colour: its own state, worsened by its services'."""
        levels = [level_of(self.state)] + [s.level for s in self.services]
        for worst in (Level.BAD, Level.WARN):
            if worst in levels:
                return worst
        return Level.OK if Level.OK in levels else Level.UNKNOWN


@dataclass(frozen=True)
class Health:
    """The latest status report, or why there is none."""

    machines: tuple[MachineHealth, ...] = ()
    at: dt.datetime | None = None
    """When it was last read successfully."""
    error: str = ""
    """Why the latest read failed ("" when it succeeded)."""
    error_at: dt.datetime | None = None


@dataclass(frozen=True)
class LogLine:
    """One logbook line as shown."""

    time: str
    machine: str
    service: str
    level: str
    message: str


def _text(entry: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = entry.get(key)
        if value is None:
            continue
        if isinstance(value, Mapping):  # e.g. {"message": ..., "at": ...}
            value = value.get("message") or value.get("text") or value.get("state") or ""
        return str(value)
    return ""


def _entries(data: Any, key_name: str) -> list[tuple[str, Mapping[str, Any]]]:
    if isinstance(data, Mapping):
        return [(str(k), v if isinstance(v, Mapping) else {"state": str(v)})
                for k, v in data.items()]
    if isinstance(data, list):
        return [(_text(v, "name", key_name, "id"), v) for v in data if isinstance(v, Mapping)]
    return []


def _fields(entry: Mapping[str, Any]) -> dict[str, str]:
    return {"state": _text(entry, "state", "status", "level"),
            "since": _text(entry, "since", "changed_at", "state_since"),
            "last_check": _text(entry, "last_check", "checked_at", "last_checked", "checked"),
            "last_error": _text(entry, "last_error", "error", "message")}


def parse_status_report(data: Any) -> tuple[MachineHealth, ...]:
    """Machines from the sentinel's JSON; raises ValueError when it is not a report."""
    if isinstance(data, Mapping) and "machines" in data:
        data = data["machines"]
    if not isinstance(data, (Mapping, list)):
        raise ValueError("status report is not a JSON object or list")
    machines = []
    for name, entry in _entries(data, "machine"):
        if not name:
            continue
        services = tuple(ServiceHealth(sname, **_fields(sentry))
                         for sname, sentry in _entries(entry.get("services"), "service")
                         if sname)
        machines.append(MachineHealth(name, **_fields(entry), services=services))
    return tuple(sorted(machines, key=lambda m: m.name))


def parse_logbook(data: Any) -> tuple[LogLine, ...]:
    """Lines of the logbook's `/log?format=json` answer; raises ValueError."""
    entries = data.get("entries") if isinstance(data, Mapping) else data
    if not isinstance(entries, list):
        raise ValueError("logbook answer has no entries list")
    lines = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        ts = str(entry.get("ts", ""))
        lines.append(LogLine(ts[11:19] if len(ts) >= 19 else ts, str(entry.get("machine", "")),
                             str(entry.get("service", "")), str(entry.get("level", "info")),
                             str(entry.get("message", ""))))
    return tuple(lines)


def silent_after_s(heartbeat_s: float, clock: Clock) -> float:
    """House seconds without news after which a service or the bus is shown silent:
    `MISSED_HEARTBEATS` heartbeats of `heartbeat_s` (the config's `bus.heartbeat_s`) and
    `SILENCE_SLACK_S`, all machine time (heartbeats keep wall time on an accelerated clock),
    converted whole to house time on `clock`."""
    return house_seconds(clock, MISSED_HEARTBEATS * heartbeat_s + SILENCE_SLACK_S)


def is_silent(last: dt.datetime, now: dt.datetime, after_s: float) -> bool:
    """Whether nothing came for more than `after_s` (house seconds) since `last`."""
    return (now - last).total_seconds() > after_s


def from_heartbeats(heartbeats: Mapping[str, dt.datetime], now: dt.datetime,
                    silent_s: float) -> tuple[MachineHealth, ...]:
    """A rough health grid from bus heartbeats, for when the sentinel does not answer; a
    service with no heartbeat for `silent_s` (`silent_after_s`) is "silent"."""
    machines: dict[str, list[ServiceHealth]] = {}
    for key, at in sorted(heartbeats.items()):
        host, _, service = key.partition("/")
        silent = is_silent(at, now, silent_s)
        machines.setdefault(host, []).append(
            ServiceHealth(service, "silent" if silent else "ok", last_check=at.isoformat()))
    return tuple(MachineHealth(host, "", services=tuple(svcs))
                 for host, svcs in machines.items())
