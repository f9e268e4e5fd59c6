"""Timers and reminders set by voice or text, as the timers service holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.messages.envelope import Message

TIMER_FIELDS = ("id", "kind", "name", "message", "room", "due", "seconds", "left_s", "paused")
"""The keys of each timer in `TimersState.timers`: kind "timer" or "reminder"; due (ISO with
offset, house time); seconds (a timer's length); left_s (seconds left at `at`); paused."""


@dataclass(frozen=True)
class TimersState(Message):
    """Every timer and reminder set (at every change, periodically and on request), soonest
    first; a countdown is `left_s` less the house time elapsed since `at`."""

    TOPIC: ClassVar[str] = "basecamp.timers.state"
    at: str
    """House time of the figures (ISO with offset)."""
    timers: list[dict[str, Any]] = field(default_factory=list)
