"""`basecamp run muta`: the wireless sensor operator — MUTA frames from the USB radio to the bus
(`basecamp.muta.update`) and to metrics (`muta`, tag `unit`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.messages.sensors import MutaUpdate
from core.metrics import Point, from_ns
from core.service import Runtime
from sensors.errors import InputRejected, Reason
from sensors.lines import LineSplitter
from sensors.muta_protocol import Deduplicator, MutaReading, parse_frame, to_reading
from sensors.plumbing import (
    Aggregates,
    Rejects,
    Stamper,
    heater_relay,
    pump,
    serial_link,
    settings,
)
from sensors.settings import SIM, Bounds, MutaUnit
from sensors.simulate import MutaSimulator


class MutaDecoder:
    """Lines to plausible, de-duplicated readings."""

    def __init__(self, units: dict[str, MutaUnit], bounds: Bounds) -> None:
        self.units, self.bounds = units, bounds
        self.dedup = Deduplicator()

    def decode(self, line: bytes) -> MutaReading | InputRejected:
        """One line's reading, or why it is refused."""
        frame = parse_frame(line)
        if isinstance(frame, InputRejected):
            return frame
        reading = to_reading(frame, self.units, self.bounds)
        if isinstance(reading, MutaReading) and self.dedup.seen(frame.unit_id, frame.seq):
            return InputRejected(Reason.DUPLICATE, f"{reading.unit} #{frame.seq}")
        return reading


async def serve(rt: Runtime) -> None:
    """Read the radio, publish and record every good reading, count the rest."""
    cfg = settings(rt)
    s = cfg.muta
    sim = None
    if s.device == SIM:
        sim = MutaSimulator(s.units, period_s=s.sim_period_s,
                            latitude=rt.config.house.latitude,
                            longitude=rt.config.house.longitude)
        heater_relay(rt, sim)
    link = serial_link(rt, "muta", s.device, s.baudrate, sim)
    decoder = MutaDecoder(s.units, cfg.bounds)
    rejects = Rejects(rt, "muta")
    aggregates = Aggregates(rt, "muta", s.aggregate_s)
    stamp = Stamper()
    last: dict[str, dict[str, Any]] = {}
    rt.status["units"] = lambda: last

    def handle(reading: MutaReading, now: dt.datetime) -> list[Point]:
        values = dict(reading.values)
        rt.publish(MutaUpdate(reading.unit, reading.seq, **values))
        when = stamp(now)
        aggregates.add({"unit": reading.unit}, values, now)
        rt.counters["readings"] += 1
        last[reading.unit] = {**values, "seq": reading.seq, "at": from_ns(when).isoformat()}
        return [Point("muta", values, {"unit": reading.unit}, when)]

    def tick() -> None:
        now = rt.clock.now()
        aggregates.tick(now)
        rejects.flush(now)

    rt.spawn(pump(rt, link, LineSplitter(), rejects, decoder.decode, handle),
             name="muta-reader")
    rt.every(min(60.0, s.aggregate_s), tick, name="muta-tick")
