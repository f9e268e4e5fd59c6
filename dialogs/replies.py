"""What the house answers, in French or English, for speech (short, natural) or SMS (compact)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Style(StrEnum):
    """How a reply is rendered."""

    SPEECH = "speech"
    SMS = "sms"


# key -> lang -> (speech, sms); `str.format` fields filled by `render`.
CATALOGUE: dict[str, dict[str, tuple[str, str]]] = {
    "not_understood": {
        "fr": ("Désolé, je n'ai pas compris.", "Pas compris. Envoyez « aide »."),
        "en": ("Sorry, I didn't understand.", "Not understood. Send 'help'.")},
    "too_long": {
        "fr": ("C'est trop long pour moi, je n'ai pas compris.",
               "Message trop long, ignoré. Envoyez « aide »."),
        "en": ("That is too long for me, I didn't understand.",
               "Message too long, ignored. Send 'help'.")},
    "ask_return": {
        "fr": ("Tu reviens quand ?", "Retour quand ? (ce soir, demain matin, dans 3 jours, "
                                     "je ne sais pas)"),
        "en": ("When will you be back?", "Back when? (tonight, tomorrow morning, in 3 days, "
                                         "don't know)")},
    "ask_again_return": {
        "fr": ("Je n'ai pas compris. Tu reviens quand ?",
               "Pas compris. Retour quand ? (ce soir, demain, dans 2 jours, je ne sais pas)"),
        "en": ("I didn't get that. When will you be back?",
               "Not understood. Back when? (tonight, tomorrow, in 2 days, don't know)")},
    "leave": {
        "fr": ("OK, je surveille en ton absence. {greeting}",
               "OK, mode absence. Retour : {back}."),
        "en": ("OK, I'll keep watch while you're away. {greeting}",
               "OK, away mode. Back: {back}.")},
    "leave_unknown": {
        "fr": ("OK, je surveille en ton absence. {greeting}", "OK, mode absence. Retour inconnu."),
        "en": ("OK, I'll keep watch while you're away. {greeting}",
               "OK, away mode. Return unknown.")},
    "greeting_morning": {"fr": ("Bonne matinée.", ""), "en": ("Have a good morning.", "")},
    "greeting_day": {"fr": ("Bonne journée.", ""), "en": ("Have a good day.", "")},
    "greeting_evening": {"fr": ("Bonne soirée.", ""), "en": ("Have a good evening.", "")},
    "greeting_night": {"fr": ("Bonne nuit.", ""), "en": ("Have a good night.", "")},
    "return": {
        "fr": ("Bon retour à la maison !", "OK, mode présence."),
        "en": ("Welcome home!", "OK, home mode.")},
    "sleep": {
        "fr": ("Bonne nuit, je veille.", "OK, mode nuit."),
        "en": ("Good night, I'm keeping watch.", "OK, night mode.")},
    "wake": {
        "fr": ("Bonjour ! Bonne journée.", "OK, réveil."),
        "en": ("Good morning!", "OK, awake.")},
    "silence_on": {
        "fr": ("D'accord, je me tais.", "Silence activé."),
        "en": ("OK, I'll be quiet.", "Silence on.")},
    "silence_off": {
        "fr": ("Le silence est désactivé.", "Silence désactivé."),
        "en": ("Silence is off.", "Silence off.")},
    "remote_on": {
        "fr": ("J'ouvre l'accès à distance{duration} : le lien part par SMS.",
               "Accès ouvert{duration}, lien par SMS."),
        "en": ("Opening remote access{duration}: the link goes out by SMS.",
               "Access open{duration}, link by SMS.")},
    "remote_for": {
        "fr": (" pour {minutes} minutes", " {minutes} min"),
        "en": (" for {minutes} minutes", " {minutes} min")},
    "remote_off": {
        "fr": ("L'accès à distance est fermé.", "Accès fermé."),
        "en": ("Remote access is closed.", "Access closed.")},
    "ask_profile": {
        "fr": ("Quel mode de chauffage ? Semaine de travail, semaine de vacances, "
               "confort forcé ou éco forcé ?",
               "Chauffage ? travail / vacances / force confort / force éco"),
        "en": ("Which heating mode? Work week, holiday week, forced comfort or forced eco?",
               "Heating? work / holiday / force comfort / force eco")},
    "ask_again_profile": {
        "fr": ("Je n'ai pas compris. Semaine de travail, semaine de vacances, confort forcé ou "
               "éco forcé ?", "Pas compris. travail / vacances / force confort / force éco"),
        "en": ("I didn't get that. Work week, holiday week, forced comfort or forced eco?",
               "Not understood. work / holiday / force comfort / force eco")},
    "profile": {
        "fr": ("Chauffage en {profile_name}{until_text}.",
               "Chauffage : {profile_name}{until_text}."),
        "en": ("Heating set to {profile_name}{until_text}.",
               "Heating: {profile_name}{until_text}.")},
    "until_text": {"fr": (" jusqu'à {when}", ""), "en": (" until {when}", "")},
    "ask_confirm": {
        "fr": ("Tu confirmes : {what} ?", "Confirmer : {what} ? (oui/non)"),
        "en": ("Please confirm: {what}?", "Confirm: {what}? (yes/no)")},
    "ask_again_confirm": {
        "fr": ("Oui ou non ?", "Répondez oui ou non."),
        "en": ("Yes or no?", "Answer yes or no.")},
    "ask_room": {
        "fr": ("Dans quelle pièce ?", "Quelle pièce ? ({rooms})"),
        "en": ("In which room?", "Which room? ({rooms})")},
    "ask_again_room": {
        "fr": ("Je n'ai pas compris. Quelle pièce ?", "Pas compris. Quelle pièce ? ({rooms})"),
        "en": ("I didn't get that. Which room?", "Not understood. Which room? ({rooms})")},
    "ask_guess": {
        "fr": ("Tu veux {what} ?", "Compris : {what} ? (oui/non)"),
        "en": ("Do you want me to {what}?", "Understood: {what}? (yes/no)")},
    "ask_again_guess": {
        "fr": ("Oui ou non ?", "Répondez oui ou non."),
        "en": ("Yes or no?", "Answer yes or no.")},
    "guess_BasecampLeave": {
        "fr": ("que je passe en mode absent{back}", ""),
        "en": ("switch to away mode{back}", "")},
    "guess_back": {"fr": (" (retour {when})", ""), "en": (" (back {when})", "")},
    "guess_BasecampReturn": {"fr": ("que je repasse en mode présence", ""),
                             "en": ("switch back to home mode", "")},
    "guess_BasecampSleep": {"fr": ("que je passe en mode nuit", ""),
                            "en": ("switch to night mode", "")},
    "guess_BasecampWake": {"fr": ("que je termine le mode nuit", ""),
                           "en": ("end night mode", "")},
    "guess_BasecampReport": {"fr": ("le rapport complet", ""), "en": ("give the full report", "")},
    "guess_BasecampSilence_on": {"fr": ("que je me taise", ""), "en": ("be quiet", "")},
    "guess_BasecampSilence_off": {"fr": ("que je désactive le silence", ""),
                                  "en": ("turn silence off", "")},
    "guess_BasecampHeatingProfile": {
        "fr": ("que je mette le chauffage en {profile_name}{until_text}", ""),
        "en": ("set the heating to {profile_name}{until_text}", "")},
    "guess_BasecampConsumption": {"fr": ("la consommation d'eau et d'électricité", ""),
                                  "en": ("tell you the water and electricity used", "")},
    "guess_BasecampHeatingStatus": {"fr": ("l'état du chauffage", ""),
                                    "en": ("tell you how the heating is set", "")},
    "guess_BasecampHeatingMenu": {"fr": ("régler le chauffage", ""),
                                  "en": ("set the heating", "")},
    "guess_BasecampRemoteAccess_on": {"fr": ("que j'ouvre l'accès à distance{duration}", ""),
                                      "en": ("open remote access{duration}", "")},
    "guess_BasecampRemoteAccess_off": {"fr": ("que je ferme l'accès à distance", ""),
                                       "en": ("close remote access", "")},
    "guess_BasecampHelp": {"fr": ("savoir ce que je sais faire", ""),
                           "en": ("tell you what I can do", "")},
    "guess_HassTurnOn": {"fr": ("que j'allume : {target}", ""), "en": ("turn on: {target}", "")},
    "guess_HassTurnOff": {"fr": ("que j'éteigne : {target}", ""),
                          "en": ("turn off: {target}", "")},
    "guess_HassClimateSetTemperature": {
        "fr": ("que je règle le chauffage sur {temperature} degrés ({area})", ""),
        "en": ("set the heating to {temperature} degrees ({area})", "")},
    "guess_HassClimateGetTemperature": {"fr": ("la température {where}", ""),
                                        "en": ("tell you the temperature {where}", "")},
    "guess_HassGetCurrentTime": {"fr": ("l'heure", ""), "en": ("tell you the time", "")},
    "guess_HassGetCurrentDate": {"fr": ("la date", ""), "en": ("tell you the date", "")},
    "guess_HassNevermind": {"fr": ("que j'annule", ""), "en": ("cancel", "")},
    "guess_HassBroadcast": {"fr": ("que j'annonce « {message} »", ""),
                            "en": ("announce '{message}'", "")},
    "no_driver": {
        "fr": ("Je n'ai pas d'interrupteur pour : {target}.", "Rien pour commander : {target}."),
        "en": ("I have no switch for: {target}.", "Nothing switches: {target}.")},
    "no_heating_here": {
        "fr": ("Je ne règle pas la température de « {area} » : seulement {rooms}.",
               "Pas de chauffage réglable : {area} (seulement {rooms})."),
        "en": ("I can't set the temperature of '{area}': only {rooms}.",
               "No heating control: {area} (only {rooms}).")},
    "refused": {
        "fr": ("Je n'ai pas pu le faire : {why}.", "Pas fait : {why}."),
        "en": ("I couldn't do it: {why}.", "Not done: {why}.")},
    "offline": {
        "fr": ("La maison ne répond pas : je ne peux pas le faire d'ici.",
               "Maison hors ligne : pas fait."),
        "en": ("The house does not answer: I can't do that from here.",
               "House offline: not done.")},
    "not_confirmed": {
        "fr": ("Je n'ai pas eu de confirmation : ce n'est peut-être pas fait.",
               "Pas de confirmation : peut-être pas fait."),
        "en": ("I got no confirmation: it may not be done.", "No confirmation: maybe not done.")},
    "silenced": {
        "fr": ("La maison est en silence : je n'annonce rien. Dis « désactive le silence » "
               "d'abord.", "Silence en cours : rien annoncé."),
        "en": ("The house is silenced: I announced nothing. Say 'silence off' first.",
               "Silenced: nothing announced.")},
    "failed": {
        "fr": ("Je n'ai pas pu le dire : le haut-parleur ne répond pas.",
               "Annonce impossible : haut-parleur en panne."),
        "en": ("I could not say it: the speaker does not work.",
               "Announcement failed: speaker down.")},
    "no_recipient": {
        "fr": ("Je n'ai personne à qui envoyer le lien.", "Pas de destinataire pour le lien."),
        "en": ("I have no one to send the link to.", "No one to send the link to.")},
    "broadcast_kept": {
        "fr": ("La maison est en silence : je l'annoncerai plus tard.",
               "Silence : annonce gardée pour plus tard."),
        "en": ("The house is silenced: I'll announce it later.",
               "Silenced: announcement kept for later.")},
    "unsupported": {
        "fr": ("Désolé, je ne sais pas faire ça.", "Je ne sais pas faire ça. Envoyez « aide »."),
        "en": ("Sorry, I can't do that.", "I can't do that. Send 'help'.")},
    "unsupported_weather": {
        "fr": ("Je n'ai pas la météo : je fonctionne sans Internet.", "Pas de météo (hors ligne)."),
        "en": ("I have no weather forecast: I work without the Internet.",
               "No weather (offline).")},
    "unsupported_media": {
        "fr": ("Je ne sais pas jouer de musique ni de vidéo.", "Pas de musique ni de vidéo."),
        "en": ("I can't play music or videos.", "No music or video.")},
    "unsupported_list": {
        "fr": ("Je ne tiens pas de listes.", "Pas de listes."),
        "en": ("I don't keep lists.", "No lists.")},
    "unsupported_device": {
        "fr": ("Je ne sais pas faire ça avec les appareils de la maison.",
               "Pas possible avec les appareils de la maison."),
        "en": ("I can't do that with the house's devices.", "Not possible with the house's "
                                                             "devices.")},
    "unknown_device": {
        "fr": ("Je n'ai pas d'appareil « {thing} » à allumer ou éteindre.",
               "Appareil inconnu : {thing}."),
        "en": ("I have no device called '{thing}' to switch.", "Unknown device: {thing}.")},
    "what_broadcast": {"fr": ("annoncer « {message} »", ""),
                       "en": ("announce '{message}'", "")},
    "broadcast": {"fr": ("C'est annoncé.", "Annonce envoyée."),
                  "en": ("Announced.", "Announcement sent.")},
    "unit_hour": {"fr": ("{amount} heure", ""), "en": ("{amount} hour", "")},
    "unit_hours": {"fr": ("{amount} heures", ""), "en": ("{amount} hours", "")},
    "unit_minute": {"fr": ("{amount} minute", ""), "en": ("{amount} minute", "")},
    "unit_minutes": {"fr": ("{amount} minutes", ""), "en": ("{amount} minutes", "")},
    "unit_second": {"fr": ("{amount} seconde", ""), "en": ("{amount} second", "")},
    "unit_seconds": {"fr": ("{amount} secondes", ""), "en": ("{amount} seconds", "")},
    "timer_label": {"fr": ("minuteur de {duration}", ""), "en": ("{duration} timer", "")},
    "timer_label_named": {"fr": ("minuteur « {name} »", ""), "en": ("{name} timer", "")},
    "timer_label_reminder": {"fr": ("rappel « {message} »", ""),
                             "en": ("reminder '{message}'", "")},
    "timer_started": {
        "fr": ("C'est parti pour {duration}.", "Minuteur lancé : {duration}."),
        "en": ("Timer set for {duration}.", "Timer set: {duration}.")},
    "timer_started_named": {
        "fr": ("C'est parti : minuteur « {name} », {duration}.",
               "Minuteur « {name} » lancé : {duration}."),
        "en": ("The {name} timer is set for {duration}.", "{name} timer set: {duration}.")},
    "reminder_set": {
        "fr": ("D'accord, je te le rappellerai {when} : {message}.", "Rappel {when} : {message}."),
        "en": ("OK, I'll remind you {when}: {message}.", "Reminder {when}: {message}.")},
    "timer_cancelled": {
        "fr": ("J'annule le {label}.", "Annulé : {label}."),
        "en": ("Cancelled the {label}.", "Cancelled: {label}.")},
    "timers_cancelled": {
        "fr": ("J'annule tous les minuteurs ({count}).", "Minuteurs annulés : {count}."),
        "en": ("Cancelled every timer ({count}).", "Timers cancelled: {count}.")},
    "timer_increased": {
        "fr": ("J'ajoute {delta} au {label} : il reste {duration}.",
               "{label} : +{delta}, reste {duration}."),
        "en": ("Added {delta} to the {label}: {duration} left.",
               "{label}: +{delta}, {duration} left.")},
    "timer_decreased": {
        "fr": ("J'enlève {delta} au {label} : il reste {duration}.",
               "{label} : -{delta}, reste {duration}."),
        "en": ("Took {delta} off the {label}: {duration} left.",
               "{label}: -{delta}, {duration} left.")},
    "timer_paused_now": {
        "fr": ("Je mets le {label} en pause : il reste {duration}.",
               "{label} en pause, reste {duration}."),
        "en": ("The {label} is paused with {duration} left.",
               "{label} paused, {duration} left.")},
    "timer_resumed": {
        "fr": ("Je relance le {label} : il reste {duration}.",
               "{label} relancé, reste {duration}."),
        "en": ("The {label} is running again: {duration} left.",
               "{label} resumed, {duration} left.")},
    "timer_status": {"fr": ("{status}.", "{status}"), "en": ("{status}.", "{status}")},
    "timer_left": {
        "fr": ("il reste {duration} au {label}{paused}", ""),
        "en": ("{duration} left on the {label}{paused}", "")},
    "timer_paused": {"fr": (" (en pause)", ""), "en": (" (paused)", "")},
    "no_timer": {
        "fr": ("Je n'ai pas de minuteur en cours de ce nom.", "Aucun minuteur de ce nom."),
        "en": ("I have no such timer running.", "No such timer.")},
    "timer_duration": {
        "fr": ("Je règle les minuteurs d'une seconde à une semaine : je n'ai rien lancé.",
               "Minuteur refusé : entre 1 s et 7 jours."),
        "en": ("Timers go from one second to one week: I set nothing.",
               "Timer refused: 1 s to 7 days.")},
    "reminder_when": {
        "fr": ("Quand dois-je te le rappeler ? Redis-le avec l'heure, par exemple « à 19 h » "
               "ou « dans vingt minutes ».", "Rappel : quand ? (ex. « à 19 h », « dans 20 min »)"),
        "en": ("When should I remind you? Say it again with a time, like 'at 7 pm' or "
               "'in 20 minutes'.", "Reminder: when? (e.g. 'at 7 pm', 'in 20 minutes')")},
    "reminder_what": {
        "fr": ("Que dois-je te rappeler ?", "Rappel : de quoi ?"),
        "en": ("What should I remind you of?", "Reminder: of what?")},
    "timer_ring": {
        "fr": ("Le minuteur de {duration} est terminé !", "Minuteur de {duration} terminé."),
        "en": ("Your {duration} timer is done!", "{duration} timer done.")},
    "timer_ring_named": {
        "fr": ("Le minuteur « {name} » est terminé !", "Minuteur « {name} » terminé."),
        "en": ("The {name} timer is done!", "{name} timer done.")},
    "reminder_ring": {
        "fr": ("Petit rappel : {message}.", "Rappel Basecamp : {message}"),
        "en": ("A reminder: {message}.", "Basecamp reminder: {message}")},
    "guess_HassStartTimer": {"fr": ("que je lance un minuteur de {duration}", ""),
                             "en": ("set a {duration} timer", "")},
    "guess_HassCancelTimer": {"fr": ("que j'annule le minuteur", ""),
                              "en": ("cancel the timer", "")},
    "guess_HassTimerStatus": {"fr": ("le temps qui reste au minuteur", ""),
                              "en": ("tell you the time left on the timer", "")},
    "guess_BasecampReminder": {"fr": ("que je te rappelle : {message}", ""),
                               "en": ("remind you: {message}", "")},
    "follow_up_unknown": {
        "fr": ("À quoi cela se rapporte ? Dis-moi la commande en entier.",
               "À quoi cela se rapporte ? Envoyez la commande en entier."),
        "en": ("What does that refer to? Please say the whole command.",
               "What does that refer to? Send the whole command.")},
    "follow_up_no_setpoint": {
        "fr": ("Je ne connais pas la consigne actuelle : dis-moi la température voulue.",
               "Consigne actuelle inconnue : envoyez la température voulue."),
        "en": ("I don't know the current setpoint: tell me the temperature you want.",
               "Current setpoint unknown: send the temperature you want.")},
    "cancelled": {"fr": ("D'accord, j'annule.", "Annulé."), "en": ("OK, cancelled.", "Cancelled.")},
    "timeout": {"fr": ("Tant pis, j'abandonne.", "Sans réponse, abandon."),
                "en": ("Never mind, I'm giving up.", "No answer, given up.")},
    "turn_on": {"fr": ("J'allume : {target}.", "Allumé : {target}."),
                "en": ("Turning on: {target}.", "On: {target}.")},
    "turn_off": {"fr": ("J'éteins : {target}.", "Éteint : {target}."),
                 "en": ("Turning off: {target}.", "Off: {target}.")},
    "target_area": {"fr": ("{domain_name} ({area})", ""), "en": ("{domain_name} ({area})", "")},
    "target_everywhere": {"fr": ("{domain_name} (toute la maison)", ""),
                          "en": ("{domain_name} (the whole house)", "")},
    "set_temperature": {
        "fr": ("Je règle le chauffage sur {temperature} degrés ({area}).",
               "Consigne {temperature}°C ({area})."),
        "en": ("Setting the heating to {temperature} degrees ({area}).",
               "Setpoint {temperature}°C ({area}).")},
    "temperature_range": {
        "fr": ("Je ne peux pas régler {temperature} degrés : entre {min} et {max} seulement.",
               "Refusé : consigne entre {min} et {max}°C."),
        "en": ("I can't set {temperature} degrees: only between {min} and {max}.",
               "Refused: setpoint must be {min}-{max}°C.")},
    "time_range": {
        "fr": ("Cette date est trop lointaine, je n'ai rien changé.", "Date refusée."),
        "en": ("That time is too far away, I changed nothing.", "Time refused.")},
    "unknown_profile": {
        "fr": ("Je ne connais pas ce mode de chauffage.", "Mode de chauffage inconnu."),
        "en": ("I don't know that heating mode.", "Unknown heating mode.")},
    "temperature_is": {
        "fr": ("Il fait {temperature} degrés {where}.", "{where_short} : {temperature}°C"),
        "en": ("It is {temperature} degrees {where}.", "{where_short}: {temperature}°C")},
    "temperature_unknown": {
        "fr": ("Je n'ai pas de mesure de température {where}.", "Pas de mesure ({where_short})."),
        "en": ("I have no temperature reading {where}.", "No reading ({where_short}).")},
    "where_outside": {"fr": ("dehors", "extérieur"), "en": ("outside", "outside")},
    "where_room": {"fr": ("({area})", "{area}"), "en": ("({area})", "{area}")},
    "time": {"fr": ("Il est {time}.", "{time}"), "en": ("It is {time}.", "{time}")},
    "date": {"fr": ("Nous sommes le {date}.", "{date}"), "en": ("Today is {date}.", "{date}")},
    "help": {
        "fr": ("Tu peux dire : je pars, je suis revenu, je vais me coucher, rapport complet, "
               "silence, chauffage, allume la lumière, quelle heure est-il.",
               "Commandes : je pars [ce soir|dans 2 jours], je suis revenu, je vais me coucher, "
               "rapport, silence/désactiver, chauffage [travail|vacances|force confort|force "
               "éco], allume/éteins <appareil>, température, accès à distance [pour 15 "
               "minutes]/ferme l'accès, annule"),
        "en": ("You can say: I'm leaving, I'm back, I'm going to bed, full report, silence, "
               "heating, turn on the light, what time is it.",
               "Commands: I'm leaving [tonight|for 2 days], I'm back, going to bed, report, "
               "silence/deactivate, heating [work|holiday|force comfort|force eco], turn on/off "
               "<device>, temperature, remote access [for 15 minutes]/close remote access, "
               "cancel")},
}

PROFILE_NAMES = {
    "fr": {"comfort": "confort", "eco": "éco", "force_comfort": "confort forcé",
           "force_eco": "éco forcé", "work_week": "semaine de travail",
           "holiday_week": "semaine de vacances"},
    "en": {"comfort": "comfort", "eco": "eco", "force_comfort": "forced comfort",
           "force_eco": "forced eco", "work_week": "work week", "holiday_week": "holiday week"},
}
DOMAIN_NAMES = {"fr": {"light": "lumière", "climate": "chauffage"},
                "en": {"light": "light", "climate": "heating"}}


def render(key: str, lang: str, style: Style = Style.SPEECH, **values: Any) -> str:
    """One reply of the catalogue in a language and style (SMS falls back to speech)."""
    entry = CATALOGUE[key].get(lang) or CATALOGUE[key]["fr"]
    speech, sms = entry
    template = sms if style == Style.SMS and sms else speech
    return template.format_map(_Values(values)).rstrip()


class _Values(dict[str, Any]):
    """Reply values: one a service did not send reads as nothing, never as a crash."""

    def __missing__(self, key: str) -> str:
        return ""


def say_number(value: float | int, lang: str) -> str:
    """A number as written in replies ("19,5" in French)."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text.replace(".", ",") if lang == "fr" else text
