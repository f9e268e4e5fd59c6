"""The MUTA line protocol spoken by our wireless units' radio receiver [pure].

One frame per line, ASCII, terminated by CR LF (a bare LF is accepted):

    $MUTA,<unit>,<seq>,<key>=<value>[,<key>=<value>...]*<crc>

- `unit`: the unit's radio id, 1-4 hex digits (mapped to a sensor name by the config);
- `seq`: the unit's frame counter, decimal 0-65535, wrapping; a unit repeats a frame (same
  seq) when it gets no radio acknowledgement, so receivers drop duplicates;
- keys: `T` temperature °C, `H` relative humidity %, `L` light lux, `B` battery volts; each
  optional, at least one present, values are decimal numbers;
- `crc`: CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of every byte between `$` and `*`,
  four upper-case hex digits.

Example: `$MUTA,01,42,T=21.50,H=45.0,B=2.95*7B1C`.
"""

from __future__ import annotations

import binascii
import math
from collections.abc import Mapping
from dataclasses import dataclass

from sensors.errors import InputRejected, Reason
from sensors.settings import Bounds, MutaUnit

PREFIX = b"$MUTA,"
KEYS = {"T": "temperature", "H": "humidity", "L": "light", "B": "battery"}
NAMES = {v: k for k, v in KEYS.items()}
SEQ_MODULO = 65536


@dataclass(frozen=True)
class MutaFrame:
    """A frame whose checksum and syntax are right."""

    unit_id: int
    seq: int
    values: Mapping[str, float]
    """Field name (temperature, humidity, light, battery) -> value."""


@dataclass(frozen=True)
class MutaReading:
    """A plausible reading from a known unit."""

    unit: str
    seq: int
    values: Mapping[str, float]


def checksum(body: bytes) -> str:
    """CRC-16/CCITT-FALSE of a frame body, as four hex digits."""
    return f"{binascii.crc_hqx(body, 0xFFFF):04X}"


def format_frame(unit_id: int, seq: int, values: Mapping[str, float]) -> bytes:
    """The line a unit sends (with CR LF) for these values; the simulator's encoder."""
    parts = [f"MUTA,{unit_id:02X},{seq % SEQ_MODULO}"]
    for name, value in values.items():
        parts.append(f"{NAMES[name]}={value:.2f}")
    body = ",".join(parts).encode()
    return b"$" + body + b"*" + checksum(body).encode() + b"\r\n"


def parse_frame(line: bytes) -> MutaFrame | InputRejected:
    """Check and decode one line (without or with its CR LF)."""
    line = line.strip(b"\r\n \t")
    if not line:
        return InputRejected(Reason.EMPTY)
    if any(b < 0x20 or b > 0x7E for b in line):
        return InputRejected(Reason.BINARY, f"{line[:40]!r}")
    if not line.startswith(PREFIX):
        return InputRejected(Reason.MALFORMED, f"no $MUTA prefix: {line[:40]!r}")
    body, star, crc = line[1:].rpartition(b"*")
    if not star:
        return InputRejected(Reason.TRUNCATED, "no checksum")
    if len(crc) != 4:
        return InputRejected(Reason.MALFORMED, f"checksum {crc[:8]!r} is not 4 hex digits")
    if crc.upper().decode() != checksum(body):
        return InputRejected(Reason.CHECKSUM, f"got {crc.decode()} expected {checksum(body)}")
    fields = body.decode().split(",")
    if len(fields) < 4:
        return InputRejected(Reason.MALFORMED, "no measurement")
    try:
        unit_id, seq = int(fields[1], 16), int(fields[2])
    except ValueError:
        return InputRejected(Reason.MALFORMED, f"bad unit or sequence {fields[1:3]}")
    if not 1 <= len(fields[1]) <= 4 or not 0 <= seq < SEQ_MODULO:
        return InputRejected(Reason.MALFORMED, f"unit or sequence out of range {fields[1:3]}")
    values: dict[str, float] = {}
    for item in fields[3:]:
        key, eq, text = item.partition("=")
        if not eq or key not in KEYS or KEYS[key] in values:
            return InputRejected(Reason.MALFORMED, f"bad field {item!r}")
        try:
            value = float(text)
        except ValueError:
            return InputRejected(Reason.MALFORMED, f"bad number {item!r}")
        if not math.isfinite(value):
            return InputRejected(Reason.MALFORMED, f"not a finite number {item!r}")
        values[KEYS[key]] = value
    return MutaFrame(unit_id, seq, values)


def check_values(values: Mapping[str, float], bounds: Bounds, *,
                 outdoor: bool) -> InputRejected | None:
    """Reject absurd values (battery 12 V, -80 °C indoors); None when plausible."""
    limits = {"temperature": bounds.outdoor_c if outdoor else bounds.indoor_c,
              "humidity": bounds.humidity, "light": bounds.light_lux,
              "battery": bounds.battery_v}
    for name, value in values.items():
        lo, hi = limits[name]
        if not lo <= value <= hi:
            return InputRejected(Reason.ABSURD, f"{name} {value} outside [{lo}, {hi}]")
    return None


def to_reading(frame: MutaFrame, units: Mapping[str, MutaUnit],
               bounds: Bounds) -> MutaReading | InputRejected:
    """Name the unit and check its values."""
    for name, unit in units.items():
        if int(unit.id, 16) == frame.unit_id:
            bad = check_values(frame.values, bounds, outdoor=unit.outdoor)
            return bad or MutaReading(name, frame.seq, frame.values)
    return InputRejected(Reason.UNKNOWN_UNIT, f"unit {frame.unit_id:02X}")


class Deduplicator:
    """Remembers the last few sequence numbers of each unit to drop radio repeats."""

    def __init__(self, window: int = 8) -> None:
        self.window = window
        self._recent: dict[int, list[int]] = {}

    def seen(self, unit_id: int, seq: int) -> bool:
        """True if this (unit, seq) came recently; otherwise remember it."""
        recent = self._recent.setdefault(unit_id, [])
        if seq in recent:
            return True
        recent.append(seq)
        del recent[:-self.window]
        return False
