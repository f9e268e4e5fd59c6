"""Fold the bus messages a report needs into a `Snapshot` (pure)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from core.messages.dialogs import FamilyMessage
from core.messages.heating import HeatingState
from core.messages.presence import Mode, ModeChanged
from core.messages.sensors import MutaUpdate
from core.messages.watch import Alert, Notice
from dialogs.report import Note, Problem, Reading, Snapshot

MAX_PROBLEMS = 20
"""Problems kept between two reports (the oldest are dropped)."""
MAX_NOTES = 20
"""Family messages listed while nobody hears them (the oldest are dropped)."""


def _time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def fold(snap: Snapshot, message: Any, now: dt.datetime) -> Snapshot:
    """The snapshot after one bus message (unknown messages change nothing)."""
    if isinstance(message, ModeChanged):
        listening = message.mode != Mode.LOCKOUT and not message.silence
        return dataclasses.replace(snap, mode=message.mode, mode_since=_time(message.since),
                                   silence=message.silence, return_at=_time(message.return_at),
                                   notes=() if listening else snap.notes)
    if isinstance(message, FamilyMessage):
        if snap.mode != Mode.LOCKOUT and not snap.silence:
            return snap  # read out at once by the interphone
        notes = (*snap.notes, Note(message.name, message.text, now))[-MAX_NOTES:]
        return dataclasses.replace(snap, notes=notes)
    if isinstance(message, HeatingState):
        return dataclasses.replace(snap, profile=message.profile, setpoint=message.setpoint,
                                   relay=message.relay,
                                   heating_temperature=message.temperature,
                                   profile_until=_time(message.until))
    if isinstance(message, MutaUpdate) and message.temperature is not None:
        temps = {**snap.temperatures, message.unit: Reading(message.temperature, now)}
        return dataclasses.replace(snap, temperatures=temps)
    if isinstance(message, Alert) and message.state == Notice.PROBLEM:
        problems = (*snap.problems, Problem(message.message, message.severity, message.state,
                                            now))[-MAX_PROBLEMS:]
        return dataclasses.replace(snap, problems=problems)
    return snap


def reported(snap: Snapshot) -> Snapshot:
    """The snapshot once a report was given (problems start again from none)."""
    return dataclasses.replace(snap, problems=())


@dataclasses.dataclass(frozen=True)
class Consumption:
    """One meter read for a report: today so far, the usual amount by now, yesterday."""

    today: float | None = None
    usual: float | None = None
    yesterday: float | None = None


def with_consumption(snap: Snapshot, water: Consumption, energy: Consumption) -> Snapshot:
    """The snapshot with the day's water and electricity."""
    return dataclasses.replace(
        snap, water_litres=water.today, usual_water_litres=water.usual,
        yesterday_water_litres=water.yesterday, energy_kwh=energy.today,
        usual_energy_kwh=energy.usual, yesterday_energy_kwh=energy.yesterday)
