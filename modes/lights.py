"""Room lights on relays: HassTurnOn/Off of the lights the config gives a driver [pure].

`step(state, event, now) -> (state, effects)` over `Intent`. A command reaches the lights it
names (`core.devices.targets`: one light, the lights of a room, every light); this machine
switches those it drives and leaves the others to their own services (the night light, the
heating). Effects: one `RelayCommand` per light that moves (relay `light:<name>`) and a
`LightsState` when anything changed. `outcome` says what became of each command.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core import devices
from core.config import Device
from core.messages.dialogs import Intent, Outcome
from core.messages.lights import LightsState
from core.messages.relays import RelayCommand

RELAY_PREFIX = "light:"
"""Relay names of room lights (the heater's is "heater", the night light's "veilleuse")."""


@dataclass(frozen=True)
class Lights:
    """The room lights this service switches and where each is."""

    devices: tuple[Device, ...]
    on: dict[str, bool] = field(default_factory=dict)


def driven(all_devices: tuple[Device, ...]) -> tuple[Device, ...]:
    """The devices of the house the lights service switches."""
    return tuple(d for d in all_devices if devices.driver(d) == devices.Driver.LIGHTS)


def relay_name(device: Device) -> str:
    """The relay a light is wired to."""
    return f"{RELAY_PREFIX}{device.name}"


def reached(state: Lights, event: Intent) -> list[Device]:
    """The lights of this service a switch command reaches."""
    if event.intent not in ("HassTurnOn", "HassTurnOff"):
        return []
    return devices.targets(state.devices, event.slots)


def _on_intent(state: Lights, event: Intent, now: dt.datetime,
               out: list[Any]) -> Lights:
    lights = reached(state, event)
    if not lights:
        return state
    wanted = event.intent == "HassTurnOn"
    moved = [d for d in lights if state.on.get(d.name) != wanted]
    out.extend(RelayCommand(relay=relay_name(d), on=wanted) for d in moved)
    state = Lights(state.devices, {**state.on, **{d.name: wanted for d in lights}})
    out.append(LightsState(on=dict(state.on), changed=[d.name for d in lights],
                           changed_by=event.channel))
    return state


_HANDLERS: dict[type, Callable[[Lights, Any, dt.datetime, list[Any]], Lights]] = {
    Intent: _on_intent}


def step(state: Lights, event: Any, now: dt.datetime) -> tuple[Lights, list[Any]]:
    """Apply one event: the new state and the effects."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return state, []
    out: list[Any] = []
    return handler(state, event, now, out), out


def outcome(state: Lights, event: Intent, effects: list[Any]) -> Outcome | None:
    """What became of a switch command reaching these lights (None: none of them)."""
    lights = reached(state, event)
    if not lights:
        return None
    return Outcome(event.id, event.intent, True,
                   values={"switched": [d.name for d in lights],
                           "lit": [d.name for d in lights if state.on.get(d.name)]})


def report(state: Lights) -> LightsState:
    """The LightsState of `state`."""
    return LightsState(on={d.name: bool(state.on.get(d.name)) for d in state.devices})


def to_plain(state: Lights) -> dict[str, Any]:
    """What survives a restart: each light's position."""
    return {"on": dict(state.on)}


def from_plain(lights: tuple[Device, ...], data: dict[str, Any]) -> Lights:
    """Restore the positions of the lights still in the config."""
    names = {d.name for d in lights}
    return Lights(lights, {k: bool(v) for k, v in dict(data.get("on", {})).items()
                           if k in names})
