"""What the sentinel writes in its alerts, in French first and English second [pure].

The house's language (`house.lang`) picks the words; an unknown language gets French. The
subjects' labels ("label.*", named by the policy: `watch.policy`) and the remedies' texts and
log lines ("remedy.*", "log.*", written by the sentinel: `watch.sentinel`, and
`watch.supervisor`'s restart) are here too, and so are the probes' details ("detail.*": the part
of an alert after " — ", `watch.probes`, `watch.water`) and supervisord's errors
("supervisor.*", which end up in a probe's detail or a failed restart's remedy).
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
    # the probes' details (watch.probes, watch.water, watch.supervisor): after " — "
    "detail.open": {"fr": "{host}:{port} ouvert", "en": "{host}:{port} open"},
    "detail.ping_ok": {"fr": "répond au ping", "en": "answers ping"},
    "detail.ping_no": {"fr": "ne répond pas au ping", "en": "does not answer ping"},
    "detail.not_json": {"fr": "/alive: réponse mal formée (pas du JSON)",
                        "en": "/alive: malformed answer (not JSON)"},
    "detail.malformed_alive": {"fr": "/alive: réponse mal formée {body}",
                               "en": "/alive: malformed answer {body}"},
    "detail.unknown_program": {"fr": "supervisord: programme {program} inconnu",
                               "en": "supervisord: unknown program {program}"},
    "detail.running": {"fr": "RUNNING depuis {uptime} s", "en": "RUNNING for {uptime} s"},
    "detail.last_beat": {"fr": "bus: dernier battement il y a {age:.0f} s",
                         "en": "bus: last heartbeat {age:.0f} s ago"},
    "detail.no_beat": {"fr": "bus: aucun battement reçu", "en": "bus: no heartbeat received"},
    "detail.beat": {"fr": "battement il y a {age:.0f} s", "en": "heartbeat {age:.0f} s ago"},
    "detail.first_beat": {"fr": "en attente du premier battement",
                          "en": "waiting for the first heartbeat"},
    "detail.no_bus_probe": {"fr": "pas de sonde de bus", "en": "no bus probe"},
    "detail.bus_ok": {"fr": "le bus transporte les messages", "en": "the bus carries messages"},
    "detail.bus_lost": {"fr": "la sonde n'est pas revenue par le bus",
                        "en": "the probe did not come back through the bus"},
    "detail.no_store": {"fr": "pas de base de métriques", "en": "no metrics store"},
    "detail.store_ok": {"fr": "la base de métriques répond", "en": "the metrics store answers"},
    "detail.sensor": {"fr": "capteur {unit}", "en": "sensor {unit}"},
    "detail.meter": {"fr": "compteur {meter}", "en": "meter {meter}"},
    "detail.no_reading": {"fr": "{what}: aucune mesure", "en": "{what}: no reading"},
    "detail.silent": {"fr": "{what} muet depuis {minutes:.0f} min",
                      "en": "{what} silent for {minutes:.0f} min"},
    "detail.last_reading": {"fr": "dernière mesure il y a {age:.0f} s",
                            "en": "last reading {age:.0f} s ago"},
    "detail.no_battery": {"fr": "pas de mesure de pile", "en": "no battery reading"},
    "detail.battery": {"fr": "pile {volts:.2f} V", "en": "battery {volts:.2f} V"},
    "detail.no_measure": {"fr": "pas de mesure", "en": "no reading"},
    "detail.too_cold": {"fr": "{temp:.1f} °C, trop froid (min {low:.0f} °C)",
                        "en": "{temp:.1f} °C, too cold (min {low:.0f} °C)"},
    "detail.too_hot": {"fr": "{temp:.1f} °C, trop chaud (max {high:.0f} °C)",
                       "en": "{temp:.1f} °C, too hot (max {high:.0f} °C)"},
    "detail.free": {"fr": "{free:.0f} % libre sur {what}", "en": "{free:.0f} % free on {what}"},
    "detail.disk": {"fr": "disque {path} de {machine}", "en": "disk {path} of {machine}"},
    "detail.not_yet": {"fr": "{what} : pas encore de mesure", "en": "{what}: no reading yet"},
    "detail.gsm": {"fr": "signal GSM", "en": "GSM signal"},
    "detail.gsm_weak": {"fr": "signal GSM faible : {percent:.0f} % (< {low:g} %)",
                        "en": "weak GSM signal: {percent:.0f} % (< {low:g} %)"},
    "detail.gsm_ok": {"fr": "signal GSM {percent:.0f} %", "en": "GSM signal {percent:.0f} %"},
    "detail.reachable": {"fr": "{up}/{total} cibles joignables",
                         "en": "{up}/{total} targets reachable"},
    "detail.exit_code": {"fr": "code de sortie {code}", "en": "exit code {code}"},
    "detail.mains_on": {"fr": "secteur présent", "en": "mains power present"},
    "detail.blackout": {"fr": "coupure de courant", "en": "power cut"},
    "detail.timeout": {"fr": "pas de réponse en {timeout:g} s",
                       "en": "no answer within {timeout:g} s"},
    "detail.refused": {"fr": "connexion refusée", "en": "connection refused"},
    "detail.quiet_slots": {"fr": "{quiet} créneau(x) sans consommation cette nuit",
                           "en": "{quiet} slot(s) without consumption last night"},
    "detail.leak": {"fr": "aucun créneau de {minutes} min sans consommation entre "
                          "{start:%H:%M} et {end:%H:%M} (min {least:.1f} L)",
                    "en": "no {minutes} min slot without consumption between "
                          "{start:%H:%M} and {end:%H:%M} (min {least:.1f} L)"},
    "detail.hourly": {"fr": "{total:.0f} {unit} sur la dernière heure",
                      "en": "{total:.0f} {unit} over the last hour"},
    "detail.hourly_over": {"fr": "{total:.0f} {unit} sur la dernière heure "
                                 "(max {maximum:.0f} {unit})",
                           "en": "{total:.0f} {unit} over the last hour "
                                 "(max {maximum:.0f} {unit})"},
    # supervisord's errors (watch.supervisor): a probe's detail, or a failed restart's reason
    "supervisor.fault": {"fr": "supervisord: {fault}", "en": "supervisord: {fault}"},
    "supervisor.unreachable": {"fr": "supervisord injoignable: {err}",
                               "en": "supervisord unreachable: {err}"},
    "supervisor.malformed_err": {"fr": "supervisord: réponse mal formée ({err})",
                                 "en": "supervisord: malformed answer ({err})"},
    "supervisor.malformed": {"fr": "supervisord: réponse mal formée",
                             "en": "supervisord: malformed answer"},
    "supervisor.refused": {"fr": "redémarrage de {program} refusé: {fault}",
                           "en": "restart of {program} refused: {fault}"},
}
"""key -> lang -> text; the notices' keys are `rules.Notice` values."""


def text(key: str, lang: str = "fr", **values: object) -> str:
    """The phrase `key` in `lang` (French when the language is unknown), filled in."""
    forms = _TEXTS[key]
    return forms.get(lang, forms["fr"]).format(**values)
