"""Téléinfo: checksums of both modes, frame splitting, readings; random bytes never crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensors.errors import InputRejected, Reason
from sensors.tic import (
    FrameSplitter,
    PowerReading,
    TicFrame,
    checksum,
    format_frame,
    parse_frame,
    parse_group,
    to_reading,
)

# Groups captured from real meters (historique: a Linky/CBE in "HC" option; standard: a Linky),
# as published in open-source Téléinfo projects' READMEs. Two historique checksums are spaces.
HIST_GROUPS = [b"IINST 001 X", b"IMAX 002 A", b"PAPP 00180 *", b"HHPHC A ,",
               b"MOTDETAT 000000 B", b"OPTARIF HC.. <", b"ISOUSC 15 <", b"HCHP 001742238 .",
               b"PTEC HP..  ", b"HCHC 000723392  ", b"IINST 008 _", b"PAPP 01890 3",
               b"HCHC 052890470 )", b"HCHP 049126843 8"]
STD_GROUPS = [b"VTIC\t02\tJ", b"DATE\tE200426181830\t\tA", b"EAST\t006231973\t.",
              b"EASF02\t000000000\t#", b"URMS1\t235\tD", b"PCOUP\t09\t\"",
              b"SINSTS\t01163\tQ", b"SMAXSN\tE200426132229\t06100\t2",
              b"MSG1\t     PAS DE          MESSAGE    \t<", b"IRMS1\t001\t/",
              b"CCASN-1\tH190323153000\t00084\t "]


@pytest.mark.parametrize("group", HIST_GROUPS)
def test_historique_groups_from_the_spec(group: bytes) -> None:
    assert isinstance(parse_group(group, "historique"), tuple)


@pytest.mark.parametrize("group", STD_GROUPS)
def test_standard_groups_from_the_spec(group: bytes) -> None:
    assert isinstance(parse_group(group, "standard"), tuple)


def test_standard_group_with_horodate() -> None:
    assert parse_group(b"SMAXSN\tE200426132229\t06100\t2", "standard") == \
        ("SMAXSN", "06100", "E200426132229")
    assert parse_group(b"DATE\tE200426181830\t\tA", "standard") == \
        ("DATE", "", "E200426181830")


def test_checksum_may_be_a_space() -> None:
    assert checksum(b"PTEC HP..") == 0x20
    assert parse_group(b"PTEC HP..  ", "historique") == ("PTEC", "HP..", "")
    assert isinstance(parse_group(b"PTEC HP.. !", "historique"), InputRejected)


def test_historique_frame_to_reading() -> None:
    raw = format_frame([("ADCO", "020830029167"), ("OPTARIF", "HC.."), ("HCHC", "001234567"),
                        ("HCHP", "007654321"), ("PTEC", "HP.."), ("IINST", "012"),
                        ("PAPP", "02870")], "historique")
    frame = parse_frame(raw, "historique")
    assert isinstance(frame, TicFrame)
    assert to_reading(frame) == PowerReading(2870, 12, {"HCHC": 1234567, "HCHP": 7654321},
                                             "HP", "020830029167")


def test_standard_frame_to_reading() -> None:
    raw = format_frame([("ADSC", "041876097482"), ("DATE", "", "E240101120000"),
                        ("EAST", "000106637"), ("EASF01", "000100000"), ("LTARF", "HEURE PLEINE"),
                        ("IRMS1", "004"), ("SINSTS", "00950"),
                        ("SMAXSN", "03100", "E240101083000")], "standard")
    frame = parse_frame(raw, "standard")
    assert isinstance(frame, TicFrame) and frame.dates["SMAXSN"] == "E240101083000"
    assert to_reading(frame) == PowerReading(950, 4, {"EAST": 106637, "EASF01": 100000},
                                             "HEURE PLEINE", "041876097482")


@pytest.mark.parametrize(("raw", "reason"), [
    (b"\x02\x03", Reason.EMPTY),
    (b"\x02\nPAPP 00390 -\r\nIINST 002 Z\r\x03", Reason.CHECKSUM),
    (b"\x02\nPAPP 00390 -\r\nIIN", Reason.TRUNCATED),
    (b"\x02\nPAPP 00390\r\x03", Reason.MALFORMED),
])
def test_frame_rejects(raw: bytes, reason: Reason) -> None:
    result = parse_frame(raw, "historique")
    assert isinstance(result, InputRejected) and result.reason == reason


@pytest.mark.parametrize(("groups", "reason"), [
    ([("IINST", "002")], Reason.MALFORMED),              # no PAPP
    ([("PAPP", "9x390")], Reason.MALFORMED),
    ([("PAPP", "99999")], Reason.ABSURD),
    ([("PAPP", "00100"), ("BASE", "12a")], Reason.MALFORMED),
])
def test_reading_rejects(groups: list[tuple[str, str]], reason: Reason) -> None:
    frame = parse_frame(format_frame(groups, "historique"), "historique")
    assert isinstance(frame, TicFrame)
    result = to_reading(frame)
    assert isinstance(result, InputRejected) and result.reason == reason


def test_splitter_across_chunks_with_parity_and_garbage() -> None:
    one = format_frame([("PAPP", "00100")], "historique")
    two = format_frame([("PAPP", "00200")], "historique")
    stream = b"noise\nPAPP 0" + one + b"\x80\x81" + bytes(b | 0x80 for b in two)
    splitter = FrameSplitter()
    frames: list[bytes | InputRejected] = []
    for i in range(0, len(stream), 7):
        frames += splitter.feed(stream[i:i + 7])
    papps = [to_reading(parse_frame(f, "historique")).papp_va  # type: ignore[union-attr,arg-type]
             for f in frames]
    assert papps == [100, 200]


def test_splitter_eot_and_missing_etx() -> None:
    splitter = FrameSplitter()
    out = splitter.feed(b"\x02\nPAPP 00100 .\r\x04\x02\nPA\x02\nPAPP 00200 /\r\x03")
    assert [o.reason if isinstance(o, InputRejected) else o for o in out] == \
        [Reason.TRUNCATED, Reason.TRUNCATED, b"\nPAPP 00200 /\r"]


def test_splitter_bounds_memory() -> None:
    splitter = FrameSplitter(max_frame=100)
    out = splitter.feed(b"\x02" + b"A" * 500)
    assert [o.reason for o in out if isinstance(o, InputRejected)] == [Reason.TOO_LONG]


@given(st.binary(max_size=400), st.sampled_from(["historique", "standard"]))
def test_random_bytes_never_crash(data: bytes, mode: str) -> None:
    for item in [*FrameSplitter().feed(data), data]:
        if isinstance(item, bytes):
            frame = parse_frame(item, mode)  # type: ignore[arg-type]
            if isinstance(frame, TicFrame):
                assert isinstance(to_reading(frame), (PowerReading, InputRejected))
