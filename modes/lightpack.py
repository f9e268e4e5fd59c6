"""Lightpack: a colour per mode, a problem overlay, a lock a dialog may hold for a while [pure].

`step(state, event, now) -> (state, effects)` over `ModeChanged`, `HeatingState`, `Alert` (the
sentinel's and the house's own), `LightpackLock` and `Tick`. At home the hue says the heating:
warm in comfort, cooler in eco. `breathe` gives the gentle rise and fall of brightness the
service draws the colour with. The overlay is red while a major problem is open,
orange while a minor one is open or for a few hours after the last problem cleared. A lock
shows its owner's colour until it expires or is released. Effect: `LightpackState` on change.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.messages.heating import HeatingState
from core.messages.lightpack import LightpackLock, LightpackState
from core.messages.presence import Mode, ModeChanged
from core.messages.watch import Alert, Notice, Severity
from modes.effects import EventRejected, Tick
from modes.records import evolve

COCOON, MAJOR = Mode.COCOON, Severity.MAJOR  # names: a member read off its enum is slower


@dataclass(frozen=True)
class LightpackRules:
    """What the lightpack needs from the config."""

    colours: dict[str, tuple[int, ...]] = field(default_factory=lambda: {
        "warm_white": (255, 170, 90), "red": (255, 0, 0), "orange": (255, 110, 0),
        "blue": (0, 50, 255)})
    modes: dict[str, str] = field(default_factory=lambda: {
        "cocoon": "warm_white", "lockout": "red", "asleep": "blue"})
    cleared_hint: dt.timedelta = dt.timedelta(hours=12)
    max_lock: dt.timedelta = dt.timedelta(minutes=10)
    cocoon_eco: str = "eco_white"
    """At home with the heating in eco: this colour instead of the cocoon's."""


@dataclass(frozen=True)
class Lightpack:
    """The strip's state."""

    rules: LightpackRules
    mode: Mode = Mode.COCOON
    eco: bool = False
    """The heating runs an eco profile (the hue at home says so)."""
    problems: tuple[tuple[str, str], ...] = ()
    """Open problems: (alert key, severity)."""
    cleared_at: dt.datetime | None = None
    lock_owner: str = ""
    lock_until: dt.datetime | None = None
    lock_colour: str = ""
    colour: str = ""
    overlay: str = ""
    locked_by: str = ""


def looks(state: Lightpack, now: dt.datetime) -> tuple[str, str, str]:
    """(colour, overlay, locked_by) the strip should show now."""
    rules = state.rules
    locked = bool(state.lock_owner) and state.lock_until is not None and now < state.lock_until
    mode_colour = rules.cocoon_eco if state.mode == COCOON and state.eco \
        and rules.cocoon_eco in rules.colours else rules.modes.get(state.mode, "warm_white")
    colour = state.lock_colour if locked and state.lock_colour else mode_colour
    if any(severity == MAJOR for _, severity in state.problems):
        overlay = "red"
    elif state.problems or (state.cleared_at is not None
                            and now - state.cleared_at < rules.cleared_hint):
        overlay = "orange"
    else:
        overlay = ""
    return colour, overlay, state.lock_owner if locked else ""


def report(state: Lightpack) -> LightpackState:
    """The LightpackState message of `state`."""
    rgb = list(state.rules.colours.get(state.colour, (255, 255, 255)))
    return LightpackState(colour=state.colour, rgb=rgb, overlay=state.overlay,
                          locked_by=state.locked_by)


def _on_mode(state: Lightpack, event: ModeChanged, now: dt.datetime, out: list[Any]) -> Lightpack:
    return state if event.mode == state.mode else evolve(state, mode=event.mode)


def _on_heating(state: Lightpack, event: HeatingState, now: dt.datetime,
                out: list[Any]) -> Lightpack:
    eco = event.profile not in ("comfort", "force_comfort")
    return state if eco == state.eco else evolve(state, eco=eco)


def breathe(rgb: tuple[int, ...], seconds: float, period_s: float,
            depth: float) -> tuple[int, int, int]:
    """The colour at `seconds` into a slow breath: full at the top, (1 - depth) at the
    bottom, a cosine in between (steady when the period is 0)."""
    r, g, b = rgb[:3]
    if period_s <= 0 or depth <= 0:
        return r, g, b
    level = 1.0 - depth * (1.0 - math.cos(2 * math.pi * seconds / period_s)) / 2
    return round(r * level), round(g * level), round(b * level)


def _on_alert(state: Lightpack, event: Alert, now: dt.datetime, out: list[Any]) -> Lightpack:
    others = tuple(p for p in state.problems if p[0] != event.key)
    if event.state == Notice.RECOVERY:
        if len(others) == len(state.problems):
            return state
        return evolve(state, problems=others, cleared_at=now)
    if event.state not in (Notice.PROBLEM, Notice.REMINDER) \
            or event.severity not in (Severity.MINOR, Severity.MAJOR):
        out.append(EventRejected(f"alert {event.key}: state {event.state!r} / severity "
                                 f"{event.severity!r} not understood"))
        return state
    return evolve(state, problems=(*others, (event.key, event.severity)))


def _on_lock(state: Lightpack, event: LightpackLock, now: dt.datetime,
             out: list[Any]) -> Lightpack:
    held = state.lock_owner and state.lock_until is not None and now < state.lock_until
    if held and event.owner != state.lock_owner:
        out.append(EventRejected(f"lightpack locked by {state.lock_owner}, not {event.owner}"))
        return state
    if event.seconds <= 0:
        return evolve(state, lock_owner="", lock_until=None, lock_colour="")
    if event.colour and event.colour not in state.rules.colours:
        out.append(EventRejected(f"unknown colour {event.colour!r}"))
        return state
    seconds = min(dt.timedelta(seconds=event.seconds), state.rules.max_lock)
    return evolve(state, lock_owner=event.owner, lock_until=now + seconds,
                               lock_colour=event.colour)


def _on_tick(state: Lightpack, event: Tick, now: dt.datetime, out: list[Any]) -> Lightpack:
    return state


_HANDLERS: dict[type, Callable[[Lightpack, Any, dt.datetime, list[Any]], Lightpack]] = {
    ModeChanged: _on_mode, HeatingState: _on_heating, Alert: _on_alert,
    LightpackLock: _on_lock, Tick: _on_tick}
EVENTS = tuple(_HANDLERS)


def step(state: Lightpack, event: Any, now: dt.datetime) -> tuple[Lightpack, list[Any]]:
    """Apply one event at `now`: the new state and the effects."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return state, []
    out: list[Any] = []
    state = handler(state, event, now, out)
    shown = looks(state, now)
    if shown != (state.colour, state.overlay, state.locked_by):
        state = evolve(state, colour=shown[0], overlay=shown[1], locked_by=shown[2])
        out.append(report(state))
    return state, out
