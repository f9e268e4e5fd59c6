"""`basecamp run relays`: the GPIO relays of this machine (modes.gpio), driven by the
`RelayCommand`s the heater, night lights and lights publish.

Each command for a relay wired here is applied (in a worker thread: a latching pulse takes
tens of milliseconds), remembered, and reported with a `RelayState` — the position it was put
in, or why it could not be. At start the last positions asked are put back on the relays (a
latching relay kept its own, but a plain one opened when the machine lost power, and the
machine may have been replaced). Commands for relays wired elsewhere are ignored.
"""

from __future__ import annotations

import asyncio
import logging

from core import store
from core.messages import Envelope
from core.messages.relays import RelayCommand, RelayState
from core.service import Runtime
from modes.gpio import GpioRelay, open_gpio_relay, pin_factory
from modes.settings import RelaysSettings

_LOGGER = logging.getLogger(__name__)


async def serve(rt: Runtime) -> None:
    """Start the relays service."""
    settings = rt.config.section("relays", RelaysSettings)
    factory = pin_factory(settings.pin_factory)
    relays: dict[str, GpioRelay] = {
        spec.name: open_gpio_relay(spec, factory)
        for spec in settings.relays if spec.machine == rt.host}
    path = rt.data_dir() / settings.state_file
    saved = store.load(path) or {}
    asked: dict[str, bool] = {name: bool(on) for name, on in saved.get("on", {}).items()
                              if name in relays}
    errors: dict[str, str] = {}
    lock = asyncio.Lock()  # one command at a time: the file and the report stay in order

    def close() -> None:
        for relay in relays.values():
            relay.close()
    rt.on_stop(close)

    async def put(name: str, on: bool) -> None:
        async with lock:
            try:
                await asyncio.to_thread(relays[name].set, on)
                errors.pop(name, None)
            except OSError as err:
                errors[name] = str(err)
                rt.counters["relay_errors"] += 1
                rt.log("error", f"relais {name} : {err}")
            asked[name] = on
            try:
                store.save(path, {"on": asked})
            except OSError as err:  # a full disk: the relay moved, the memory did not
                rt.counters["state_save_errors"] += 1
                _LOGGER.warning("relays: state not saved: %s", err)
            rt.publish(RelayState(name, on, rt.host, errors.get(name, "")))

    async def command(envelope: Envelope) -> None:
        cmd = RelayCommand.from_envelope(envelope)
        if cmd.relay in relays:
            rt.counters["commands"] += 1
            await put(cmd.relay, cmd.on)

    for name, on in sorted(asked.items()):  # where they were asked to be before the restart
        await put(name, on)
    rt.subscribe([RelayCommand.TOPIC], command)
    rt.status["relays"] = lambda: {
        name: {"on": asked.get(name), "position": relay.position(),
               "pulses": getattr(relay, "pulses", 0), "error": errors.get(name, "")}
        for name, relay in relays.items()}
    rt.status["pin_factory"] = lambda: settings.pin_factory or "default"
    _LOGGER.info("relays on %s: %s", rt.host, ", ".join(relays) or "none")

