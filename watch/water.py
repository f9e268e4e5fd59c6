"""Water and electricity safety checks over metric series [pure].

A leak is a night during which no slot saw zero consumption: with a tight installation there is
always a quiet quarter of an hour between 1 and 5 a.m. Hourly totals above safety maxima are
warnings. Series are (time, value) pairs as returned by `core.metrics` stores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from watch import phrases


def last_night(now: dt.datetime, start: dt.time, end: dt.time,
               tz: str = "UTC") -> tuple[dt.datetime, dt.datetime]:
    """The most recent complete night window [start, end) before `now`, in the house's zone."""
    local = now.astimezone(ZoneInfo(tz))
    day = local.date()
    while True:
        begin = dt.datetime.combine(day, start, local.tzinfo)
        finish = dt.datetime.combine(day if end > start else day + dt.timedelta(days=1), end,
                                     local.tzinfo)
        if finish <= local:
            return begin, finish
        day -= dt.timedelta(days=1)


def slot_totals(series: Sequence[tuple[dt.datetime, float]], start: dt.datetime,
                end: dt.datetime, slot_s: int) -> list[float]:
    """Consumption per slot of `slot_s` seconds in [start, end) (no point = zero)."""
    count = max(1, int((end - start).total_seconds() // slot_s))
    totals = [0.0] * count
    for when, value in series:
        index = int((when - start).total_seconds() // slot_s)
        if 0 <= index < count:
            totals[index] += float(value)
    return totals


def leaking(series: Sequence[tuple[dt.datetime, float]], start: dt.datetime,
            end: dt.datetime, slot_s: int, lang: str = "fr") -> tuple[bool, str]:
    """(leak?, detail in `lang`): True when no slot of the night had zero consumption."""
    totals = slot_totals(series, start, end, slot_s)
    quiet = sum(1 for t in totals if t <= 0.0)
    if quiet:
        return False, phrases.text("detail.quiet_slots", lang, quiet=quiet)
    return True, phrases.text("detail.leak", lang, minutes=slot_s // 60, start=start, end=end,
                              least=min(totals))


def over_maximum(total: float, maximum: float, unit: str,
                 lang: str = "fr") -> tuple[bool, str]:
    """(over?, detail in `lang`) for an hourly total against its safety maximum."""
    if total > maximum:
        return True, phrases.text("detail.hourly_over", lang, total=total, maximum=maximum,
                                  unit=unit)
    return False, phrases.text("detail.hourly", lang, total=total, unit=unit)
