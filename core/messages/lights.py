"""Room lights on relays (the night light and the lightpack have their own messages)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from core.messages.envelope import Message


@dataclass(frozen=True)
class LightsState(Message):
    """Which room lights are on (published at every change, periodically and on request)."""

    TOPIC: ClassVar[str] = "basecamp.lights.state"
    on: dict[str, bool] = field(default_factory=dict)
    """Device name -> lit."""
    changed: list[str] = field(default_factory=list)
    """The lights the last command switched."""
    changed_by: str = ""
