"""`basecamp run water`: the water meter's pulses — litres per minute, per slot and per hour to
metrics `water` (tag `slot`) and `WaterUpdate` on the bus; zero slots are written too.

Pulses come through a `PulseInput`: a serial counter printing `W <total>` lines (real pyserial,
a pty in the demo) or the meter's reed contact on a GPIO pin, whose edges gpiozero hands to a
callback (debounced, counted there, collected every `poll_s`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

from core.messages.sensors import WaterUpdate
from core.metrics import Point
from core.service import Runtime
from sensors import pulses
from sensors.errors import InputRejected
from sensors.lines import LineSplitter
from sensors.plumbing import Rejects, lost_device, serial_link, settings
from sensors.serial_link import SerialLink
from sensors.settings import SIM
from sensors.simulate import WaterSimulator

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
                total = line if isinstance(line, InputRejected) else pulses.parse_total(line)
                if isinstance(total, InputRejected):
                    self.rejects(total)
                    continue
                count += pulses.pulse_delta(previous, total)
                previous = total
            if count or (fresh and previous is not None):
                yield count  # 0 on (re)connection: the slots can be trusted again


class GpioLine:
    """The reed contact on a GPIO pin, through gpiozero: each closing (debounced) is a pulse.

    Edges are counted in gpiozero's callback (its own thread on a real board), so none is lost
    however busy the event loop is; `pulses()` collects the count every `poll_s`."""

    def __init__(self, pin: int, *, pull_up: bool, bounce_s: float, poll_s: float,
                 factory: Any) -> None:
        from gpiozero import DigitalInputDevice
        self.bounce_s, self.poll_s = bounce_s, poll_s
        self.device = DigitalInputDevice(pin, pull_up=pull_up, pin_factory=factory)
        self._lock = threading.Lock()
        self._count = 0
        self._last = float("-inf")
        self.bounced = 0
        """Edges ignored as contact bounce."""
        self.device.when_activated = self._closed

    def _closed(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.bounce_s:
                self.bounced += 1
                return
            self._last = now
            self._count += 1

    async def pulses(self) -> AsyncIterator[int | None]:
        """The pulses counted since the last look (0 first: the line is there)."""
        yield 0
        while True:
            await asyncio.sleep(self.poll_s)
            with self._lock:
                count, self._count = self._count, 0
            if count:
                yield count

    def close(self) -> None:
        """Release the pin."""
        self.device.close()


def slot_tag(seconds: float) -> str:
    """The `slot` tag of a slot length, e.g. "900s"."""
    return f"{seconds:g}s"


async def serve(rt: Runtime) -> None:
    """Count pulses into slots; write and publish every complete slot."""
    s = settings(rt).water
    rejects = Rejects(rt, "water")
    source: PulseInput
    if s.input == "gpio":
        from core.pins import pin_factory
        line = GpioLine(s.pin, pull_up=s.pull_up, bounce_s=s.bounce_ms / 1000,
                        poll_s=s.poll_s, factory=pin_factory(s.pin_factory))
        rt.on_stop(line.close)
        rt.status["gpio"] = lambda: {"pin": s.pin, "bounced": line.bounced}
        source = line
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
