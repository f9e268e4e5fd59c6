"""The day's water and electricity for reports, read from a real metrics store with the
series the sensor daemons write (sensors/water.py, sensors/teleinfo.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.metrics import Point, SQLiteStore, to_line
from dialogs.service import day_growth
from dialogs.settings import DialogSettings

PARIS = dt.timezone(dt.timedelta(hours=1))
NOW = dt.datetime(2026, 11, 21, 18, 0, tzinfo=PARIS)


def test_day_growth_of_the_meters_as_the_daemons_write_them(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "m.sqlite")
    start = NOW.replace(hour=8)
    lines = []
    for minute in range(30):  # 2 litres a minute for half an hour
        at = start + dt.timedelta(minutes=minute)
        lines.append(to_line(Point("water", {"litres": 2.0}, {"slot": "60s"}, at)))
        lines.append(to_line(Point("power", {"total_wh": 1_000_000 + 100 * minute,
                                             "papp_va": 1500.0}, {}, at)))
    # the longer slots repeat the same litres: they must not be counted again
    lines.append(to_line(Point("water", {"litres": 30.0}, {"slot": "900s"}, start)))
    lines.append(to_line(Point("water", {"litres": 30.0}, {"slot": "900s"},
                               start + dt.timedelta(minutes=15))))
    # yesterday does not count
    lines.append(to_line(Point("water", {"litres": 500.0}, {"slot": "60s"},
                               start - dt.timedelta(days=1))))
    store.write_lines(lines)
    settings = DialogSettings()
    assert day_growth(store, settings.water, NOW) == 60.0
    assert day_growth(store, settings.power, NOW) == 2.9  # 2900 Wh in kWh
    empty = SQLiteStore(tmp_path / "empty.sqlite")
    assert day_growth(empty, settings.water, NOW) is None
    assert day_growth(empty, settings.power, NOW) is None
