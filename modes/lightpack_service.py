"""`basecamp run lightpack`: the RGB strip shows the mode and a hint of problems.

Listens to `ModeChanged`, `HeatingState` (the hue at home), `Alert` (the sentinel's and the
house's own) and `LightpackLock`; drives the strip through a `Strip` driver (simulated file, or
Adalight on a serial port), breathing gently (`breathe_period_s`, redrawn every `frame_s`);
publishes `LightpackState` at every change and every `republish_s`, with metrics. HTTP:
`/status`, `POST /lock?owner=...&seconds=...[&colour=...]` (token; seconds=0 releases).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import web

from core.messages.heating import HeatingState
from core.messages.lightpack import LightpackLock, LightpackState
from core.messages.presence import ModeChanged
from core.messages.watch import Alert
from core.metrics import Point
from core.service import Runtime, query_number
from modes import lightpack
from modes.devices import FileStrip, SerialStrip, Strip
from modes.effects import EventRejected, Tick
from modes.house import rules_from_config
from modes.running import Driven
from modes.settings import LightpackSettings, PresenceSettings

_LOGGER = logging.getLogger(__name__)


def open_strip(settings: LightpackSettings, rt: Runtime) -> Strip:
    """The strip driver named in the config."""
    if settings.driver == "serial":
        return SerialStrip(settings.serial_port, settings.baudrate, settings.leds)
    return FileStrip(rt.data_dir() / "strip.json")


async def serve(rt: Runtime) -> None:
    """Start the lightpack service."""
    settings = rt.config.section("lightpack", LightpackSettings)
    presence = rt.config.section("presence", PresenceSettings)
    rules = rules_from_config(rt.config).lightpack
    strip = open_strip(settings, rt)
    rt.on_stop(strip.close)

    shown = {"rgb": (0, 0, 0)}

    def apply(effect: Any) -> None:
        if type(effect) is LightpackState:
            r, g, b = effect.rgb
            shown["rgb"] = (r, g, b)
            draw()
            rt.publish(effect)
            rt.metrics.write(Point("lightpack", {"colour": effect.colour,
                                                 "overlay": effect.overlay or "none"},
                                   {}, rt.clock.now()))
        else:
            rt.publish(effect)

    def draw() -> None:
        try:
            strip.show(lightpack.breathe(shown["rgb"], time.monotonic(),
                                         settings.breathe_period_s, settings.breathe_depth))
        except OSError as err:  # a strip unplugged: counted, the state goes on
            rt.counters["strip_errors"] += 1
            _LOGGER.warning("lightpack strip: %s", err)

    machine: Driven[lightpack.Lightpack] = Driven(rt, lightpack.Lightpack(rules), lightpack.step,
                                                  apply)
    machine.subscribe({ModeChanged.TOPIC: ModeChanged, HeatingState.TOPIC: HeatingState,
                       Alert.TOPIC: Alert, LightpackLock.TOPIC: LightpackLock})
    if settings.breathe_period_s > 0 and settings.breathe_depth > 0:
        rt.every(settings.frame_s, draw, name="breathe", machine_time=True)
    machine.feed(Tick())
    rt.every(presence.tick_s, machine.tick, name="tick")
    rt.every(presence.republish_s, lambda: rt.publish(lightpack.report(machine.state)),
             name="republish")
    rt.answer_state(lambda: lightpack.report(machine.state))
    rt.status["lightpack"] = lambda: {
        "mode": machine.state.mode, "colour": machine.state.colour,
        "overlay": machine.state.overlay, "locked_by": machine.state.locked_by,
        "problems": [list(p) for p in machine.state.problems]}

    async def lock(request: web.Request) -> web.Response:
        rt.check_token(request)
        seconds = query_number(request, "seconds", 0.0, lo=0, hi=86400) or 0.0
        effects = machine.feed(LightpackLock(request.query.get("owner", "http"), seconds,
                                             request.query.get("colour", "")))
        refused = [e.reason for e in effects if type(e) is EventRejected]
        if refused:
            raise web.HTTPConflict(text="; ".join(refused))
        return web.json_response({"colour": machine.state.colour,
                                  "locked_by": machine.state.locked_by})
    rt.app.router.add_post("/lock", lock)
