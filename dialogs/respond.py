"""The reply to a completed command, from its canonical slots and the house's snapshot (pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dialogs.replies import CATALOGUE, DOMAIN_NAMES, PROFILE_NAMES, Style, render, say_number
from dialogs.report import Day, Snapshot, consumption_text, heating_text, render_report
from dialogs.settings import DialogSettings
from dialogs.timers import label, say_duration
from dialogs.times import day_part, say_date, say_time, say_when

SIMPLE = {"BasecampReturn": "return", "BasecampSleep": "sleep", "BasecampWake": "wake",
          "BasecampHelp": "help", "HassBroadcast": "broadcast", "HassNevermind": "cancelled"}
"""Intents whose reply needs no values."""


TIMER_REPLIES = {"HassStartTimer": "timer_started", "HassCancelTimer": "timer_cancelled",
                 "HassIncreaseTimer": "timer_increased", "HassDecreaseTimer": "timer_decreased",
                 "HassPauseTimer": "timer_paused_now", "HassUnpauseTimer": "timer_resumed",
                 "HassTimerStatus": "timer_status", "HassCancelAllTimers": "timers_cancelled"}
"""Timer intent -> its reply, composed from what the timers service says it did."""


def _timer_reply(intent: str, slots: dict[str, Any], lang: str, style: Style,
                 now: dt.datetime) -> str:
    """The reply to a timer command or a reminder, from the timer the service reports."""
    if intent == "BasecampReminder":
        return render("reminder_set", lang, style, message=slots.get("message", ""),
                      when=_when(slots.get("due"), now, lang))
    timer = slots.get("timer") or {}
    if intent == "HassTimerStatus":
        listed = [render("timer_left", lang, label=label(t, lang),
                         duration=say_duration(t.get("left_s", 0), lang),
                         paused=render("timer_paused", lang) if t.get("paused") else "")
                  for t in slots.get("timers", [])[:3]]
        status = "; ".join(listed)
        return render("timer_status", lang, style, status=status[:1].upper() + status[1:])
    duration = say_duration(timer.get("left_s", slots.get("seconds", 0)), lang)
    if intent == "HassStartTimer":
        name = timer.get("name") or slots.get("name")
        return render("timer_started_named" if name else "timer_started", lang, style,
                      name=name, duration=duration)
    return render(TIMER_REPLIES[intent], lang, style, label=label(timer, lang),
                  duration=duration, delta=say_duration(slots.get("seconds", 0), lang),
                  count=slots.get("count", 1))


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


UNSUPPORTED_KINDS = {"HassGetWeather": "weather", "HassListAddItem": "list",
                     "HassListCompleteItem": "list", "HassListRemoveItem": "list",
                     "HassShoppingListAddItem": "list", "HassShoppingListCompleteItem": "list"}
"""HA intents the house declines, by the reason it gives; media and devices by prefix."""


def unsupported_reply(what: str) -> str:
    """The catalogue key of the reply declining an HA intent (or an unknown device)."""
    if what == "device":
        return "unknown_device"
    kind = UNSUPPORTED_KINDS.get(what)
    if kind is None and (what.startswith("HassMedia") or what.startswith("HassSetVolume")):
        kind = "media"
    elif kind is None and what.startswith(("HassLight", "HassSetPosition", "HassFan",
                                           "HassVacuum", "HassLawnMower", "HassGetState")):
        kind = "device"
    return f"unsupported_{kind}" if kind else "unsupported"


def _target(slots: dict[str, Any], lang: str) -> str:
    switched = slots.get("switched")
    if switched:  # what the service says it switched
        return ", ".join(map(str, switched))
    if slots.get("name"):
        return str(slots["name"])
    area = slots.get("area", "")
    domain = DOMAIN_NAMES[lang].get(slots.get("domain", ""), slots.get("domain", ""))
    if area == "*":
        return render("target_everywhere", lang, Style.SPEECH, domain_name=domain)
    return render("target_area", lang, Style.SPEECH, area=area, domain_name=domain)


def describe(intent: str, slots: dict[str, Any], *, lang: str, now: dt.datetime,
             settings: DialogSettings) -> str:
    """What a guessed command would do, for "Tu veux ... ?" ("que j'allume : lumière")."""
    values: dict[str, Any] = {}
    key = f"guess_{intent}"
    if intent in ("BasecampSilence", "BasecampRemoteAccess"):
        key += "_off" if slots.get("state") == "off" else "_on"
    if intent == "BasecampLeave":
        when = _when(slots.get("return_at"), now, lang)
        values["back"] = render("guess_back", lang, Style.SPEECH, when=when) if when else ""
    elif intent == "BasecampHeatingProfile":
        until = _when(slots.get("until"), now, lang)
        values["until_text"] = render("until_text", lang, Style.SPEECH, when=until) \
            if until else ""
        values["profile_name"] = PROFILE_NAMES[lang].get(slots.get("profile", ""), "")
    elif intent == "BasecampRemoteAccess":
        minutes = slots.get("minutes")
        values["duration"] = render("remote_for", lang, Style.SPEECH, minutes=minutes) \
            if minutes else ""
    elif intent in ("HassTurnOn", "HassTurnOff"):
        values["target"] = _target(slots, lang)
    elif intent == "HassClimateSetTemperature":
        values.update(temperature=say_number(slots.get("temperature", 0), lang),
                      area=slots.get("area", ""))
    elif intent == "HassClimateGetTemperature":
        area = str(slots.get("area", settings.default_room))
        values["where"] = render("where_outside", lang, Style.SPEECH) if area == "exterieur" \
            else render("where_room", lang, Style.SPEECH, area=area)
    elif intent == "HassBroadcast" or intent == "BasecampReminder":
        values["message"] = slots.get("message", "")
    elif intent == "HassStartTimer":
        values["duration"] = say_duration(int(slots.get("seconds") or 0), lang)
    if key not in CATALOGUE:
        return intent
    return render(key, lang, Style.SPEECH, **values)


def respond(intent: str, slots: dict[str, Any], *, lang: str, style: Style, now: dt.datetime,
            state: Snapshot, settings: DialogSettings) -> str:
    """What the house says once a command is complete."""
    if intent == "HassBroadcast" and slots.get("kept"):
        return render("broadcast_kept", lang, style)
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
    if intent == "BasecampConsumption":
        return consumption_text(state, lang, style, slots.get("meter"),
                                slots.get("day", Day.TODAY))
    if intent == "BasecampHeatingStatus":
        return heating_text(state, now, lang, style)
    if intent in ("HassTurnOn", "HassTurnOff"):
        return render("turn_on" if intent == "HassTurnOn" else "turn_off", lang, style,
                      target=_target(slots, lang))
    if intent == "HassClimateSetTemperature":
        return render("set_temperature", lang, style, area=slots.get("area", ""),
                      temperature=say_number(slots.get("setpoint", slots["temperature"]), lang))

    if intent == "HassClimateGetTemperature":
        return _temperature(slots, lang, style, state, settings)
    if intent in TIMER_REPLIES or intent == "BasecampReminder":
        return _timer_reply(intent, slots, lang, style, now)
    if intent == "HassGetCurrentTime":
        return render("time", lang, style, time=say_time(now, lang))
    if intent == "HassGetCurrentDate":
        return render("date", lang, style, date=say_date(now, lang))
    return render("not_understood", lang, style)
