"""The heater's state and the profile asked of it (its relay: `relays`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.messages.envelope import Message


@dataclass(frozen=True)
class HeatingState(Message):
    """The heater's profile, setpoint and relay (published at every change and periodically)."""

    TOPIC: ClassVar[str] = "basecamp.heating.state"
    profile: str
    setpoint: float
    relay: bool
    sensor: str = ""
    """Reference temperature sensor."""
    temperature: float | None = None
    until: str | None = None
    """Expiry of a forced profile, ISO datetime."""
    override: bool = False
    """The setpoint is a room's temperature asked for, not the profile's."""
    room: str = ""
    """The room of that temperature."""
    regime: str = ""
    """The profile chosen (work_week, holiday_week, comfort, eco) that `profile` comes from
    (a forced profile runs over it)."""


@dataclass(frozen=True)
class SetProfile(Message):
    """Ask the heater for a profile (force_* may carry an expiry)."""

    TOPIC: ClassVar[str] = "basecamp.heating.set_profile"
    profile: str
    until: str | None = None
    changed_by: str = ""
