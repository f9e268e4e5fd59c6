"""The sentinel's findings and alerts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.messages.envelope import Message


class Severity(StrEnum):
    """How bad a finding is (drives the lightpack overlay and channels)."""

    MINOR = "minor"
    MAJOR = "major"


@dataclass(frozen=True)
class Alert(Message):
    """An incident opened, reminded or closed."""

    TOPIC: ClassVar[str] = "basecamp.watch.alert"
    key: str
    """Incident identity, e.g. service:bc-hq/logbook or power:mains."""
    severity: str
    state: str
    """problem, reminder or recovery."""
    message: str
    source: str = ""
    """Who raised it (watch, heater, modes...)."""


@dataclass(frozen=True)
class PowerState(Message):
    """Mains power as the sentinel sees it."""

    TOPIC: ClassVar[str] = "basecamp.watch.power"
    state: str
    """POWER_OK or BLACKOUT."""
    since: str


@dataclass(frozen=True)
class SentinelOk(Message):
    """The sentinel's periodic "all watched" signal that sentries wait for."""

    TOPIC: ClassVar[str] = "basecamp.watch.ok"
    cycle: int
