"""What the sentinel writes in its alerts, in French first and English second [pure].

The house's language (`house.lang`) picks the words; an unknown language gets French. The
subjects' labels ("label.*", named by the policy: `watch.policy`) and the remedies' texts and
log lines ("remedy.*", "log.*", written by the sentinel: `watch.sentinel`, and
`watch.supervisor`'s restart) are here too.
"""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "problem": {"fr": "PROBLÈME", "en": "PROBLEM"},
    "reminder": {"fr": "RAPPEL", "en": "REMINDER"},
    "recovery": {"fr": "RÉTABLI", "en": "RECOVERED"},
    "flapping": {"fr": " (instable)", "en": " (flapping)"},
    "services": {"fr": "{count} services sur {machine} ({names})",
                 "en": "{count} services on {machine} ({names})"},
    # the subjects' labels (watch.policy)
    "label.mains": {"fr": "secteur", "en": "mains power"},
    "label.machine": {"fr": "machine {name}", "en": "machine {name}"},
    "label.service": {"fr": "{service} sur {host}", "en": "{service} on {host}"},
    "label.bus": {"fr": "bus", "en": "bus"},
    "label.gsm_signal": {"fr": "signal GSM", "en": "GSM signal"},
    "label.meter": {"fr": "compteur {meter}", "en": "meter {meter}"},
    "label.store": {"fr": "base de métriques", "en": "metrics store"},
    "label.disk": {"fr": "disque {path} de {machine}", "en": "disk {path} of {machine}"},
    "label.sensor": {"fr": "capteur {unit}", "en": "sensor {unit}"},
    "label.battery": {"fr": "pile du capteur {unit}", "en": "battery of sensor {unit}"},
    "label.temperature": {"fr": "température {name}", "en": "temperature {name}"},
    "label.internet": {"fr": "accès Internet", "en": "Internet access"},
    "label.leak": {"fr": "fuite d'eau", "en": "water leak"},
    "label.water_hourly": {"fr": "consommation d'eau", "en": "water consumption"},
    "label.power_hourly": {"fr": "consommation électrique", "en": "power consumption"},
    # the remedies (watch.sentinel), in the status and the log
    "remedy.restarted": {"fr": "{program} redémarré par supervisord sur {machine}",
                         "en": "{program} restarted by supervisord on {machine}"},
    "remedy.already": {"fr": "{program} déjà redémarré", "en": "{program} already restarted"},
    "remedy.failed": {"fr": "échec du redémarrage de {program}: {err}",
                      "en": "restart of {program} failed: {err}"},
    "remedy.woken": {"fr": "réveil réseau (Wake-on-LAN) envoyé à {machine} ({mac})",
                     "en": "Wake-on-LAN sent to {machine} ({mac})"},
    "remedy.wake_failed": {"fr": "échec du réveil réseau de {machine}: {err}",
                           "en": "Wake-on-LAN of {machine} failed: {err}"},
    "remedy.recreated": {"fr": "{program} recréé par {command}",
                         "en": "{program} recreated by {command}"},
    "remedy.command_failed": {"fr": "{command} a échoué (code {code})",
                              "en": "{command} failed (code {code})"},
    "log.remedy": {"fr": "remède: {done}", "en": "remedy: {done}"},
    "log.remedy_watch": {"fr": "remède: {done}; j'attends un humain si ça recommence",
                         "en": "remedy: {done}; I wait for a human if it happens again"},
    "log.mains": {"fr": "secteur: {event}", "en": "mains power: {event}"},
    "log.unsaved": {"fr": "mémoire du veilleur non enregistrée : {err}",
                    "en": "sentinel memory not saved: {err}"},
}
"""key -> lang -> text; the notices' keys are `rules.Notice` values."""


def text(key: str, lang: str = "fr", **values: object) -> str:
    """The phrase `key` in `lang` (French when the language is unknown), filled in."""
    forms = _TEXTS[key]
    return forms.get(lang, forms["fr"]).format(**values)
