"""Heating: profiles, weekly schedules, a thermostat with hysteresis and a failsafe [pure].

`step(state, event, now) -> (state, effects)` over `ModeChanged`, `MutaUpdate` (temperatures),
`SetProfile`, `Intent` (BasecampHeatingProfile) and `Tick`. Effects: `RelayCommand` when the
relay must move, `HeatingState` when profile/setpoint/relay change, `Alert` (failsafe, comfort
in the middle of the night) and `EventRejected`.

Which profile runs (`resolve`), first match wins: a forced profile not yet expired; asleep ->
night on the bedroom sensor; lockout with a known return -> comfort from return − preheat; the
chosen regime (comfort, eco, or a weekly schedule of comfort periods). Lockout with a known,
long enough absence forces eco until return − preheat; coming back cancels that force.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.messages.dialogs import Intent, Outcome
from core.messages.heating import HeatingState, SetProfile
from core.messages.presence import Mode, ModeChanged
from core.messages.relays import RelayCommand
from core.messages.sensors import MutaUpdate
from core.messages.watch import Alert, Notice, Severity
from modes import phrases
from modes.effects import EventRejected, Tick
from modes.records import evolve
from modes.sun import zone

_LOGGER = logging.getLogger(__name__)
REGIMES = ("work_week", "holiday_week", "comfort", "eco")
FORCES = ("force_comfort", "force_eco")
PROFILES = REGIMES + FORCES
ABSENCE = "absence"
LOCKOUT, ASLEEP = Mode.LOCKOUT, Mode.ASLEEP  # names: a member read off its enum is slower
Week = tuple[tuple[tuple[int, int], ...], ...]


@dataclass(frozen=True)
class HeatingRules:
    """What the heating needs from the config, precompiled."""

    primary: str = "salon"
    secondary: str = "chambre"
    comfort: float = 20.0
    eco: float = 17.0
    night: float = 18.0
    hysteresis: float = 0.3
    schedules: dict[str, Week] = field(default_factory=dict)
    """Regime -> 7 days (Monday first) -> comfort periods in minutes since midnight."""
    stale: dt.timedelta = dt.timedelta(minutes=30)
    night_alert: tuple[int, int] = (60, 300)
    preheat: dt.timedelta = dt.timedelta(hours=1)
    min_absence: dt.timedelta = dt.timedelta(hours=3)
    valid: tuple[float, float] = (-40.0, 60.0)
    timezone: str = "Europe/Paris"
    lang: str = "fr"
    setpoints: tuple[float, float] = (5.0, 28.0)
    """Lowest and highest temperature a room may be set to."""
    devices: tuple[str, ...] = ()
    """The devices this heater switches (the central heating's thermostat)."""

    @property
    def rooms(self) -> tuple[str, ...]:
        """The rooms whose temperature the heater can hold (where its two sensors are)."""
        return (self.primary, self.secondary)


@dataclass(frozen=True)
class Heating:
    """The heating state: inputs seen so far and what was last decided."""

    rules: HeatingRules
    mode: Mode = Mode.COCOON
    return_at: dt.datetime | None = None
    regime: str = "work_week"
    force: str = ""
    force_until: dt.datetime | None = None
    force_origin: str = ""
    primary: float | None = None
    primary_at: dt.datetime | None = None
    secondary: float | None = None
    secondary_at: dt.datetime | None = None
    relay: bool = False
    failsafe: bool = False
    night_alert: bool = False
    profile: str = ""
    setpoint: float = 0.0
    sensor: str = ""
    override: float | None = None
    """A room's temperature asked for ("mets 22 degrés dans la chambre"): it replaces the
    profile's setpoint until the profile changes or `override_until`."""
    override_room: str = ""
    override_profile: str = ""
    """The profile running when it was asked: another one ends it."""
    override_until: dt.datetime | None = None
    shown_regime: str = ""
    """The regime the last HeatingState said: a regime chosen is told even when the profile
    it runs now is the same."""


def setpoint_of(rules: HeatingRules, profile: str) -> float:
    """Temperature wanted by a profile."""
    if profile in ("comfort", "force_comfort"):
        return rules.comfort
    if profile == "night":
        return rules.night
    return rules.eco


def _scheduled(rules: HeatingRules, regime: str, local: dt.datetime) -> str:
    minute = local.hour * 60 + local.minute
    for start, end in rules.schedules[regime][local.weekday()]:
        if start <= minute < end:
            return "comfort"
    return "eco"


def resolve(state: Heating, now: dt.datetime) -> tuple[str, float, str]:
    """(profile, setpoint, reference sensor) that should run now."""
    rules = state.rules
    if state.force and (state.force_until is None or now < state.force_until):
        profile = state.force
    elif state.mode == ASLEEP:
        return "night", rules.night, rules.secondary
    elif state.mode == LOCKOUT and state.return_at is not None \
            and state.return_at - rules.preheat <= now < state.return_at + rules.preheat:
        profile = "comfort"
    elif state.regime in rules.schedules:
        profile = _scheduled(rules, state.regime, now.astimezone(zone(rules.timezone)))
    else:
        profile = state.regime
    return profile, setpoint_of(rules, profile), rules.primary


def reading(state: Heating, sensor: str, now: dt.datetime) -> tuple[float | None, str]:
    """The fresh reference temperature and its sensor (bedroom falls back to the primary)."""
    stale = state.rules.stale
    if sensor == state.rules.secondary and state.secondary_at is not None \
            and now - state.secondary_at <= stale:
        return state.secondary, sensor
    if state.primary_at is not None and now - state.primary_at <= stale:
        return state.primary, state.rules.primary
    return None, sensor


def _alert(state: Heating, what: str, severity: Severity, status: Notice, phrase: str,
           **values: object) -> Alert:
    return Alert(key=f"heater:{what}", severity=severity, state=status,
                 message=phrases.text(phrase, state.rules.lang, **values), source="heater")


def decide(state: Heating, now: dt.datetime, out: list[Any]) -> Heating:
    """Thermostat, failsafe and night check after any input; appends effects to `out`."""
    rules = state.rules
    if state.force_until is not None and now >= state.force_until:
        state = evolve(state, force="", force_until=None, force_origin="")
    profile, setpoint, sensor = resolve(state, now)
    override = state.override
    if override is not None:
        if profile != state.override_profile or (
                state.override_until is not None and now >= state.override_until):
            state = evolve(state, override=None, override_room="", override_profile="",
                           override_until=None)
        else:
            setpoint = override
            sensor = state.rules.primary if state.override_room == state.rules.primary \
                else state.rules.secondary
    temperature, sensor = reading(state, sensor, now)
    relay, failsafe = state.relay, state.failsafe
    if temperature is None:
        if relay:
            minutes = f"{rules.stale.total_seconds() / 60:g}"
            out.append(_alert(state, "failsafe", Severity.MAJOR, Notice.PROBLEM, "failsafe",
                              sensor=sensor, minutes=minutes))
            failsafe = True
        relay = False
    else:
        if failsafe:
            out.append(_alert(state, "failsafe", Severity.MAJOR, Notice.RECOVERY,
                              "failsafe_cleared", sensor=sensor))
            failsafe = False
        if temperature < setpoint - rules.hysteresis:
            relay = True
        elif temperature > setpoint + rules.hysteresis:
            relay = False
    local = now.astimezone(zone(rules.timezone))
    minute = local.hour * 60 + local.minute
    at_night = profile in ("comfort", "force_comfort") \
        and rules.night_alert[0] <= minute < rules.night_alert[1]
    if at_night != state.night_alert:
        out.append(_alert(state, "comfort_at_night", Severity.MINOR,
                          Notice.PROBLEM if at_night else Notice.RECOVERY,
                          "comfort_at_night" if at_night else "comfort_at_night_cleared",
                          profile=phrases.profile_name(profile, rules.lang)))
    if relay != state.relay:
        out.append(RelayCommand(relay="heater", on=relay))
    changed = (profile, setpoint, relay, state.regime) != (
        state.profile, state.setpoint, state.relay, state.shown_regime)
    if changed or failsafe != state.failsafe or at_night != state.night_alert \
            or sensor != state.sensor:
        state = evolve(state, relay=relay, failsafe=failsafe, night_alert=at_night,
                       profile=profile, setpoint=setpoint, sensor=sensor,
                       shown_regime=state.regime)
        if changed:
            out.append(report(state, temperature))
    return state


def report(state: Heating, temperature: float | None = None) -> HeatingState:
    """The HeatingState message of `state`."""
    return HeatingState(profile=state.profile, setpoint=state.setpoint, relay=state.relay,
                        regime=state.regime, sensor=state.sensor, temperature=temperature,
                        until=state.force_until.isoformat() if state.force_until else None,
                        override=state.override is not None, room=state.override_room)


# ---- inputs ---------------------------------------------------------------------------------
def choose(state: Heating, profile: str, until: Any, now: dt.datetime,
           origin: str = "") -> tuple[Heating, EventRejected | None]:
    """Apply a profile request (regime, or force with optional ISO expiry)."""
    if profile in REGIMES:
        return evolve(state, regime=profile, force="", force_until=None,
                                   force_origin=""), None
    if profile not in FORCES:
        return state, EventRejected(f"unknown heating profile {profile!r}")
    expiry = None
    if until not in (None, ""):
        try:
            expiry = until if isinstance(until, dt.datetime) else dt.datetime.fromisoformat(until)
        except (TypeError, ValueError):
            return state, EventRejected(f"profile expiry {until!r} is not an ISO datetime")
        if expiry.tzinfo is None or expiry <= now:
            return state, EventRejected(f"profile expiry {until!r} is naive or in the past")
    return evolve(state, force=profile, force_until=expiry,
                               force_origin=origin), None


def _on_mode(state: Heating, event: ModeChanged, now: dt.datetime, out: list[Any]) -> Heating:
    try:
        back = dt.datetime.fromisoformat(event.return_at) if event.return_at else None
    except ValueError:
        back = None
    if (event.mode, back) == (state.mode, state.return_at):
        return state  # republished, nothing new
    state = evolve(state, mode=event.mode, return_at=back)
    rules = state.rules
    if event.mode == LOCKOUT and back is not None and back - now >= rules.min_absence:
        state, _ = choose(state, "force_eco", back - rules.preheat, now, ABSENCE)
    elif event.mode != LOCKOUT and state.force_origin == ABSENCE:
        state = evolve(state, force="", force_until=None, force_origin="")
    return state


def _on_muta(state: Heating, event: MutaUpdate, now: dt.datetime,
             out: list[Any]) -> Heating | None:
    value, rules = event.temperature, state.rules
    if value is None or event.unit not in (rules.primary, rules.secondary):
        return None
    if not rules.valid[0] <= value <= rules.valid[1]:
        out.append(EventRejected(f"temperature {value} from {event.unit} out of range"))
        return state
    if event.unit == rules.primary:
        return evolve(state, primary=value, primary_at=now)
    return evolve(state, secondary=value, secondary_at=now)


def _on_profile(state: Heating, event: SetProfile, now: dt.datetime, out: list[Any]) -> Heating:
    state, rejected = choose(state, event.profile, event.until, now)
    if rejected is not None:
        out.append(rejected)
    return state


def _on_intent(state: Heating, event: Intent, now: dt.datetime,
               out: list[Any]) -> Heating | None:
    if event.intent == "HassClimateSetTemperature":
        return _set_temperature(state, event, now, out)
    if event.intent in ("HassTurnOn", "HassTurnOff") and _mine(state, event):
        # "allume / éteins le chauffage": comfort or eco, forced, until changed
        profile = "force_comfort" if event.intent == "HassTurnOn" else "force_eco"
        state, rejected = choose(state, profile, None, now)
        return state
    if event.intent != "BasecampHeatingProfile":
        return None
    state, rejected = choose(state, str(event.slots.get("profile", "")),
                             event.slots.get("until"), now)
    if rejected is not None:
        out.append(rejected)
    return state


def _mine(state: Heating, event: Intent) -> bool:
    """True when a switch command reaches this heater (named, or the heating of a room)."""
    name = event.slots.get("name")
    if name:
        return name in state.rules.devices
    return event.slots.get("domain") == "climate" and event.slots.get("area") in (
        *state.rules.rooms, "*")


def _set_temperature(state: Heating, event: Intent, now: dt.datetime,
                     out: list[Any]) -> Heating | None:
    room = str(event.slots.get("area", ""))
    try:
        value = float(event.slots.get("temperature", ""))
    except (TypeError, ValueError):
        out.append(EventRejected(f"temperature {event.slots.get('temperature')!r} is not a number"))
        return state
    low, high = state.rules.setpoints
    if room not in state.rules.rooms:
        out.append(EventRejected(f"no heating control in {room!r}", "no_heating_here",
                                 {"area": room, "rooms": ", ".join(state.rules.rooms)}))
        return state
    if not low <= value <= high:
        out.append(EventRejected(f"setpoint {value} outside {low}-{high}", "temperature_range",
                                 {"temperature": value, "min": low, "max": high}))
        return state
    until = event.slots.get("until")
    try:
        expiry = dt.datetime.fromisoformat(until) if until else None
    except (TypeError, ValueError):
        expiry = None
    profile, _, _ = resolve(state, now)
    return evolve(state, override=value, override_room=room, override_profile=profile,
                  override_until=expiry)


def outcome(state: Heating, event: Intent, effects: list[Any]) -> Outcome | None:
    """What became of a command the heater carries out (None: not the heater's)."""
    if event.intent == "BasecampHeatingProfile" or event.intent == "HassClimateSetTemperature" \
            or (event.intent in ("HassTurnOn", "HassTurnOff") and _mine(state, event)):
        refused = next((e for e in effects if isinstance(e, EventRejected)), None)
        if refused is not None:
            return Outcome(event.id, event.intent, False, refused.key or "refused",
                           refused.values or {"why": refused.reason})
        values: dict[str, Any] = {"running": state.profile, "setpoint": state.setpoint}
        if state.force_until is not None:
            values["until"] = state.force_until.isoformat()
        if event.intent == "HassClimateSetTemperature":
            values["area"] = state.override_room
        if event.intent in ("HassTurnOn", "HassTurnOff"):
            values["switched"] = list(state.rules.devices)
        return Outcome(event.id, event.intent, True, values=values)
    return None


def _on_tick(state: Heating, event: Tick, now: dt.datetime, out: list[Any]) -> Heating:
    return state


_Handler = Callable[[Heating, Any, dt.datetime, list[Any]], Heating | None]
_HANDLERS: dict[type, _Handler] = {
    ModeChanged: _on_mode, MutaUpdate: _on_muta, SetProfile: _on_profile, Intent: _on_intent,
    Tick: _on_tick}
EVENTS = tuple(_HANDLERS)


def step(state: Heating, event: Any, now: dt.datetime) -> tuple[Heating, list[Any]]:
    """Apply one event at `now`; the relay is left OFF if anything goes wrong (failsafe)."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return state, []
    out: list[Any] = []
    try:
        new = handler(state, event, now, out)
        if new is None:  # not for the heating (another unit's reading)
            return state, out
        state = decide(new, now, out)
    except Exception as err:  # never leave a relay on because of a bug
        _LOGGER.exception("heating step failed on %r", event)
        out = [EventRejected(f"heating failed on {type(event).__name__}: {err}")]
        if state.relay:
            out.append(RelayCommand(relay="heater", on=False))
        state = evolve(state, relay=False)
    return state, out


def to_plain(state: Heating) -> dict[str, Any]:
    """What the heater keeps across restarts."""
    return {"regime": state.regime, "force": state.force, "force_origin": state.force_origin,
            "force_until": state.force_until.isoformat() if state.force_until else None,
            "mode": state.mode,
            "return_at": state.return_at.isoformat() if state.return_at else None,
            "override": state.override, "override_room": state.override_room,
            "override_profile": state.override_profile,
            "override_until": state.override_until.isoformat() if state.override_until
            else None}


def from_plain(rules: HeatingRules, data: dict[str, Any]) -> Heating:
    """Restore what `to_plain` kept; raises ValueError/KeyError/TypeError on a bad file."""
    def when(key: str) -> dt.datetime | None:
        return dt.datetime.fromisoformat(data[key]) if data.get(key) else None
    regime = str(data.get("regime", "work_week"))
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}")
    return Heating(rules=rules, regime=regime, force=str(data.get("force", "")),
                   force_until=when("force_until"), force_origin=str(data.get("force_origin", "")),
                   mode=Mode(data.get("mode", Mode.COCOON)), return_at=when("return_at"),
                   override=float(data["override"]) if data.get("override") is not None
                   else None, override_room=str(data.get("override_room", "")),
                   override_profile=str(data.get("override_profile", "")),
                   override_until=when("override_until"))
