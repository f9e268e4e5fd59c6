"""Presence: the house mode and the inputs that reveal who is home."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.messages.envelope import Message


class Mode(StrEnum):
    """The presence modes of the house."""

    COCOON = "cocoon"
    """Someone is home and awake."""
    LOCKOUT = "lockout"
    """Nobody home, everything shut."""
    ASLEEP = "asleep"
    """Night, partial watch."""


class ChangedBy(StrEnum):
    """Which channel caused a change."""

    VOICE = "voice"
    SMS = "sms"
    PUSH = "push"
    KIOSK = "kiosk"
    TERMINAL = "terminal"
    SENSOR = "sensor"
    SCHEDULE = "schedule"
    RESTORE = "restore"
    MQTT = "mqtt"
    """Home Assistant, through the MQTT bridge."""


@dataclass(frozen=True)
class ModeChanged(Message):
    """The presence machine entered a mode (published at every change and on start)."""

    TOPIC: ClassVar[str] = "basecamp.presence.mode"
    mode: Mode
    since: str
    """ISO datetime with offset."""
    changed_by: str
    reason: str = ""
    silence: bool = False
    return_at: str | None = None
    """Announced return (lockout), ISO datetime, if known."""


@dataclass(frozen=True)
class PirMotion(Message):
    """A PIR sensor saw motion start (state 1) or end (state 0)."""

    TOPIC: ClassVar[str] = "basecamp.pir.motion"
    sensor: str
    """entry, kiosk or indoor."""
    state: int


@dataclass(frozen=True)
class BluetoothPresence(Message):
    """A known Bluetooth device was seen, or is considered gone."""

    TOPIC: ClassVar[str] = "basecamp.bluetooth.presence"
    device: str
    seen: bool
    rssi: float | None = None


@dataclass(frozen=True)
class BluetoothScanRequest(Message):
    """Ask the Bluetooth daemon for an immediate scan (e.g. after entry PIR in lockout)."""

    TOPIC: ClassVar[str] = "basecamp.bluetooth.scan"
    reason: str = ""


@dataclass(frozen=True)
class RoomLocation(Message):
    """Most likely room of a badge/phone from RSSI readings."""

    TOPIC: ClassVar[str] = "basecamp.rooms.location"
    badge_id: str
    room: str
    confidence: float
