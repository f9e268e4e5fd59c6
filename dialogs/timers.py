"""Timers and reminders [pure]: what is set, when each is due, and what the house does then.

`step(state, event, now, house) -> (state, effects)` over `Intent` (HA's timer intents and
`BasecampReminder`, canonical slots from `dialogs.slots`), `ModeChanged` (is anybody home?)
and `Tick` (the house clock moved). Effects: an `Outcome` for each command carrying an id
(done, with what the reply says, or refused: `no_timer`), a `TimersState` at every change,
and when one is due: a `Say` in the room where it was set (`Intent.room`, else the house's
default room) or, when the house is in lockout then (nobody home to hear it), an `SmsSend`
to the owner. Due times live on the injected house clock; a paused timer keeps what was left.
`to_plain`/`from_plain` are what survives a restart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from core.messages.dialogs import Intent, Outcome, SmsSend
from core.messages.presence import Mode, ModeChanged
from core.messages.timers import TimersState
from core.messages.voice import Say
from dialogs.replies import render
from dialogs.text import fold

TIMER_INTENTS = frozenset({"HassStartTimer", "HassCancelTimer", "HassIncreaseTimer",
                           "HassDecreaseTimer", "HassPauseTimer", "HassUnpauseTimer",
                           "HassTimerStatus", "HassCancelAllTimers"})
REMINDER = "BasecampReminder"
HANDLED = TIMER_INTENTS | {REMINDER}
"""The intents the timers service carries out."""
MAX_SECONDS = 7 * 24 * 3600
"""The longest timer (a week): beyond, it is a reminder's job."""
_PIECE = re.compile(r"[^\s'\u2019\u2018`\-\u2010\u2011\u2013]+")
_UNITS = (("hour", 3600), ("minute", 60), ("second", 1))


@dataclass(frozen=True)
class Tick:
    """The house clock moved: ring what is due."""


@dataclass(frozen=True)
class TimerHouse:
    """What the machine needs of the house: where to ring and whom to text."""

    default_room: str
    owner_phones: tuple[str, ...] = ()
    lang: str = "fr"


@dataclass(frozen=True)
class Timer:
    """One timer or reminder."""

    id: str
    kind: str
    """"timer" or "reminder"."""
    due: dt.datetime
    """When it rings (for a paused timer: when it would have, as paused)."""
    seconds: int = 0
    """A timer's length as set (and changed)."""
    name: str = ""
    message: str = ""
    room: str = ""
    lang: str = "fr"
    paused_left: float | None = None
    """Seconds left, while paused."""

    def left(self, now: dt.datetime) -> float:
        """Seconds until it rings (as of `now`)."""
        if self.paused_left is not None:
            return self.paused_left
        return max(0.0, (self.due - now).total_seconds())


@dataclass(frozen=True)
class Timers:
    """Everything set, and whether the house is in lockout (nobody home)."""

    items: tuple[Timer, ...] = ()
    lockout: bool = False
    counter: int = 0


def seconds_of(slots: dict[str, Any], prefix: str = "") -> int:
    """Hours, minutes and seconds slots -> seconds (0 when none)."""
    total = 0.0
    for unit, factor in _UNITS:
        value = slots.get(f"{prefix}{unit}s")
        if value is not None:
            try:
                total += float(value) * factor
            except (TypeError, ValueError):
                continue
    return round(total)


_LEAD = re.compile(r"^(?:(?:le |la |les |l'|l’|mon |ma |mes |the |my )?(?:minuteur|minuterie|"
                   r"compte à rebours|timer)s? (?:des |du |de la |de l'|de l’|de |pour |for |"
                   r"called |named )?)?(?:les |le |la |l'|l’|mon |ma |mes |the |my )?",
                   re.IGNORECASE)


def timer_name(raw: str) -> str:
    """A timer's name without the article it was said with ("les pâtes" -> "pâtes",
    "minuteur des pâtes" -> "pâtes")."""
    name = " ".join(str(raw).split()).strip(" ,.;:!?")
    stripped = _LEAD.sub("", name, count=1).strip()
    return stripped or name


def as_said(value: str, text: str) -> str:
    """A free-text slot found in folded text ("pates") as the speaker wrote it in `text`
    ("pâtes"): the first run of words of `text` that folds to it (else the value)."""
    target = fold(value).split()
    if not target:
        return value
    pieces = [(m.start(), m.end()) for m in _PIECE.finditer(text)]
    for first in range(len(pieces)):
        for last in range(first, len(pieces)):
            words = fold(text[pieces[first][0]:pieces[last][1]]).split()
            if words == target:
                return text[pieces[first][0]:pieces[last][1]].strip(" ,.;:!?")
            if len(words) >= len(target) or words != target[:len(words)]:
                break
    return value


def as_said_slots(slots: dict[str, Any], text: str) -> dict[str, Any]:
    """A timer's name and a reminder's message as the speaker wrote them."""
    return {k: as_said(v, text) if k in ("name", "message") and isinstance(v, str) else v
            for k, v in slots.items()}


def say_duration(seconds: float, lang: str) -> str:
    """"1 heure 30 minutes", "45 secondes", "2 minutes" ("1 hour 30 minutes")."""
    left = round(seconds)
    parts = []
    for unit, factor in _UNITS:
        amount, left = divmod(left, factor)
        if amount:
            parts.append(render(f"unit_{unit}{'' if amount == 1 else 's'}", lang,
                                amount=amount))
    if not parts:
        return render("unit_seconds", lang, amount=0)
    return " ".join(parts)


def _folded(text: str) -> str:
    return fold(timer_name(text))


def selected(state: Timers, slots: dict[str, Any], now: dt.datetime) -> list[Timer]:
    """The timers a command names: by name, by room, by the length it was set to; all when
    nothing is named."""
    timers = [t for t in state.items if t.kind == "timer"]
    if slots.get("name"):
        wanted = _folded(str(slots["name"]))
        timers = [t for t in timers if _folded(t.name) == wanted
                  or (t.room and fold(t.room) == wanted)]
    elif slots.get("area"):
        wanted = fold(str(slots["area"]))
        timers = [t for t in timers if fold(t.room) == wanted or _folded(t.name) == wanted]
    start = slots.get("start_seconds")
    if start:
        timers = [t for t in timers if t.seconds == int(start)]
    return sorted(timers, key=lambda t: t.left(now))


def report(state: Timers, now: dt.datetime) -> TimersState:
    """The `TimersState` of `state` at `now`."""
    return TimersState(at=now.isoformat(), timers=[
        info(t, now) for t in sorted(state.items, key=lambda t: t.left(now))])


def _outcome(event: Intent, done: bool, reason: str = "", **values: Any) -> Outcome | None:
    if not event.id:
        return None
    return Outcome(event.id, event.intent, done, reason, values)


def info(timer: Timer, now: dt.datetime) -> dict[str, Any]:
    """A timer as outcomes and `TimersState` carry it (plain data, any language)."""
    return {"id": timer.id, "kind": timer.kind, "name": timer.name, "message": timer.message,
            "room": timer.room, "due": timer.due.isoformat(), "seconds": timer.seconds,
            "left_s": round(timer.left(now), 1), "paused": timer.paused_left is not None}


def label(timer: dict[str, Any], lang: str) -> str:
    """How a reply names a timer (`info` form): "minuteur « pâtes »", "pasta timer"."""
    if timer.get("kind") == "reminder":
        return render("timer_label_reminder", lang, message=timer.get("message", ""))
    if timer.get("name"):
        return render("timer_label_named", lang, name=timer["name"])
    return render("timer_label", lang, duration=say_duration(timer.get("seconds", 0), lang))


def ring_text(timer: Timer) -> str:
    """What the house says (or texts) when a timer or reminder is due."""
    if timer.kind == "reminder":
        return render("reminder_ring", timer.lang, message=timer.message)
    if timer.name:
        return render("timer_ring_named", timer.lang, name=timer.name)
    return render("timer_ring", timer.lang, duration=say_duration(timer.seconds, timer.lang))


def _new_id(state: Timers, event: Intent) -> str:
    seed = f"{event.id or event.text}:{state.counter}"
    return hashlib.sha1(seed.encode()).hexdigest()[:10]


def _on_intent(state: Timers, event: Intent, now: dt.datetime, house: TimerHouse,
               out: list[Any]) -> Timers:
    slots, lang = event.slots, house.lang
    if event.intent == "HassStartTimer" or event.intent == REMINDER:
        if event.id and any(t.id.startswith(event.id) for t in state.items):
            return state  # the same command heard twice
        room = event.room or house.default_room
        if event.intent == REMINDER:
            try:
                due = dt.datetime.fromisoformat(str(slots["due"]))
            except (KeyError, ValueError):
                _add(out, _outcome(event, False, "reminder_when"))
                return state
            timer = Timer(id=(event.id or _new_id(state, event)) + "r", kind="reminder",
                          due=due, message=str(slots.get("message", "")), room=room, lang=lang)
        else:
            seconds = int(slots.get("seconds") or 0)
            if not 0 < seconds <= MAX_SECONDS:
                _add(out, _outcome(event, False, "timer_duration"))
                return state
            timer = Timer(id=(event.id or _new_id(state, event)) + "t", kind="timer",
                          due=now + dt.timedelta(seconds=seconds), seconds=seconds,
                          name=timer_name(str(slots.get("name", ""))), room=room, lang=lang)
        state = dataclasses.replace(state, items=(*state.items, timer),
                                    counter=state.counter + 1)
        _add(out, _outcome(event, True, timer=info(timer, now)))
        out.append(report(state, now))
        return state
    found = selected(state, slots, now)
    if event.intent == "HassTimerStatus" and not any(
            slots.get(k) for k in ("name", "area", "start_seconds")):  # reminders too
        found = sorted(state.items, key=lambda t: t.left(now))
    if event.intent == "HassTimerStatus":
        if not found:
            _add(out, _outcome(event, False, "no_timer"))
            return state
        _add(out, _outcome(event, True, timers=[info(t, now) for t in found]))
        return state
    if not found:
        _add(out, _outcome(event, False, "no_timer"))
        return state
    # the one named, else the one ringing soonest; "annule tous les minuteurs": every one
    target = found if event.intent == "HassCancelAllTimers" else found[:1]
    changed: dict[str, Timer | None] = {}
    for timer in target:
        changed[timer.id] = _changed(timer, event.intent, slots, now)
    items = tuple(t2 for t in state.items
                  if (t2 := changed.get(t.id, t) if t.id in changed else t) is not None)
    state = dataclasses.replace(state, items=items)
    first = target[0]
    after = changed[first.id]
    _add(out, _outcome(event, True, timer=info(after or first, now), count=len(target)))
    out.append(report(state, now))
    return state


def _changed(timer: Timer, intent: str, slots: dict[str, Any], now: dt.datetime) -> Timer | None:
    """A timer after a command (None: cancelled)."""
    if intent in ("HassCancelTimer", "HassCancelAllTimers"):
        return None
    if intent == "HassPauseTimer":
        return timer if timer.paused_left is not None else dataclasses.replace(
            timer, paused_left=timer.left(now))
    if intent == "HassUnpauseTimer":
        if timer.paused_left is None:
            return timer
        return dataclasses.replace(timer, due=now + dt.timedelta(seconds=timer.paused_left),
                                   paused_left=None)
    delta = int(slots.get("seconds") or 0) * (1 if intent == "HassIncreaseTimer" else -1)
    if timer.paused_left is not None:
        return dataclasses.replace(timer, paused_left=max(0.0, timer.paused_left + delta),
                                   seconds=max(0, timer.seconds + delta))
    due = max(now, timer.due + dt.timedelta(seconds=delta))
    return dataclasses.replace(timer, due=due, seconds=max(0, timer.seconds + delta))


def _add(out: list[Any], outcome: Outcome | None) -> None:
    if outcome is not None:
        out.append(outcome)


def _ring(state: Timers, now: dt.datetime, house: TimerHouse, out: list[Any]) -> Timers:
    due = [t for t in state.items if t.paused_left is None and t.due <= now]
    if not due:
        return state
    for timer in due:
        text = ring_text(timer)
        if state.lockout and house.owner_phones:  # nobody home to hear it: by SMS
            out.extend(SmsSend(phone, text, kind="reminder") for phone in house.owner_phones)
        else:
            out.append(Say(text, priority=1, lang=timer.lang,
                           rooms=[timer.room or house.default_room]))
    ids = {t.id for t in due}
    state = dataclasses.replace(state, items=tuple(t for t in state.items if t.id not in ids))
    out.append(report(state, now))
    return state


def step(state: Timers, event: Any, now: dt.datetime,
         house: TimerHouse) -> tuple[Timers, list[Any]]:
    """Apply one event: the new state and the effects."""
    out: list[Any] = []
    if isinstance(event, Intent) and event.intent in HANDLED:
        state = _on_intent(state, event, now, house, out)
    elif isinstance(event, ModeChanged):
        state = dataclasses.replace(state, lockout=event.mode == Mode.LOCKOUT)
    state = _ring(state, now, house, out)
    return state, out


def next_due(state: Timers) -> dt.datetime | None:
    """When the next running one rings (None: nothing running)."""
    running = [t.due for t in state.items if t.paused_left is None]
    return min(running) if running else None


def to_plain(state: Timers) -> dict[str, Any]:
    """What survives a restart."""
    return {"counter": state.counter, "lockout": state.lockout, "items": [
        {**dataclasses.asdict(t), "due": t.due.isoformat()} for t in state.items]}


def from_plain(data: dict[str, Any]) -> Timers:
    """A state saved by `to_plain`."""
    items = []
    for item in data.get("items", []):
        values = dict(item)
        values["due"] = dt.datetime.fromisoformat(str(values["due"]))
        items.append(Timer(**values))
    return Timers(items=tuple(items), lockout=bool(data.get("lockout", False)),
                  counter=int(data.get("counter", 0)))
