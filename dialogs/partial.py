"""A command inside a longer utterance: one clause of a written sentence, or the first or last
words of a spoken one ("je suis au téléphone, tais-toi"; "mode silence stp je suis en visio").

The rest of the sentence was not understood, so a partial match is a guess (`SCORE`, below the
engine's `sure_score`): the house asks before acting on it. What the command needs and the
matched words leave out is taken from the whole sentence when it says it once: the time ("je
pars en vacances, retour lundi soir") and the device or room ("j'ai laissé la lumière de la
cuisine allumée, éteins-la").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from dialogs.recognition import NARRATIVE, Match
from dialogs.text import fold
from dialogs.when import TimeExpr

SCORE = 0.75
"""The score of a partial match (a guess the house confirms)."""
MIN_WORDS = 2
"""Shortest span of a spoken sentence tried on its own."""
CLAUSES = re.compile(r"\s*(?:[;!?:…]+|(?<!\d)[,.]+|[,.]+(?!\d))\s*|\s+-\s+")
"""Where a written sentence splits into clauses (not inside "18,5" or "19.5")."""
TIME_SLOTS = {"BasecampLeave": "when", "BasecampHeatingProfile": "until",
              "BasecampRemoteAccess": "duration"}
"""The slot a time said elsewhere in the sentence fills, per intent."""
TARGETED = frozenset({"HassTurnOn", "HassTurnOff", "HassClimateSetTemperature",
                      "HassClimateGetTemperature"})
"""Intents whose device or room may be named elsewhere in the sentence."""

SUBORDINATE = {
    "fr": frozenset({"d", "de", "a", "pour", "que", "qu", "si", "quand", "comment", "pourquoi"}),
    "en": frozenset({"to", "that", "if", "when", "how", "why"}),
}
"""A run of words right after one of these is part of another clause, not an order."""
GREETINGS = frozenset({"bonjour", "bonsoir", "salut", "coucou", "hello", "hi", "hey",
                       "bonjour la maison", "bonsoir la maison", "salut la maison", "bjr",
                       "c est bon", "bon", "ok", "d accord", "voila", "merci", "alors", "bref",
                       "allez", "bah", "ben", "okay", "right", "thanks", "all right"})
"""Clauses that only greet or fill: they do not compete with the command of the sentence."""
POSSESSIVES = frozenset({"mon", "ma", "mes", "son", "sa", "ses", "leur", "leurs", "notre",
                         "nos", "my", "his", "her", "their", "our"})
"""A sentence that starts "mon collègue...", "ma sœur..." speaks of someone else."""
_ADDRESSED = re.compile(r"\b(?:la maison|basecamp|the house|house)\b")
MIN_SHARE = 0.3
"""A run of words must be at least this share of a spoken sentence."""

CORRECTIONS = {
    "fr": re.compile(r"\b(?:(?:euh|ah|oh|ben|bah) )?non(?: (?:pardon|enfin|attends|attend))*"
                     r"(?: (?:plutot|je veux dire|je voulais dire))?\b|\bje veux dire\b|"
                     r"\bje voulais dire\b|\benfin non\b|\bou plutot\b"),
    "en": re.compile(r"\b(?:no|sorry|oops)(?: (?:sorry|wait))*(?: (?:i mean|rather|make "
                     r"that))?\b|\bi mean\b|\bmake that\b|\bor rather\b"),
}
"""Where a speaker takes back what they said ("la cuisine, euh non, le garage")."""

Exact = Callable[[str], Match | None]


def clauses(text: str) -> list[str]:
    """The clauses of a written sentence (one when it has no punctuation)."""
    return [c for c in CLAUSES.split(text) if c.strip()]


def spans(words: list[str], lang: str) -> Iterator[str]:
    """Leading and trailing runs of words, longest first (the whole excluded), at least
    `MIN_SHARE` of the sentence; a trailing run not right after a subordinating word."""
    after = SUBORDINATE.get(lang, frozenset())
    shortest = max(MIN_WORDS, int(len(words) * MIN_SHARE + 0.999))
    for size in range(len(words) - 1, shortest - 1, -1):
        yield " ".join(words[:size])
        if words[-size - 1] not in after:
            yield " ".join(words[-size:])


def find(text: str, folded: str, exact: Exact, lang: str) -> Match | None:
    """The one command in a clause of `text`, else in a leading or trailing run of words of
    `folded` (its folded form); None if none, if two different commands are found, or if the
    sentence tells rather than asks."""
    words = folded.split()
    if NARRATIVE.get(lang, frozenset()).intersection(words) or (
            words and words[0] in POSSESSIVES):
        return None
    parts = [p for p in clauses(text) if _ADDRESSED.sub("", fold(p)).strip() not in GREETINGS]
    found = [m for m in map(exact, parts) if m is not None] if len(parts) > 1 else []
    if not found and len(parts) == 1 and len(clauses(text)) > 1:
        found = [m for m in [exact(parts[0])] if m is not None]
    if not found:
        for span in spans(words, lang):
            match = exact(span)
            if match is not None:
                found = [match]
                break
    if not found:
        return None
    if len({m.intent for m in found}) > 1:
        return found[0]  # two commands: the first said (a guess the house asks about)
    return max(found, key=lambda m: len(m.slots))


def complete(match: Match, when: TimeExpr | None, mentions: dict[str, Any]) -> Match:
    """A partial match given what the rest of the sentence says (a time, a device or room),
    marked as a guess."""
    slots = dict(match.slots)
    slot = TIME_SLOTS.get(match.intent)
    if slot is not None and when is not None and when != match.when:
        slots[slot] = when  # the time said last ("parti ce matin, retour jeudi soir")
        match = replace(match, when=when)
    if match.intent in TARGETED and "name" not in slots and "area" not in slots:
        slots.update(mentions)
    return replace(match, slots=slots, via="fuzzy", score=SCORE)


def correction(folded: str, lang: str) -> tuple[str, str] | None:
    """(what was said first, the correction) when the speaker corrects themselves."""
    pattern = CORRECTIONS.get(lang)
    found = list(pattern.finditer(folded)) if pattern is not None else []
    if not found:
        return None
    last = found[-1]
    head, tail = folded[:last.start()].strip(), folded[last.end():].strip()
    return (head, tail) if head and tail else None


def corrected(match: Match, said: dict[str, Any]) -> Match | None:
    """A command with the values the correction said put in place of the first ones; None if
    the correction says nothing the command takes."""
    slots = dict(match.slots)
    if "name" in said and match.intent in TARGETED:
        slots.pop("area", None)
        slots["name"] = said["name"]
    elif "area" in said and match.intent in TARGETED:
        slots.pop("name", None)
        slots["area"] = said["area"]
    elif "temperature" in said and "temperature" in slots:
        slots["temperature"] = said["temperature"]
    elif "profile" in said and "profile" in slots:
        slots["profile"] = said["profile"]
    else:
        return None
    return replace(match, slots=slots, via="fuzzy", score=SCORE)
