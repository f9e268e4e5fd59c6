"""Simulated sensors: realistic streams of frames for a day in the demo house [pure + feed].

Each simulator has a `period_s` and `frames(now) -> list[bytes]` (what the device prints at
`now`); `feed()` writes them to a virtual serial port on a clock. Randomness comes from a
seeded `random.Random`, so a test can replay a day.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping
from typing import Protocol

from core.clock import Clock
from sensors import muta_protocol, pir_protocol, pulses, tic
from sensors.settings import MutaUnit
from sensors.vport import VirtualPort


class Simulator(Protocol):
    """A device that prints frames."""

    period_s: float

    def frames(self, now: dt.datetime) -> list[bytes]:
        """What the device sends at `now`."""


async def feed(port: VirtualPort, sim: Simulator, clock: Clock, *, count: int | None = None
               ) -> int:
    """Write the simulator's frames to the port every period (forever, or `count` periods)."""
    sent = 0
    while count is None or sent < count:
        for frame in sim.frames(clock.now()):
            await port.write(frame)
        sent += 1
        await clock.sleep(sim.period_s)
    return sent


def daylight(now: dt.datetime, latitude: float, longitude: float) -> float:
    """Outdoor illuminance (lux) from the sun's elevation (astral); 0 at night."""
    from astral import Observer
    from astral.sun import elevation
    elev = elevation(Observer(latitude, longitude), now)
    if elev <= -6:
        return 0.0
    if elev <= 0:
        return round(400 * (elev + 6) / 6, 1)  # civil twilight
    return round(400 + 100_000 * math.sin(math.radians(elev)), 1)


def outdoor_temperature(now: dt.datetime) -> float:
    """A mild day: coldest at 05:00, warmest at 15:00 (local time of `now`)."""
    hour = now.hour + now.minute / 60
    return 9.0 + 6.0 * math.cos((hour - 15) / 24 * 2 * math.pi)


class MutaSimulator:
    """Indoor units that warm when the heater relay is on; an outdoor unit following the sun."""

    def __init__(self, units: Mapping[str, MutaUnit], *, period_s: float = 60.0,
                 latitude: float = 48.8566, longitude: float = 2.3522, seed: int = 1) -> None:
        self.units = dict(units)
        self.period_s = period_s
        self.latitude, self.longitude = latitude, longitude
        self.heater_on = False
        """Set from the bus (HeatingState.relay) so temperatures respond to the heater."""
        self.repeat_probability = 0.05
        """A unit sometimes repeats its frame (no radio acknowledgement)."""
        self._rng = random.Random(seed)
        self._seq = {name: self._rng.randrange(1000) for name in units}
        self._temp = {name: 19.0 for name in units}
        self._last: dt.datetime | None = None

    def frames(self, now: dt.datetime) -> list[bytes]:
        """One frame per unit (sometimes twice)."""
        elapsed = (now - self._last).total_seconds() if self._last else 0.0
        self._last = now
        out = []
        outside = outdoor_temperature(now)
        for name, unit in self.units.items():
            if unit.outdoor:
                values = {"temperature": round(outside + self._rng.gauss(0, 0.2), 2),
                          "light": daylight(now, self.latitude, self.longitude)}
            else:
                # Newton cooling towards outside, plus ~1.5 °C/h from the heater
                t = self._temp[name]
                t += elapsed / 3600 * (0.08 * (outside - t) + (1.5 if self.heater_on else 0))
                self._temp[name] = t
                values = {"temperature": round(t + self._rng.gauss(0, 0.05), 2),
                          "humidity": round(50 + 8 * math.sin(now.hour / 3), 1)}
            values["battery"] = round(3.0 - self._rng.random() * 0.02, 2)
            self._seq[name] = (self._seq[name] + 1) % muta_protocol.SEQ_MODULO
            frame = muta_protocol.format_frame(int(unit.id, 16), self._seq[name], values)
            out.append(frame)
            if self._rng.random() < self.repeat_probability:
                out.append(frame)
        return out


class PirSimulator:
    """Motion at the kiosk and indoors in the evening, at the entry now and then."""

    def __init__(self, sensors: tuple[str, ...] = ("entry", "kiosk", "indoor"), *,
                 period_s: float = 30.0, seed: int = 2) -> None:
        self.sensors = sensors
        self.period_s = period_s
        self._rng = random.Random(seed)
        self._active: set[str] = set()
        self._last_temp: dt.datetime | None = None
        self.occupied = True
        """Someone is home: with the house away, nobody moves (no false intrusion)."""

    def frames(self, now: dt.datetime) -> list[bytes]:
        """Edges since the last period; the board temperature every 5 minutes."""
        out = []
        awake = 7 <= now.hour < 23
        if not self.occupied:  # the motion in progress ends; nothing new starts
            out += [pir_protocol.format_edge(sensor, 0) for sensor in sorted(self._active)]
            self._active.clear()
            awake = False
        for sensor in self.sensors:
            if sensor in self._active:
                if self._rng.random() < 0.6:
                    self._active.discard(sensor)
                    out.append(pir_protocol.format_edge(sensor, 0))
            elif self.occupied and self._rng.random() < (
                    (0.02 if sensor == "entry" else 0.1) if awake else 0.003):
                self._active.add(sensor)
                out.append(pir_protocol.format_edge(sensor, 1))
        if self._last_temp is None or (now - self._last_temp).total_seconds() >= 300:
            self._last_temp = now
            out.append(pir_protocol.format_temperature(35 + self._rng.random()))
        return out


class TeleinfoSimulator:
    """A meter in BASE option: base load, heater, evening cooking; counters that add up."""

    def __init__(self, mode: tic.Mode = "historique", *, period_s: float = 1.5,
                 seed: int = 3) -> None:
        self.mode: tic.Mode = mode
        self.period_s = period_s
        self.heater_on = False
        self._rng = random.Random(seed)
        self._index_wh = 12_345_678.0
        self._last: dt.datetime | None = None

    def power(self, now: dt.datetime) -> int:
        """Apparent power (VA) at `now`."""
        va = 250 + self._rng.randint(0, 80)
        if self.heater_on:
            va += 2000
        if 19 <= now.hour < 21:
            va += 1500
        return va

    def frames(self, now: dt.datetime) -> list[bytes]:
        """One frame."""
        va = self.power(now)
        if self._last is not None:
            self._index_wh += va * 0.95 * (now - self._last).total_seconds() / 3600
        self._last = now
        index, amps = f"{int(self._index_wh):09d}", f"{max(1, round(va / 230)):03d}"
        if self.mode == "historique":
            groups: list[tuple[str, str] | tuple[str, str, str]] = [
                ("ADCO", "031428067147"), ("OPTARIF", "BASE"), ("ISOUSC", "45"),
                ("BASE", index), ("PTEC", "TH.."), ("IINST", amps), ("IMAX", "090"),
                ("PAPP", f"{va:05d}"), ("HHPHC", "A"), ("MOTDETAT", "000000")]
        else:
            stamp = "E" + now.strftime("%y%m%d%H%M%S")
            groups = [("ADSC", "041876097482"), ("VTIC", "02"), ("DATE", "", stamp),
                      ("NGTF", "      BASE      "), ("LTARF", "      BASE      "),
                      ("EAST", index), ("EASF01", index), ("IRMS1", amps), ("URMS1", "232"),
                      ("PREF", "09"), ("SINSTS", f"{va:05d}"), ("SMAXSN", "04200", stamp),
                      ("NTARF", "01")]
        return [tic.format_frame(groups, self.mode)]


class WaterSimulator:
    """Showers, dishes and flushes by day; nothing at night unless a tap leaks."""

    def __init__(self, *, period_s: float = 10.0, leak: bool = False, seed: int = 4) -> None:
        self.period_s = period_s
        self.leak = leak
        self.total = 0
        self._rng = random.Random(seed)
        self._running = 0.0
        """Seconds left of the current draw."""

    def frames(self, now: dt.datetime) -> list[bytes]:
        """Pulses of the last period (one line per pulse) and the periodic total."""
        out = []
        awake = 7 <= now.hour < 23
        # a draw starts about every 2 h of idle daytime: 400-700 L a day, a family's use
        if self._running <= 0 and awake and self._rng.random() < 0.002 * self.period_s / 10:
            self._running = self._rng.choice([30, 60, 300, 600])
        pulses_now = 0
        if self._running > 0:
            pulses_now += max(1, round(self.period_s * 0.15))  # ~9 L/min at 1 L/pulse
            self._running -= self.period_s
        if self.leak and self._rng.random() < self.period_s / 120:
            pulses_now += 1  # a drip: ~0.5 L/min
        for _ in range(pulses_now):
            self.total += 1
            out.append(pulses.format_total(self.total))
        if not out:
            out.append(pulses.format_total(self.total))
        return out
