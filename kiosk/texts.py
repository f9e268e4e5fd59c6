"""Words of the kiosk in French and English, and the date/time formats it uses [pure]."""

from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_date, format_timedelta

_FR: dict[str, str] = {
    "home": "Accueil", "controls": "Commandes", "health": "Santé", "charts": "Courbes",
    "mode.cocoon": "Cocon", "mode.lockout": "Absence", "mode.asleep": "Nuit",
    "mode.none": "Mode inconnu",
    "by.voice": "à la voix", "by.sms": "par SMS", "by.push": "par notification",
    "by.kiosk": "sur l'écran", "by.terminal": "au terminal", "by.sensor": "par un capteur",
    "by.schedule": "par le programme", "by.restore": "au redémarrage",
    "since": "depuis {time}", "changed": "depuis {time}, {by}",
    "return_at": "retour prévu {time}",
    "no_data": "pas de données", "no_data_since": "pas de données depuis {time}",
    "bad_data": "message rejeté {time} : {reason}",
    "indoor": "Intérieur", "outdoor": "Extérieur", "bedroom": "Chambre",
    "heating": "Chauffage", "setpoint": "consigne {value}", "relay.on": "chauffe",
    "relay.off": "à l'arrêt", "until": "jusqu'à {time}",
    "profile.comfort": "confort", "profile.eco": "éco", "profile.night": "nuit",
    "profile.force_comfort": "confort forcé", "profile.force_eco": "éco forcé",
    "profile.work_week": "semaine de travail", "profile.holiday_week": "semaine de vacances",
    "night_light": "Veilleuse", "nl.on": "allumée", "nl.off": "éteinte", "nl.auto": "auto",
    "nl.lit": "allumée", "nl.unlit": "éteinte", "nl.mode": "mode {mode}",
    "lightpack": "Lightpack", "overlay.orange": "incident passé",
    "overlay.red": "incident majeur",
    "colour.warm_white": "blanc chaud", "colour.red": "rouge", "colour.orange": "orange",
    "colour.blue": "bleu", "colour.off": "éteint", "colour.eco_white": "blanc éco",
    "colour.green": "vert",
    "power": "Électricité", "water": "Eau", "today": "aujourd'hui",
    "power.now": "{va} VA en ce moment", "power.day": "{kwh} kWh aujourd'hui",
    "water.day": "{litres} L aujourd'hui",
    "exchange": "Assistant", "heard": "« {text} »", "answer": "→ {text}",
    "listening": "J'écoute…",
    "silence.on": "Silence", "silence.off": "Voix active",
    "pending": "demandé : {value}…", "pending.late": "sans réponse depuis {time}",
    "incidents.one": "{n} incident en cours", "incidents.other": "{n} incidents en cours",
    "timers.one": "Minuteur", "timers.other": "{n} minuteurs et rappels", "timer": "minuteur",
    "timer.paused": "(en pause)",
    "one.timer": "Minuteur", "one.reminder": "Rappel", "reminder_at": "{text} {time}",
    "mains.blackout": "Coupure secteur {time}",
    "bus.lost": "Bus muet depuis {time}",
    "ctl.mode": "Mode", "ctl.cocoon": "Je suis là", "ctl.lockout": "Je pars",
    "ctl.asleep": "Je vais dormir", "ctl.heating": "Chauffage", "ctl.expiry": "Durée",
    "ctl.expiry.none": "sans fin", "ctl.expiry.hours": "{h} h",
    "ctl.night_light": "Veilleuse", "ctl.on": "Allumer", "ctl.off": "Éteindre",
    "ctl.auto": "Auto", "ctl.silence": "Silence", "ctl.silence_on": "Silence",
    "ctl.silence_off": "Parler",
    "health.machines": "Machines et services", "health.log": "Journal du jour",
    "health.none": "Pas de rapport de la sentinelle", "health.stale":
        "Rapport de la sentinelle indisponible depuis {time} ({error})",
    "health.heartbeats": "d'après les battements du bus",
    "health.last_check": "vérifié {time}", "health.supervisor": "supervisord : {url}",
    "charts.24h": "24 h", "charts.7d": "7 jours", "charts.temperature": "Températures (°C)",
    "charts.power": "Puissance (VA)", "charts.water": "Eau (L)",
    "voice": "Voix", "enroll.title": "Mot d'éveil personnel",
    "enroll.say": "Dites « {word} » {times}, avec une petite pause entre chaque fois.",
    "enroll.start": "Commencer", "enroll.progress": "{recorded} sur {count}",
    "enroll.listening": "J'écoute… dites « {word} ».",
    "enroll.done": "C'est enregistré. Dites « {word} » pour m'appeler.",
    "enroll.failed": "L'enregistrement a échoué : {error}",
    "enroll.too_short": "Trop court, redites le mot.",
    "enroll.too_long": "Trop long : juste le mot, s'il vous plaît.",
    "enroll.times.1": "une fois", "enroll.times.2": "deux fois", "enroll.times.3": "trois fois",
    "enroll.times.4": "quatre fois", "enroll.times.5": "cinq fois",
}

_EN: dict[str, str] = {
    **_FR,
    "home": "Home", "controls": "Controls", "health": "Health", "charts": "Charts",
    "mode.cocoon": "Cocoon", "mode.lockout": "Away", "mode.asleep": "Night",
    "mode.none": "Unknown mode",
    "by.voice": "by voice", "by.sms": "by SMS", "by.push": "by push", "by.kiosk": "on screen",
    "by.terminal": "from a terminal", "by.sensor": "by a sensor",
    "by.schedule": "by the schedule", "by.restore": "on restart",
    "since": "since {time}", "changed": "since {time}, {by}", "return_at": "back {time}",
    "no_data": "no data", "no_data_since": "no data since {time}",
    "bad_data": "message rejected {time}: {reason}",
    "indoor": "Indoor", "outdoor": "Outdoor", "bedroom": "Bedroom",
    "heating": "Heating", "setpoint": "setpoint {value}", "relay.on": "heating",
    "relay.off": "idle", "until": "until {time}",
    "profile.comfort": "comfort", "profile.eco": "eco", "profile.night": "night",
    "profile.force_comfort": "forced comfort", "profile.force_eco": "forced eco",
    "profile.work_week": "work week", "profile.holiday_week": "holiday week",
    "night_light": "Night light", "nl.on": "on", "nl.off": "off", "nl.auto": "auto",
    "nl.lit": "lit", "nl.unlit": "dark", "nl.mode": "mode {mode}",
    "overlay.orange": "past incident", "overlay.red": "major incident",
    "colour.warm_white": "warm white", "colour.red": "red", "colour.orange": "orange",
    "colour.blue": "blue", "colour.off": "off", "colour.eco_white": "eco white",
    "colour.green": "green",
    "power": "Electricity", "water": "Water", "today": "today",
    "power.now": "{va} VA now", "power.day": "{kwh} kWh today",
    "water.day": "{litres} L today", "exchange": "Assistant", "listening": "Listening…",
    "heard": "“{text}”", "silence.on": "Silenced", "silence.off": "Voice on",
    "pending": "requested: {value}…", "pending.late": "no answer since {time}",
    "incidents.one": "{n} open incident", "incidents.other": "{n} open incidents",
    "timers.one": "Timer", "timers.other": "{n} timers and reminders", "timer": "timer",
    "timer.paused": "(paused)",
    "one.timer": "Timer", "one.reminder": "Reminder", "reminder_at": "{text} {time}",
    "mains.blackout": "Mains power lost {time}",
    "bus.lost": "Bus silent since {time}",
    "ctl.cocoon": "I'm home", "ctl.lockout": "I'm leaving", "ctl.asleep": "Going to bed",
    "ctl.heating": "Heating", "ctl.expiry": "For", "ctl.expiry.none": "no end",
    "ctl.night_light": "Night light", "ctl.on": "On", "ctl.off": "Off", "ctl.silence": "Silence",
    "ctl.silence_on": "Silence", "ctl.silence_off": "Speak",
    "health.machines": "Machines and services", "health.log": "Today's log",
    "health.none": "No report from the sentinel",
    "health.stale": "Sentinel report unavailable since {time} ({error})",
    "health.heartbeats": "from bus heartbeats", "health.last_check": "checked {time}",
    "charts.temperature": "Temperatures (°C)", "charts.power": "Power (VA)",
    "charts.water": "Water (L)", "charts.7d": "7 days",
    "voice": "Voice", "enroll.title": "Personal wake word",
    "enroll.say": "Say “{word}” {times}, with a short pause in between.",
    "enroll.start": "Start", "enroll.progress": "{recorded} of {count}",
    "enroll.listening": "Listening… say “{word}”.",
    "enroll.done": "Saved. Say “{word}” to call me.",
    "enroll.failed": "Recording failed: {error}",
    "enroll.too_short": "Too short, say the word again.",
    "enroll.too_long": "Too long: just the word, please.",
    "enroll.times.1": "once", "enroll.times.2": "twice", "enroll.times.3": "three times",
    "enroll.times.4": "four times", "enroll.times.5": "five times",
}

TEXTS: dict[str, dict[str, str]] = {"fr": _FR, "en": _EN}


class Texts:
    """Labels and formats of one language."""

    def __init__(self, lang: str = "fr") -> None:
        self.lang = lang if lang in TEXTS else "fr"
        self._words = TEXTS[self.lang]

    def __call__(self, key: str, **values: object) -> str:
        """The label `key` with `{placeholders}` filled; an unknown key shows as itself."""
        text = self._words.get(key)
        if text is None:
            return key.rpartition(".")[2].replace("_", " ")
        return text.format(**values) if values else text

    def plural(self, key: str, n: int, **values: object) -> str:
        """`key.one` or `key.other` by the language's plural rule (CLDR, through babel:
        French says "1 incident", "0 incident", English "0 incidents")."""
        form = Locale.parse(self.lang).plural_form(n)
        return self(f"{key}.{'one' if form == 'one' else 'other'}", n=n, **values)

    def clock(self, when: dt.datetime) -> str:
        """"14:05"."""
        return when.strftime("%H:%M")

    def date(self, when: dt.datetime) -> str:
        """"samedi 21 novembre" / "Saturday 21 November"."""
        text = format_date(when.date(), "EEEE d MMMM", locale=self.lang)
        return text[:1].upper() + text[1:]

    def ago(self, when: dt.datetime, now: dt.datetime) -> str:
        """"il y a 5 minutes" / "5 minutes ago" ("dans ..." for the future)."""
        return format_timedelta(when - now, locale=self.lang, add_direction=True,
                                threshold=1.1)

    def moment(self, when: dt.datetime, now: dt.datetime) -> str:
        """A time of the day ("14:05") or a date and time when not today."""
        local = when.astimezone(now.tzinfo) if when.tzinfo and now.tzinfo else when
        if local.date() == now.date():
            return self.clock(local)
        return f"{format_date(local.date(), 'EEE d MMM', locale=self.lang)} {self.clock(local)}"

    def number(self, value: float, digits: int = 1) -> str:
        """A number with the language's decimal separator."""
        text = f"{value:.{digits}f}"
        return text.replace(".", ",") if self.lang == "fr" else text
