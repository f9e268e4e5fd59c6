"""The reply to a completed command, from its canonical slots and the house's snapshot (pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dialogs.replies import DOMAIN_NAMES, PROFILE_NAMES, Style, render, say_number
from dialogs.report import Snapshot, heating_text, render_report
from dialogs.settings import DialogSettings
from dialogs.times import day_part, say_date, say_time, say_when

SIMPLE = {"BasecampReturn": "return", "BasecampSleep": "sleep", "BasecampWake": "wake",
          "BasecampHelp": "help", "HassBroadcast": "broadcast", "HassNevermind": "cancelled"}
"""Intents whose reply needs no values."""


def _when(value: str | None, now: dt.datetime, lang: str) -> str:
    if not value:
        return ""
    return say_when(dt.datetime.fromisoformat(value), now, lang)


def _temperature(slots: dict[str, Any], lang: str, style: Style, state: Snapshot,
                 settings: DialogSettings) -> str:
    area = str(slots.get("area", settings.default_room))
    if area == "exterieur":
        where = render("where_outside", lang, Style.SPEECH)
        where_short = render("where_outside", lang, Style.SMS)
    else:
        where = render("where_room", lang, Style.SPEECH, area=area)
        where_short = area
    unit = settings.temperature_units.get(area)
    reading = state.temperatures.get(unit) if unit else None
    if reading is None:
        return render("temperature_unknown", lang, style, where=where, where_short=where_short)
    return render("temperature_is", lang, style, where=where, where_short=where_short,
                  temperature=say_number(round(reading.temperature, 1), lang))


def respond(intent: str, slots: dict[str, Any], *, lang: str, style: Style, now: dt.datetime,
            state: Snapshot, settings: DialogSettings) -> str:
    """What the house says once a command is complete."""
    if intent in SIMPLE:
        return render(SIMPLE[intent], lang, style)
    if intent == "BasecampLeave":
        greeting = render(f"greeting_{day_part(now, settings.day_parts)}", lang, Style.SPEECH)
        if slots.get("return_at"):
            return render("leave", lang, style, greeting=greeting,
                          back=_when(slots["return_at"], now, lang))
        return render("leave_unknown", lang, style, greeting=greeting)
    if intent == "BasecampSilence":
        return render(f"silence_{slots.get('state', 'on')}", lang, style)
    if intent == "BasecampRemoteAccess":
        if slots.get("state") == "off":
            return render("remote_off", lang, style)
        minutes = slots.get("minutes")
        return render("remote_on", lang, style,
                      duration=render("remote_for", lang, Style.SPEECH, minutes=minutes)
                      if minutes else "")
    if intent == "BasecampHeatingProfile":
        until = _when(slots.get("until"), now, lang)
        until_text = render("until_text", lang, Style.SPEECH, when=until) if until else ""
        return render("profile", lang, style, until_text=until_text,
                      profile_name=PROFILE_NAMES[lang].get(slots["profile"], slots["profile"]))
    if intent == "BasecampReport":
        return render_report(state, now, lang, style)
    if intent == "BasecampHeatingStatus":
        return heating_text(state, now, lang, style)
    if intent in ("HassTurnOn", "HassTurnOff"):
        target = slots.get("name") or render(
            "target_area", lang, Style.SPEECH, area=slots.get("area", ""),
            domain_name=DOMAIN_NAMES[lang].get(slots.get("domain", ""), slots.get("domain", "")))
        return render("turn_on" if intent == "HassTurnOn" else "turn_off", lang, style,
                      target=target)
    if intent == "HassClimateSetTemperature":
        return render("set_temperature", lang, style, area=slots.get("area", ""),
                      temperature=say_number(slots["temperature"], lang))
    if intent == "HassClimateGetTemperature":
        return _temperature(slots, lang, style, state, settings)
    if intent == "HassGetCurrentTime":
        return render("time", lang, style, time=say_time(now, lang))
    if intent == "HassGetCurrentDate":
        return render("date", lang, style, date=say_date(now, lang))
    return render("not_understood", lang, style)
