"""Multi-turn conversations: the "je pars" dialog, narrowing, cancel, timeouts, one
conversation per speaker and channel, speech vs SMS replies, bad input."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.config import Config
from core.messages.dialogs import Intent
from dialogs.engine import DialogEngine, DialogTurn
from dialogs.report import Reading, Snapshot

PARIS = ZoneInfo("Europe/Paris")
MORNING = dt.datetime(2024, 3, 5, 9, 0, tzinfo=PARIS)
EVENING = dt.datetime(2024, 3, 5, 20, 0, tzinfo=PARIS)



def say(engine: DialogEngine, text: str, now: dt.datetime = MORNING, channel: str = "voice",
        sender: str = "kiosk") -> DialogTurn:
    return engine.handle(text, channel=channel, sender=sender, now=now)


@pytest.mark.parametrize(("answer", "return_at"), [
    ("ce soir", "2024-03-05T19:00:00+01:00"),
    ("ce midi", "2024-03-05T12:00:00+01:00"),
    ("demain matin", "2024-03-06T08:00:00+01:00"),
    ("demain midi", "2024-03-06T12:00:00+01:00"),
    ("Demain soir.", "2024-03-06T19:00:00+01:00"),
    ("dans 3 heures", "2024-03-05T12:00:00+01:00"),
    ("dans trois heures", "2024-03-05T12:00:00+01:00"),
    ("dans deux jours", "2024-03-07T09:00:00+01:00"),
    ("je reviens dans 5 jours", "2024-03-10T09:00:00+01:00"),
    ("je ne sais pas", None),
    ("aucune idée", None),
])
def test_je_pars_dialog(engine: DialogEngine, answer: str, return_at: str | None) -> None:
    first = say(engine, "Je pars")
    assert first.intent is None and first.expects_answer
    assert first.reply == "Tu reviens quand ?"
    second = say(engine, answer, MORNING + dt.timedelta(seconds=5))
    assert second.conversation == first.conversation and not second.expects_answer
    assert second.intent == Intent("BasecampLeave", {"return_at": return_at} if return_at else {},
                                   channel="voice", sender="kiosk", text="Je pars")
    assert second.reply == "OK, je surveille en ton absence. Bonne matinée."


def test_greeting_follows_the_time_of_day(engine: DialogEngine) -> None:
    say(engine, "je m'en vais", EVENING)
    assert say(engine, "demain soir", EVENING).reply.endswith("Bonne soirée.")
    say(engine, "je m'absente", EVENING.replace(hour=14))
    assert say(engine, "ce soir", EVENING.replace(hour=14)).reply.endswith("Bonne journée.")


def test_sms_replies_are_compact(engine: DialogEngine) -> None:
    ask = say(engine, "je pars", channel="sms", sender="+33600000001")
    assert "?" in ask.reply and "je ne sais pas" in ask.reply
    done = say(engine, "demain soir", channel="sms", sender="+33600000001")
    assert done.reply == "OK, mode absence. Retour : demain à 19:00."
    assert done.intent is not None and done.intent.channel == "sms"


def test_an_answer_is_narrowed_to_the_question(engine: DialogEngine) -> None:
    say(engine, "je pars")
    # "semaine de vacances" is a command elsewhere, but not a return time: it abandons the
    # question and is handled as a new command
    turn = say(engine, "oui")
    assert turn.intent is None and turn.expects_answer and "Tu reviens quand" in turn.reply
    assert say(engine, "demain midi").intent is not None


def test_a_new_command_abandons_the_question(engine: DialogEngine) -> None:
    say(engine, "je pars")
    turn = say(engine, "quelle heure est-il")
    assert turn.intent is not None and turn.intent.intent == "HassGetCurrentTime"
    assert say(engine, "ce soir").intent is None  # no longer waiting for a return time


@pytest.mark.parametrize("cancel", ["annule", "rien", "laisse tomber"])
def test_cancel(engine: DialogEngine, cancel: str) -> None:
    say(engine, "je pars")
    turn = say(engine, cancel)
    assert turn.intent is None and not turn.expects_answer
    assert turn.reply == "D'accord, j'annule."


def test_unanswered_twice_leaves_anyway(engine: DialogEngine) -> None:
    say(engine, "je pars")
    assert say(engine, "patate").expects_answer
    turn = say(engine, "bof")
    assert turn.intent is not None and turn.intent.intent == "BasecampLeave"
    assert turn.intent.slots == {}


def test_timeout_expires_the_question(engine: DialogEngine) -> None:
    say(engine, "je pars")
    assert engine.expire(MORNING + dt.timedelta(seconds=5)) == []
    later = MORNING + dt.timedelta(seconds=21)
    [(channel, sender, turn)] = engine.expire(later)
    assert (channel, sender) == ("voice", "kiosk")
    assert turn.intent is not None and turn.intent.intent == "BasecampLeave"
    assert say(engine, "ce soir", later).intent is None  # the question is gone


def test_sms_waits_longer_than_voice(engine: DialogEngine) -> None:
    say(engine, "je pars", channel="sms", sender="+33600000001")
    turn = say(engine, "ce soir", MORNING + dt.timedelta(minutes=10), channel="sms",
               sender="+33600000001")
    assert turn.intent is not None


def test_one_conversation_per_speaker_and_channel(engine: DialogEngine) -> None:
    say(engine, "je pars", channel="sms", sender="+33600000001")
    other = say(engine, "ce soir", channel="sms", sender="+33600000003")
    assert other.intent is None and not other.expects_answer
    voice = say(engine, "ce soir", channel="voice")
    assert voice.intent is None
    assert say(engine, "ce soir", channel="sms", sender="+33600000001").intent is not None


def test_heating_menu(engine: DialogEngine) -> None:
    ask = say(engine, "Chauffage")
    assert ask.expects_answer and "Semaine de travail" in ask.reply
    done = say(engine, "force le mode éco")
    assert done.intent is not None
    assert (done.intent.intent, done.intent.slots) == ("BasecampHeatingProfile",
                                                       {"profile": "force_eco"})
    assert done.reply == "Chauffage en éco forcé."
    say(engine, "chauffage")
    assert say(engine, "semaine de travail").intent.slots == {"profile": "work_week"}  # type: ignore[union-attr]


def test_broadcast_asks_for_confirmation(engine: DialogEngine) -> None:
    ask = say(engine, "annonce le dîner est prêt")
    assert ask.intent is None and ask.expects_answer and "le dîner est prêt" in ask.reply
    done = say(engine, "oui")
    assert done.intent is not None and done.intent.slots == {"message": "le dîner est prêt"}
    say(engine, "annonce on part")
    assert say(engine, "non").intent is None


@pytest.mark.parametrize("text", ["", "x" * 5000, "\x00\x01\xfe\xff" * 10, "règle le chauffage "
                                  "sur 300 degrés", "blablabla", "?!?!", "🙂🙂🙂"])
def test_bad_input_is_answered_politely_and_does_nothing(engine: DialogEngine,
                                                         text: str) -> None:
    turn = say(engine, text, channel="sms", sender="+33600000001")
    assert turn.intent is None and turn.reply and not turn.expects_answer


def test_out_of_range_temperature_is_refused_clearly(engine: DialogEngine) -> None:
    turn = say(engine, "règle le chauffage sur 300 degrés")
    assert turn.reply == "Je ne peux pas régler 300 degrés : entre 5 et 28 seulement."


def test_question_mark_sms_is_help(engine: DialogEngine) -> None:
    turn = say(engine, "?", channel="sms", sender="+33600000001")
    assert turn.intent is not None and turn.intent.intent == "BasecampHelp"
    assert turn.reply.startswith("Commandes")


def test_replies_from_the_house_state(defaults: Config) -> None:
    snap = Snapshot(mode="cocoon", mode_since=MORNING - dt.timedelta(hours=3),
                    profile="comfort", setpoint=20.0, relay=True,
                    temperatures={"chambre": Reading(18.25, MORNING)})
    engine = DialogEngine(defaults, state=lambda: snap)
    assert say(engine, "quelle température fait-il dans la chambre").reply == \
        "Il fait 18,2 degrés (chambre)."
    assert say(engine, "quelle température fait-il dehors").reply == \
        "Je n'ai pas de mesure de température dehors."
    assert say(engine, "état du chauffage").reply == \
        "Chauffage en confort, consigne 20 degrés, radiateur allumé."
    report = say(engine, "rapport complet").reply
    assert report.startswith("Mode présence depuis 3 heures.")
    assert say(engine, "quelle heure est-il").reply == "Il est 09:00."


def test_english_conversation(engine: DialogEngine) -> None:
    assert say(engine, "I'm leaving").reply == "When will you be back?"
    done = say(engine, "tomorrow evening")
    assert done.intent is not None and done.intent.slots == {
        "return_at": "2024-03-06T19:00:00+01:00"}
    assert done.reply == "OK, I'll keep watch while you're away. Have a good morning."


# ---- guesses are confirmed, what the house cannot do is declined -----------------------------
def test_a_guessed_leave_asks_before_locking(engine: DialogEngine) -> None:
    """A fuzzy guess for "je pars" (misheard, extra words) never locks the house unasked."""
    first = say(engine, "je m'en vais faire un tour au parc")
    assert first.intent is None and first.expects_answer
    assert first.reply == "Tu veux que je passe en mode absent ?"
    back = say(engine, "oui", MORNING + dt.timedelta(seconds=3))
    assert back.intent is None and back.reply == "Tu reviens quand ?"
    done = say(engine, "ce soir", MORNING + dt.timedelta(seconds=6))
    assert done.intent is not None and done.intent.intent == "BasecampLeave"
    assert done.intent.slots == {"return_at": "2024-03-05T19:00:00+01:00"}


def test_a_guess_answered_no_does_nothing(engine: DialogEngine) -> None:
    first = say(engine, "je m'en vais faire un tour au parc")
    assert first.expects_answer
    no = say(engine, "non", MORNING + dt.timedelta(seconds=3))
    assert no.intent is None and not no.expects_answer and no.reply == "D'accord, j'annule."


def test_an_unanswered_guess_expires_without_acting(engine: DialogEngine) -> None:
    say(engine, "je m'en vais faire un tour au parc")
    expired = engine.expire(MORNING + dt.timedelta(minutes=5))
    assert [turn.intent for _, _, turn in expired] == [None]


def test_a_partial_command_is_a_guess_asked_by_sms(engine: DialogEngine) -> None:
    first = say(engine, "je suis au téléphone, tais-toi", channel="sms", sender="+33600000001")
    assert first.intent is None and first.reply == "Compris : que je me taise ? (oui/non)"
    yes = say(engine, "oui", MORNING + dt.timedelta(seconds=30), channel="sms",
              sender="+33600000001")
    assert yes.intent is not None and yes.intent.slots == {"state": "on"}


def test_a_self_correction_takes_the_second_room(engine: DialogEngine) -> None:
    first = say(engine, "allume la cuisine, euh non, le garage")
    assert first.reply == "Tu veux que j'allume : lumière (garage) ?"


def test_an_sms_that_names_no_room_is_asked_which(engine: DialogEngine) -> None:
    first = say(engine, "allume la lumière", channel="sms", sender="+33600000001")
    assert first.intent is None and first.expects_answer
    assert first.reply.startswith("Quelle pièce ? (cuisine, salon, chambre")
    done = say(engine, "la cuisine", MORNING + dt.timedelta(seconds=20), channel="sms",
               sender="+33600000001")
    assert done.intent is not None and done.intent.slots == {"area": "cuisine",
                                                             "domain": "light"}


def test_by_voice_no_room_is_the_kiosk_room(engine: DialogEngine) -> None:
    turn = say(engine, "allume la lumière")
    assert turn.intent is not None and turn.intent.slots == {"area": "salon", "domain": "light"}


@pytest.mark.parametrize(("text", "reply"), [
    ("quel temps fait-il", "Je n'ai pas la météo : je fonctionne sans Internet."),
    ("allume la télé", "Je n'ai pas d'appareil « télé » à allumer ou éteindre."),
    ("mets de la musique", "Je ne sais pas jouer de musique ni de vidéo."),
])
def test_what_cannot_be_done_gets_an_honest_answer(engine: DialogEngine, text: str,
                                                   reply: str) -> None:
    turn = say(engine, text)
    assert (turn.intent, turn.reply, turn.expects_answer) == (None, reply, False)
