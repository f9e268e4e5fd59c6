"""Times in replies: durations humanised with babel ("dans 3 min", "il y a 5 h", "in 3 hours",
"5 hours ago") and parsed back, clock times, dates, greetings by the time of day. Times *said*
by people are found and resolved in `dialogs.when`.
"""

from __future__ import annotations

import datetime as dt
import re

from babel.dates import format_date, format_time, format_timedelta

from dialogs.settings import DayParts
from dialogs.text import fold, words_to_digits
from dialogs.when import UNIT_SECONDS

DAWN = dt.time(5, 0)
"""Before this, after midnight, the house wishes a good night."""


def day_part(now: dt.datetime, parts: DayParts) -> str:
    """"morning", "day", "evening" or "night" (for "bonne matinée / journée / soirée / nuit":
    after midnight and before dawn it is night, not evening)."""
    clock = now.timetz().replace(tzinfo=None)
    if clock < DAWN:
        return "night"
    if clock < parts.noon:
        return "morning"
    if parts.noon <= clock < parts.evening:
        return "day"
    return "evening"


def humanize_delta(when: dt.datetime, now: dt.datetime, lang: str, *, short: bool = False) -> str:
    """"dans 3 minutes" / "il y a 5 h" / "in 3 hours" / "5 hours ago" (babel)."""
    text = format_timedelta(when - now, add_direction=True, locale=lang,
                            format="short" if short else "long")
    return _plain(text)


def _plain(text: str) -> str:
    """Babel's non-breaking spaces as plain spaces (SMS and speech engines prefer them)."""
    return str(text).replace("\u00a0", " ").replace("\u202f", " ")


def say_time(when: dt.datetime, lang: str) -> str:
    """A clock time as people say it ("19:30", "7:30 PM")."""
    return _plain(format_time(when, "short", locale=lang))


def say_date(when: dt.datetime, lang: str) -> str:
    """A date as people say it ("mardi 5 mars", "Tuesday, March 5")."""
    return _plain(format_date(when, "EEEE d MMMM" if lang == "fr" else "EEEE, MMMM d",
                              locale=lang))


def say_when(when: dt.datetime, now: dt.datetime, lang: str) -> str:
    """A future time relative to today ("ce soir à 19:00", "demain à 08:00", "lundi 9 mars")."""
    days = (when.date() - now.date()).days
    clock = say_time(when, lang)
    if days == 0:
        return f"aujourd'hui à {clock}" if lang == "fr" else f"today at {clock}"
    if days == 1:
        return f"demain à {clock}" if lang == "fr" else f"tomorrow at {clock}"
    return f"{say_date(when, lang)} à {clock}" if lang == "fr" else \
        f"{say_date(when, lang)} at {clock}"


_UNITS = {
    "fr": {"s": "seconds", "sec": "seconds", "seconde": "seconds", "secondes": "seconds",
           "min": "minutes", "mn": "minutes", "minute": "minutes", "minutes": "minutes",
           "h": "hours", "heure": "hours", "heures": "hours",
           "j": "days", "jour": "days", "jours": "days",
           "semaine": "weeks", "semaines": "weeks"},
    "en": {"s": "seconds", "sec": "seconds", "second": "seconds", "seconds": "seconds",
           "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes",
           "minutes": "minutes", "h": "hours", "hr": "hours", "hrs": "hours",
           "hour": "hours", "hours": "hours", "d": "days", "day": "days", "days": "days",
           "week": "weeks", "weeks": "weeks"},
}
_ONE = {"fr": re.compile(r"\b(?:une|un)\b"), "en": re.compile(r"\b(?:an|a|one)\b")}
_RELATIVE = {
    "fr": (re.compile(r"^dans (\d+(?:\.\d+)?) ?([a-z]+)$"),
           re.compile(r"^il y a (\d+(?:\.\d+)?) ?([a-z]+)$")),
    "en": (re.compile(r"^in (\d+(?:\.\d+)?) ?([a-z]+)$"),
           re.compile(r"^(\d+(?:\.\d+)?) ?([a-z]+) ago$")),
}


def parse_delta(text: str, lang: str) -> dt.timedelta | None:
    """"dans 3 min" -> +3 min, "il y a 5 h" -> -5 h, "five hours ago" -> -5 h; else None."""
    folded = _ONE[lang].sub("1", fold(text))
    folded = fold(words_to_digits(folded, lang, threshold=0))
    future, past = _RELATIVE[lang]
    for pattern, sign in ((future, 1), (past, -1)):
        match = pattern.match(folded)
        if match:
            unit = _UNITS[lang].get(match.group(2))
            if unit is None:
                return None
            seconds = 1 if unit == "seconds" else UNIT_SECONDS[unit]
            return dt.timedelta(seconds=sign * float(match.group(1)) * seconds)
    return None
