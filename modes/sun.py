"""Sunrise and sunset of the house (astral), cached per day: day/night as a cheap lookup [pure]."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from astral import Observer
from astral.sun import elevation, sun


@dataclass(frozen=True, slots=True)
class Place:
    """Where the house is: coordinates and IANA time zone."""

    latitude: float = 48.8566
    longitude: float = 2.3522
    timezone: str = "Europe/Paris"


@functools.lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo of an IANA name (cached)."""
    return ZoneInfo(name)


@functools.lru_cache(maxsize=256)
def sun_times(place: Place, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """(sunrise, sunset) of `day` at `place`; polar day/night give the whole day or nothing."""
    tz = zone(place.timezone)
    observer = Observer(latitude=place.latitude, longitude=place.longitude)
    try:
        times = sun(observer, date=day, tzinfo=tz)
        return times["sunrise"], times["sunset"]
    except ValueError:  # the sun never rises or never sets that day
        noon = dt.datetime.combine(day, dt.time(12), tz)
        start = dt.datetime.combine(day, dt.time(0), tz)
        if elevation(observer, noon) > 0:
            return start, start + dt.timedelta(days=1)
        return noon, noon


_memo: list[Any] = [None, None, None]  # place, day, (sunrise, sunset): the hot path's answer


def today(place: Place, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(sunrise, sunset) of the house's day at `now`, memoised for repeated calls."""
    day = now.astimezone(zone(place.timezone)).date()
    if _memo[0] is place and _memo[1] == day:
        return _memo[2]  # type: ignore[no-any-return]
    times = sun_times(place, day)
    _memo[:] = [place, day, times]
    return times


def is_daylight(place: Place, now: dt.datetime) -> bool:
    """True between sunrise and sunset at the house."""
    rise, set_ = today(place, now)
    return rise <= now < set_


def sun_phase(place: Place, now: dt.datetime, margin: dt.timedelta) -> str:
    """"day" (sun up by more than `margin`), "night" (down by more), or "twilight"."""
    rise, set_ = today(place, now)
    if rise + margin <= now <= set_ - margin:
        return "day"
    if now < rise - margin or now > set_ + margin:
        return "night"
    return "twilight"
