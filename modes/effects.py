"""Events and effects of the mode machines that are not bus messages [pure].

Most events and effects ARE bus messages (`Intent`, `PirMotion`, `MutaUpdate`, `Alert`, `Say`,
`ModeChanged`, `RelayCommand`...): a service hands what it received to `step` and publishes
what comes back. The few below only exist inside the machines or for their services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Tick:
    """The clock moved: deadlines, expiries and schedules are checked."""


@dataclass(frozen=True, slots=True)
class ForceMode:
    """Put the presence machine in a mode directly (replay start, kiosk repair)."""

    mode: str
    changed_by: str = "terminal"


@dataclass(frozen=True, slots=True)
class Report:
    """Effect: a scheduled report is due (the dialogs service composes it)."""

    at: dt.datetime
    spoken: bool = True
    send: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Prune:
    """Effect: the weekly pruning of metrics older than `before` is due."""

    before: dt.datetime


@dataclass(frozen=True, slots=True)
class EventRejected:
    """Effect: an event was ignored by rule (bad value, impossible transition); logged, counted."""

    reason: str
    key: str = ""
    """For a command: the reply key the dialogs answer with (no_heating_here...)."""
    values: dict[str, Any] = field(default_factory=dict)
    """... and what that reply names."""
