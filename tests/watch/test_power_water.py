"""Mains state machine and water/electricity checks [pure]."""

from __future__ import annotations

import datetime as dt

import pytest

from watch.power import Mains, Power, PowerEvent, normal_checks, parse_reading, step
from watch.water import last_night, leaking, over_maximum, slot_totals

T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_blackout_and_return_with_wait() -> None:
    mains = Mains()
    assert normal_checks(mains, T0, 120)
    mains, events = step(mains, False, T0)
    assert mains.state is Power.BLACKOUT and events == [PowerEvent.LOST]
    mains, events = step(mains, False, T0 + dt.timedelta(seconds=30))
    assert events == [] and not normal_checks(mains, T0, 120)
    back = T0 + dt.timedelta(minutes=10)
    mains, events = step(mains, True, back)
    assert mains.state is Power.POWER_OK and events == [PowerEvent.RETURNED]
    assert not normal_checks(mains, back + dt.timedelta(seconds=119), 120)
    assert normal_checks(mains, back + dt.timedelta(seconds=120), 120)


@pytest.mark.parametrize(("text", "on"), [("1\n", True), ("0", False), ("OB LB", False),
                                          ("OL", True), ("", True), ("blackout", False)])
def test_probe_readings(text: str, on: bool) -> None:
    assert parse_reading(text) is on


def test_last_night_window_in_house_time() -> None:
    now = dt.datetime(2024, 3, 1, 7, 0, tzinfo=dt.UTC)  # 08:00 in Paris
    start, end = last_night(now, dt.time(1), dt.time(5), "Europe/Paris")
    assert (start.day, start.hour, end.hour) == (1, 1, 5)
    start, _ = last_night(dt.datetime(2024, 3, 1, 2, 0, tzinfo=dt.UTC), dt.time(1),
                          dt.time(5), "Europe/Paris")
    assert start.day == 29  # the night before (Feb 29, 2024)
    start, end = last_night(now, dt.time(23), dt.time(5), "UTC")
    assert (start.day, start.hour, end.day, end.hour) == (29, 23, 1, 5)


def night(litres_per_slot: list[float]) -> list[tuple[dt.datetime, float]]:
    start = dt.datetime(2024, 3, 1, 1, 0, tzinfo=dt.UTC)
    return [(start + dt.timedelta(minutes=15 * i, seconds=30), v)
            for i, v in enumerate(litres_per_slot)]


def test_leak_when_no_quiet_slot() -> None:
    start = dt.datetime(2024, 3, 1, 1, 0, tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=4)
    assert leaking(night([0.4] * 16), start, end, 900)[0]
    assert not leaking(night([0.4] * 8 + [0.0] + [0.4] * 7), start, end, 900)[0]
    assert not leaking(night([0.4] * 10), start, end, 900)[0]  # last slots have no point = 0
    assert slot_totals(night([1, 2]), start, end, 1800)[0] == 3.0


def test_hourly_maxima() -> None:
    assert over_maximum(350, 300, "L")[0]
    assert not over_maximum(120, 300, "L")[0]
