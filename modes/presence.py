"""The presence machine: cocoon / lockout / asleep, one transition table, named guards [pure].

`step(state, event, now) -> (state, effects)`. Events are bus messages (`Intent`, `PirMotion`,
`BluetoothPresence`) or `Tick`/`ForceMode`; effects are messages to publish (`ModeChanged`,
`Say`, `Alert`, `BluetoothScanRequest`) or `EventRejected`. Entering and leaving a mode has effects
(`_ON_ENTER`, `_ON_EXIT`); every change keeps who made it ("changed by").

Owner's rules: motion in lockout (after the exit delay) asks for a Bluetooth scan; a known phone
within the grace period means the owner is back (greeting + cocoon), none means an intrusion
alert. Asleep turns silence on and restores it on waking. A light switched on locally at night
in lockout raises an alert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.messages.dialogs import Intent, Outcome
from core.messages.presence import (
    BluetoothPresence,
    BluetoothScanRequest,
    ChangedBy,
    Mode,
    ModeChanged,
    PirMotion,
)
from core.messages.voice import Say
from core.messages.watch import Alert, Notice, Severity
from modes import phrases
from modes.effects import EventRejected, ForceMode, Tick
from modes.records import evolve
from modes.sun import Place, is_daylight

COCOON, LOCKOUT, ASLEEP = Mode.COCOON, Mode.LOCKOUT, Mode.ASLEEP
KNOWN_PHONE = "known_phone"
_CHANNELS = {c.value for c in ChangedBy}
_REMOTE = frozenset({"sms", "push"})


@dataclass(frozen=True)
class PresenceRules:
    """What the presence machine needs from the config."""

    known_devices: frozenset[str] = frozenset({"phone-owner"})
    pir_sensors: frozenset[str] = frozenset({"entry", "kiosk", "indoor"})
    scan_grace: dt.timedelta = dt.timedelta(minutes=2)
    exit_delay: dt.timedelta = dt.timedelta(minutes=5)
    silence_when_asleep: bool = True
    lights: frozenset[str] = frozenset({"veilleuse"})
    """Names (lower case) of devices that are lights."""
    place: Place = field(default_factory=Place)
    lang: str = "fr"


@dataclass(frozen=True)
class Presence:
    """The presence state (persisted, see `to_plain`)."""

    rules: PresenceRules
    mode: Mode = COCOON
    since: dt.datetime | None = None
    changed_by: str = ChangedBy.RESTORE.value
    reason: str = ""
    silence: bool = False
    silence_saved: bool = False
    """Silence before falling asleep, restored on waking."""
    return_at: dt.datetime | None = None
    scan_until: dt.datetime | None = None
    """An entry check is open until then: a known phone must show up."""
    scan_sensor: str = ""
    phone_seen_at: dt.datetime | None = None
    intrusion: bool = False


# ---- guards ---------------------------------------------------------------------------------
def always(state: Presence, now: dt.datetime) -> bool:
    """No condition."""
    return True


def entry_check_open(state: Presence, now: dt.datetime) -> bool:
    """Motion was seen in lockout and the intrusion is still to be confirmed or just raised."""
    return state.scan_until is not None or state.intrusion


def exit_delay_over(state: Presence, now: dt.datetime) -> bool:
    """Lockout began long enough ago that motion is not the owner walking out."""
    return state.since is None or now >= state.since + state.rules.exit_delay


# ---- the table --------------------------------------------------------------------------------
Guard = Callable[[Presence, dt.datetime], bool]
TRANSITIONS: tuple[tuple[str, tuple[Mode, ...], Mode, Guard], ...] = (
    # trigger           from                       to       guard
    ("BasecampLeave",  (COCOON, ASLEEP, LOCKOUT), LOCKOUT, always),
    ("BasecampReturn", (LOCKOUT, ASLEEP),         COCOON,  always),
    ("BasecampWake",   (ASLEEP, LOCKOUT),         COCOON,  always),
    ("BasecampSleep",  (COCOON, LOCKOUT),         ASLEEP,  always),
    (KNOWN_PHONE,      (LOCKOUT,),                COCOON,  entry_check_open),
)
_TABLE: dict[tuple[str, Mode], tuple[Mode, Guard]] = {
    (trigger, source): (target, guard)
    for trigger, sources, target, guard in TRANSITIONS for source in sources}
TRIGGERS = frozenset(t for t, *_ in TRANSITIONS)


def changed_by(channel: str) -> str:
    """The "changed by" of an intent's channel (terminal when unknown)."""
    return channel if channel in _CHANNELS else ChangedBy.TERMINAL.value


def announce(state: Presence) -> ModeChanged:
    """The ModeChanged message describing `state`."""
    return ModeChanged(
        mode=state.mode, since=state.since.isoformat() if state.since else "",
        changed_by=state.changed_by, reason=state.reason, silence=state.silence,
        return_at=state.return_at.isoformat() if state.return_at else None)


def outcome(state: Presence, event: Intent, effects: list[Any]) -> Outcome | None:
    """What became of a presence command (None: not one): the mode it left the house in."""
    if event.intent not in TRIGGERS and event.intent != "BasecampSilence":
        return None
    refused = next((e for e in effects if isinstance(e, EventRejected)), None)
    if refused is not None:
        return Outcome(event.id, event.intent, False, refused.key or "refused",
                       refused.values or {"why": refused.reason})
    values: dict[str, Any] = {"mode": state.mode.value, "silence": state.silence}
    if state.return_at is not None:
        values["return_at"] = state.return_at.isoformat()
    return Outcome(event.id, event.intent, True, values=values)


# ---- entry / exit effects ------------------------------------------------------------------------
def _enter_cocoon(state: Presence, now: dt.datetime, out: list[Any]) -> Presence:
    if state.changed_by == ChangedBy.SENSOR:
        out.append(Say(phrases.text("greeting", state.rules.lang), priority=1))
    return state


def _enter_asleep(state: Presence, now: dt.datetime, out: list[Any]) -> Presence:
    if state.rules.silence_when_asleep:
        return evolve(state, silence_saved=state.silence, silence=True)
    return state


def _exit_asleep(state: Presence, now: dt.datetime, out: list[Any]) -> Presence:
    if state.rules.silence_when_asleep:
        return evolve(state, silence=state.silence_saved)
    return state


def _exit_lockout(state: Presence, now: dt.datetime, out: list[Any]) -> Presence:
    if state.intrusion:
        out.append(_alert(state, "intrusion", Severity.MAJOR, Notice.RECOVERY, "intrusion_cleared"))
    return evolve(state, return_at=None, scan_until=None, scan_sensor="",
                               intrusion=False)


Hook = Callable[[Presence, dt.datetime, list[Any]], Presence]
_ON_ENTER: dict[Mode, Hook] = {COCOON: _enter_cocoon, ASLEEP: _enter_asleep}
_ON_EXIT: dict[Mode, Hook] = {ASLEEP: _exit_asleep, LOCKOUT: _exit_lockout}


def _alert(state: Presence, what: str, severity: Severity, status: Notice, phrase: str,
           **values: object) -> Alert:
    return Alert(key=f"modes:{what}", severity=severity, state=status,
                 message=phrases.text(phrase, state.rules.lang, **values), source="modes")


def transition(state: Presence, target: Mode, now: dt.datetime, by: str, reason: str,
               return_at: dt.datetime | None = None) -> tuple[Presence, list[Any]]:
    """Leave the current mode, enter `target`, announce the change."""
    out: list[Any] = []
    if target != state.mode:
        exit_hook = _ON_EXIT.get(state.mode)
        if exit_hook is not None:
            state = exit_hook(state, now, out)
    same = target == state.mode
    state = evolve(state, mode=target, since=state.since if same else now,
                                changed_by=by, reason=reason, return_at=return_at)
    if not same:
        enter_hook = _ON_ENTER.get(target)
        if enter_hook is not None:
            state = enter_hook(state, now, out)
    out.append(announce(state))
    return state, out


def fire(state: Presence, trigger: str, now: dt.datetime, by: str, reason: str,
         return_at: dt.datetime | None = None) -> tuple[Presence, list[Any]]:
    """Apply a trigger through the table; refused ("can't X when in Y") when it does not fit."""
    row = _TABLE.get((trigger, state.mode))
    if row is None or not row[1](state, now):
        return state, [EventRejected(f"can't {trigger} when in {state.mode}")]
    return transition(state, row[0], now, by, reason, return_at)


# ---- event handlers --------------------------------------------------------------------------
def _return_at(value: Any, now: dt.datetime, out: list[Any]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        out.append(EventRejected(f"return_at {value!r} is not an ISO datetime"))
        return None
    if when.tzinfo is None or when <= now:
        out.append(EventRejected(f"return_at {value!r} is naive or in the past"))
        return None
    return when


def _on_intent(state: Presence, event: Intent, now: dt.datetime) -> tuple[Presence, list[Any]]:
    name, by = event.intent, changed_by(event.channel)
    if name in TRIGGERS:
        notes: list[Any] = []
        when = _return_at(event.slots.get("return_at"), now, notes) \
            if name == "BasecampLeave" else None
        state, out = fire(state, name, now, by, name)
        if when is not None and state.mode == LOCKOUT:
            state = evolve(state, return_at=when)
            out[-1] = announce(state)
        return state, notes + out
    if name == "BasecampSilence":
        wanted = event.slots.get("state")
        if wanted not in ("on", "off"):
            return state, [EventRejected(f"silence state {wanted!r} is not on/off")]
        state = evolve(state, silence=wanted == "on", changed_by=by,
                                    reason=f"silence {wanted}")
        return state, [announce(state)]
    if name == "HassTurnOn" and state.mode == LOCKOUT and event.channel not in _REMOTE:
        device = str(event.slots.get("name", "")).lower()
        if (device in state.rules.lights or event.slots.get("domain") == "light") \
                and not is_daylight(state.rules.place, now):
            return state, [_alert(state, "light_at_night", Severity.MAJOR, Notice.PROBLEM,
                                  "light_at_night", name=(device or "light").capitalize(),
                                  channel=by)]
    return state, []


def _on_pir(state: Presence, event: PirMotion, now: dt.datetime) -> tuple[Presence, list[Any]]:
    if event.sensor not in state.rules.pir_sensors:
        return state, [EventRejected(f"unknown PIR sensor {event.sensor!r}")]
    if event.state != 1 or state.mode != LOCKOUT or not exit_delay_over(state, now):
        return state, []
    seen = state.phone_seen_at
    if seen is not None and now - seen <= state.rules.scan_grace and exit_delay_over(state, seen):
        state = evolve(state, scan_until=now, scan_sensor=event.sensor)
        return fire(state, KNOWN_PHONE, now, ChangedBy.SENSOR.value, "known phone at the door")
    if state.scan_until is not None:
        return state, []
    state = evolve(state, scan_until=now + state.rules.scan_grace,
                                scan_sensor=event.sensor)
    return state, [BluetoothScanRequest(reason=f"motion {event.sensor} in lockout")]


def _on_bluetooth(state: Presence, event: BluetoothPresence,
                  now: dt.datetime) -> tuple[Presence, list[Any]]:
    if event.device not in state.rules.known_devices:
        return state, [EventRejected(f"unknown Bluetooth device {event.device!r}")]
    if not event.seen:
        return state, []
    state = evolve(state, phone_seen_at=now)
    if state.mode == LOCKOUT and entry_check_open(state, now):
        return fire(state, KNOWN_PHONE, now, ChangedBy.SENSOR.value, f"{event.device} seen")
    return state, []


def _on_force(state: Presence, event: ForceMode, now: dt.datetime) -> tuple[Presence, list[Any]]:
    try:
        target = Mode(event.mode)
    except ValueError:
        return state, [EventRejected(f"unknown mode {event.mode!r}")]
    return transition(state, target, now, changed_by(event.changed_by), "forced")


def _on_tick(state: Presence, event: Tick, now: dt.datetime) -> tuple[Presence, list[Any]]:
    return state, []


_HANDLERS: dict[type, Callable[[Presence, Any, dt.datetime], tuple[Presence, list[Any]]]] = {
    Intent: _on_intent, PirMotion: _on_pir, BluetoothPresence: _on_bluetooth,
    ForceMode: _on_force, Tick: _on_tick}
EVENTS = tuple(_HANDLERS)


def step(state: Presence, event: Any, now: dt.datetime) -> tuple[Presence, list[Any]]:
    """Apply one event at `now`: the new state and the effects to carry out."""
    early: list[Any] = []
    if state.scan_until is not None and now > state.scan_until and state.mode == LOCKOUT \
            and not state.intrusion:
        early.append(_alert(state, "intrusion", Severity.MAJOR, Notice.PROBLEM, "intrusion",
                            sensor=state.scan_sensor))
        state = evolve(state, scan_until=None, intrusion=True)
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return state, early
    state, out = handler(state, event, now)
    return state, early + out if early else out


def to_plain(state: Presence) -> dict[str, Any]:
    """What is persisted across restarts (JSON-friendly)."""
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None
    return {"mode": state.mode.value, "since": iso(state.since), "changed_by": state.changed_by,
            "reason": state.reason, "silence": state.silence,
            "silence_saved": state.silence_saved, "return_at": iso(state.return_at),
            "scan_until": iso(state.scan_until), "scan_sensor": state.scan_sensor,
            "intrusion": state.intrusion}


def from_plain(rules: PresenceRules, data: dict[str, Any]) -> Presence:
    """Restore a persisted state; raises ValueError/KeyError/TypeError on a bad file."""
    def when(key: str) -> dt.datetime | None:
        value = data.get(key)
        return dt.datetime.fromisoformat(value) if value else None
    return Presence(rules=rules, mode=Mode(data["mode"]), since=when("since"),
                    changed_by=str(data.get("changed_by", "restore")),
                    reason=str(data.get("reason", "")), silence=bool(data.get("silence")),
                    silence_saved=bool(data.get("silence_saved")), return_at=when("return_at"),
                    scan_until=when("scan_until"), scan_sensor=str(data.get("scan_sensor", "")),
                    intrusion=bool(data.get("intrusion")))
