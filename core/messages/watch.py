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


class Notice(StrEnum):
    """What an alert says about an incident."""

    PROBLEM = "problem"
    REMINDER = "reminder"
    RECOVERY = "recovery"


@dataclass(frozen=True)
class Alert(Message):
    """An incident opened, reminded or closed."""

    TOPIC: ClassVar[str] = "basecamp.watch.alert"
    key: str
    """Incident identity, e.g. service:bc-hq/logbook or power:mains."""
    severity: Severity
    state: Notice
    message: str
    source: str = ""
    """Who raised it (watch, heater, modes...)."""


class Power(StrEnum):
    """Mains power as the sentinel sees it."""

    POWER_OK = "POWER_OK"
    BLACKOUT = "BLACKOUT"


@dataclass(frozen=True)
class PowerState(Message):
    """Mains power as the sentinel sees it."""

    TOPIC: ClassVar[str] = "basecamp.watch.power"
    state: str
    """A `Power`: POWER_OK or BLACKOUT."""
    since: str


@dataclass(frozen=True)
class SentinelOk(Message):
    """The sentinel's periodic "all watched" signal that sentries wait for."""

    TOPIC: ClassVar[str] = "basecamp.watch.ok"
    cycle: int


@dataclass(frozen=True)
class PushSend(Message):
    """Ask the push notifier to send a Pushover message."""

    TOPIC: ClassVar[str] = "basecamp.push.send"
    title: str
    message: str
    priority: int = 0
    """Pushover priority: -2 lowest .. 1 high (2, emergency, is not used)."""
    kind: str = ""
    """"error_report" for a channel failure report: never reported again (no loops)."""


@dataclass(frozen=True)
class ChannelState(Message):
    """A notification channel (sms, push) went down or came back; queued = waiting messages."""

    TOPIC: ClassVar[str] = "basecamp.watch.channel"
    channel: str
    up: bool
    queued: int = 0
    error: str = ""
