"""Logbook entries published on `basecamp.log.<level>`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.messages.envelope import Message


class Level(StrEnum):
    """How much an entry matters (major problems go out by push/SMS, not only here)."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


@dataclass(frozen=True)
class LogEntry(Message):
    """One line of the central logbook."""

    TOPIC: ClassVar[str] = "basecamp.log"
    machine: str
    service: str
    level: str
    message: str

    def __post_init__(self) -> None:
        Level(self.level)  # raises ValueError on an unknown level

    def topic(self) -> str:
        return f"{LOG_PREFIX}{self.level}"


LOG_PREFIX = LogEntry.TOPIC + "."
"""Subscribe to this to hear logbook entries of every level."""
