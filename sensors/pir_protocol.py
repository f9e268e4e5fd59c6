"""Lines printed by the PIR microcontroller [pure].

    PIR <sensor> 1        motion started at <sensor> (entry, kiosk, indoor)
    PIR <sensor> 0        motion ended
    TEMP <celsius>        the board's temperature, every few minutes

Anything else (boot banners, noise) is rejected and counted, never fatal.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

from sensors.errors import InputRejected, Reason


@dataclass(frozen=True)
class PirEdge:
    """A motion edge."""

    sensor: str
    state: int


@dataclass(frozen=True)
class BoardTemperature:
    """The microcontroller's temperature."""

    celsius: float


def format_edge(sensor: str, state: int) -> bytes:
    """The line the board prints for an edge."""
    return f"PIR {sensor} {state}\r\n".encode()


def format_temperature(celsius: float) -> bytes:
    """The line the board prints for its temperature."""
    return f"TEMP {celsius:.1f}\r\n".encode()


def parse_line(line: bytes, sensors: Collection[str],
               board_c: tuple[float, float] = (-20.0, 90.0)
               ) -> PirEdge | BoardTemperature | InputRejected:
    """Decode one line from the board."""
    line = line.strip(b"\r\n \t")
    if not line:
        return InputRejected(Reason.EMPTY)
    if any(b < 0x20 or b > 0x7E for b in line):
        return InputRejected(Reason.BINARY, f"{line[:40]!r}")
    words = line.decode().split()
    if words[0] == "PIR":
        if len(words) != 3 or words[2] not in ("0", "1"):
            return InputRejected(Reason.MALFORMED, f"{line[:60]!r}")
        if words[1] not in sensors:
            return InputRejected(Reason.UNKNOWN_SENSOR, words[1][:40])
        return PirEdge(words[1], int(words[2]))
    if words[0] == "TEMP" and len(words) == 2:
        try:
            celsius = float(words[1])
        except ValueError:
            return InputRejected(Reason.MALFORMED, f"{line[:60]!r}")
        if not math.isfinite(celsius) or not board_c[0] <= celsius <= board_c[1]:
            return InputRejected(Reason.ABSURD, f"board temperature {words[1][:20]}")
        return BoardTemperature(celsius)
    return InputRejected(Reason.MALFORMED, f"{line[:60]!r}")
