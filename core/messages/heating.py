"""State of what the modes drive: heating, night lights, the lightpack."""

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


@dataclass(frozen=True)
class RelayCommand(Message):
    """Drive a latching relay (heater or night lights)."""

    TOPIC: ClassVar[str] = "basecamp.relay.command"
    relay: str
    on: bool


@dataclass(frozen=True)
class RelayState(Message):
    """Where a GPIO relay was put (`basecamp run relays`, on the machine wiring it)."""

    TOPIC: ClassVar[str] = "basecamp.relay.state"
    relay: str
    on: bool
    machine: str
    error: str = ""
    """Why the relay could not be put there ("" when it was)."""


@dataclass(frozen=True)
class NightLightState(Message):
    """Night lights: the chosen mode and whether they are lit."""

    TOPIC: ClassVar[str] = "basecamp.nightlight.state"
    mode: str
    """on, off or auto."""
    lit: bool
    daylight: bool | None = None


@dataclass(frozen=True)
class LightpackState(Message):
    """The RGB strip's colour and why."""

    TOPIC: ClassVar[str] = "basecamp.lightpack.state"
    colour: str
    """A colour name, e.g. warm_white, red, blue."""
    rgb: list[int]
    overlay: str = ""
    """Problem hint: "", orange or red."""
    locked_by: str = ""


@dataclass(frozen=True)
class NightLightMode(Message):
    """Ask the night lights for a mode: on, off or auto (the kiosk's AUTO button)."""

    TOPIC: ClassVar[str] = "basecamp.nightlight.set_mode"
    mode: str
    """on, off or auto."""
    changed_by: str = ""


@dataclass(frozen=True)
class LightpackLock(Message):
    """Take the lightpack over for `seconds` (0 releases it) and show `colour` meanwhile."""

    TOPIC: ClassVar[str] = "basecamp.lightpack.lock"
    owner: str
    seconds: float
    colour: str = ""
