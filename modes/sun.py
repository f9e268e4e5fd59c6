"""Sunrise and sunset of the house (astral), cached per day: day/night as a cheap lookup [pure]."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from astral import Observer
from astral.sun import elevation, sun

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Place:
    """Where the house is: coordinates and IANA time zone."""

    latitude: float = 48.8566
    longitude: float = 2.3522
    timezone: str = "Europe/Paris"


@functools.lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@functools.lru_cache(maxsize=256)
def sun_times(place: Place, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """(sunrise, sunset) of `day` at `place`; polar day/night give the whole day or nothing."""
    tz = _zone(place.timezone)
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


def local_day(place: Place, now: dt.datetime) -> dt.date:
    """The house's calendar day at `now`."""
    return now.astimezone(_zone(place.timezone)).date()


def is_daylight(place: Place, now: dt.datetime) -> bool:
    """True between sunrise and sunset at the house."""
    rise, set_ = sun_times(place, local_day(place, now))
    return rise <= now < set_


def sun_phase(place: Place, now: dt.datetime, margin: dt.timedelta) -> str:
    """"day" (sun up by more than `margin`), "night" (down by more), or "twilight"."""
    rise, set_ = sun_times(place, local_day(place, now))
    if rise + margin <= now <= set_ - margin:
        return "day"
    if now < rise - margin or now > set_ + margin:
        return "night"
    return "twilight"
