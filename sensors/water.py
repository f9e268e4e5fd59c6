"""`basecamp run water`: the water meter's pulses — litres per minute, per slot and per hour to
metrics `water` (tag `slot`) and `WaterUpdate` on the bus; zero slots are written too.

Pulses come through a `PulseInput`: a serial counter printing `W <total>` lines (real pyserial,
a pty in the demo) or a GPIO line's sysfs `value` file, polled for rising edges.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

from core.messages.sensors import WaterUpdate
from core.metrics import Point
from core.service import Runtime
from sensors import pulses
from sensors.errors import Reason, Rejected
from sensors.lines import LineSplitter
from sensors.plumbing import Rejects, lost_device, serial_link, settings
from sensors.serial_link import SerialLink
from sensors.settings import SIM
from sensors.simulate import WaterSimulator

_LOGGER = logging.getLogger(__name__)
MINUTE, HOUR = 60.0, 3600.0


class PulseInput(Protocol):
    """Where pulses come from."""

    def pulses(self) -> AsyncIterator[int | None]:
        """New pulses as they are counted; None when the input was lost."""


class SerialCounter:
    """A counter board printing its running total over serial."""

    def __init__(self, link: SerialLink, rejects: Rejects) -> None:
        self.link, self.rejects = link, rejects

    async def pulses(self) -> AsyncIterator[int | None]:
        """Deltas between totals."""
        splitter = LineSplitter(max_line=64)
        previous: int | None = None
        async for chunk in self.link.chunks():
            if chunk is None:
                lost_device(self.rejects, splitter.reset())
                previous = None  # the board may have restarted meanwhile
                yield None
                continue
            count, fresh = 0, previous is None
            for line in splitter.feed(chunk):
                total = line if isinstance(line, Rejected) else pulses.parse_total(line)
                if isinstance(total, Rejected):
                    self.rejects(total)
                    continue
                count += pulses.pulse_delta(previous, total)
                previous = total
            if count or (fresh and previous is not None):
                yield count  # 0 on (re)connection: the slots can be trusted again


class SysfsLine:
    """A GPIO input read through its sysfs `value` file; a rising edge is a pulse."""

    def __init__(self, path: str, poll_s: float, rejects: Rejects) -> None:
        self.path, self.poll_s, self.rejects = Path(path), poll_s, rejects

    async def pulses(self) -> AsyncIterator[int | None]:
        """Rising edges, polled."""
        level: str | None = None
        lost = False
        while True:
            try:
                value = self.path.read_text().strip()
            except OSError:
                if not lost:
                    lost, level = True, None
                    self.rejects(Rejected(Reason.UNPLUGGED, str(self.path)))
                    yield None
                await asyncio.sleep(max(self.poll_s, 1.0))
                continue
            if lost or level is None:
                yield 0
            lost = False
            if value not in ("0", "1"):
                self.rejects(Rejected(Reason.MALFORMED, f"gpio value {value[:10]!r}"))
            else:
                if level == "0" and value == "1":
                    yield 1
                level = value
            await asyncio.sleep(self.poll_s)


def slot_tag(seconds: float) -> str:
    """The `slot` tag of a slot length, e.g. "900s"."""
    return f"{seconds:g}s"


async def serve(rt: Runtime) -> None:
    """Count pulses into slots; write and publish every complete slot."""
    s = settings(rt).water
    rejects = Rejects(rt, "water")
    source: PulseInput
    if s.input == "sysfs":
        source = SysfsLine(s.device, s.poll_s, rejects)
    else:
        sim = WaterSimulator(leak=s.sim_leak) if s.device == SIM else None
        source = SerialCounter(serial_link(rt, "water", s.device, s.baudrate, sim), rejects)
    now = rt.clock.now()
    meters = [pulses.SlotMeter(length, now) for length in sorted({MINUTE, s.slot_s, HOUR})]
    state: dict[str, Any] = {"total_litres": 0.0, "pulses": 0, "slots": {}}
    rt.status["water"] = lambda: state

    def emit(slots: list[pulses.Slot]) -> None:
        points = []
        for slot in slots:
            litres = round(slot.pulses * s.litres_per_pulse, 6)
            tag = slot_tag(slot.seconds)
            if slot.seconds == meters[0].slot_s:
                # live consumption on the bus once, from the shortest slot: a consumer that
                # adds them up (the kiosk's "today") must not count a litre three times
                rt.publish(WaterUpdate(litres, slot.seconds, state["total_litres"]))
            points.append(Point("water", {"litres": litres, "pulses": slot.pulses,
                                          "flow_lpm": round(litres * 60 / slot.seconds, 6)},
                                {"slot": tag}, slot.start))
            state["slots"][tag] = {"start": slot.start.isoformat(), "litres": litres}
        if points:
            rt.metrics.write(points)

    async def read() -> None:
        async for count in source.pulses():
            now = rt.clock.now()
            if count is None:
                for meter in meters:
                    meter.lost()
                continue
            for meter in meters:
                emit(meter.add(count, now))
            state["pulses"] += count
            state["total_litres"] = round(state["pulses"] * s.litres_per_pulse, 6)

    def tick() -> None:
        now = rt.clock.now()
        for meter in meters:
            emit(meter.close_due(now))
        rejects.flush(now)

    rt.spawn(read(), name="water-reader")
    rt.every(5.0, tick, name="water-tick")
