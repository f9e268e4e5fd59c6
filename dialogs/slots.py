"""Raw recognised slots -> canonical slots: config names, numbers, ISO times; or a refusal.

Pure: takes the match, the house (rooms, devices), the dialog settings and `now`.
Canonical forms: room and device names as written in the config, numbers as numbers,
`return_at` / `until` as ISO datetimes with offset, `profile` / `state` as ids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dialogs.grammar import SWITCHABLE
from dialogs.settings import DialogSettings
from dialogs.text import to_number
from dialogs.times import add_duration, resolve_named

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


def resolve_time(slots: dict[str, Any], now: dt.datetime, settings: DialogSettings, *,
                 named: str = "when", amount: str = "count",
                 unit: str = "unit") -> dt.datetime | Refusal | None:
    """A named or relative time among the slots (None if none was said)."""
    if named in slots:
        return resolve_named(str(slots[named]), now, settings.day_parts) \
            or Refusal("time_range", {})
    if amount in slots and unit in slots:
        number = to_number(slots[amount])
        when = add_duration(now, float(number or 0), str(slots[unit]), settings.day_parts)
        return when if when is not None else Refusal("time_range", {})
    return None


def _device_slots(slots: dict[str, Any], config: Any, settings: DialogSettings) -> dict[str, Any]:
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


def canonical(intent: str, slots: dict[str, Any], *, config: Any, settings: DialogSettings,
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
        when = resolve_time(slots, now, settings)
        if isinstance(when, Refusal):
            return when
        return {"return_at": iso(when)} if when is not None else {}
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
        if slots.get("state") == "off":
            return {"state": "off"}
        return {"state": "on", **({"minutes": int(slots["minutes"])}
                                  if slots.get("minutes") else {})}
    if intent == "HassBroadcast":
        return {"message": str(slots.get("message", "")).strip()}
    return {}
