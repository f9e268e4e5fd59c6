"""`basecamp run nightlight`: the night lights (veilleuse) on their latching relay.

Listens to `MutaUpdate` (outdoor light), HassTurnOn/HassTurnOff intents naming the night light,
and `NightLightMode` (the kiosk's AUTO); drives the relay through a `Relay` driver; publishes
`NightLightState` at every change and every `republish_s`, with metrics; publishes the sensor
warnings as `Alert`. The chosen mode survives a restart. HTTP: `/status`,
`POST /set_mode?mode=on|off|auto` (token).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core.messages.dialogs import Intent, intent_topic
from core.messages.nightlight import NightLightMode, NightLightState
from core.messages.relays import RelayCommand
from core.messages.sensors import MutaUpdate
from core.metrics import Point
from core.service import Runtime
from modes import nightlight
from modes.devices import open_relay
from modes.house import rules_from_config
from modes.running import Driven, Persisted, restore
from modes.settings import NightLightSettings, PresenceSettings


async def serve(rt: Runtime) -> None:
    """Start the night light service."""
    settings = rt.config.section("nightlight", NightLightSettings)
    presence = rt.config.section("presence", PresenceSettings)
    rules = rules_from_config(rt.config).nightlight
    path = rt.data_dir() / settings.state_file
    state, restored = restore(path, lambda d: nightlight.from_plain(rules, d),
                              nightlight.NightLight(rules, mode=settings.mode))
    relay = open_relay(settings.relay, "veilleuse", rt.data_dir(), rt.publish)
    relay.set(state.lit)  # the relay is where the state says, whatever happened meanwhile

    def point(state: nightlight.NightLight) -> Point:
        fields: dict[str, Any] = {"lit": state.lit, "mode": state.mode}
        if state.lux is not None:
            fields["lux"] = state.lux
        if state.daylight is not None:
            fields["daylight"] = state.daylight
        return Point("nightlight", fields, {}, rt.clock.now())

    def apply(effect: Any) -> None:
        if type(effect) is RelayCommand:
            relay.set(effect.on)
        elif type(effect) is NightLightState:
            rt.publish(effect)
            rt.metrics.write(point(machine.state))
        else:
            rt.publish(effect)

    machine: Driven[nightlight.NightLight] = Driven(rt, state, nightlight.step, apply,
                                                    answers=nightlight.outcome)
    machine.changed.append(Persisted(path, nightlight.to_plain))
    machine.subscribe({MutaUpdate.TOPIC: MutaUpdate, NightLightMode.TOPIC: NightLightMode,
                       intent_topic("HassTurnOn"): Intent,
                       intent_topic("HassTurnOff"): Intent})

    def periodic() -> None:
        rt.publish(nightlight.report(machine.state))
        rt.metrics.write(point(machine.state))

    rt.every(presence.tick_s, machine.tick, name="tick")
    rt.every(presence.republish_s, periodic, name="republish")
    rt.answer_state(lambda: nightlight.report(machine.state))
    rt.status["nightlight"] = lambda: {
        "mode": machine.state.mode, "lit": machine.state.lit, "lux": machine.state.lux,
        "daylight": machine.state.daylight, "warning": machine.state.warning,
        "restored": restored}

    async def set_mode(request: web.Request) -> web.Response:
        rt.check_token(request)
        mode = request.query.get("mode", "")
        if mode not in nightlight.MODES:
            raise web.HTTPBadRequest(text=f"unknown mode {mode!r} (on, off, auto)")
        machine.feed(NightLightMode(mode, request.query.get("by", "terminal")))
        return web.json_response({"mode": machine.state.mode, "lit": machine.state.lit})
    rt.app.router.add_post("/set_mode", set_mode)
