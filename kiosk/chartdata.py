"""Chart curves from the metrics store: query each configured series and thin it to a few
hundred points (bucket means) so a week of 10-second readings draws instantly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from kiosk.settings import ChartSeries

Series = tuple[str, list[float], list[float]]
"""(label, epoch seconds, values)."""
POINTS = 400


def downsample(points: Iterable[tuple[float, float]], start: float, end: float,
               buckets: int = POINTS) -> tuple[list[float], list[float]]:
    """Mean of the values in each of `buckets` equal slices of [start, end) [pure]."""
    width = max((end - start) / buckets, 1e-9)
    sums: dict[int, list[float]] = {}
    for x, y in points:
        if start <= x < end:
            acc = sums.setdefault(int((x - start) / width), [0.0, 0.0, 0.0])
            acc[0] += x
            acc[1] += y
            acc[2] += 1
    xs, ys = [], []
    for key in sorted(sums):
        sx, sy, n = sums[key]
        xs.append(sx / n)
        ys.append(sy / n)
    return xs, ys


def query_charts(store: Any, series: Sequence[ChartSeries], start: dt.datetime,
                 end: dt.datetime) -> dict[str, list[Series]]:
    """Every configured curve between start and end (non-numeric values are skipped)."""
    out: dict[str, list[Series]] = {}
    for spec in series:
        rows = store.series(spec.measurement, spec.field, start, end, spec.tags or None)
        points = [(when.timestamp(), float(value)) for when, value in rows
                  if isinstance(value, (int, float))]
        xs, ys = downsample(points, start.timestamp(), end.timestamp())
        out.setdefault(spec.chart, []).append((spec.label or spec.measurement, xs, ys))
    return out
