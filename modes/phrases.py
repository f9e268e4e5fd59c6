"""What the modes say and write, in French first and English second [pure]."""

from __future__ import annotations

import datetime as dt

_TEXTS: dict[str, dict[str, str]] = {
    "greeting": {"fr": "Bonjour, bon retour à la maison !", "en": "Hello, welcome home!"},
    "intrusion": {"fr": "Mouvement détecté ({sensor}) en mode absence, aucun téléphone connu.",
                  "en": "Motion ({sensor}) in lockout and no known phone."},
    "intrusion_cleared": {"fr": "Fausse alerte : un téléphone connu est arrivé.",
                          "en": "False alarm: a known phone arrived."},
    "light_at_night": {"fr": "{name} allumée pendant la nuit en mode absence ({channel}).",
                       "en": "{name} switched on at night in lockout ({channel})."},
    "failsafe": {"fr": "Chauffage coupé : température de référence ({sensor}) sans mise à "
                       "jour depuis plus de {minutes} min.",
                 "en": "Heating switched off: reference temperature ({sensor}) not updated "
                       "for more than {minutes} min."},
    "failsafe_cleared": {"fr": "Température de référence ({sensor}) de nouveau à jour.",
                         "en": "Reference temperature ({sensor}) fresh again."},
    "comfort_at_night": {"fr": "Le chauffage est en confort ({profile}) au milieu de la nuit.",
                         "en": "Heating runs comfort ({profile}) in the middle of the night."},
    "comfort_at_night_cleared": {"fr": "Le chauffage n'est plus en confort la nuit.",
                                 "en": "Heating no longer in comfort at night."},
    "dark_before_sunset": {"fr": "Il fait noir ({lux:g} lx) avant le coucher du soleil : "
                                 "capteur de lumière extérieur suspect.",
                           "en": "Dark ({lux:g} lx) before sunset: outdoor light sensor "
                                 "suspect."},
    "light_before_sunrise": {"fr": "Il fait jour ({lux:g} lx) avant le lever du soleil : "
                                   "capteur de lumière extérieur suspect.",
                             "en": "Light ({lux:g} lx) before sunrise: outdoor light sensor "
                                   "suspect."},
    "light_cleared": {"fr": "Le capteur de lumière extérieur est de nouveau cohérent.",
                      "en": "The outdoor light sensor agrees with the sun again."},
    "time": {"fr": "Il est {h} h {m:02d}.", "en": "It is {h12}:{m:02d} {ampm}."},
    "time_full": {"fr": "Il est {h} heures.", "en": "It is {h12} o'clock {ampm}."},
}
MODE_NAMES = {"fr": {"cocoon": "cocon", "lockout": "absence", "asleep": "nuit"},
              "en": {"cocoon": "cocoon", "lockout": "lockout", "asleep": "asleep"}}
PROFILE_NAMES = {"fr": {"comfort": "confort", "eco": "éco", "night": "nuit",
                        "force_comfort": "confort forcé", "force_eco": "éco forcé"},
                 "en": {"comfort": "comfort", "eco": "eco", "night": "night",
                        "force_comfort": "forced comfort", "force_eco": "forced eco"}}


def profile_name(profile: str, lang: str = "fr") -> str:
    """A heating profile as people say it."""
    return PROFILE_NAMES.get(lang, PROFILE_NAMES["fr"]).get(profile, profile)


def text(key: str, lang: str = "fr", **values: object) -> str:
    """The phrase `key` in `lang` (French when the language is unknown), filled in."""
    forms = _TEXTS[key]
    return forms.get(lang, forms["fr"]).format(**values)


def time_of_day(now: dt.datetime, lang: str = "fr") -> str:
    """"Il est 14 h 30." — the spoken time."""
    h, m = now.hour, now.minute
    h12, ampm = (h % 12 or 12), ("am" if h < 12 else "pm")
    return text("time_full" if m == 0 else "time", lang, h=h, m=m, h12=h12, ampm=ampm)
