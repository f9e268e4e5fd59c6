"""`basecamp run lights`: the room lights the config gives a relay driver.

Listens to HassTurnOn/HassTurnOff intents; moves each light's latching relay (a simulated one
in a file, or `RelayCommand` to the machine wiring it, per the device's `driver`); answers each
command with an `Outcome`; publishes `LightsState` at every change, every `republish_s` and on
request. The positions survive a restart and are put back on the relays at start.
"""

from __future__ import annotations

import logging
from typing import Any

from core.messages.dialogs import Intent, intent_topic
from core.messages.lights import LightsState
from core.messages.relays import RelayCommand
from core.service import Runtime
from modes import lights
from modes.devices import Relay, open_relay
from modes.running import Driven, Persisted, restore
from modes.settings import PresenceSettings

_LOGGER = logging.getLogger(__name__)
STATE_FILE = "lights.json"


async def serve(rt: Runtime) -> None:
    """Start the lights service."""
    presence = rt.config.section("presence", PresenceSettings)
    devices = lights.driven(rt.config.devices)
    path = rt.data_dir() / STATE_FILE
    state, restored = restore(path, lambda d: lights.from_plain(devices, d),
                              lights.Lights(devices))
    relays: dict[str, Relay] = {
        lights.relay_name(d): open_relay(d.driver, lights.relay_name(d), rt.data_dir(),
                                         rt.publish) for d in devices}
    for device in devices:  # the relays are where the state says, whatever happened meanwhile
        relays[lights.relay_name(device)].set(bool(state.on.get(device.name)))

    def apply(effect: Any) -> None:
        if type(effect) is RelayCommand and effect.relay in relays:
            relays[effect.relay].set(effect.on)
            rt.log("info", f"{effect.relay.removeprefix(lights.RELAY_PREFIX)} "
                           f"{'on' if effect.on else 'off'}")
        elif type(effect) is LightsState:
            rt.publish(effect)

    machine: Driven[lights.Lights] = Driven(rt, state, lights.step, apply,
                                            answers=lights.outcome)
    machine.changed.append(Persisted(path, lights.to_plain))
    machine.subscribe({intent_topic("HassTurnOn"): Intent,
                       intent_topic("HassTurnOff"): Intent})
    rt.every(presence.republish_s, lambda: rt.publish(lights.report(machine.state)),
             name="republish")
    rt.answer_state(lambda: lights.report(machine.state))
    rt.status["lights"] = lambda: {"on": lights.report(machine.state).on,
                                   "restored": restored}
    rt.publish(lights.report(machine.state))
    _LOGGER.info("lights: %d switched (%s)", len(devices), ", ".join(d.name for d in devices))


