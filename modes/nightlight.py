"""Night lights (veilleuse): ON / OFF / AUTO following outdoor light, sun sanity warnings [pure].

`step(state, event, now) -> (state, effects)` over `Intent` (HassTurnOn/Off of the device),
`NightLightMode`, `MutaUpdate` (outdoor lux) and `Tick`. AUTO lights up below `on_lux`, goes
off above `off_lux` (hysteresis), never switches twice within the hold time, and follows the
sun (astral) when the light sensor is silent. A reading that contradicts the sun raises a
warning: "dark before sunset" or "light before sunrise" (the sensor is suspect).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.messages.dialogs import Intent, Outcome
from core.messages.nightlight import NightLightMode, NightLightState
from core.messages.relays import RelayCommand
from core.messages.sensors import MutaUpdate
from core.messages.watch import Alert, Notice, Severity
from modes import phrases
from modes.effects import EventRejected, Tick
from modes.records import evolve
from modes.sun import Place, is_daylight, sun_phase

MODES = ("on", "off", "auto")


@dataclass(frozen=True)
class NightLightRules:
    """What the night lights need from the config."""

    names: frozenset[str] = frozenset({"veilleuse"})
    """Device name and aliases, lower case."""
    outdoor_sensor: str = "exterieur"
    on_lux: float = 10.0
    off_lux: float = 30.0
    hold: dt.timedelta = dt.timedelta(minutes=10)
    stale: dt.timedelta = dt.timedelta(minutes=30)
    dark_lux: float = 5.0
    bright_lux: float = 300.0
    margin: dt.timedelta = dt.timedelta(minutes=60)
    max_lux: float = 200000.0
    place: Place = field(default_factory=Place)
    lang: str = "fr"


@dataclass(frozen=True)
class NightLight:
    """The night lights' state."""

    rules: NightLightRules
    mode: str = "auto"
    lit: bool = False
    switched_at: dt.datetime | None = None
    lux: float | None = None
    lux_at: dt.datetime | None = None
    daylight: bool | None = None
    warning: str = ""
    """Open sensor warning: "", dark_before_sunset or light_before_sunrise."""


def _alert(state: NightLight, what: str, status: Notice, lux: float) -> Alert:
    phrase = what if status == Notice.PROBLEM else "light_cleared"
    return Alert(key=f"nightlight:{what}", severity=Severity.MINOR, state=status,
                 message=phrases.text(phrase, state.rules.lang, lux=lux), source="nightlight")


def _check_sun(state: NightLight, lux: float, now: dt.datetime, out: list[Any]) -> NightLight:
    rules = state.rules
    phase = sun_phase(rules.place, now, rules.margin)
    if phase == "day":
        warning = "dark_before_sunset" if lux < rules.dark_lux else ""
    elif phase == "night":
        warning = "light_before_sunrise" if lux > rules.bright_lux else ""
    else:
        return state  # twilight: anything goes
    if warning == state.warning:
        return state
    if state.warning:
        out.append(_alert(state, state.warning, Notice.RECOVERY, lux))
    if warning:
        out.append(_alert(state, warning, Notice.PROBLEM, lux))
    return evolve(state, warning=warning)


def decide(state: NightLight, now: dt.datetime, out: list[Any]) -> NightLight:
    """Whether the lights should be lit now; appends the RelayCommand to `out`."""
    rules = state.rules
    daylight = is_daylight(rules.place, now)
    lit = state.lit
    guessed = False
    if state.mode == "auto":
        if state.lux is not None and state.lux_at is not None and now - state.lux_at <= rules.stale:
            if state.lux < rules.on_lux:
                lit = True
            elif state.lux > rules.off_lux:
                lit = False
        else:
            lit, guessed = not daylight, True  # no fresh reading: the sun's guess
        if lit != state.lit and state.switched_at is not None \
                and now - state.switched_at < rules.hold:
            lit = state.lit
    else:
        lit = state.mode == "on"
    if lit == state.lit and daylight == state.daylight:
        return state
    if lit != state.lit:
        out.append(RelayCommand(relay="veilleuse", on=lit))
    # a guess from the sun is no switch to hold: the first real reading may correct it at once
    switched_at = (None if guessed else now) if lit != state.lit else state.switched_at
    return evolve(state, lit=lit, daylight=daylight, switched_at=switched_at)


def report(state: NightLight) -> NightLightState:
    """The NightLightState message of `state`."""
    return NightLightState(mode=state.mode, lit=state.lit, daylight=state.daylight)


def _set_mode(state: NightLight, mode: str, out: list[Any]) -> NightLight:
    if mode not in MODES:
        out.append(EventRejected(f"unknown night light mode {mode!r}"))
        return state
    if mode == state.mode:
        return state
    return evolve(state, mode=mode, switched_at=None)


def _mine(state: NightLight, event: Intent) -> bool:
    if event.intent not in ("HassTurnOn", "HassTurnOff"):
        return False
    name = str(event.slots.get("name", "")).lower()
    return name in state.rules.names or event.slots.get("domain") == "night_light"


def _on_intent(state: NightLight, event: Intent, now: dt.datetime,
               out: list[Any]) -> NightLight | None:
    if not _mine(state, event):
        return None
    return _set_mode(state, "on" if event.intent == "HassTurnOn" else "off", out)


def outcome(state: NightLight, event: Intent, effects: list[Any]) -> Outcome | None:
    """What became of a switch command naming the night light (None: not one)."""
    if not _mine(state, event):
        return None
    refused = next((e for e in effects if isinstance(e, EventRejected)), None)
    if refused is not None:
        return Outcome(event.id, event.intent, False, "refused", {"why": refused.reason})
    return Outcome(event.id, event.intent, True,
                   values={"switched": [str(event.slots.get("name") or "veilleuse")],
                           "lit": state.lit, "mode": state.mode})


def _on_mode(state: NightLight, event: NightLightMode, now: dt.datetime,
             out: list[Any]) -> NightLight:
    return _set_mode(state, event.mode, out)


def _on_muta(state: NightLight, event: MutaUpdate, now: dt.datetime,
             out: list[Any]) -> NightLight | None:
    lux = event.light
    if lux is None or event.unit != state.rules.outdoor_sensor:
        return None
    if not 0 <= lux <= state.rules.max_lux:
        out.append(EventRejected(f"outdoor light {lux} lx out of range"))
        return state
    state = evolve(state, lux=lux, lux_at=now)
    return _check_sun(state, lux, now, out)


def _on_tick(state: NightLight, event: Tick, now: dt.datetime, out: list[Any]) -> NightLight:
    return state


_HANDLERS: dict[type, Callable[[NightLight, Any, dt.datetime, list[Any]],
                               NightLight | None]] = {
    Intent: _on_intent, NightLightMode: _on_mode, MutaUpdate: _on_muta, Tick: _on_tick}
EVENTS = tuple(_HANDLERS)


def step(state: NightLight, event: Any, now: dt.datetime) -> tuple[NightLight, list[Any]]:
    """Apply one event at `now`: the new state and the effects."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return state, []
    out: list[Any] = []
    new = handler(state, event, now, out)
    if new is None:  # not for the night lights
        return state, out
    new = decide(new, now, out)
    if new.mode != state.mode or new.lit != state.lit or new.daylight != state.daylight:
        out.append(report(new))
    return new, out


def to_plain(state: NightLight) -> dict[str, Any]:
    """What the night light service keeps across restarts."""
    return {"mode": state.mode, "lit": state.lit}


def from_plain(rules: NightLightRules, data: dict[str, Any]) -> NightLight:
    """Restore what `to_plain` kept; raises ValueError on a bad file."""
    mode = str(data.get("mode", "auto"))
    if mode not in MODES:
        raise ValueError(f"unknown night light mode {mode!r}")
    return NightLight(rules=rules, mode=mode, lit=bool(data.get("lit")))
