"""Thinning chart series [pure]."""

from __future__ import annotations

import datetime as dt

from core.metrics import Point, SQLiteStore, to_line
from kiosk.chartdata import downsample, query_charts
from kiosk.settings import ChartSeries


def test_downsample_means_per_slice() -> None:
    xs, ys = downsample([(0, 1.0), (1, 3.0), (5, 10.0), (12, 99.0)], 0, 10, buckets=2)
    assert xs == [0.5, 5.0] and ys == [2.0, 10.0]  # 12 is outside [0, 10)
    assert downsample([], 0, 10) == ([], [])


def test_query_charts_groups_curves_by_chart(tmp_path) -> None:
    store = SQLiteStore(tmp_path / "m.sqlite")
    end = dt.datetime(2024, 3, 12, 12, tzinfo=dt.UTC)
    store.write_lines([to_line(Point("water", {"litres": float(i), "note": "x"},
                                     time=end - dt.timedelta(hours=i))) for i in range(1, 4)])
    out = query_charts(store, [ChartSeries("eau", "water", "litres", {}, "water"),
                               ChartSeries("", "water", "note", {}, "water")],
                       end - dt.timedelta(days=1), end)
    assert [c[0] for c in out["water"]] == ["eau", "water"]
    assert out["water"][0][2] == [3.0, 2.0, 1.0] and out["water"][1][1] == []
