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


def test_the_time_axis_speaks_the_house_language_on_its_clock(qtbot) -> None:
    """Ticks at the house's midnight and hours, labelled "sam. 21" and "15:00" in Paris time
    (pyqtgraph's own axis said "Sat 21", on the machine's time zone)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from kiosk.texts import Texts
    from kiosk.widgets.charts import ChartsPage
    paris = ZoneInfo("Europe/Paris")
    start = dt.datetime(2026, 11, 20, 12, 0, tzinfo=paris).timestamp()
    curve = ("salon", [start, start + 86400], [19.0, 20.0])
    for lang, day in (("fr", "sam. 21"), ("en", "Sat 21")):
        page = ChartsPage(Texts(lang), lambda: dt.datetime(2026, 11, 21, 15, tzinfo=paris))
        qtbot.addWidget(page)
        page.resize(1000, 700)
        page.show_series({"temperature": [curve]})
        page.grab()  # drawn once, as on the screen
        axis = page.plots["temperature"].getAxis("bottom")
        (day_step, days), (hour_step, hours) = axis.tickValues(start, start + 86400, 800)
        assert days == [dt.datetime(2026, 11, 21, tzinfo=paris).timestamp()]  # Paris midnight
        assert axis.tickStrings(days, 1, day_step) == [day]
        labels = axis.tickStrings(hours, 1, hour_step)
        assert labels == [dt.datetime.fromtimestamp(h, paris).strftime("%H:%M") for h in hours]
        assert all(label.endswith(":00") for label in labels), labels


def test_the_time_axis_follows_the_house_clock_not_the_machine(qtbot) -> None:
    """An accelerated house may live in the other half of the year than the machine: the
    axis' midnight is on the house's UTC offset of its now (summer time in July), at start
    and at each redraw."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from kiosk.texts import Texts
    from kiosk.widgets.charts import ChartsPage
    paris = ZoneInfo("Europe/Paris")
    winter = dt.datetime(2031, 1, 15, 12, tzinfo=paris)
    summer = dt.datetime(2031, 7, 15, 12, tzinfo=paris)
    machine = dt.datetime.now(paris).utcoffset()
    first, then = (summer, winter) if machine == winter.utcoffset() else (winter, summer)
    house = [first]
    page = ChartsPage(Texts("fr"), lambda: house[0])
    qtbot.addWidget(page)
    axis = page.plots["temperature"].getAxis("bottom")
    assert axis.utcOffset == -first.utcoffset().total_seconds() != \
        -machine.total_seconds()
    house[0] = then  # the house's clock crossed a DST change
    page.show_series({})
    assert axis.utcOffset == -then.utcoffset().total_seconds()
