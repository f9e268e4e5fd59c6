"""The "rapport complet": a snapshot of the house in, a spoken or SMS text out (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from babel.numbers import format_currency

from dialogs.replies import PROFILE_NAMES, Style, say_number
from dialogs.times import humanize_delta, say_when

MODE_NAMES = {"fr": {"cocoon": "présence", "lockout": "absence", "asleep": "nuit"},
              "en": {"cocoon": "home", "lockout": "away", "asleep": "night"}}


@dataclass(frozen=True)
class Reading:
    """A temperature reading of one sensor unit."""

    temperature: float
    at: dt.datetime


@dataclass(frozen=True)
class Problem:
    """An alert seen on the bus since the last report."""

    message: str
    severity: str
    state: str
    at: dt.datetime


@dataclass(frozen=True)
class Note:
    """A family member's SMS that nobody has heard yet (the house away or silenced)."""

    name: str
    text: str
    at: dt.datetime


@dataclass(frozen=True)
class Snapshot:
    """What the dialogs service knows of the house (latest bus messages, day's metrics)."""

    mode: str | None = None
    mode_since: dt.datetime | None = None
    silence: bool = False
    return_at: dt.datetime | None = None
    profile: str | None = None
    setpoint: float | None = None
    relay: bool | None = None
    heating_temperature: float | None = None
    profile_until: dt.datetime | None = None
    temperatures: dict[str, Reading] = field(default_factory=dict)
    """Sensor unit -> latest reading."""
    problems: tuple[Problem, ...] = ()
    water_litres: float | None = None
    energy_kwh: float | None = None
    """The day's water and electricity so far."""
    usual_water_litres: float | None = None
    usual_energy_kwh: float | None = None
    """The same meters by the same time of day, on average over the previous days."""
    yesterday_water_litres: float | None = None
    yesterday_energy_kwh: float | None = None
    kwh_price: float = 0.0
    """Price of a kWh (`dialogs.kwh_price`); 0: no cost is said."""
    currency: str = "EUR"
    notes: tuple[Note, ...] = ()
    """Family messages kept for the people at home, oldest first."""


def _fr_en(lang: str, fr: str, en: str) -> str:
    return fr if lang == "fr" else en


def heating_text(snap: Snapshot, now: dt.datetime, lang: str, style: Style) -> str:
    """The heating part: profile, setpoint, relay, expiry."""
    if snap.profile is None:
        return _fr_en(lang, "Chauffage : pas de nouvelles.", "Heating: no news.")
    name = PROFILE_NAMES[lang].get(snap.profile, snap.profile)
    parts = [_fr_en(lang, f"Chauffage en {name}", f"Heating on {name}")]
    if snap.setpoint is not None:
        parts.append(_fr_en(lang, f", consigne {say_number(snap.setpoint, lang)} degrés",
                            f", setpoint {say_number(snap.setpoint, lang)} degrees"))
    if snap.relay is not None:
        parts.append(_fr_en(lang, ", radiateur allumé" if snap.relay else ", radiateur éteint",
                            ", heater on" if snap.relay else ", heater off"))
    if snap.profile_until is not None:
        parts.append(_fr_en(lang, f", jusqu'à {say_when(snap.profile_until, now, lang)}",
                            f", until {say_when(snap.profile_until, now, lang)}"))
    text = "".join(parts) + "."
    if style == Style.SMS:
        text = text.replace(" degrés", "°C").replace(" degrees", "°C")
    return text


def render_report(snap: Snapshot, now: dt.datetime, lang: str,
                  style: Style = Style.SPEECH) -> str:
    """The full report: mode and since when, temperatures, heating, problems, consumption."""
    short = style == Style.SMS
    lines: list[str] = []
    if snap.mode is None:
        lines.append(_fr_en(lang, "Mode inconnu.", "Mode unknown."))
    else:
        mode = MODE_NAMES[lang].get(snap.mode, snap.mode)
        since = f" {humanize_delta(snap.mode_since, now, lang, short=short)}" \
            if snap.mode_since else ""
        line = _fr_en(lang, f"Mode {mode} depuis{since.replace(' il y a', '')}.",
                      f"Mode {mode} for{since.replace(' ago', '')}.") if since else \
            _fr_en(lang, f"Mode {mode}.", f"Mode {mode}.")
        if snap.silence:
            line += _fr_en(lang, " Silence activé.", " Silence on.")
        lines.append(line)
    temps = [f"{unit} {say_number(round(r.temperature, 1), lang)}"
             for unit, r in sorted(snap.temperatures.items())]
    if temps:
        unit = "°C" if short else _fr_en(lang, " degrés", " degrees")
        lines.append(_fr_en(lang, "Températures : ", "Temperatures: ") + ", ".join(temps)
                     + unit + ".")
    lines.append(heating_text(snap, now, lang, style))
    if snap.problems:
        shown = snap.problems[-3:] if short else snap.problems[-5:]
        head = _fr_en(lang, f"{len(snap.problems)} problème(s) : ",
                      f"{len(snap.problems)} problem(s): ")
        lines.append(head + "; ".join(p.message for p in shown) + ".")
    else:
        lines.append(_fr_en(lang, "Aucun problème depuis le dernier rapport.",
                            "No problem since the last report."))
    if snap.notes:
        said = "; ".join(_fr_en(lang, f"{n.name} : « {n.text} »", f'{n.name}: "{n.text}"')
                         for n in snap.notes[-5:])
        lines.append(_fr_en(lang, f"{len(snap.notes)} message(s) en attente : {said}.",
                            f"{len(snap.notes)} message(s) waiting: {said}."))
    if snap.water_litres is not None or snap.energy_kwh is not None:
        lines.append(consumption_text(snap, lang, style))
    return ("\n" if short else " ").join(lines)


class Meter(StrEnum):
    """What a consumption question is about (the `meter` slot)."""

    WATER = "water"
    ELECTRICITY = "electricity"


class Day(StrEnum):
    """Which day a consumption question is about (the `day` slot)."""

    TODAY = "today"
    YESTERDAY = "yesterday"


def _litres(value: float, lang: str) -> str:
    return _fr_en(lang, f"{say_number(round(value), lang)} litres d'eau",
                  f"{say_number(round(value), lang)} litres of water")


def _kwh(value: float, lang: str, style: Style) -> str:
    unit = "kWh" if style == Style.SMS else _fr_en(lang, "kilowattheures", "kilowatt hours")
    return _fr_en(lang, f"{say_number(round(value, 1), lang)} {unit} d'électricité",
                  f"{say_number(round(value, 1), lang)} {unit} of electricity")


def _cost(snap: Snapshot, kwh: float, lang: str) -> str:
    if snap.kwh_price <= 0:
        return ""
    money = format_currency(kwh * snap.kwh_price, snap.currency,
                            locale="fr_FR" if lang == "fr" else "en_GB")
    money = money.replace("\u202f", " ").replace("\xa0", " ")  # plain spaces: SMS-safe
    return _fr_en(lang, f", soit {money}", f", costing {money}")


def _usual(value: float | None, lang: str, text: str) -> str:
    return "" if value is None else _fr_en(lang, f" (d'habitude {text} à cette heure)",
                                           f" (usually {text} by this time)")


def consumption_text(snap: Snapshot, lang: str, style: Style = Style.SPEECH,
                     meter: str | None = None, day: str = Day.TODAY) -> str:
    """The day's water and/or electricity, compared with the usual day ("combien d'eau…")."""
    today = day != Day.YESTERDAY
    water = snap.water_litres if today else snap.yesterday_water_litres
    energy = snap.energy_kwh if today else snap.yesterday_energy_kwh
    parts = []
    if meter in (None, Meter.WATER) and water is not None:
        usual = _usual(snap.usual_water_litres, lang,
                       say_number(round(snap.usual_water_litres or 0), lang)) if today else ""
        parts.append(_litres(water, lang) + usual)
    if meter in (None, Meter.ELECTRICITY) and energy is not None:
        usual = _usual(snap.usual_energy_kwh, lang,
                       say_number(round(snap.usual_energy_kwh or 0, 1), lang)) if today else ""
        parts.append(_kwh(energy, lang, style) + _cost(snap, energy, lang) + usual)
    when = _fr_en(lang, "Aujourd'hui" if today else "Hier", "Today" if today else "Yesterday")
    if parts:
        return f"{when}{_fr_en(lang, ' : ', ': ')}{', '.join(parts)}."
    what = {Meter.WATER: _fr_en(lang, "d'eau", "water "),
            Meter.ELECTRICITY: _fr_en(lang, "d'électricité", "electricity ")}.get(
                Meter(meter), "") if meter else _fr_en(lang, "de consommation", "")
    return _fr_en(lang, f"Je n'ai pas de relevé {what} pour {when.lower()}.",
                  f"I have no {what}readings for {when.lower()}.")
