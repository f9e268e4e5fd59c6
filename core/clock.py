"""Time as a dependency: every rule takes `now`, every service gets a Clock.

`SystemClock` is the real one; `ManualClock` is moved by tests (days replayed in
milliseconds); `FastClock` runs simulated time faster than wall time for demos and soaks.

Two times run in a service. *House time* (the service's clock) is what the house lives by:
schedules, readings, absences, the night. *Machine time* is always wall time: how often a
process says it is alive, how long a restart or a hiccup of a busy machine takes. Liveness is
judged in machine time, so a house replayed at ×1000 keeps the supervision of a real one
(a heartbeat every 10 s, not every 10 ms; a 2 s restart is 2 s, not half an hour).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Where services read the time and wait."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware."""

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""


class SystemClock:
    """Wall time in the house's time zone."""

    def __init__(self, tz: str | dt.tzinfo = "UTC") -> None:
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz

    speed = 1.0
    """House seconds per wall second."""

    def now(self) -> dt.datetime:
        """The current wall time."""
        return dt.datetime.now(self.tz)

    async def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that only moves when told: `advance()` wakes the sleepers that are due."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start
        self._sleepers: list[tuple[dt.datetime, asyncio.Future[None]]] = []

    def now(self) -> dt.datetime:
        """The clock's current time."""
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock has been advanced past `seconds` from now."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self._now + dt.timedelta(seconds=seconds), future))
        await future

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper that is due."""
        self._now += dt.timedelta(seconds=seconds)
        due = [(t, f) for t, f in self._sleepers if t <= self._now]
        self._sleepers = [(t, f) for t, f in self._sleepers if t > self._now]
        for _, future in due:
            if not future.done():
                future.set_result(None)


class FastClock:
    """Simulated time running `speed` times faster than wall time, from `start`.

    `wall0` (epoch seconds when simulated time was `start`) lets several processes share
    one simulated time; it defaults to now.
    """

    def __init__(self, start: dt.datetime, speed: float, wall0: float | None = None) -> None:
        if start.tzinfo is None or speed <= 0:
            raise ValueError("FastClock needs a timezone-aware start and a positive speed")
        self._start, self._speed = start, speed
        self._t0 = time.time() if wall0 is None else wall0

    @property
    def speed(self) -> float:
        """How many simulated seconds pass per wall second."""
        return self._speed

    def now(self) -> dt.datetime:
        """Simulated now."""
        return self._start + dt.timedelta(seconds=(time.time() - self._t0) * self._speed)

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of simulated time."""
        await asyncio.sleep(seconds / self._speed)


def house_seconds(clock: Clock, wall_s: float) -> float:
    """How much house time passes during `wall_s` seconds of machine time on `clock`
    (a ManualClock, moved by hand, counts as real time)."""
    return wall_s * float(getattr(clock, "speed", 1.0))


ENV_VAR = "BASECAMP_CLOCK"
"""`speed=60,start=2026-11-21T08:00:00+01:00,wall0=1795248000.0`: every service started with
this in its environment shares one accelerated simulated time (demos, soaks, scenarios)."""


def clock_spec(speed: float, start: dt.datetime, wall0: float | None = None) -> str:
    """The BASECAMP_CLOCK value for an accelerated house."""
    wall0 = time.time() if wall0 is None else wall0
    return f"speed={speed:g},start={start.isoformat()},wall0={wall0}"


def from_environment(tz: str) -> Clock:
    """The clock services use: FastClock when $BASECAMP_CLOCK says so, else SystemClock."""
    spec = os.environ.get(ENV_VAR, "").strip()
    if not spec:
        return SystemClock(tz)
    try:
        parts = dict(item.split("=", 1) for item in spec.split(","))
        return FastClock(dt.datetime.fromisoformat(parts["start"]), float(parts["speed"]),
                         float(parts["wall0"]))
    except (KeyError, ValueError) as err:
        raise ValueError(f"${ENV_VAR} must look like speed=60,start=ISO,wall0=EPOCH: {err}") \
            from err
