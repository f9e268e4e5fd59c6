"""Why input is rejected: one reason per rule, counted by the daemons."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """The rule a frame, line or reading broke."""

    EMPTY = "empty"
    BINARY = "binary"
    """Bytes that are not printable ASCII."""
    TOO_LONG = "too_long"
    TRUNCATED = "truncated"
    MALFORMED = "malformed"
    CHECKSUM = "checksum"
    UNKNOWN_UNIT = "unknown_unit"
    UNKNOWN_SENSOR = "unknown_sensor"
    DUPLICATE = "duplicate"
    ABSURD = "absurd"
    """A value outside the plausible bounds (battery 12 V, -80 °C indoors)."""
    UNPLUGGED = "unplugged"


@dataclass(frozen=True)
class InputRejected:
    """A parser's verdict on bad input (returned, never raised)."""

    reason: Reason
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else str(self.reason)


class SensorConfigError(ValueError):
    """A sensor cannot be set up as configured (bad device, unknown scanner)."""
