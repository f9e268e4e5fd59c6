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
        return alive_topic(self.host, self.service)


ALIVE_PREFIX = Heartbeat.TOPIC + "."
"""Subscribe to this to hear every service's heartbeat."""


def alive_topic(host: str, service: str) -> str:
    """The topic of `service`'s heartbeats from machine `host`."""
    return f"{ALIVE_PREFIX}{host}.{service}"


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
