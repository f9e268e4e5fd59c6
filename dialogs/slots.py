"""Raw recognised slots -> canonical slots: config names, numbers, ISO times; or a refusal.

Pure: takes the match, the house (rooms, devices), the dialog settings and `now`.
Canonical forms: room and device names as written in the config, numbers as numbers,
`return_at` / `until` as ISO datetimes with offset, `profile` / `state` as ids.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from core.config import Config
from dialogs import timers, when
from dialogs.grammar import SWITCHABLE
from dialogs.settings import DialogSettings
from dialogs.text import align, candidates, fold, to_number
from dialogs.when import TimeExpr

PROFILES = ("comfort", "eco", "force_comfort", "force_eco", "work_week", "holiday_week")


@dataclass(frozen=True)
class Refusal:
    """A recognised command the house will not carry out, and why."""

    reason: str
    """temperature_range, time_range, unknown_profile."""
    values: dict[str, Any] = field(default_factory=dict)


def iso(when: dt.datetime) -> str:
    """ISO 8601 with offset, to the second."""
    return when.replace(microsecond=0).isoformat()


def time_expr(slots: dict[str, Any], *, named: str = "when", amount: str = "count",
              unit: str = "unit") -> TimeExpr | None:
    """The time expression among raw slots: found in the text, named, or a count and unit."""
    value = slots.get(named)
    if isinstance(value, TimeExpr):
        return value
    if value is not None:
        return when.named(str(value))
    if amount in slots and unit in slots:
        number = to_number(slots[amount])
        return when.duration(float(number or 0), str(slots[unit]))
    return None


def resolve_time(slots: dict[str, Any], now: dt.datetime, settings: DialogSettings, *,
                 named: str = "when", amount: str = "count",
                 unit: str = "unit") -> dt.datetime | Refusal | None:
    """The instant a time among the slots means (None if none or a vague one was said)."""
    expr = time_expr(slots, named=named, amount=amount, unit=unit)
    if expr is None or expr.vague:
        return None
    resolved = when.resolve(expr, now, settings.day_parts)
    return resolved if resolved is not None else Refusal("time_range", {})


METERS = frozenset({"water", "electricity"})
"""The meters a consumption question may name."""


def vague_return(slots: dict[str, Any]) -> bool:
    """True when the speaker said a return is unknown ("je ne sais pas", "quelques jours")."""
    expr = time_expr(slots)
    return slots.get("return") == "unknown" or (expr is not None and expr.vague)


def _device_slots(slots: dict[str, Any], config: Config,
                  settings: DialogSettings) -> dict[str, Any]:
    """name / area / domain of a switch or climate command; no room means the default room."""
    out: dict[str, Any] = {}
    devices = {dev.name: dev for dev in config.devices}
    device = devices.get(str(slots.get("name", "")))
    if device is not None:
        out["name"] = device.name
        out["area"] = device.room
        out["domain"] = SWITCHABLE.get(device.kind, device.kind)
    else:
        out["area"] = str(slots.get("area") or settings.default_room)
        if "domain" in slots:
            out["domain"] = str(slots["domain"])
    return out


def canonical(intent: str, slots: dict[str, Any], *, config: Config, settings: DialogSettings,
              now: dt.datetime) -> dict[str, Any] | Refusal:
    """The canonical slots of a recognised intent, or why it is refused."""
    if intent in ("HassTurnOn", "HassTurnOff"):
        return _device_slots(slots, config, settings)
    if intent == "HassClimateSetTemperature":
        temperature = to_number(slots.get("temperature"))
        lo, hi = settings.min_temperature, settings.max_temperature
        if temperature is None or not lo <= temperature <= hi:
            return Refusal("temperature_range", {"temperature": temperature,
                                                 "min": to_number(lo), "max": to_number(hi)})
        out = _device_slots(slots, config, settings)
        out.pop("domain", None)
        out["temperature"] = temperature
        return out
    if intent == "HassClimateGetTemperature":
        out = {"area": str(slots.get("area") or settings.default_room)}
        if slots.get("name"):
            out["name"] = str(slots["name"])
        return out
    if intent in ("BasecampLeave", "AnswerReturn"):
        back = resolve_time(slots, now, settings)
        if isinstance(back, Refusal):
            return back
        return {"return_at": iso(back)} if back is not None else {}
    if intent in ("BasecampHeatingProfile", "AnswerProfile"):
        profile = str(slots.get("profile", ""))
        if profile not in PROFILES:
            return Refusal("unknown_profile", {"profile": profile})
        until = resolve_time(slots, now, settings, named="until", amount="duration",
                             unit="duration_unit")
        if isinstance(until, Refusal):
            return until
        return {"profile": profile, **({"until": iso(until)} if until else {})}
    if intent == "BasecampSilence":
        return {"state": "off" if slots.get("state") == "off" else "on"}
    if intent == "BasecampRemoteAccess":
        return _remote(slots, now, settings)
    if intent == "HassBroadcast":  # an area: that room only; none: every room
        message, area = str(slots.get("message", "")), str(slots.get("area") or "")
        if not area:
            area, message = broadcast_room(message, config)
        return {"message": message_text(message), **({"area": area} if area else {}),
                **({"where": "present"} if slots.get("where") == "present" else {})}
    if intent == "BasecampConsumption":  # no meter named: both; no day: today
        return {"day": "yesterday" if slots.get("day") == "yesterday" else "today",
                **({"meter": str(slots["meter"])} if slots.get("meter") in METERS else {})}
    if intent in timers.TIMER_INTENTS:
        return _timer(intent, slots)
    if intent == timers.REMINDER:
        return _reminder(slots, now, settings)
    if "what" in slots:  # an HA intent the house recognises but does not carry out
        values = {"what": str(slots.get("what") or intent)}
        if "thing" in slots:  # "allume la télé": the device the house has not
            values["thing"] = str(slots["thing"])
        return Refusal("unsupported", values)
    return {}


def _remote(slots: dict[str, Any], now: dt.datetime,
            settings: DialogSettings) -> dict[str, Any] | Refusal:
    """Remote access on (for how long) or off."""
    if slots.get("state") == "off":
        return {"state": "off"}
    out: dict[str, Any] = {"state": "on"}
    if slots.get("minutes"):
        out["minutes"] = int(slots["minutes"])
    expr = time_expr(slots, named="duration")
    if expr is not None and not expr.vague:
        until = when.resolve(expr, now, settings.day_parts)
        if until is None:
            return Refusal("time_range", {})
        out["minutes"] = max(1, round((until - now).total_seconds() / 60))
    return out


_INTRODUCERS = re.compile(
    r"^(?:(?:a|à) (?:tout le monde|toute la maison|toute la famille|tous)\b[\s,:]*|"
    r"(?:le|ce) message (?:suivant)?\s*[:,]?\s*|que\s+|qu['’]\s*|que\s*:\s*|:\s*|,\s*|"
    r"(?:to )?everyone\b[\s,:]*(?:that\s+)?|that\s+|the following(?: message)?\s*:?\s*)+",
    re.IGNORECASE)


_ROOM_LEAD = re.compile(r"^(?:dans|au|aux|à|a|en|in|to)\s+(?:(?:la|le|les|the)\s+|l')?"
                        r"(?P<room>.+?)\s+(?:que|qu'|that)\s*(?P<rest>.+)$", re.IGNORECASE)


def broadcast_room(message: str, config: Config) -> tuple[str, str]:
    """"dans la chambre que le dîner est prêt" -> ("chambre", "le dîner est prêt") when the
    words before "que" name a room of the house (or an alias); else ("", message)."""
    found = _ROOM_LEAD.match(message.strip())
    if found is None or config is None:
        return "", message
    said = found["room"].strip().casefold()
    for room in getattr(config, "rooms", ()):
        if said in {room.name.casefold(), *(a.casefold() for a in room.aliases)}:
            return room.name, found["rest"]
    return "", message


def message_text(message: str) -> str:
    """A message to announce without what introduced it ("que", "à tout le monde :"...)."""
    text = message.strip()
    while True:
        stripped = _INTRODUCERS.sub("", text, count=1).strip()
        if stripped == text or not stripped:
            return text.strip(" ,:;")
        text = stripped


def _timer(intent: str, slots: dict[str, Any]) -> dict[str, Any] | Refusal:
    """A timer command: `seconds` (its length, or what to add or take off), and which timer
    (`name`, `area`, `start_seconds`: the length it was set to)."""
    out: dict[str, Any] = {}
    if slots.get("name"):
        out["name"] = timers.timer_name(str(slots["name"]))
    if slots.get("area"):
        out["area"] = str(slots["area"])
    seconds = timers.seconds_of(slots)
    if intent in ("HassStartTimer", "HassIncreaseTimer", "HassDecreaseTimer"):
        if not 0 < seconds <= timers.MAX_SECONDS:
            return Refusal("timer_duration", {})
        out["seconds"] = seconds
    else:  # "annule le minuteur de dix minutes": the timer set to ten minutes
        start = timers.seconds_of(slots, "start_") or seconds
        if start:
            out["start_seconds"] = start
    return out


def _time_in(message: str) -> tuple[TimeExpr, str] | None:
    """A time said at the end of a reminder's free text ("sortir les poubelles à 19 h"):
    the time, and the text without it."""
    for lang in ("fr", "en"):
        folded = candidates(message, lang)[0]
        found = when.find(folded, lang)
        if found is None or found.expr.vague or folded[found.end:].strip():
            continue
        kept = len(folded[:found.start].split())
        spans = align(message)
        if spans is not None and len(spans) == len(folded.split()) and kept:
            return found.expr, message[:spans[kept - 1][1]]
        return found.expr, folded[:found.start].strip()
    return None


def _reminder(slots: dict[str, Any], now: dt.datetime,
              settings: DialogSettings) -> dict[str, Any] | Refusal:
    """A reminder: what to remind (`message`) and when (`due`, ISO)."""
    message = message_text(str(slots.get("message", "")))
    expr: TimeExpr | None = slots["when"] if isinstance(slots.get("when"), TimeExpr) else None
    if expr is None and slots.get("when") not in (None, "none"):
        expr = when.named(str(slots["when"]))
    if expr is None:
        found = _time_in(message)
        if found is not None:
            expr, message = found[0], message_text(found[1])
    if not fold(message):
        return Refusal("reminder_what", {})
    if expr is None or expr.vague:
        return Refusal("reminder_when", {"message": message})
    due = when.resolve(expr, now, settings.day_parts)
    if due is None or due <= now:
        return Refusal("time_range", {})
    return {"message": message, "due": iso(due)}
