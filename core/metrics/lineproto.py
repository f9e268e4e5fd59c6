"""InfluxDB line protocol [pure]: `Point`, `to_line` and `parse_line`, and nanosecond times.

The store-and-forward queue (core.metrics.writer) keeps points as such lines; the embedded
store (core.metrics.stores) parses them back, InfluxDB takes them as they are.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

FieldValue = float | int | bool | str


@dataclass(frozen=True)
class Point:
    """One measurement at one time."""

    measurement: str
    fields: Mapping[str, FieldValue]
    tags: Mapping[str, str] = field(default_factory=dict)
    time: dt.datetime | int | None = None
    """Aware datetime or integer nanoseconds since the epoch; None = now."""


def to_ns(when: dt.datetime | int | None) -> int:
    """Nanoseconds since the epoch of an aware datetime (or an int passed through)."""
    if when is None:
        return time.time_ns()
    if isinstance(when, int):
        return when
    if when.tzinfo is None:
        raise ValueError("metrics times must be timezone-aware")
    return (when - _EPOCH) // dt.timedelta(microseconds=1) * 1000


def from_ns(ns: int) -> dt.datetime:
    """Aware UTC datetime of nanoseconds since the epoch."""
    return _EPOCH + dt.timedelta(microseconds=ns // 1000)


def _esc(text: str, chars: str) -> str:
    text = text.replace("\\", "\\\\")
    for ch in chars:
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", "\\n")


def _field(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"field value {value} is not finite")
        return repr(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_line(point: Point) -> str:
    """InfluxDB line protocol of a point (with nanosecond time)."""
    if not point.fields:
        raise ValueError(f"point {point.measurement!r} has no fields")
    head = _esc(point.measurement, ", ")
    for key in sorted(point.tags):
        value = point.tags[key]
        if value != "":
            head += f",{_esc(key, ',= ')}={_esc(str(value), ',= ')}"
    body = ",".join(f"{_esc(k, ',= ')}={_field(v)}" for k, v in point.fields.items())
    return f"{head} {body} {to_ns(point.time)}"


def _split(text: str, sep: str, limit: int = -1) -> list[str]:
    """Split on `sep` outside backslash escapes."""
    parts: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if ch == sep and (limit < 0 or len(parts) < limit):
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def _unesc(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append("\n" if text[i + 1] == "n" else text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _parse_value(raw: str) -> FieldValue:
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return _unesc(raw[1:-1])
    if raw in ("true", "t", "T", "True", "TRUE"):
        return True
    if raw in ("false", "f", "F", "False", "FALSE"):
        return False
    if raw.endswith("i"):
        return int(raw[:-1])
    return float(raw)


def parse_line(line: str) -> Point:
    """Parse one line of line protocol (as written by `to_line`); raises ValueError."""
    parts = _split(line.rstrip("\r\n"), " ", 1)
    body, _, stamp = parts[-1].rpartition(" ")
    if len(parts) != 2 or not body:
        raise ValueError(f"expected 'measurement[,tags] fields time': {line!r}")
    names = _split(parts[0], ",")
    tags = {}
    for item in names[1:]:
        pair = _split(item, "=", 1)
        if len(pair) != 2:
            raise ValueError(f"bad tag {item!r} in {line!r}")
        tags[_unesc(pair[0])] = _unesc(pair[1])
    return Point(_unesc(names[0]), _parse_fields(body, line), tags, int(stamp))


def _parse_fields(body: str, line: str) -> dict[str, FieldValue]:
    """key=value pairs; a value in double quotes may hold commas, spaces and equals signs."""
    fields: dict[str, FieldValue] = {}
    i = 0
    while i < len(body):
        key, i = _scan(body, i, "=")
        if i >= len(body):
            raise ValueError(f"bad field {key!r} in {line!r}")
        if body[i + 1:i + 2] == '"':
            end = i + 2
            while end < len(body) and body[end] != '"':
                end += 2 if body[end] == "\\" else 1
            raw, i = body[i + 1:end + 1], end + 2
        else:
            raw, i = _scan(body, i + 1, ",")
            i += 1
        fields[_unesc(key)] = _parse_value(raw)
    return fields


def _scan(text: str, start: int, stop: str) -> tuple[str, int]:
    """Text from `start` up to an unescaped `stop` character, and that character's index."""
    i = start
    while i < len(text) and text[i] != stop:
        i += 2 if text[i] == "\\" else 1
    return text[start:i], i
