"""Mains power state machine: POWER_OK / BLACKOUT, with a settling wait after mains returns.

`step(mains, on_mains, now)` is pure. On loss the sentinel tells the owner once and watches
only mains; on return it tells again and waits `return_wait_s` (machines reboot) before the
normal checks resume (`normal_checks(mains, now, wait)`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from core.messages.watch import Power


class PowerEvent(StrEnum):
    """A transition worth telling."""

    LOST = "lost"
    RETURNED = "returned"


@dataclass(frozen=True)
class Mains:
    """Current mains state and since when (ISO time; "" = since the sentinel started)."""

    state: Power = Power.POWER_OK
    since: str = ""


def step(mains: Mains, on_mains: bool, now: dt.datetime) -> tuple[Mains, list[PowerEvent]]:
    """Next mains state from one probe reading."""
    if mains.state is Power.POWER_OK and not on_mains:
        return Mains(Power.BLACKOUT, now.isoformat()), [PowerEvent.LOST]
    if mains.state is Power.BLACKOUT and on_mains:
        return Mains(Power.POWER_OK, now.isoformat()), [PowerEvent.RETURNED]
    return mains, []


def normal_checks(mains: Mains, now: dt.datetime, return_wait_s: float) -> bool:
    """True when checks other than mains may run (not in a blackout, nor just after one)."""
    if mains.state is Power.BLACKOUT:
        return False
    if not mains.since:
        return True
    return (now - dt.datetime.fromisoformat(mains.since)).total_seconds() >= return_wait_s


def parse_reading(text: str) -> bool:
    """Mains present from a probe file's content (GPIO value, UPS status word)."""
    word = text.strip().lower().split()[0] if text.strip() else "1"
    return word not in {"0", "off", "ob", "blackout", "false", "lost", "onbatt"}
