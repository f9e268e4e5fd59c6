"""What every sensor daemon shares: its serial source (real or simulated), reject counting,
and aggregated metrics [io]."""

from __future__ import annotations

import collections
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import serial

from core.messages.sensors import SensorError
from core.metrics import Point, to_ns
from core.service import Runtime
from sensors.aggregate import Aggregator, Window
from sensors.errors import InputRejected, Reason
from sensors.serial_link import SerialLink
from sensors.settings import SIM, SensorSettings
from sensors.simulate import Simulator, feed
from sensors.vport import VirtualPort

_LOGGER = logging.getLogger(__name__)


def settings(rt: Runtime) -> SensorSettings:
    """The `[sensors]` section."""
    return rt.config.section("sensors", SensorSettings)


class Rejects:
    """Counts rejected input per reason: /status, `sensor_errors` metrics, SensorError."""

    def __init__(self, rt: Runtime, sensor: str) -> None:
        self.rt, self.sensor = rt, sensor
        self.total: collections.Counter[str] = collections.Counter()
        self._pending: collections.Counter[str] = collections.Counter()
        rt.status["rejected"] = lambda: dict(self.total)

    def __call__(self, rejected: InputRejected) -> None:
        """Count one reject (never raises)."""
        reason = str(rejected.reason)
        self.total[reason] += 1
        self._pending[reason] += 1
        self.rt.counters[f"rejected_{reason}"] += 1
        if self.total[reason] in (1, 10, 100) or self.total[reason] % 1000 == 0:
            _LOGGER.warning("%s: rejected %s (#%d of this kind)", self.sensor, rejected,
                            self.total[reason])

    def flush(self, now: dt.datetime) -> None:
        """Publish and record the rejects counted since the last flush."""
        for reason, count in sorted(self._pending.items()):
            self.rt.publish(SensorError(self.sensor, reason, count))
            self.rt.metrics.write(Point("sensor_errors", {"count": count},
                                        {"sensor": self.sensor, "reason": reason}, now))
        self._pending.clear()


class Aggregates:
    """An Aggregator whose closed windows become `<measurement>_agg` points."""

    def __init__(self, rt: Runtime, measurement: str, interval_s: float,
                 counters: Iterable[str] = ()) -> None:
        self.rt, self.measurement = rt, measurement
        self.counters = tuple(counters)
        self.aggregator = Aggregator(interval_s)
        self.windows = 0
        rt.on_stop(self._close)

    def add(self, tags: Mapping[str, str], values: Mapping[str, float],
            now: dt.datetime) -> None:
        """Fold a reading in; write windows it closed."""
        self._write(self.aggregator.add(tags, values, now))

    def tick(self, now: dt.datetime) -> None:
        """Write windows that have ended."""
        self._write(self.aggregator.close_due(now))

    def _write(self, windows: list[Window]) -> None:
        if windows:
            self.windows += len(windows)
            self.rt.metrics.write([w.to_point(self.measurement, self.counters)
                                   for w in windows])

    def _close(self) -> None:
        # windows still open at stop are partial: written so no reading is lost from them
        self._write(self.aggregator.close_all())


class Stamper:
    """Strictly increasing nanosecond times, so two readings of a series never share one
    (InfluxDB would keep only the last)."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self, now: dt.datetime) -> int:
        """The time of a reading taken at `now`."""
        self._last = max(to_ns(now), self._last + 1)
        return self._last


def serial_link(rt: Runtime, sensor: str, device: str, baudrate: int,
                simulator: Simulator | None = None, *, seven_e_one: bool = False) -> SerialLink:
    """The daemon's serial device; `sim` starts the simulator on a pty pair in this process."""
    s = settings(rt)
    port = None
    if device == SIM:
        if simulator is None:
            raise ValueError(f"{sensor}: no simulator for device 'sim'")
        port = VirtualPort()
        rt.on_stop(port.close)
        device = port.path
        _LOGGER.info("%s: simulated device on %s", sensor, device)
    link = SerialLink(device, baudrate, backoff=s.reconnect_s,
                      bytesize=serial.SEVENBITS if seven_e_one else serial.EIGHTBITS,
                      parity=serial.PARITY_EVEN if seven_e_one else serial.PARITY_NONE)
    if port is not None and simulator is not None:
        async def simulate() -> None:
            # pyserial flushes the input on open: start talking once the daemon listens
            await link.wait_connected()
            await feed(port, simulator, rt.clock)
        rt.spawn(simulate(), name=f"{sensor}-simulator")
    rt.status["serial"] = link.status
    return link


def lost_device(rejects: Rejects, leftovers: Iterable[InputRejected]) -> None:
    """The device went away: count it and any partial frame it left."""
    rejects(InputRejected(Reason.UNPLUGGED))
    for item in leftovers:
        rejects(item)


async def pump(rt: Runtime, link: SerialLink, splitter: Any, rejects: Rejects,
               decode: Callable[[Any], Any], handle: Callable[[Any, dt.datetime], list[Point]]
               ) -> None:
    """Read a device forever: split its bytes, decode each frame (a `InputRejected` is counted),
    hand each reading to `handle`, and write the points of one chunk in one batch."""
    async for chunk in link.chunks():
        if chunk is None:
            lost_device(rejects, splitter.reset())
            continue
        now = rt.clock.now()
        points: list[Point] = []
        for item in splitter.feed(chunk):
            reading = item if isinstance(item, InputRejected) else decode(item)
            if isinstance(reading, InputRejected):
                rejects(reading)
            else:
                points.extend(handle(reading, now))
        if points:
            rt.metrics.write(points)


def heater_relay(rt: Runtime, *simulators: Any) -> None:
    """Let simulated rooms and meters follow the heater relay announced on the bus."""
    from core.messages.heating import HeatingState

    def on_state(envelope: Any) -> None:
        relay = bool(HeatingState.from_envelope(envelope).relay)
        for sim in simulators:
            sim.heater_on = relay

    rt.subscribe([HeatingState.TOPIC], on_state)
