"""MUTA frames: checksum, syntax, units, plausibility, duplicates; random bytes never crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensors.errors import InputRejected, Reason
from sensors.muta_protocol import (
    Deduplicator,
    MutaFrame,
    MutaReading,
    checksum,
    format_frame,
    parse_frame,
    to_reading,
)
from sensors.settings import Bounds, SensorSettings

UNITS = SensorSettings().muta.units


def test_known_checksum_crc16_ccitt_false() -> None:
    assert checksum(b"123456789") == "29B1"  # the CRC catalogue's check value


def test_round_trip() -> None:
    line = format_frame(1, 42, {"temperature": 21.5, "humidity": 45.0, "battery": 2.95})
    assert line.startswith(b"$MUTA,01,42,T=21.50,H=45.00,B=2.95*") and line.endswith(b"\r\n")
    frame = parse_frame(line)
    assert frame == MutaFrame(1, 42, {"temperature": 21.5, "humidity": 45.0, "battery": 2.95})


@pytest.mark.parametrize(("line", "reason"), [
    (b"", Reason.EMPTY),
    (b"\x00\xff\x13garbage", Reason.BINARY),
    (b"$NMEA,01,1,T=1*0000", Reason.MALFORMED),
    (b"$MUTA,01,42,T=21.50", Reason.TRUNCATED),
    (b"$MUTA,01,42,T=21.50*12", Reason.MALFORMED),
    (b"$MUTA,01,42,T=21.50*0000", Reason.CHECKSUM),
])
def test_rejects(line: bytes, reason: Reason) -> None:
    result = parse_frame(line)
    assert isinstance(result, InputRejected) and result.reason == reason


def _signed(body: str) -> bytes:
    return b"$" + body.encode() + b"*" + checksum(body.encode()).encode()


@pytest.mark.parametrize("body", ["MUTA,01,42", "MUTA,01,42,X=1", "MUTA,01,42,T=1,T=2",
                                  "MUTA,01,-1,T=1", "MUTA,01,70000,T=1", "MUTA,zz,1,T=1",
                                  "MUTA,01,1,T=nan", "MUTA,01,1,T=abc", "MUTA,12345,1,T=1"])
def test_signed_but_malformed(body: str) -> None:
    result = parse_frame(_signed(body))
    assert isinstance(result, InputRejected) and result.reason == Reason.MALFORMED


def test_one_flipped_byte_fails_the_checksum() -> None:
    line = bytearray(format_frame(2, 7, {"temperature": 19.25}))
    line[line.index(b"19")] = ord("2")
    result = parse_frame(bytes(line))
    assert isinstance(result, InputRejected) and result.reason == Reason.CHECKSUM


@pytest.mark.parametrize(("unit_id", "values", "expected"), [
    (1, {"temperature": 21.0}, MutaReading("salon", 1, {"temperature": 21.0})),
    (3, {"temperature": -20.0, "light": 50000}, MutaReading("exterieur", 1,
                                                             {"temperature": -20.0,
                                                              "light": 50000})),
    (1, {"temperature": -80.0}, Reason.ABSURD),   # -80 °C indoors
    (3, {"temperature": -80.0}, Reason.ABSURD),
    (2, {"battery": 12.0}, Reason.ABSURD),        # battery 12 V
    (2, {"humidity": 130.0}, Reason.ABSURD),
    (9, {"temperature": 20.0}, Reason.UNKNOWN_UNIT),
])
def test_readings(unit_id: int, values: dict[str, float], expected: object) -> None:
    result = to_reading(MutaFrame(unit_id, 1, values), UNITS, Bounds())
    if isinstance(expected, Reason):
        assert isinstance(result, InputRejected) and result.reason == expected
    else:
        assert result == expected


def test_duplicates_dropped_per_unit() -> None:
    dedup = Deduplicator(window=3)
    assert [dedup.seen(1, s) for s in (5, 5, 6, 5)] == [False, True, False, True]
    assert dedup.seen(2, 5) is False
    for s in (7, 8, 9):
        dedup.seen(1, s)
    assert dedup.seen(1, 5) is False  # out of the window: a new frame after wrap-around


@given(st.binary(max_size=300))
def test_random_bytes_never_crash(data: bytes) -> None:
    result = parse_frame(data)
    assert isinstance(result, (MutaFrame, InputRejected))


@given(st.integers(0, 0xFFFF), st.integers(0, 65535),
       st.dictionaries(st.sampled_from(["temperature", "humidity", "light", "battery"]),
                       st.floats(-1000, 100000, allow_nan=False).map(lambda v: round(v, 2)),
                       min_size=1))
def test_any_frame_round_trips(unit: int, seq: int, values: dict[str, float]) -> None:
    frame = parse_frame(format_frame(unit, seq, values))
    assert isinstance(frame, MutaFrame)
    assert (frame.unit_id, frame.seq) == (unit, seq)
    assert frame.values == pytest.approx(values, abs=0.006)
