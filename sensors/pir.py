"""`basecamp run pir`: the PIR microcontroller — motion edges to the bus (`PirMotion`) and to
metrics (`pir`, tag `sensor`, field `state`), board temperature to `pir_board`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.messages.presence import Mode, ModeChanged, PirMotion
from core.metrics import Point
from core.service import Runtime
from sensors.lines import LineSplitter
from sensors.pir_protocol import BoardTemperature, parse_line
from sensors.plumbing import Rejects, Stamper, pump, serial_link, settings
from sensors.settings import SIM
from sensors.simulate import PirSimulator


async def serve(rt: Runtime) -> None:
    """Read the board, publish every edge, count what is not understood."""
    s = settings(rt).pir
    sim = PirSimulator(s.sensors) if s.device == SIM else None
    link = serial_link(rt, "pir", s.device, s.baudrate, sim)
    rejects = Rejects(rt, "pir")
    stamp = Stamper()
    state: dict[str, Any] = {"sensors": {}, "board_c": None}
    rt.status["pir"] = lambda: state

    def handle(event: Any, now: dt.datetime) -> list[Point]:
        if isinstance(event, BoardTemperature):
            state["board_c"] = event.celsius
            return [Point("pir_board", {"temperature": event.celsius}, {}, stamp(now))]
        rt.publish(PirMotion(event.sensor, event.state))
        rt.counters[f"motion_{event.sensor}_{event.state}"] += 1
        state["sensors"][event.sensor] = {"state": event.state, "at": now.isoformat()}
        return [Point("pir", {"state": event.state}, {"sensor": event.sensor}, stamp(now))]

    if sim is not None:  # the simulated people follow the house: nobody moves while it is away
        def mode(envelope: Any) -> None:
            sim.occupied = ModeChanged.from_envelope(envelope).mode != Mode.LOCKOUT
        rt.subscribe([ModeChanged.TOPIC], mode)

    rt.spawn(pump(rt, link, LineSplitter(max_line=128), rejects,
                  lambda line: parse_line(line, s.sensors), handle), name="pir-reader")
    rt.every(60.0, lambda: rejects.flush(rt.clock.now()), name="pir-tick")
