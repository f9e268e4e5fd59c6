"""Water meter pulses: counter lines, deltas, and consumption slots [pure].

The serial pulse counter prints its running total, `W <pulses>` (decimal, wrapping at 2^32),
after every pulse and every 10 s. Totals survive lost lines; a smaller total means the counter
restarted. Slots are epoch-aligned; a slot is emitted only if the daemon watched all of it, so
a zero slot really means "no water ran" (the sentinel's night leak check relies on it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sensors.aggregate import window_start
from sensors.errors import InputRejected, Reason

WRAP = 2 ** 32


@dataclass(frozen=True)
class Slot:
    """Consumption in one complete slot."""

    start: dt.datetime
    seconds: float
    pulses: int


def format_total(total: int) -> bytes:
    """The counter's line."""
    return f"W {total % WRAP}\r\n".encode()


def parse_total(line: bytes) -> int | InputRejected:
    """The running total in a `W <pulses>` line."""
    line = line.strip(b"\r\n \t")
    if not line:
        return InputRejected(Reason.EMPTY)
    if any(b < 0x20 or b > 0x7E for b in line):
        return InputRejected(Reason.BINARY, f"{line[:40]!r}")
    head, _, number = line.partition(b" ")
    if head != b"W" or not number.isdigit() or len(number) > 10 or int(number) >= WRAP:
        return InputRejected(Reason.MALFORMED, f"{line[:40]!r}")
    return int(number)


def pulse_delta(previous: int | None, total: int, *, max_step: int = 100_000) -> int:
    """New pulses since the previous total (0 for the first; a restart counts from 0)."""
    if previous is None:
        return 0
    step = (total - previous) % WRAP
    return total if step > max_step else step


class SlotMeter:
    """Pulses into complete slots of one length."""

    def __init__(self, slot_s: float, started: dt.datetime) -> None:
        self.slot_s = slot_s
        self._start = window_start(started, slot_s)
        self._complete = self._start == started  # a slot joined midway is not emitted
        self._pulses = 0
        self._down = False

    def add(self, pulses: int, now: dt.datetime) -> list[Slot]:
        """Count pulses seen at `now` (the input works again if it was lost); returns the
        slots that ended before."""
        out = self.resume(now) if self._down else self.close_due(now)
        self._pulses += pulses
        return out

    def close_due(self, now: dt.datetime) -> list[Slot]:
        """Slots that ended at or before `now` (zero slots included)."""
        out: list[Slot] = []
        while now >= self._start + dt.timedelta(seconds=self.slot_s):
            if self._complete:
                out.append(Slot(self._start, self.slot_s, self._pulses))
            self._start += dt.timedelta(seconds=self.slot_s)
            self._pulses, self._complete = 0, not self._down
        return out

    def lost(self) -> None:
        """The input went away: slots until `resume` are not trustworthy."""
        self._down, self._complete = True, False

    def resume(self, now: dt.datetime) -> list[Slot]:
        """The input is back: slots that ended meanwhile are dropped, this one too."""
        out = self.close_due(now)
        self._down, self._complete = False, False
        return out
