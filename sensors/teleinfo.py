"""`basecamp run power`: the electricity meter's Téléinfo — `PowerUpdate` on the bus, raw
frames to metrics `power`, hourly mean/min/max/diff to `power_agg`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.messages.sensors import PowerUpdate
from core.metrics import Point
from core.service import Runtime
from sensors import tic
from sensors.errors import InputRejected
from sensors.plumbing import (
    Aggregates,
    Rejects,
    Stamper,
    heater_relay,
    pump,
    serial_link,
    settings,
)
from sensors.settings import SIM
from sensors.simulate import TeleinfoSimulator


def fields(reading: tic.PowerReading) -> dict[str, float | int | str]:
    """Metric fields of a reading: papp_va, iinst_a, `<label>_wh` per index, total_wh."""
    out: dict[str, float | int | str] = {"papp_va": reading.papp_va}
    if reading.iinst_a is not None:
        out["iinst_a"] = reading.iinst_a
    for label, wh in reading.index_wh.items():
        out[f"{label.lower()}_wh"] = wh
    if reading.index_wh:
        # standard mode's EAST is already the total; historique sums its tariff counters
        out["total_wh"] = reading.index_wh.get("EAST", sum(reading.index_wh.values()))
    return out


async def serve(rt: Runtime) -> None:
    """Read the meter, publish every frame, record them, aggregate hourly."""
    cfg = settings(rt)
    s = cfg.teleinfo
    sim = TeleinfoSimulator(s.mode, period_s=s.sim_period_s) if s.device == SIM else None
    if sim is not None:
        heater_relay(rt, sim)
    link = serial_link(rt, "power", s.device, s.baudrate or tic.BAUDRATES[s.mode], sim,
                       seven_e_one=True)
    rejects = Rejects(rt, "power")
    counters = [f"{label.lower()}_wh" for label in
                (*tic.HISTORIQUE_INDEXES, *tic.STANDARD_INDEXES)] + ["total_wh"]
    aggregates = Aggregates(rt, "power", s.aggregate_s, counters)
    stamp = Stamper()
    last: dict[str, Any] = {}
    rt.status["meter"] = lambda: last
    written_at: list[float] = [float("-inf")]

    def decode(raw: bytes) -> tic.PowerReading | InputRejected:
        frame = tic.parse_frame(raw, s.mode)
        return frame if isinstance(frame, InputRejected) else tic.to_reading(frame,
                                                                         cfg.bounds.papp_va)

    def handle(reading: tic.PowerReading, now: dt.datetime) -> list[Point]:
        rt.publish(PowerUpdate(float(reading.papp_va),
                               None if reading.iinst_a is None else float(reading.iinst_a),
                               dict(reading.index_wh) or None, reading.tariff))
        rt.counters["frames"] += 1
        values = fields(reading)
        numeric = {k: v for k, v in values.items() if not isinstance(v, str)}
        aggregates.add({}, numeric, now)
        last.update(values, tariff=reading.tariff, meter=reading.meter, at=now.isoformat())
        if now.timestamp() - written_at[0] < s.write_every_s:
            return []
        written_at[0] = now.timestamp()
        return [Point("power", {**values, "tariff": reading.tariff}, {}, stamp(now))]

    def tick() -> None:
        now = rt.clock.now()
        aggregates.tick(now)
        rejects.flush(now)

    rt.spawn(pump(rt, link, tic.FrameSplitter(), rejects, decode, handle),
             name="power-reader")
    rt.every(60.0, tick, name="power-tick")
