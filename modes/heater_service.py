"""`basecamp run heater`: profiles, schedules, thermostat and failsafe driving the heater relay.

Listens to `ModeChanged`, `MutaUpdate` (temperatures), `SetProfile` and the intents it carries
out (BasecampHeatingProfile, HassClimateSetTemperature — a room's temperature until the profile
changes —, HassTurnOn/Off of the heating), answering each with an `Outcome`; drives the
latching relay through a `Relay` driver; publishes
`HeatingState` and writes setpoint and relay to metrics at every change and every
`metrics_every_s`; publishes `Alert` (failsafe, comfort at night). The relay starts OFF and is
switched OFF when the service stops. HTTP: `/status`, `POST /set_profile?profile=...[&until=ISO]`
(token).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core.messages.dialogs import Intent, intent_topic
from core.messages.heating import HeatingState, SetProfile
from core.messages.presence import ModeChanged
from core.messages.relays import RelayCommand
from core.messages.sensors import MutaUpdate
from core.metrics import Point
from core.service import Runtime
from modes import heating
from modes.devices import open_relay
from modes.effects import EventRejected
from modes.house import rules_from_config
from modes.running import Driven, Persisted, restore
from modes.settings import HeatingSettings, PresenceSettings


def _point(rt: Runtime, state: heating.Heating) -> Point:
    temperature, _ = heating.reading(state, state.sensor, rt.clock.now())
    fields: dict[str, Any] = {"setpoint": state.setpoint, "relay": state.relay,
                              "profile": state.profile, "failsafe": state.failsafe}
    if temperature is not None:
        fields["temperature"] = temperature
    return Point("heating", fields, {"sensor": state.sensor}, rt.clock.now())


async def serve(rt: Runtime) -> None:
    """Start the heater service."""
    settings = rt.config.section("heating", HeatingSettings)
    tick_s = rt.config.section("presence", PresenceSettings).tick_s
    rules = rules_from_config(rt.config).heating
    path = rt.data_dir() / settings.state_file
    state, restored = restore(path, lambda d: heating.from_plain(rules, d),
                              heating.Heating(rules, regime=settings.regime))
    relay = open_relay(settings.relay, "heater", rt.data_dir(), rt.publish)
    relay.set(False)  # a known position before the thermostat decides

    def apply(effect: Any) -> None:
        if type(effect) is RelayCommand:
            relay.set(effect.on)
        elif type(effect) is HeatingState:
            rt.publish(effect)
            rt.metrics.write(_point(rt, machine.state))
        else:
            rt.publish(effect)

    machine: Driven[heating.Heating] = Driven(rt, state, heating.step, apply,
                                              answers=heating.outcome)
    machine.changed.append(Persisted(path, heating.to_plain))
    machine.subscribe({ModeChanged.TOPIC: ModeChanged, MutaUpdate.TOPIC: MutaUpdate,
                       SetProfile.TOPIC: SetProfile,
                       intent_topic("BasecampHeatingProfile"): Intent,
                       intent_topic("HassClimateSetTemperature"): Intent,
                       intent_topic("HassTurnOn"): Intent, intent_topic("HassTurnOff"): Intent})

    def current() -> HeatingState:
        temperature, _ = heating.reading(machine.state, machine.state.sensor, rt.clock.now())
        return heating.report(machine.state, temperature)

    def periodic() -> None:
        rt.publish(current())
        rt.metrics.write(_point(rt, machine.state))

    rt.answer_state(current)

    rt.every(tick_s, machine.tick, name="tick")
    rt.every(settings.metrics_every_s, periodic, name="metrics")
    rt.on_stop(lambda: relay.set(False))
    rt.status["heating"] = lambda: heating.to_plain(machine.state) | {
        "profile": machine.state.profile, "setpoint": machine.state.setpoint,
        "relay": machine.state.relay, "failsafe": machine.state.failsafe,
        "sensor": machine.state.sensor, "restored": restored}

    async def set_profile(request: web.Request) -> web.Response:
        rt.check_token(request)
        profile = request.query.get("profile", "")
        until = request.query.get("until") or None
        effects = machine.feed(SetProfile(profile, until, request.query.get("by", "terminal")))
        refused = [e.reason for e in effects if isinstance(e, EventRejected)]
        if refused:
            raise web.HTTPBadRequest(text="; ".join(refused))
        return web.json_response({"profile": machine.state.profile,
                                  "setpoint": machine.state.setpoint,
                                  "relay": machine.state.relay})
    rt.app.router.add_post("/set_profile", set_profile)
