"""When the kiosk screen goes blank [pure]: after inactivity, and soon after entering a mode
in which nobody looks at it (asleep, lockout); a touch or the kiosk PIR wakes it."""

from __future__ import annotations

import datetime as dt

from kiosk.settings import KioskSettings
from kiosk.view_model import Screen

WAKE_WINDOW_S = 30.0
"""In a blank mode, the screen stays lit this long after a touch or motion."""


def last_activity(screen: Screen, touched: dt.datetime, settings: KioskSettings) -> dt.datetime:
    """The latest touch, motion on the kiosk PIR, or mode change."""
    times = [touched]
    motion = screen.motion.get(settings.wake_sensor)
    if motion is not None:
        times.append(motion)
    if screen.mode is not None:
        times.append(screen.mode.at)
    return max(times)


def should_blank(screen: Screen, now: dt.datetime, touched: dt.datetime,
                 settings: KioskSettings) -> bool:
    """True when the screen should be blank now."""
    idle = (now - last_activity(screen, touched, settings)).total_seconds()
    mode = screen.mode.message.mode if screen.mode is not None else None
    if mode in settings.blank_modes:
        return idle > min(WAKE_WINDOW_S, settings.blank_after_s)
    return idle > settings.blank_after_s
