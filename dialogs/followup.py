"""Follow-ups: "et dans la chambre ?", "plus chaud", "encore deux degrés" after a command (pure).

Each speaker (channel, sender and, for voice, the room the command was heard in) has a
short memory of its last command that a follow-up may refer to. A follow-up becomes that
command again, in another room or with its setpoint moved; with nothing to refer to, the
house says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from dialogs.text import to_number

ROOM = "BasecampFollowUpRoom"
"""The previous command in another room: "et dans la chambre ?", "pareil dans le salon"."""
TEMPERATURE = "BasecampFollowUpTemperature"
"""The previous setpoint moved: "plus chaud", "encore deux degrés", "un peu moins"."""
FOLLOW_UPS = frozenset({ROOM, TEMPERATURE})

FOLLOWED = frozenset({"HassTurnOn", "HassTurnOff", "HassClimateSetTemperature",
                      "HassClimateGetTemperature"})
"""Commands a follow-up may refer to (they act on, or ask about, one room)."""
SET_TEMPERATURE = "HassClimateSetTemperature"
STEP = 1.0
"""Degrees a setpoint moves when no amount is said ("plus chaud")."""

Speaker = tuple[str, str, str]
"""(channel, sender, room): whose last command a follow-up refers to."""


@dataclass(frozen=True)
class Previous:
    """A speaker's last command a follow-up may refer to."""

    intent: str
    slots: dict[str, Any]
    at: dt.datetime


@dataclass(frozen=True)
class Unresolved:
    """Why a follow-up cannot be carried out: a reply key of the catalogue."""

    reason: str
    """follow_up_unknown (nothing to refer to), follow_up_no_setpoint (no value to move)."""


@dataclass
class Recent:
    """The last followable command of each speaker, forgotten after `window_s` of house time."""

    window_s: float = 60.0
    last: dict[Speaker, Previous] = field(default_factory=dict)

    def remember(self, speaker: Speaker, intent: str, slots: dict[str, Any],
                 now: dt.datetime) -> None:
        """Keep a command a follow-up may refer to (others leave the memory as it was)."""
        if intent in FOLLOWED:
            self.last[speaker] = Previous(intent, dict(slots), now)

    def recall(self, speaker: Speaker, now: dt.datetime) -> Previous | None:
        """The speaker's last command, if recent enough."""
        found = self.last.get(speaker)
        if found is None:
            return None
        if not dt.timedelta(0) <= now - found.at <= dt.timedelta(seconds=self.window_s):
            del self.last[speaker]
            return None
        return found

    def settled(self, speaker: Speaker, intent: str, setpoint: Any) -> None:
        """The setpoint the heater actually took (its `Outcome`): what "plus chaud" moves."""
        found = self.last.get(speaker)
        number = to_number(setpoint)
        if found is not None and found.intent == intent == SET_TEMPERATURE and number is not None:
            self.last[speaker] = replace(found, slots={**found.slots, "setpoint": number})


def resolve(previous: Previous | None, follow_up: str, slots: dict[str, Any], *,
            setpoint: float | None) -> tuple[str, dict[str, Any]] | Unresolved:
    """The command a follow-up means: (intent, raw slots for `slots.canonical`).

    `setpoint` is the heater's current setpoint (the state), moved when the previous command
    was not a temperature ("allume la lumière du salon" then "plus chaud").
    """
    if previous is None:
        return Unresolved("follow_up_unknown")
    if follow_up == ROOM:
        area = str(slots.get("area", ""))
        if previous.intent == SET_TEMPERATURE:
            temperature = previous.slots.get("temperature")
            return SET_TEMPERATURE, {"area": area, "temperature": temperature}
        raw = {"area": area}
        if "domain" in previous.slots:
            raw["domain"] = previous.slots["domain"]
        return previous.intent, raw
    amount = to_number(slots.get("amount"))
    delta = (STEP if amount is None else float(amount)) \
        * (-1 if slots.get("direction") == "down" else 1)
    if previous.intent == SET_TEMPERATURE:
        base = to_number(previous.slots.get("setpoint", previous.slots.get("temperature")))
        raw = {key: previous.slots[key] for key in ("area", "name") if key in previous.slots}
    else:
        base = setpoint
        raw = {"area": previous.slots["area"]} if "area" in previous.slots else {}
    if base is None:
        return Unresolved("follow_up_no_setpoint")
    return SET_TEMPERATURE, {**raw, "temperature": _number(float(base) + delta)}


def _number(value: float) -> float | int:
    """Whole degrees as ints (how the recogniser gives them), halves as floats."""
    return int(value) if float(value).is_integer() else round(value, 1)
