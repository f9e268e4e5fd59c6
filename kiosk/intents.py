"""Touch controls -> the messages the voice and SMS paths publish (one command language) [pure].

Every control of the kiosk becomes a `core.messages.dialogs.Intent` with channel "kiosk",
except night light AUTO, which no spoken intent covers: it is a `NightLightMode` request.
"""

from __future__ import annotations

import datetime as dt

from core.messages import Message
from core.messages.dialogs import Intent
from core.messages.nightlight import NightLightMode
from core.messages.presence import Mode

CHANNEL = "kiosk"


def mode_intent(target: str, current: str | None) -> Intent:
    """Intent that moves the house to `target` (cocoon, lockout or asleep)."""
    if target == Mode.LOCKOUT:
        return Intent("BasecampLeave", {}, CHANNEL)
    if target == Mode.ASLEEP:
        return Intent("BasecampSleep", {}, CHANNEL)
    if target == Mode.COCOON:
        # waking up and coming back are different sentences of the same language
        return Intent("BasecampWake" if current == Mode.ASLEEP else "BasecampReturn", {},
                      CHANNEL)
    raise ValueError(f"unknown mode {target!r}")


def heating_intent(profile: str, hours: int, now: dt.datetime) -> Intent:
    """Intent that selects a heating profile; a forced one may expire after `hours`."""
    slots: dict[str, object] = {"profile": profile}
    if hours > 0 and profile.startswith("force_"):
        slots["until"] = (now + dt.timedelta(hours=hours)).isoformat(timespec="minutes")
    return Intent("BasecampHeatingProfile", slots, CHANNEL)


def night_light_request(mode: str, device: str) -> Message:
    """Message that sets the night light on, off or auto."""
    if mode == "on":
        return Intent("HassTurnOn", {"name": device, "domain": "night_light"}, CHANNEL)
    if mode == "off":
        return Intent("HassTurnOff", {"name": device, "domain": "night_light"}, CHANNEL)
    if mode == "auto":
        return NightLightMode("auto", changed_by=CHANNEL)
    raise ValueError(f"unknown night light mode {mode!r}")


def silence_intent(on: bool) -> Intent:
    """Intent that turns silence mode on or off."""
    return Intent("BasecampSilence", {"state": "on" if on else "off"}, CHANNEL)
