"""Times as people say them: find a time expression in an utterance, resolve it against `now`.

`find(folded, lang)` locates one expression in folded text (numbers already digits, see
`dialogs.text`) and parses it into a `TimeExpr`, with no clock involved: "vers 20 heures",
"à 7 heures et demie du soir", "lundi soir", "jusqu'à dimanche", "pour le week-end", "une
petite heure", "quinze jours", "deux nuits", "quelques jours" (vague). `resolve(expr, now,
parts)` turns it into an instant in `now`'s time zone. The recogniser replaces the span with
`PLACEHOLDER`, which the grammar's time lists accept, so every sentence that takes a time takes
all of them and the grammar stays small. Named times of the templates ("tonight", a `{count}
{unit}` pair) resolve through the same `resolve`, so there is one rule for each time.

Rules (the corpus README states them for people): day parts come from `DayParts`; a clock time
alone is its next occurrence, 1-11 o'clock without "du matin"/"du soir" being the nearer of the
two (at 08:30, "à 7 heures" is 19:00); with a day named the hour is taken as said; a weekday is
the next such day whose time is still ahead; "le week-end" is the coming Sunday evening;
"demain" said after midnight (before 05:00) is the coming day; durations are added to `now`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dialogs.settings import DayParts

PLACEHOLDER = "xxwhen"
"""What a found time expression becomes in the text given to the grammar (a word no one says)."""
PLACEHOLDER_VALUE = "@when"
"""The slot value the grammar's time lists give the placeholder."""
MAX_AHEAD = dt.timedelta(days=366)
"""Times further than this are refused (a return in 99 weeks is a mistake)."""
SMALL_HOURS_UNTIL = dt.time(5, 0)
"""Before this, "demain" still means the coming day (it is the night of the day before)."""


@dataclass(frozen=True)
class TimeExpr:
    """A time as said, before it meets a clock."""

    days: int | None = None
    """Day offset from today (0 today, 1 "demain", 2 "après-demain")."""
    weekday: int | None = None
    """0 = Monday ... 6 = Sunday."""
    date: tuple[int, int] | None = None
    """(day, month) of "le 15 mars"; month 0 = this month or the next."""
    part: str | None = None
    """A `DayParts` field: morning, noon, afternoon, evening, night."""
    hour: int | None = None
    minute: int = 0
    meridiem: str | None = None
    """"am" / "pm" when said ("du matin", "du soir", "pm")."""
    duration: dt.timedelta | None = None
    """"dans 3 heures", "pour deux jours": added to `now`."""
    nights: int = 0
    """"deux nuits": ends on the morning after the last night."""
    vague: bool = False
    """"quelques jours", "un moment": a time was meant but none given."""

    @property
    def is_duration(self) -> bool:
        """True when said as a length of time rather than an instant."""
        return self.duration is not None or self.nights > 0


@dataclass(frozen=True)
class Found:
    """A time expression's place in the folded text and what it says."""

    start: int
    end: int
    expr: TimeExpr

    def tagged(self, text: str) -> str:
        """The text with the expression replaced by the placeholder."""
        return " ".join(f"{text[:self.start]} {PLACEHOLDER} {text[self.end:]}".split())


# ---- resolving ----------------------------------------------------------------------------
def _at(day: dt.date, when: dt.time, tz: dt.tzinfo | None) -> dt.datetime:
    return dt.datetime.combine(day, when).replace(tzinfo=tz)


def _clock(expr: TimeExpr) -> dt.time | None:
    if expr.hour is None:
        return None
    hour = expr.hour
    if expr.meridiem == "pm" and hour < 12:
        hour += 12
    elif expr.meridiem == "am" and hour == 12:
        hour = 0
    if not (0 <= hour <= 24 and 0 <= expr.minute < 60):
        return None
    if hour == 24:
        hour = 0
    return dt.time(hour % 24, expr.minute)


def _next_clock(expr: TimeExpr, now: dt.datetime, base: dt.date) -> dt.datetime | None:
    """A clock time with no day: its next occurrence (1-11 o'clock: the nearer half-day)."""
    clock = _clock(expr)
    if clock is None:
        return None
    options = [clock]
    if expr.meridiem is None and 1 <= clock.hour <= 11:
        options.append(clock.replace(hour=clock.hour + 12))
    found = [when for day in (base, base + dt.timedelta(days=1)) for c in options
             if (when := _at(day, c, now.tzinfo)) > now]
    return min(found) if found else None


def _day_time(expr: TimeExpr, parts: DayParts, default: str) -> dt.time | None:
    clock = _clock(expr)
    if clock is not None:
        return clock
    return getattr(parts, expr.part or default)


def resolve(expr: TimeExpr, now: dt.datetime, parts: DayParts) -> dt.datetime | None:
    """The instant an expression means, after `now`; None if it names none (vague, absurd)."""
    when = _resolve(expr, now, parts)
    if when is None or when - now > MAX_AHEAD:
        return None
    return when.replace(second=0, microsecond=0)


def _resolve(expr: TimeExpr, now: dt.datetime, parts: DayParts) -> dt.datetime | None:
    if expr.vague:
        return None
    if expr.duration is not None:
        return now + expr.duration if expr.duration > dt.timedelta(0) else None
    today = now.date()
    if expr.nights:
        return _at(today + dt.timedelta(days=expr.nights), parts.morning, now.tzinfo)
    if expr.weekday is not None:
        time_of_day = _day_time(expr, parts, "morning")
        if time_of_day is None:
            return None
        ahead = (expr.weekday - today.weekday()) % 7
        when = _at(today + dt.timedelta(days=ahead), time_of_day, now.tzinfo)
        return when if when > now else when + dt.timedelta(days=7)
    if expr.date is not None:
        return _on_date(expr, now, parts)
    if expr.days is not None:
        days = expr.days
        if days >= 1 and now.time() < SMALL_HOURS_UNTIL:
            days -= 1  # "demain matin" at 3 am: the morning about to come
        if days == 0 and expr.hour is not None and expr.part is None:
            return _next_clock(expr, now, today)
        time_of_day = _day_time(expr, parts, "morning" if days else "evening")
        if time_of_day is None:
            return None
        if expr.part in ("evening", "night") and expr.hour is not None \
                and expr.meridiem is None and 1 <= expr.hour <= 11:
            time_of_day = time_of_day.replace(hour=time_of_day.hour + 12)  # "ce soir à 9 h"
        when = _at(today + dt.timedelta(days=days), time_of_day, now.tzinfo)
        if when <= now and days == 0:
            return now + dt.timedelta(hours=1)  # "ce soir" said at 21:00: later tonight
        return when if when > now else None
    if expr.hour is not None:
        return _next_clock(expr, now, today)
    return None


def _on_date(expr: TimeExpr, now: dt.datetime, parts: DayParts) -> dt.datetime | None:
    assert expr.date is not None
    day, month = expr.date
    time_of_day = _day_time(expr, parts, "morning")
    if time_of_day is None:
        return None
    year, month = now.year, month or now.month
    for _ in range(13):
        try:
            when = _at(dt.date(year, month, day), time_of_day, now.tzinfo)
        except ValueError:
            when = None
        if when is not None and when > now:
            return when
        if expr.date[1]:
            year += 1
        else:
            month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return None


def named(name: str) -> TimeExpr | None:
    """The expression of a named time from the templates' lists ("tonight"...)."""
    return NAMED.get(name)


NAMED: dict[str, TimeExpr] = {
    "tonight": TimeExpr(days=0, part="evening"),
    "today_noon": TimeExpr(days=0, part="noon"),
    "today_afternoon": TimeExpr(days=0, part="afternoon"),
    "tomorrow_morning": TimeExpr(days=1, part="morning"),
    "tomorrow_noon": TimeExpr(days=1, part="noon"),
    "tomorrow_afternoon": TimeExpr(days=1, part="afternoon"),
    "tomorrow_evening": TimeExpr(days=1, part="evening"),
    "tomorrow": TimeExpr(days=1),
    "day_after_tomorrow": TimeExpr(days=2),
    "soon": TimeExpr(duration=dt.timedelta(hours=1)),
    "in_1_hour": TimeExpr(duration=dt.timedelta(hours=1)),
    "in_30_minutes": TimeExpr(duration=dt.timedelta(minutes=30)),
    "in_1_day": TimeExpr(duration=dt.timedelta(days=1)),
    "next_week": TimeExpr(duration=dt.timedelta(days=7)),
    "weekend": TimeExpr(weekday=6, part="evening"),
}
"""Named times of the sentence lists (their `out` values)."""

UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400, "weeks": 7 * 86400,
                "months": 30 * 86400}
"""Canonical duration units in seconds (`nights` ends on a morning instead)."""


def duration(amount: float, unit: str) -> TimeExpr | None:
    """The expression of "{count} {unit}" ("3 jours", "2 nuits"); None for an unknown unit."""
    if unit == "nights":
        return TimeExpr(nights=int(amount)) if amount >= 1 else None
    if unit not in UNIT_SECONDS:
        return None
    return TimeExpr(duration=dt.timedelta(seconds=amount * UNIT_SECONDS[unit]))


# ---- finding ------------------------------------------------------------------------------
Builder = Callable[[re.Match[str]], TimeExpr | None]


@dataclass(frozen=True)
class _Words:
    """One language's words for times."""

    numbers: dict[str, float]
    units: dict[str, str]
    parts: dict[str, str]
    weekdays: dict[str, int]
    months: dict[str, int]
    meridiems: dict[str, str]


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


def _number(text: str | None, words: _Words) -> float | None:
    if text is None:
        return None
    text = text.strip()
    if text in words.numbers:
        return words.numbers[text]
    try:
        return float(text)
    except ValueError:
        return None


FR = _Words(
    numbers={"un": 1, "une": 1, "deux": 2, "trois": 3, "une petite": 1, "un petit": 1,
             "une bonne": 1, "un bon": 1, "une grosse": 1, "un grand": 1, "une demi": 0.5,
             "un demi": 0.5, "une demie": 0.5, "1 demi": 0.5, "quinze": 15, "huit": 8},
    units={"minute": "minutes", "minutes": "minutes", "min": "minutes", "mn": "minutes",
           "heure": "hours", "heures": "hours", "h": "hours", "jour": "days", "jours": "days",
           "j": "days",
           "journee": "days", "journees": "days", "nuit": "nights", "nuits": "nights",
           "semaine": "weeks", "semaines": "weeks", "mois": "months", "week end": "weekends",
           "week ends": "weekends", "weekend": "weekends", "weekends": "weekends"},
    parts={"matin": "morning", "matinee": "morning", "midi": "noon", "apres midi": "afternoon",
           "aprem": "afternoon", "soir": "evening", "soiree": "evening", "nuit": "night",
           "fin de journee": "evening", "fin d apres midi": "evening",
           "debut de soiree": "evening", "fin de soiree": "night", "soir tard": "night"},
    weekdays={"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5,
              "dimanche": 6},
    months={"janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
            "juillet": 7, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
            "decembre": 12},
    meridiems={"du matin": "am", "du soir": "pm", "de l apres midi": "pm", "de l aprem": "pm",
               "de la nuit": "am", "du midi": "pm"},
)
EN = _Words(
    numbers={"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "a couple of": 2, "couple of": 2,
             "a good": 1, "half an": 0.5, "a half": 0.5},
    units={"minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
           "hour": "hours", "hours": "hours", "hr": "hours", "hrs": "hours", "h": "hours",
           "day": "days", "days": "days", "night": "nights", "nights": "nights",
           "week": "weeks", "weeks": "weeks", "month": "months", "months": "months",
           "weekend": "weekends", "weekends": "weekends", "fortnight": "fortnights"},
    parts={"morning": "morning", "noon": "noon", "lunchtime": "noon", "afternoon": "afternoon",
           "evening": "evening", "night": "night", "tonight": "evening"},
    weekdays={"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
              "saturday": 5, "sunday": 6},
    months={"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
            "july": 7, "august": 8, "september": 9, "october": 10, "november": 11,
            "december": 12},
    meridiems={"am": "am", "pm": "pm", "a m": "am", "p m": "pm", "in the morning": "am",
               "in the evening": "pm", "in the afternoon": "pm", "at night": "pm"},
)


def _span(amount: float, unit: str, extra: float = 0.0) -> TimeExpr | None:
    if unit == "weekends":
        return TimeExpr(weekday=6, part="evening") if amount == 1 else None
    if unit == "fortnights":
        unit, amount = "days", amount * 14
    if unit == "hours" and extra:
        amount += extra
    return duration(amount, unit)


def _clock_at(hour: int, minute: int, meridiem: str | None,
              base: dict[str, object]) -> TimeExpr | None:
    """A clock time said ("sept heures moins le quart"), or None when it is not one."""
    if hour > 24 or minute >= 60 or hour < 0:
        return None
    return TimeExpr(hour=hour, minute=minute, meridiem=meridiem, **base)  # type: ignore[arg-type]


def _with_part(w: _Words, clock_expr: Callable[..., TimeExpr | None]
               ) -> Callable[..., TimeExpr | None]:
    """A clock time with the part of the day said before it ("lundi soir vers 8 h")."""
    def with_part(m: re.Match[str], **base: object) -> TimeExpr | None:
        p = m.group("part")
        if p is not None:
            base["part"] = w.parts[p]
        return clock_expr(m, **base)
    return with_part


class _Grammar:
    """The compiled patterns of one language and how each becomes a `TimeExpr`."""

    def __init__(self, words: _Words, patterns: list[tuple[str, Builder]]) -> None:
        self.words = words
        self.patterns = [(re.compile(rf"(?<![\w.]){p}(?![\w.])"), b) for p, b in patterns]

    def find(self, text: str) -> Found | None:
        """The last of the longest expressions that do not overlap ("parti ce matin, retour
        jeudi soir": the return is the time said last)."""
        found: list[Found] = []
        for pattern, build in self.patterns:
            for match in pattern.finditer(text):
                expr = build(match)
                if expr is not None and expr != TimeExpr():
                    found.append(Found(match.start(), match.end(), expr))
        kept: list[Found] = []
        for candidate in sorted(found, key=lambda f: (f.start - f.end, f.start)):
            if all(candidate.end <= k.start or candidate.start >= k.end for k in kept):
                kept.append(candidate)
        return max(kept, key=lambda f: f.start) if kept else None


def _fr() -> _Grammar:
    w = FR
    n = r"(?:\d+(?:\.\d+)?|une petite|un petit|une bonne|un bon|une grosse|un grand|un|une|deux" \
        r"|trois|quinze|huit)"
    unit = _alt(w.units)
    part = _alt(w.parts)
    weekday = _alt(w.weekdays)
    month = _alt(w.months)
    meridiem = _alt(w.meridiems)
    at_prep = r"(?:(?:jusqu a|jusqu au|jusque|d ici a|d ici|vers|a|avant|des|aux alentours" \
              r" de|autour de|sur les coups de|environ|au plus tard a|pas avant) )"
    span_prep = r"(?:(?:dans|pour|pendant|durant|d ici|sur|au moins|au bout de|environ) )"
    clock = rf"(?P<h>\d{{1,2}}) ?(?:heures?|h)(?: ?(?P<m>\d{{1,2}})(?: ?(?:min|minutes))?" \
            rf"| et (?P<half>demie?)| et (?P<quarter>quart)| moins (?:le )?(?P<less>quart)" \
            rf"| moins (?P<lessm>\d{{1,2}}))?(?: (?P<mer>{meridiem}))?"
    noon = r"(?P<noon>midi|minuit)(?: (?:et (?P<nhalf>demie?)|et (?P<nquarter>quart)|" \
           r"(?P<nm>\d{1,2})))?"
    day_parts = rf"(?: (?:dans la |dans l |en |le |au )?(?P<part>{part}))?"
    day_clock = rf"(?: (?:a |vers |pour |sur les coups de |aux alentours de )?(?:{clock}|{noon}))?"

    def clock_expr(m: re.Match[str], **base: object) -> TimeExpr | None:
        g = m.groupdict()
        if g.get("noon"):
            minute = 30 if g.get("nhalf") else 15 if g.get("nquarter") else int(g["nm"] or 0)
            return TimeExpr(hour=12 if g["noon"] == "midi" else 0, minute=minute,
                            meridiem="pm" if g["noon"] == "midi" else "am",
                            **base)  # type: ignore[arg-type]
        if g.get("h") is None:
            return TimeExpr(**base) if base else None  # type: ignore[arg-type]
        hour, minute = int(g["h"]), int(g["m"] or 0)
        if g.get("half"):
            minute = 30
        elif g.get("quarter"):
            minute = 15
        elif g.get("less") or g.get("lessm"):
            hour, minute = hour - 1, 60 - (15 if g.get("less") else int(g["lessm"]))
        return _clock_at(hour, minute, w.meridiems.get(g.get("mer") or ""), base)

    with_part = _with_part(w, clock_expr)

    def days(m: re.Match[str]) -> TimeExpr | None:
        offset = {"aujourd hui": 0, "demain": 1, "apres demain": 2}[m.group("day")]
        return with_part(m, days=offset)

    def today_part(m: re.Match[str]) -> TimeExpr | None:
        return clock_expr(m, days=0, part=w.parts[m.group("tpart")])

    def on_weekday(m: re.Match[str]) -> TimeExpr | None:
        return with_part(m, weekday=w.weekdays[m.group("wd")])

    def on_date(m: re.Match[str]) -> TimeExpr | None:
        day = int(m.group("dd"))
        if not 1 <= day <= 31:
            return None
        return with_part(m, date=(day, w.months.get(m.group("mon") or "", 0)))

    def span(m: re.Match[str]) -> TimeExpr | None:
        amount = _number(m.group("n"), w)
        if amount is None or amount <= 0:
            return None
        extra = 0.5 if m.group("shalf") else 0.25 if m.group("squarter") else 0.0
        minutes = int(m.group("sm") or 0)
        unit_name = w.units[m.group("unit")]
        if minutes and unit_name == "hours":
            extra += minutes / 60
        return _span(amount, unit_name, extra)

    def bare_clock(m: re.Match[str]) -> TimeExpr | None:
        # "accès distant 1h30": a few hours said with no preposition are a length of time
        if not m.group(0)[:1].isdigit() or m.group("h") is None or m.group("half") or \
                m.group("quarter") or m.group("mer") or int(m.group("h")) >= 5:
            return clock_expr(m)
        return duration(int(m.group("h")) * 60 + int(m.group("m") or 0), "minutes")

    def for_clock(m: re.Match[str]) -> TimeExpr | None:
        # "pour 2 heures" is a length, "pour 20 heures" an hour
        if m.group("m") is None and not m.group("half") and int(m.group("h")) < 5:
            return duration(int(m.group("h")), "hours")
        return clock_expr(m)

    patterns: list[tuple[str, Builder]] = [
        (rf"{at_prep}?(?:{clock}|{noon})", bare_clock),
        (rf"pour (?:{clock})", for_clock),
        (rf"{at_prep}?(?:(?:ce |cette |cet )(?P<tpart>matin|midi|apres midi|soir|nuit)){day_clock}",
         today_part),
        (rf"{at_prep}?(?:dans la |dans l |en )(?P<tpart>matinee|soiree|apres midi|fin de journee"
         rf"|fin d apres midi|debut de soiree|fin de soiree){day_clock}", today_part),
        (rf"{at_prep}?(?P<day>aujourd hui|apres demain|demain){day_parts}{day_clock}", days),
        (rf"{at_prep}?(?:le |ce )?(?P<wd>{weekday})(?: (?:prochain|qui vient))?{day_parts}"
         rf"{day_clock}", on_weekday),
        (rf"{at_prep}?(?:le (?:(?:{weekday}) )?|(?:{weekday}) )(?P<dd>\d{{1,2}})"
         rf"(?: (?P<mon>{month}))?{day_parts}{day_clock}", on_date),
        (r"(?:(?:pour|pendant|durant|jusqu a la fin du|jusqu au) )?(?:le |ce |tout le )"
         r"(?:week end|weekend)|en (?:week end|weekend)", lambda m: NAMED["weekend"]),
        (rf"{span_prep}?(?P<n>{n}) (?:(?P<unit>{unit})(?: (?P<sm>\d{{2}}))?)(?: et (?:(?P<shalf>"
         rf"demie?)|(?P<squarter>quart)))?", span),
        (rf"{span_prep}?(?:une demi heure|1 demi heure|une demie heure)",
         lambda m: duration(30, "minutes")),
        (rf"{span_prep}?(?:un (?:petit )?quart d heure)", lambda m: duration(15, "minutes")),
        (rf"{span_prep}?(?:3 quarts d heure|trois quarts d heure)",
         lambda m: duration(45, "minutes")),
        (rf"{span_prep}?(?P<n>\d+) ?h ?(?P<sm>\d{{2}})", lambda m: duration(
            int(m.group("n")) * 60 + int(m.group("sm")), "minutes")
         if m.group(0).startswith(("dans", "pendant", "durant")) else None),
        (r"(?:(?:dans|d ici) )?(?:la semaine prochaine|une semaine)",
         lambda m: NAMED["next_week"]),
        (r"(?:tout a l heure|bientot|plus tard|dans pas longtemps|dans peu de temps|d ici peu"
         r"|sous peu|dans un moment|dans un instant)", lambda m: NAMED["soon"]),
        (r"(?:(?:pour|pendant|durant) )?(?:quelques|plusieurs|un certain nombre de) (?:jours|"
         r"heures|semaines|nuits|mois)|(?:(?:pour|pendant) )?(?:un (?:bon |petit |certain )?"
         r"(?:moment|temps|bout de temps|petit moment)|longtemps|un bail|une duree "
         r"indeterminee)", lambda m: TimeExpr(vague=True)),
    ]
    return _Grammar(w, patterns)


def _en() -> _Grammar:
    w = EN
    n = r"(?:\d+(?:\.\d+)?|a couple of|couple of|a good|a|an|one|two|three)"
    unit = _alt(w.units)
    part = _alt(w.parts)
    weekday = _alt(w.weekdays)
    meridiem = _alt(w.meridiems)
    at_prep = r"(?:(?:until|till|til|by|at|around|about|before|for|no later than|not before) )"
    span_prep = r"(?:(?:in|for|within|during|about) )"
    clock = rf"(?P<h>\d{{1,2}})(?: (?P<m>\d{{2}}))?(?: ?(?P<mer>{meridiem})| o clock)"
    bare = r"(?P<h>\d{1,2})(?: (?P<m>\d{2}))?"
    past = r"(?:(?P<half>half)|(?P<quarter>quarter)|(?P<pm>\d{1,2})) past (?P<ph>\d{1,2})" \
           r"|(?:a )?quarter to (?P<th>\d{1,2})"
    noon = r"(?P<noon>noon|midday|midnight)"
    day_parts = rf"(?: (?:in the |at )?(?P<part>{part}))?"
    day_clock = rf"(?: (?:at |around |by )?(?:{clock}|{noon}|{past}))?"

    def clock_expr(m: re.Match[str], **base: object) -> TimeExpr | None:
        g = {k: v for k, v in m.groupdict().items() if v is not None}
        if g.get("noon"):
            return TimeExpr(hour=12 if g["noon"] != "midnight" else 0,
                            meridiem="pm" if g["noon"] != "midnight" else "am",
                            **base)  # type: ignore[arg-type]
        hour = minute = None
        if g.get("ph") is not None:
            hour = int(g["ph"])
            minute = 30 if g.get("half") else 15 if g.get("quarter") else int(g.get("pm", 0))
        elif g.get("th") is not None:
            hour, minute = int(g["th"]) - 1, 45
        elif g.get("h") is not None:
            hour, minute = int(g["h"]), int(g.get("m") or 0)
        if hour is None or minute is None:
            return TimeExpr(**base) if base else None  # type: ignore[arg-type]
        return _clock_at(hour, minute, w.meridiems.get(g.get("mer", "")), base)

    with_part = _with_part(w, clock_expr)

    def days(m: re.Match[str]) -> TimeExpr | None:
        word = m.group("day")
        offset = {"today": 0, "tomorrow": 1, "the day after tomorrow": 2,
                  "day after tomorrow": 2}[word]
        return with_part(m, days=offset)

    def span(m: re.Match[str]) -> TimeExpr | None:
        amount = _number(m.group("n"), w)
        if amount is None or amount <= 0:
            return None
        extra = 0.5 if m.group("shalf") else 0.0
        return _span(amount, w.units[m.group("unit")], extra)

    patterns: list[tuple[str, Builder]] = [
        (rf"{at_prep}?(?:{clock}|{noon}|{past})", clock_expr),
        (rf"(?:until|till|til|by|at|around|before) {bare}", clock_expr),
        (rf"{at_prep}?(?:this )(?P<tpart>morning|afternoon|evening)|{at_prep}?tonight"
         rf"{day_clock}", lambda m: clock_expr(
             m, days=0, part=w.parts[m.group("tpart") or "tonight"])),
        (rf"{at_prep}?(?P<day>the day after tomorrow|day after tomorrow|tomorrow|today)"
         rf"{day_parts}{day_clock}", days),
        (rf"{at_prep}?(?:on |next |this )?(?P<wd>{weekday}){day_parts}{day_clock}",
         lambda m: with_part(m, weekday=w.weekdays[m.group("wd")])),
        (r"(?:(?:for|over|until the end of|till the end of) )?(?:the|this) weekend",
         lambda m: NAMED["weekend"]),
        (rf"{span_prep}?(?P<n>{n}) (?P<unit>{unit})(?: and (?P<shalf>a half))?", span),
        (rf"{span_prep}?(?:half an hour|a half hour|half hour)", lambda m: duration(30, "minutes")),
        (rf"{span_prep}?(?:a |one )?quarter of an hour", lambda m: duration(15, "minutes")),
        (rf"{span_prep}?(?:a fortnight)", lambda m: duration(14, "days")),
        (r"(?:(?:in|within) )?(?:a week|next week|one week)", lambda m: NAMED["next_week"]),
        (r"(?:later|soon|in a bit|in a little while|shortly|later on|in a moment)",
         lambda m: NAMED["soon"]),
        (r"(?:(?:for|during) )?(?:a few|several|some) (?:days|hours|weeks|nights|months)|"
         r"(?:for )?(?:a while|a long while|a long time|some time|a bit|an indefinite period)",
         lambda m: TimeExpr(vague=True)),
    ]
    return _Grammar(w, patterns)


_GRAMMARS: dict[str, _Grammar] = {}


def find(folded: str, lang: str) -> Found | None:
    """The longest time expression in folded text (numbers as digits), or None."""
    grammar = _GRAMMARS.get(lang)
    if grammar is None:
        grammar = _GRAMMARS[lang] = _fr() if lang == "fr" else _en()
    return grammar.find(folded)
