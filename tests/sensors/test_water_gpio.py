"""The water meter's reed contact on a GPIO pin, through gpiozero's own mock pin factory (the
library's test double, driven through the same code path as real pins): every closing is one
pulse however the contact bounces, none is lost at 10 pulses a second (or 50), and the daemon
turns them into litres on the bus."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from core.bus import Forwarder, Subscriber
from core.clock import ManualClock
from core.config import Config
from core.messages.sensors import WaterUpdate
from core.pins import pin_factory
from core.service import running
from sensors import water
from sensors.water import GpioLine
from tests.sensors.helpers import collect, house, wait_for

START = dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)


def close_contact(pin: object, *, bounces: int = 2) -> None:
    """One turn of the meter's magnet: the contact closes (to ground), bouncing, then opens."""
    for _ in range(bounces):  # a reed contact chatters for a millisecond or so
        pin.drive_low()  # type: ignore[attr-defined]
        pin.drive_high()  # type: ignore[attr-defined]
    pin.drive_low()  # type: ignore[attr-defined]
    time.sleep(0.002)
    pin.drive_high()  # type: ignore[attr-defined]


async def _count(line: GpioLine, seconds: float) -> list[int | None]:
    seen: list[int | None] = []

    async def read() -> None:
        async for count in line.pulses():
            seen.append(count)
    task = asyncio.create_task(read())
    await asyncio.sleep(seconds)
    task.cancel()
    return seen


async def test_bouncing_closings_count_once_and_none_is_lost_at_rate() -> None:
    for rate, bounce_s in ((10.0, 0.02), (50.0, 0.005)):
        factory = MockFactory()
        line = GpioLine(24, pull_up=True, bounce_s=bounce_s, poll_s=0.05, factory=factory)
        pin = factory.pin(24)
        assert pin.state  # pulled up: the contact is open

        counting = asyncio.create_task(_count(line, 30 / rate + 0.5))
        for _ in range(30):
            close_contact(pin)
            await asyncio.sleep(1 / rate)
        seen = await counting
        assert seen[0] == 0  # the line is there: the slots can be trusted
        assert sum(c or 0 for c in seen) == 30, (rate, seen)
        assert line.bounced == 60  # two bounces per closing, each ignored
        line.close()


async def test_the_water_daemon_counts_gpio_pulses_into_litres(tmp_path: Path, config: Config,
                                                               bus: Forwarder) -> None:
    config = house(config, tmp_path, {"sensors": {"water": {
        "input": "gpio", "pin": 24, "pin_factory": "mock", "litres_per_pulse": 0.5,
        "poll_s": 0.02}}})
    factory = pin_factory("mock")
    factory.reset()
    sub = Subscriber(config.bus_endpoints()[1], [WaterUpdate.TOPIC])
    clock = ManualClock(START)
    try:
        async with running("water", water.serve, config, clock=clock) as rt:
            assert await sub.settle(rt.publisher)
            pin = factory.pin(24)
            for _ in range(12):
                close_contact(pin)
                await asyncio.sleep(0.1)
            await wait_for(lambda: rt.status["water"]()["pulses"] == 12, 5, "12 pulses")
            clock.advance(60)
            await wait_for(lambda: rt.status["water"]()["slots"], 5, "a slot")
            [update] = [WaterUpdate.from_envelope(e) for e in await collect(sub, 1)]
            assert (update.slot_s, update.litres) == (60, 6.0)
            assert rt.status["gpio"]() == {"pin": 24, "bounced": 24}
    finally:
        sub.close()
