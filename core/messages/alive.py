"""Heartbeats: every service says it is alive on `basecamp.alive.<host>.<service>`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.messages.envelope import Message


@dataclass(frozen=True)
class Heartbeat(Message):
    """A service is running."""

    TOPIC: ClassVar[str] = "basecamp.alive"
    service: str
    host: str
    version: str
    uptime_s: float

    def topic(self) -> str:
        return f"{self.TOPIC}.{self.host}.{self.service}"


@dataclass(frozen=True)
class Probe(Message):
    """A message sent through the forwarder to see that the bus carries messages end to end."""

    TOPIC: ClassVar[str] = "basecamp.bus.probe"
    token: str

    def topic(self) -> str:
        return f"{self.TOPIC}.{self.token}"


@dataclass(frozen=True)
class StateRequest(Message):
    """Someone who just joined asks every service for its current state (the bus keeps no
    last values): services answer by publishing their state messages again."""

    TOPIC: ClassVar[str] = "basecamp.bus.state_request"
    prefix: str = ""
    """Only state messages whose topic starts with this ("" = all)."""
