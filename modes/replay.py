"""Replay lines: one JSON event per line in, one JSON snapshot per event out [pure].

An input line is `{"at": ISO datetime with offset, "type": ..., ...}`; types and their keys
are in `_PARSERS`. Other keys (e.g. "expect" and "comment" of the scenario tables) are ignored.
`parse_event` raises `ValueError` naming what is wrong; `snapshot` is the output contract:
`{"at", "mode", "heating": {"profile", "setpoint", "relay"}, "night_light", "lightpack",
"say", "reports", "alerts"}` ("reports": the scheduled reports due, `{"spoken", "send"}`, which
the dialogs service composes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from core.messages.dialogs import Intent, ReportDue
from core.messages.heating import SetProfile
from core.messages.lightpack import LightpackLock
from core.messages.nightlight import NightLightMode
from core.messages.presence import BluetoothPresence, PirMotion
from core.messages.sensors import MutaUpdate
from core.messages.voice import Say
from core.messages.watch import Alert, Notice
from modes.effects import ForceMode, Tick
from modes.house import HouseState


def _str(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key!r} must be a non-empty string")
    return value


def _num(data: dict[str, Any], key: str, default: float | None = None) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key!r} must be a number")
    return float(value)


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key!r} must be true or false")
    return value


def _intent(d: dict[str, Any], outdoor: str) -> Intent:
    slots = d.get("slots", {})
    if not isinstance(slots, dict):
        raise ValueError("'slots' must be an object")
    return Intent(_str(d, "intent"), slots, _str(d, "channel", "terminal"))


def _pir(d: dict[str, Any], outdoor: str) -> PirMotion:
    state = d.get("state", 1)
    if state not in (0, 1) or isinstance(state, bool):
        raise ValueError("'state' must be 0 or 1")
    return PirMotion(_str(d, "sensor"), state)


_PARSERS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "intent": _intent,
    "pir": _pir,
    "bluetooth": lambda d, o: BluetoothPresence(_str(d, "device"), _bool(d, "seen", True)),
    "temperature": lambda d, o: MutaUpdate(_str(d, "sensor"), 0, temperature=_num(d, "value")),
    "outdoor_light": lambda d, o: MutaUpdate(_str(d, "sensor", o), 0, light=_num(d, "lux")),
    "tick": lambda d, o: Tick(),
    "alert": lambda d, o: Alert.from_dict({  # states as their enums, unknown ones as text
        "key": _str(d, "key"), "severity": _str(d, "severity"),
        "state": _str(d, "state", Notice.PROBLEM), "message": str(d.get("message", "")),
        "source": str(d.get("source", "watch"))}),
    "profile": lambda d, o: SetProfile(_str(d, "profile"), d.get("until"), "terminal"),
    "night_light": lambda d, o: NightLightMode(_str(d, "mode"), "terminal"),
    "lock": lambda d, o: LightpackLock(_str(d, "owner"), _num(d, "seconds"),
                                       str(d.get("colour", ""))),
    "mode": lambda d, o: ForceMode(_str(d, "mode"), _str(d, "channel", "terminal")),
}
TYPES = tuple(_PARSERS)


def parse_time(value: Any) -> dt.datetime:
    """An aware datetime from an ISO string; raises ValueError."""
    if not isinstance(value, str):
        raise ValueError("'at' must be an ISO datetime string")
    when = dt.datetime.fromisoformat(value)
    if when.tzinfo is None:
        raise ValueError(f"'at' {value!r} has no UTC offset")
    return when


def parse_event(data: Any, outdoor: str = "exterieur") -> tuple[dt.datetime, Any]:
    """(time, event) of one decoded JSON line; raises ValueError."""
    if not isinstance(data, dict):
        raise ValueError("a line must be a JSON object")
    kind = data.get("type")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise ValueError(f"unknown event type {kind!r} (known: {', '.join(TYPES)})")
    return parse_time(data.get("at")), parser(data, outdoor)


def snapshot(at: str, house: HouseState, effects: list[Any]) -> dict[str, Any]:
    """The output line after one event."""
    heat = house.heating
    return {
        "at": at,
        "mode": house.presence.mode.value,
        "heating": {"profile": heat.profile, "setpoint": heat.setpoint, "relay": heat.relay},
        "night_light": "on" if house.nightlight.lit else "off",
        "lightpack": house.lightpack.colour,
        "say": [e.text for e in effects if type(e) is Say],
        "reports": [{"spoken": e.spoken, "send": e.send} for e in effects
                    if type(e) is ReportDue],
        "alerts": [{"key": e.key, "severity": e.severity, "state": e.state,
                    "message": e.message} for e in effects if type(e) is Alert],
    }


def matches(expected: Any, actual: Any) -> bool:
    """Partial match used by the scenario tables: every expected key holds in `actual`."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            matches(e, a) for e, a in zip(expected, actual, strict=True))
    return bool(expected == actual)
