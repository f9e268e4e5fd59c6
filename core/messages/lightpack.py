"""The RGB lightpack: its colour and a lock taken over it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.messages.envelope import Message


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
class LightpackLock(Message):
    """Take the lightpack over for `seconds` (0 releases it) and show `colour` meanwhile."""

    TOPIC: ClassVar[str] = "basecamp.lightpack.lock"
    owner: str
    seconds: float
    colour: str = ""
