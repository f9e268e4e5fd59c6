"""Latching relays (heater, night lights): the command and where a relay was put."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.messages.envelope import Message


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
