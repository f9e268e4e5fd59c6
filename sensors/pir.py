"""`basecamp run pir`: the PIR microcontroller — motion edges to the bus (`PirMotion`) and to
metrics (`pir`, tag `sensor`, field `state`), board temperature to `pir_board`."""

from __future__ import annotations

import logging
from typing import Any

from core.messages.presence import PirMotion
from core.metrics import Point
from core.service import Runtime
from sensors.errors import Rejected
from sensors.lines import LineSplitter
from sensors.pir_protocol import BoardTemperature, parse_line
from sensors.plumbing import Rejects, Stamper, lost_device, serial_link, settings
from sensors.settings import SIM
from sensors.simulate import PirSimulator

_LOGGER = logging.getLogger(__name__)


async def serve(rt: Runtime) -> None:
    """Read the board, publish every edge, count what is not understood."""
    s = settings(rt).pir
    sim = PirSimulator(s.sensors) if s.device == SIM else None
    link = serial_link(rt, "pir", s.device, s.baudrate, sim)
    rejects = Rejects(rt, "pir")
    stamp = Stamper()
    state: dict[str, Any] = {"sensors": {}, "board_c": None}
    rt.status["pir"] = lambda: state

    async def read() -> None:
        splitter = LineSplitter(max_line=128)
        async for chunk in link.chunks():
            if chunk is None:
                lost_device(rejects, splitter.reset())
                continue
            now = rt.clock.now()
            points = []
            for line in splitter.feed(chunk):
                event = line if isinstance(line, Rejected) else parse_line(line, s.sensors)
                if isinstance(event, Rejected):
                    rejects(event)
                elif isinstance(event, BoardTemperature):
                    state["board_c"] = event.celsius
                    points.append(Point("pir_board", {"temperature": event.celsius}, {},
                                        stamp(now)))
                else:
                    rt.publish(PirMotion(event.sensor, event.state))
                    rt.counters[f"motion_{event.sensor}_{event.state}"] += 1
                    state["sensors"][event.sensor] = {"state": event.state,
                                                      "at": now.isoformat()}
                    points.append(Point("pir", {"state": event.state},
                                        {"sensor": event.sensor}, stamp(now)))
            if points:
                rt.metrics.write(points)

    rt.spawn(read(), name="pir-reader")
    rt.every(60.0, lambda: rejects.flush(rt.clock.now()), name="pir-tick")
