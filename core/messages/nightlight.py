"""Night lights: their state and the mode asked of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.messages.envelope import Message


@dataclass(frozen=True)
class NightLightState(Message):
    """Night lights: the chosen mode and whether they are lit."""

    TOPIC: ClassVar[str] = "basecamp.nightlight.state"
    mode: str
    """on, off or auto."""
    lit: bool
    daylight: bool | None = None


@dataclass(frozen=True)
class NightLightMode(Message):
    """Ask the night lights for a mode: on, off or auto (the kiosk's AUTO button)."""

    TOPIC: ClassVar[str] = "basecamp.nightlight.set_mode"
    mode: str
    """on, off or auto."""
    changed_by: str = ""
