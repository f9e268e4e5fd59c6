"""Aggregation of readings over fixed intervals: mean, min, max, difference, count [pure].

Windows are aligned on the epoch (a 600 s window starts at :00, :10...). A window is closed
when a reading of a later window arrives or when `close_due(now)` passes its end; the daemon
writes the result as one point of `<measurement>_agg` with tag `interval` (e.g. "600s") and
fields `<field>_mean`, `_min`, `_max`, `_count`, plus `_diff` (last - first) for counters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from core.metrics import Point


@dataclass
class FieldStats:
    """Running statistics of one field in one window."""

    first: float
    last: float
    min: float
    max: float
    total: float
    count: int

    @classmethod
    def of(cls, value: float) -> FieldStats:
        """Statistics of a single value."""
        return cls(value, value, value, value, value, 1)

    def add(self, value: float) -> None:
        """Fold one more value in."""
        self.last = value
        self.min, self.max = min(self.min, value), max(self.max, value)
        self.total += value
        self.count += 1

    @property
    def mean(self) -> float:
        """Arithmetic mean."""
        return self.total / self.count


@dataclass
class Window:
    """The readings of one series (tags) in one interval."""

    start: dt.datetime
    interval_s: float
    tags: Mapping[str, str]
    stats: dict[str, FieldStats] = field(default_factory=dict)

    @property
    def end(self) -> dt.datetime:
        """When the window closes."""
        return self.start + dt.timedelta(seconds=self.interval_s)

    def to_point(self, measurement: str, counters: Iterable[str] = ()) -> Point:
        """The `<measurement>_agg` point of this window."""
        counters = set(counters)
        fields: dict[str, float | int] = {}
        for name, s in sorted(self.stats.items()):
            fields.update({f"{name}_mean": round(s.mean, 6), f"{name}_min": s.min,
                           f"{name}_max": s.max, f"{name}_count": s.count})
            if name in counters:
                fields[f"{name}_diff"] = s.last - s.first
        tags = {**self.tags, "interval": f"{self.interval_s:g}s"}
        return Point(f"{measurement}_agg", fields, tags, self.start)


def window_start(now: dt.datetime, interval_s: float) -> dt.datetime:
    """Start of the epoch-aligned window holding `now`."""
    stamp = now.timestamp()
    return dt.datetime.fromtimestamp(stamp - stamp % interval_s, tz=now.tzinfo or dt.UTC)


class Aggregator:
    """Open windows per series; readings in, closed windows out."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._open: dict[tuple[tuple[str, str], ...], Window] = {}

    def add(self, tags: Mapping[str, str], values: Mapping[str, float],
            now: dt.datetime) -> list[Window]:
        """Fold a reading in; returns the window it closed, if it started a new one."""
        key = tuple(sorted(tags.items()))
        start = window_start(now, self.interval_s)
        closed: list[Window] = []
        window = self._open.get(key)
        if window is not None and window.start != start:
            closed.append(self._open.pop(key))
            window = None
        if window is None:
            window = self._open[key] = Window(start, self.interval_s, dict(tags))
        for name, value in values.items():
            stats = window.stats.get(name)
            if stats is None:
                window.stats[name] = FieldStats.of(float(value))
            else:
                stats.add(float(value))
        return closed

    def close_due(self, now: dt.datetime) -> list[Window]:
        """Close every window that ended at or before `now`."""
        due = [key for key, w in self._open.items() if w.end <= now]
        return [self._open.pop(key) for key in due]

    def close_all(self) -> list[Window]:
        """Close every open window (on stop)."""
        out = list(self._open.values())
        self._open.clear()
        return out
