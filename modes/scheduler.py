"""Scheduler rules: spoken time every half hour, scheduled reports, weekly pruning [pure].

`step(state, event, now) -> (state, effects)` over `ModeChanged` (mode and silence) and `Tick`.
The time is spoken only in cocoon, not silenced, within the day's hours; a slot missed by more
than `late` (a restart, a long tick) is skipped rather than spoken late. Effects: `Say`,
`Report` (rendered by the service, which knows the temperatures), `Prune`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from core.messages.dialogs import ReportDue
from core.messages.presence import Mode, ModeChanged
from core.messages.voice import Say
from modes import phrases
from modes.effects import Prune, Report, Tick
from modes.records import evolve
from modes.sun import zone

COCOON = Mode.COCOON  # a name: a member read off its enum is slower


@dataclass(frozen=True)
class SchedulerRules:
    """What the scheduler needs from the config (times in minutes since midnight)."""

    announce: bool = True
    every: int = 30
    announce_from: int = 8 * 60
    announce_to: int = 22 * 60
    late: dt.timedelta = dt.timedelta(minutes=5)
    reports: tuple[int, ...] = (8 * 60, 19 * 60)
    sent_reports: tuple[int, ...] = ()
    report_channels: tuple[str, ...] = ("sms",)
    prune_day: int = 6
    prune_at: int = 3 * 60 + 30
    retention: dt.timedelta = dt.timedelta(days=400)
    timezone: str = "Europe/Paris"
    lang: str = "fr"


@dataclass(frozen=True)
class Scheduler:
    """What the scheduler remembers: the mode and the last slots handled."""

    rules: SchedulerRules
    mode: Mode = Mode.COCOON
    silence: bool = False
    last_slot: int = -1
    """Last half-hour slot handled, as local day ordinal * 1440 + minute."""
    last_report: int = -1
    """Last report handled, same encoding."""
    pruned_on: int = -1
    """Local day ordinal of the last pruning."""


def _at(local: dt.datetime, minute: int) -> dt.datetime:
    return local.replace(hour=minute // 60, minute=minute % 60, second=0, microsecond=0)


def step(state: Scheduler, event: Any, now: dt.datetime) -> tuple[Scheduler, list[Any]]:
    """Apply one event at `now`: the new state and the effects."""
    kind = type(event)
    if kind is ModeChanged:
        if (event.mode, event.silence) == (state.mode, state.silence):
            return state, []
        return evolve(state, mode=event.mode, silence=event.silence), []
    if kind is not Tick:
        return state, []
    rules, out = state.rules, list[Any]()
    local = now.astimezone(zone(rules.timezone))
    minute = local.hour * 60 + local.minute
    day = local.toordinal()
    awake = state.mode == COCOON and not state.silence
    late = rules.late.total_seconds()
    start = minute // rules.every * rules.every
    slot = day * 1440 + start
    changes: dict[str, Any] = {}
    if slot != state.last_slot:
        changes["last_slot"] = slot
        if rules.announce and awake and rules.announce_from <= minute <= rules.announce_to \
                and (minute - start) * 60 + local.second <= late:
            out.append(Say(phrases.time_of_day(_at(local, start), rules.lang)))
    for at in sorted({*rules.reports, *rules.sent_reports}):
        key = day * 1440 + at
        if key != state.last_report and 0 <= (minute - at) * 60 + local.second <= late:
            changes["last_report"] = key
            spoken = awake and at in rules.reports
            send = rules.report_channels if at in rules.sent_reports else ()
            if spoken or send:
                out.append(Report(_at(local, at), spoken, send))
    if local.weekday() == rules.prune_day and minute >= rules.prune_at \
            and state.pruned_on != day:
        changes["pruned_on"] = day
        out.append(Prune(now - rules.retention))
    return (evolve(state, **changes) if changes else state), out


def due(report: Report) -> ReportDue:
    """The bus message asking the dialogs service for the report."""
    return ReportDue(report.at.isoformat(), report.spoken, list(report.send))
