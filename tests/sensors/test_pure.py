"""PIR lines, water totals and slots, line splitting, aggregation; random input never crashes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensors.aggregate import Aggregator
from sensors.errors import InputRejected, Reason
from sensors.lines import LineSplitter
from sensors.pir_protocol import BoardTemperature, PirEdge, parse_line
from sensors.pulses import Slot, SlotMeter, parse_total, pulse_delta
from sensors.rooms_model import RssiReading, parse_reading
from sensors.simulate import WaterSimulator
from watch.settings import WaterWatch

T0 = dt.datetime(2026, 1, 15, 0, 0, tzinfo=dt.UTC)
SENSORS = ("entry", "kiosk", "indoor")


@pytest.mark.parametrize(("line", "expected"), [
    (b"PIR entry 1\r\n", PirEdge("entry", 1)),
    (b"PIR kiosk 0", PirEdge("kiosk", 0)),
    (b"TEMP 36.5", BoardTemperature(36.5)),
    (b"PIR entry 2", Reason.MALFORMED),
    (b"PIR garage 1", Reason.UNKNOWN_SENSOR),
    (b"TEMP -300", Reason.ABSURD),
    (b"TEMP nan", Reason.ABSURD),
    (b"\x00\x01", Reason.BINARY),
    (b"   ", Reason.EMPTY),
])
def test_pir_lines(line: bytes, expected: object) -> None:
    result = parse_line(line, SENSORS)
    if isinstance(expected, Reason):
        assert isinstance(result, InputRejected) and result.reason == expected
    else:
        assert result == expected


@pytest.mark.parametrize(("line", "expected"), [
    (b"W 0", 0), (b"W 4294967295\r\n", 4294967295), (b"W 4294967296", Reason.MALFORMED),
    (b"W -1", Reason.MALFORMED), (b"X 1", Reason.MALFORMED), (b"W", Reason.MALFORMED)])
def test_water_totals(line: bytes, expected: object) -> None:
    result = parse_total(line)
    assert (result.reason if isinstance(result, InputRejected) else result) == expected


@pytest.mark.parametrize(("previous", "total", "delta"), [
    (None, 500, 0), (500, 503, 3), (2**32 - 2, 1, 3), (90_000_000, 4, 4)])
def test_pulse_delta_wraps_and_restarts(previous: int | None, total: int, delta: int) -> None:
    assert pulse_delta(previous, total) == delta


def test_slots_zero_partial_and_gap() -> None:
    meter = SlotMeter(60, T0 + dt.timedelta(seconds=30))    # joined midway: not emitted
    assert meter.add(3, T0 + dt.timedelta(seconds=40)) == []
    assert meter.close_due(T0 + dt.timedelta(seconds=150)) == [
        Slot(T0 + dt.timedelta(seconds=60), 60, 0)]
    meter.add(2, T0 + dt.timedelta(seconds=170))
    meter.lost()                                               # unplugged at 170 s
    assert meter.close_due(T0 + dt.timedelta(seconds=400)) == []
    assert meter.add(0, T0 + dt.timedelta(seconds=410)) == []  # back: this slot is partial
    assert meter.add(1, T0 + dt.timedelta(seconds=490)) == [
        Slot(T0 + dt.timedelta(seconds=420), 60, 0)]         # a whole slot watched: zero
    assert meter.close_due(T0 + dt.timedelta(seconds=540)) == [
        Slot(T0 + dt.timedelta(seconds=480), 60, 1)]


def test_line_splitter_bounds_and_truncation() -> None:
    splitter = LineSplitter(max_line=10)
    out = splitter.feed(b"abc\r\nde") + splitter.feed(b"f\n" + b"x" * 30) + \
        splitter.feed(b"yy\nok\n")
    assert [o.reason if isinstance(o, InputRejected) else o for o in out] == \
        [b"abc", b"def", Reason.TOO_LONG, b"ok"]
    splitter.feed(b"partial")
    assert [r.reason for r in splitter.reset()] == [Reason.TRUNCATED]


def test_aggregator_windows() -> None:
    agg = Aggregator(600)
    for minute, value in ((1, 10.0), (5, 14.0), (9, 12.0)):
        assert agg.add({"unit": "salon"}, {"t": value, "wh": 100 + minute},
                       T0 + dt.timedelta(minutes=minute)) == []
    closed = agg.add({"unit": "salon"}, {"t": 1.0, "wh": 200}, T0 + dt.timedelta(minutes=11))
    point = closed[0].to_point("muta", counters=["wh"])
    assert point.measurement == "muta_agg" and point.time == T0
    assert dict(point.tags) == {"unit": "salon", "interval": "600s"}
    assert {k: point.fields[k] for k in ("t_mean", "t_min", "t_max", "t_count", "wh_diff")} \
        == {"t_mean": 12.0, "t_min": 10.0, "t_max": 14.0, "t_count": 3, "wh_diff": 8}
    assert "t_diff" not in point.fields
    assert agg.close_due(T0 + dt.timedelta(minutes=19)) == []
    assert len(agg.close_due(T0 + dt.timedelta(minutes=20))) == 1


@given(st.binary(max_size=200))
def test_random_bytes_pir_water_lines(data: bytes) -> None:
    assert isinstance(parse_line(data, SENSORS), (PirEdge, BoardTemperature, InputRejected))
    result = parse_total(data)
    assert isinstance(result, (int, InputRejected))
    for line in LineSplitter(max_line=50).feed(data):
        assert isinstance(line, (bytes, InputRejected))


json_values = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
                           lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=20)


@given(json_values)
def test_random_json_readings(data: object) -> None:
    assert isinstance(parse_reading(data), (RssiReading, InputRejected))


@pytest.mark.parametrize("seed", [1, 4, 7])
def test_simulated_water_is_a_household_not_a_burst_pipe(seed: int) -> None:
    # the demo house runs this simulator under the sentinel's hourly maximum: a week of it
    # must look like a family's use (it once drew ~5000 L a day, 300 L in most hours)
    sim = WaterSimulator(seed=seed)
    start = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    per_hour: dict[int, int] = {}
    for i in range(7 * 8640):
        now = start + dt.timedelta(seconds=10 * i)
        before = sim.total
        sim.frames(now)
        hour = i // 360
        per_hour[hour] = per_hour.get(hour, 0) + sim.total - before
    assert 100 <= sim.total / 7 <= 1500
    assert max(per_hour.values()) <= WaterWatch().max_litres_per_hour
