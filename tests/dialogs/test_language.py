"""Understanding French as people say it: the corpus (tuning and held-out parts), the phrasings
of each Basecamp intent, the sentences the language issue was opened with, and the places where
the house reads a phrase otherwise than Home Assistant's data does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from core.config import load
from dialogs import ha
from dialogs.cli import recognize_line
from dialogs.engine import DialogEngine
from tests.dialogs import corpus_score

PARIS = ZoneInfo("Europe/Paris")
NOW = corpus_score.DEFAULT_NOW.astimezone(PARIS)
PHRASINGS = Path(__file__).parent / "phrasings"

FLOORS = {("fr", "tune"): 0.95, ("fr", "heldout"): 0.90,
          ("en", "tune"): 0.93, ("en", "heldout"): 0.88}
"""Accuracy below which the corpus test fails: a guard against regressions, under the targets
bench/intents.py reports against (0.95 fr, 0.90 en, held-out)."""


@pytest.fixture(scope="module")
def engine() -> DialogEngine:
    return DialogEngine(load())


@pytest.mark.parametrize(("lang", "part"), list(FLOORS))
def test_corpus(engine: DialogEngine, lang: str, part: str) -> None:
    lines = corpus_score.lines(lang, part)
    report = corpus_score.evaluate(engine, lines)
    assert report.false_actions == 0, f"{report.false_actions} false actions ({lang} {part})"
    if part == "heldout":  # numbers only: its sentences are never shown while tuning
        assert report.accuracy >= FLOORS[lang, part], \
            f"{lang} held-out accuracy {report.accuracy:.3f} < {FLOORS[lang, part]}"
        return
    misses = [(line["text"], got["intent"], got["slots"]) for line, got in report.misses]
    assert report.accuracy >= FLOORS[lang, part], (report.accuracy, misses)


def test_corpus_size() -> None:
    """At least 600 French and 150 English lines, 60 of them that must not match."""
    fr = corpus_score.lines("fr", "tune") + corpus_score.lines("fr", "heldout")
    en = corpus_score.lines("en", "tune") + corpus_score.lines("en", "heldout")
    assert len(fr) >= 600 and len(en) >= 150
    assert sum(line["intent"] is None and not line.get("refused") for line in fr + en) >= 60


def _phrasings(lang: str) -> list[tuple[str, str, dict[str, Any]]]:
    data = yaml.safe_load((PHRASINGS / f"{lang}.yaml").read_text(encoding="utf-8"))
    return [(intent, item["text"], item["slots"]) for intent, items in data.items()
            for item in items]


@pytest.mark.parametrize(("lang", "least"), [("fr", 40), ("en", 10)])
def test_phrasings_of_every_basecamp_intent(engine: DialogEngine, lang: str,
                                            least: int) -> None:
    """Each Basecamp intent, said at least 40 ways in French and 10 in English (fillers,
    politeness, the house addressed, "on", feminine forms, SMS style), is understood."""
    phrasings = _phrasings(lang)
    for intent in ("BasecampLeave", "BasecampReturn", "BasecampSleep", "BasecampWake",
                   "BasecampReport", "BasecampSilence", "BasecampHeatingProfile",
                   "BasecampHeatingStatus", "BasecampRemoteAccess", "BasecampHelp"):
        assert sum(i == intent for i, _, _ in phrasings) >= least, intent
    wrong = []
    for intent, text, slots in phrasings:
        got = recognize_line(engine, text, NOW)
        if not corpus_score.same({"intent": intent, "slots": slots}, got, engine.config):
            wrong.append((text, got["intent"], got["slots"]))
    assert len(wrong) <= len(phrasings) // 100, wrong


EXAMPLES: list[tuple[str, str | None, dict[str, Any]]] = [
    ("je m'en vais pour quelques jours", "BasecampLeave", {}),
    ("bonne nuit la maison", "BasecampSleep", {}),
    ("c'est quel jour aujourd'hui", "HassGetCurrentDate", {}),
    ("allume toutes les lampes", "HassTurnOn", {"area": "*", "domain": "light"}),
    ("mets vingt-deux degrés dans la chambre", "HassClimateSetTemperature",
     {"area": "chambre", "temperature": 22}),
    ("je serai de retour vers vingt heures", "BasecampLeave",
     {"return_at": "2026-03-10T20:00:00+01:00"}),
    ("lumiere chambre", "HassTurnOn", {"area": "chambre", "domain": "light"}),
    ("éteins ici", "HassTurnOff", {"area": "salon", "domain": "light"}),
    ("annonce qu'on passe à table", "HassBroadcast", {"message": "on passe à table"}),
]
"""The sentences the language issue was opened with, and what they must mean (the kiosk's
microphone is in the salon: "ici" is the salon)."""


@pytest.mark.parametrize(("text", "intent", "slots"), EXAMPLES)
def test_the_issue_examples(engine: DialogEngine, text: str, intent: str,
                            slots: dict[str, Any]) -> None:
    got = recognize_line(engine, text, NOW)
    assert (got["intent"], got["slots"], got["match"]) == (intent, slots, "exact")


@pytest.mark.parametrize(("text", "lang", "intent", "slots"), [
    ("tais-toi", "fr", "BasecampSilence", {"state": "on"}),
    ("chut", "fr", "BasecampSilence", {"state": "on"}),
    ("silence", "fr", "BasecampSilence", {"state": "on"}),
    ("shut up", "en", "BasecampSilence", {"state": "on"}),
    ("annule", "fr", "HassNevermind", {}),
    ("éteins toutes les lumières", "fr", "HassTurnOff", {"area": "*", "domain": "light"}),
    ("turn off all the lights", "en", "HassTurnOff", {"area": "*", "domain": "light"}),
])
def test_where_the_house_reads_otherwise(engine: DialogEngine, text: str, lang: str,
                                         intent: str, slots: dict[str, Any]) -> None:
    """Decided once (dialogs.ha.DECISIONS): HA cancels on "tais-toi", "chut", "silence";
    here they are the owner's silence-mode words (SPEC: « Silence »). HA reads "toutes les
    lumières" without a room as the room that heard; here it is every light of the house,
    as the owner says it before leaving."""
    got = recognize_line(engine, text, NOW, (lang,))
    assert (got["intent"], got["slots"]) == (intent, slots)
    for phrase in ("tais-toi", "chut", "silence"):
        assert phrase in ha.DECISIONS["fr"]


@pytest.mark.parametrize("text", ["nuit", "jour"])
def test_one_word_switches_are_not_read(engine: DialogEngine, text: str) -> None:
    """HA switches the lights on "jour" and off "nuit": one word alone is too easily a slip."""
    got = recognize_line(engine, text, NOW)
    assert got["intent"] not in ("HassTurnOn", "HassTurnOff")


@pytest.mark.parametrize(("text", "what"), [
    ("quel temps fait-il", "HassGetWeather"),
    ("mets de la musique", "HassMedia"),
    ("allume la télé", "device"),
    ("what's the weather like", "HassGetWeather"),
])
def test_what_the_house_cannot_do_is_declined(engine: DialogEngine, text: str,
                                              what: str) -> None:
    got = recognize_line(engine, text, NOW)
    assert got["intent"] is None and got["refused"] == "unsupported"
    assert got["what"].startswith(what)


@pytest.mark.parametrize("text", ["raconte-moi une blague", "appelle maman",
                                  "quel temps fera-t-il demain", "mets de la musique"])
def test_no_action_on_what_the_house_cannot_do(engine: DialogEngine, text: str) -> None:
    turn = engine.handle(text, channel="voice", sender="kiosk", now=NOW)
    assert turn.intent is None and not turn.expects_answer and turn.reply


@pytest.mark.parametrize(("text", "expected"), [
    ("annonce qu'on passe à table", "on passe à table"),
    ("annonce le message suivant : le dîner est prêt", "le dîner est prêt"),
    ("dis à tout le monde que le dîner est prêt", "le dîner est prêt"),
    ("préviens tout le monde : on part dans dix minutes", "on part dans dix minutes"),
    ("announce that dinner is ready", "dinner is ready"),
])
def test_broadcast_messages_lose_their_introducers(engine: DialogEngine, text: str,
                                                   expected: str) -> None:
    got = recognize_line(engine, text, NOW)
    assert got["intent"] == "HassBroadcast" and got["slots"]["message"] == expected


@pytest.mark.parametrize(("text", "slots"), [
    ("mets dix-neuf et demi dans le salon", {"area": "salon", "temperature": 19.5}),
    ("règle la chambre sur 19,5", {"area": "chambre", "temperature": 19.5}),
    ("mets le chauffage à dix-neuf virgule cinq", {"area": "salon", "temperature": 19.5}),
])
def test_decimal_temperatures(engine: DialogEngine, text: str, slots: dict[str, Any]) -> None:
    got = recognize_line(engine, text, NOW)
    assert (got["intent"], got["slots"]) == ("HassClimateSetTemperature", slots)


@pytest.mark.parametrize("text", ["mets 35 degrés dans la chambre", "règle le salon sur 2"])
def test_temperatures_out_of_range_are_refused_with_the_range(engine: DialogEngine,
                                                              text: str) -> None:
    turn = engine.handle(text, channel="voice", sender="kiosk", now=NOW)
    assert turn.intent is None and "entre 5 et 28" in turn.reply


@pytest.mark.parametrize(("text", "slots"), [
    ("je pars, je reviens lundi soir", {"return_at": "2026-03-16T19:00:00+01:00"}),
    ("je pars jusqu'à dimanche", {"return_at": "2026-03-15T08:00:00+01:00"}),
    ("on part pour le week-end", {"return_at": "2026-03-15T19:00:00+01:00"}),
    ("je pars, retour à sept heures et demie du soir",
     {"return_at": "2026-03-10T19:30:00+01:00"}),
    ("je pars une petite heure", {"return_at": "2026-03-10T09:30:00+01:00"}),
    ("on part quinze jours", {"return_at": "2026-03-25T08:30:00+01:00"}),
    ("je pars, je rentre le jeudi 2 avril vers 18 h",
     {"return_at": "2026-04-02T18:00:00+02:00"}),
])
def test_times_as_people_say_them(engine: DialogEngine, text: str,
                                  slots: dict[str, Any]) -> None:
    got = recognize_line(engine, text, NOW)
    assert (got["intent"], got["slots"]) == ("BasecampLeave", slots)


def test_tomorrow_morning_said_after_midnight_is_the_coming_morning(
        engine: DialogEngine) -> None:
    late = dt.datetime(2026, 3, 11, 3, 0, tzinfo=PARIS)
    got = recognize_line(engine, "je pars, je reviens demain matin", late)
    assert got["slots"] == {"return_at": "2026-03-11T08:00:00+01:00"}
