"""Named times and durations against `now` (`dialogs.when`), and humanised durations both
ways (fr, en)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dialogs.replies import Style
from dialogs.report import Problem, Reading, Snapshot, render_report
from dialogs.settings import DayParts
from dialogs.times import day_part, humanize_delta, parse_delta
from dialogs.when import duration, named, resolve

NOW = dt.datetime(2024, 3, 5, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
PARTS = DayParts()


@pytest.mark.parametrize(("name", "expected"), [
    ("tonight", "2024-03-05T19:00:00+01:00"),
    ("today_noon", "2024-03-05T12:00:00+01:00"),
    ("tomorrow_morning", "2024-03-06T08:00:00+01:00"),
    ("tomorrow_noon", "2024-03-06T12:00:00+01:00"),
    ("tomorrow_evening", "2024-03-06T19:00:00+01:00"),
    ("in_1_hour", "2024-03-05T10:00:00+01:00"),
])
def test_named_times(name: str, expected: str) -> None:
    assert resolve(named(name), NOW, PARTS).isoformat() == expected  # type: ignore[arg-type,union-attr]


def test_day_parts_are_configurable() -> None:
    parts = DayParts(evening=dt.time(18, 30))
    assert resolve(named("tonight"), NOW, parts).isoformat() == "2024-03-05T18:30:00+01:00"  # type: ignore[arg-type,union-attr]


def test_tonight_said_late_is_later_tonight() -> None:
    late = NOW.replace(hour=21)
    assert resolve(named("tonight"), late, PARTS) == late + dt.timedelta(hours=1)  # type: ignore[arg-type]


def test_durations() -> None:
    assert resolve(duration(3, "hours"), NOW, PARTS) == NOW + dt.timedelta(hours=3)  # type: ignore[arg-type]
    assert resolve(duration(2, "nights"), NOW, PARTS) == NOW.replace(day=7, hour=8)  # type: ignore[arg-type]
    assert resolve(duration(99, "weeks"), NOW, PARTS) is None  # type: ignore[arg-type]
    assert duration(0, "days") is None or resolve(duration(0, "days"), NOW, PARTS) is None  # type: ignore[arg-type]


def test_day_part() -> None:
    assert [day_part(NOW.replace(hour=h), PARTS) for h in (7, 13, 20, 23, 2)] == \
        ["morning", "day", "evening", "evening", "night"]  # at 2 am: not "bonne soirée"


@pytest.mark.parametrize(("text", "lang", "delta", "long", "short"), [
    ("dans 3 min", "fr", dt.timedelta(minutes=3), "dans 3 minutes", "dans 3 min"),
    ("il y a 5 h", "fr", dt.timedelta(hours=-5), "il y a 5 heures", "il y a 5 h"),
    ("dans trois heures", "fr", dt.timedelta(hours=3), "dans 3 heures", "dans 3 h"),
    ("il y a une heure", "fr", dt.timedelta(hours=-1), "il y a 1 heure", "il y a 1 h"),
    ("dans deux jours", "fr", dt.timedelta(days=2), "dans 2 jours", "dans 2 j"),
    ("in 3 hours", "en", dt.timedelta(hours=3), "in 3 hours", "in 3 hr."),
    ("5 hours ago", "en", dt.timedelta(hours=-5), "5 hours ago", "5 hr. ago"),
    ("five minutes ago", "en", dt.timedelta(minutes=-5), "5 minutes ago", "5 min. ago"),
])
def test_relative_both_ways(text: str, lang: str, delta: dt.timedelta, long: str,
                            short: str) -> None:
    assert parse_delta(text, lang) == delta
    assert humanize_delta(NOW + delta, NOW, lang) == long
    assert humanize_delta(NOW + delta, NOW, lang, short=True) == short


@pytest.mark.parametrize("text", ["", "demain", "dans trois", "il y a longtemps", "x" * 300])
def test_not_a_relative_time(text: str) -> None:
    assert parse_delta(text, "fr") is None


def test_report_speech_and_sms() -> None:
    snap = Snapshot(mode="lockout", mode_since=NOW - dt.timedelta(hours=5), silence=False,
                    profile="force_eco", setpoint=16.0, relay=False,
                    profile_until=NOW.replace(hour=18),
                    temperatures={"salon": Reading(19.46, NOW), "exterieur": Reading(4.0, NOW)},
                    problems=(Problem("capteur chambre muet", "minor", "problem", NOW),),
                    water_litres=182.4, energy_kwh=7.26)
    speech = render_report(snap, NOW, "fr")
    assert speech == (
        "Mode absence depuis 5 heures. Températures : exterieur 4, salon 19,5 degrés. "
        "Chauffage en éco forcé, consigne 16 degrés, radiateur éteint, jusqu'à aujourd'hui à "
        "18:00. 1 problème(s) : capteur chambre muet. Aujourd'hui : 182 litres d'eau, "
        "7,3 kilowattheures d'électricité.")
    sms = render_report(snap, NOW, "fr", Style.SMS)
    assert sms.splitlines()[0] == "Mode absence depuis 5 h."
    assert "16°C" in sms and len(sms) < 320
    english = render_report(Snapshot(), NOW, "en")
    assert english == ("Mode unknown. Heating: no news. No problem since the last report.")
