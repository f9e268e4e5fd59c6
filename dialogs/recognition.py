"""Intent recognition: exact stages first (tables, then hassil), a fuzzy stage behind them.

Templates and input are both folded (`dialogs.text`), so case, punctuation, spacing and
accents do not matter; a time expression in the input ("vers 20 h", "lundi soir") is found by
`dialogs.when` and replaced by a placeholder the grammar's time lists accept. Then, in order:
1. **exact**: the compiled tables (`dialogs.tables`: one dict lookup, or a prefix walk for a
   free-text message), then `hassil.recognize` on the templates too big to expand — first the
   commands the house carries out, then the Home Assistant intents it only declines;
2. **fuzzy**: `dialogs.fuzzy`, Home Assistant's n-gram matcher trained on the same sentences,
   for what people say that no template holds (extra or missing words, misspelt rooms, speech
   to text slips). Its results carry a score below 1 and `stage == "fuzzy"`; the dialog engine
   asks before acting on them when they are unsure or consequential.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hassil import SlotList, TextSlotList, recognize
from hassil.sample import sample_expression

from core.config import Config
from dialogs import fuzzy, grammar, patterns, when
from dialogs.cache import cached, default_folder, digest
from dialogs.expand import NUMBER_TOKEN, NumberSlot, Slots, WildcardSlot
from dialogs.grammar import Group
from dialogs.patterns import Pattern
from dialogs.settings import DialogSettings
from dialogs.tables import TABLE_CAP, WILD_CAP, Tables, compile_tables, find_wild
from dialogs.text import NUMBER, align, candidates, clean, fold, to_number
from dialogs.when import TimeExpr

_LOGGER = logging.getLogger(__name__)

CODE_VERSION = digest(
    (Path(__file__).parent / name).read_text(encoding="utf-8")
    for name in ("recognition.py", "tables.py", "patterns.py", "expand.py", "fuzzy.py",
                 "ngram.py", "grammar.py", "ha.py", "text.py"))
"""The compiling code itself: a change to it rebuilds cached languages."""
NARRATIVE = {
    "fr": frozenset({"hier", "dernier", "derniere", "oublie", "doit", "dois",
                     "devrait", "devrais", "pense", "crois", "rappelles", "souviens", "etait",
                     "avait", "aurait", "etais", "avais"}),
    "en": frozenset({"yesterday", "last", "ago", "forgot", "should", "remember", "was", "were",
                     "would"}),
}
"""Words of a sentence that tells or wonders rather than asks: no partial match or free-text
place is read in it ("hier soir j'ai oublié d'éteindre la lumière du garage")."""
MAX_PLACE_WORDS = 3
"""A free-text slot other than a message (where one goes: "en Bretagne") is a few words."""
HOUSE_WORDS = {"fr": frozenset({"chauffage", "lumiere", "lumieres", "lampe", "lampes",
                                 "eclairage", "radiateur", "radiateurs", "thermostat"}),
               "en": frozenset({"heating", "light", "lights", "lamp", "lamps", "heater",
                                "radiator", "thermostat"})}
"""Kinds of device every house has words for (whatever its config)."""
MIN_FUZZY_SCORE = 0.3
"""Fuzzy guesses scoring less are not guesses at all (the house says it did not understand)."""
_ADDRESS = {
    "fr": re.compile(r"^(?:(?:euh|bon|allez|alors|bah|ben|eh|ah|oh|ok|okay|dis|dis donc|tiens|"
                     r"hein|hey|salut|coucou|bref|voila|ecoute|dites|he|moi|nous|du coup|"
                     r"en fait|bon ben|bon bah|hop|allez hop)\b ?)+|(?:\b ?(?:hein|euh|bon|"
                     r"voila|merci|stp|svp|s il te plait|s il vous plait|du coup|quoi|en fait|"
                     r"maintenant|tout de suite|steuplait))+$|^(?:la |ma )?(?:maison|basecamp)"
                     r"\b ?|\b ?(?:la |ma )?(?:maison|basecamp)$"),
    "en": re.compile(r"^(?:(?:um|uh|er|so|well|ok|okay|hey|hi|hello|right|alright|oh)\b ?)+|"
                     r"(?:\b ?(?:please|thanks|thank you|then|now|right now))+$|^(?:the )?"
                     r"(?:house|home|basecamp)\b ?|\b ?(?:the )?(?:house|basecamp)$"),
}
"""Fillers and forms of address at the ends of an utterance ("bon, dis basecamp, ... hein")."""
UNSUPPORTED_WILD_CAP = 5000
"""... and for their free-text templates (our unknown-device one; HA's music and lists are
left to patterns)."""
UNSUPPORTED_CAP = 300
"""Expansion cap for the intents the house declines: the fuzzy stage covers the rest."""


@dataclass(frozen=True)
class Match:
    """A recognised utterance: intent name and raw slot values (list outputs, numbers)."""

    intent: str
    slots: dict[str, Any]
    text: str
    """The folded text that matched."""
    via: str = "table"
    """Which stage found it: "table", "pattern" or "hassil" (exact), "fuzzy"."""
    score: float = 1.0
    """How sure the recogniser is: 1.0 for an exact match, less for a fuzzy guess."""
    when: TimeExpr | None = None
    """The time expression the placeholder in `text` stood for, if any."""
    rank: int = 0
    """The template's place in the data (exact stage: where two match, the first wins)."""

    def before(self, other: Match) -> bool:
        """True when this reading wins over another of the same words: it names a device
        the other does not, or comes from an earlier template."""
        mine, theirs = "name" in self.slots, "name" in other.slots
        return mine > theirs or (mine == theirs and self.rank < other.rank)

    @property
    def stage(self) -> str:
        """"exact" or "fuzzy" (the `match` field of `basecamp intent`)."""
        return "fuzzy" if self.via == "fuzzy" else "exact"


def _fill(slots: Slots, numbers: list[str]) -> dict[str, Any] | None:
    """Slots with the input's numbers put in place of the number markers (None: out of range)."""
    values: dict[str, Any] = {}
    queue = iter(numbers)
    for slot, value in slots:
        if isinstance(value, NumberSlot):
            number = to_number(next(queue, None))
            if number is None or not value.lo <= number <= value.hi:
                return None
            value = number
        values[slot] = value
    return values


@dataclass(frozen=True)
class Form:
    """One folded form of an utterance to try."""

    text: str
    when: TimeExpr | None = None
    """Set when a time expression was replaced by the placeholder."""
    raw: str | None = None
    """The utterance as written, when `text` lines up with it word for word (free text)."""


@dataclass
class Compiled:
    """A language compiled for one house (what the cache holds)."""

    tables: dict[Group, Tables]
    trained: fuzzy.Trained
    lists: dict[str, SlotList]
    """Every slot list: the house's, ours and HA's."""
    skip_words: list[str]


def compile_language(lang: str, lists: dict[str, SlotList], cap: int = TABLE_CAP) -> Compiled:
    """Tables and fuzzy models of a language for a house's lists (the slow part: seconds)."""
    intents = {group: grammar.build_intents(lang, group) for group in Group}
    tables = {group: compile_tables(intents[group], lists,
                                    cap=UNSUPPORTED_CAP if group == Group.UNSUPPORTED else cap,
                                    wild_cap=UNSUPPORTED_WILD_CAP
                                    if group == Group.UNSUPPORTED else WILD_CAP)
              for group in Group}
    trained = fuzzy.train_models([intents[Group.COMMANDS], intents[Group.UNSUPPORTED]], lists,
                                 lang)
    all_lists = {**intents[Group.UNSUPPORTED].slot_lists, **intents[Group.COMMANDS].slot_lists,
                 **lists}
    skip = sorted({w for i in intents.values() for w in i.skip_words if w})
    return Compiled(tables, trained, all_lists, skip)


class Recognizer:
    """The intents of one language for one house (its rooms and devices)."""

    def __init__(self, config: Config, lang: str, *, cap: int = TABLE_CAP,
                 cache_dir: Path | None = None) -> None:
        self.lang = lang
        self.config = config
        self.lists: dict[str, SlotList] = grammar.slot_lists(config, folded=True)
        key = digest([CODE_VERSION, lang, str(cap),
                      json.dumps(grammar.sentence_data(lang), sort_keys=True, default=str),
                      *(f"{name}:{slot!r}" for name, slot in sorted(self.lists.items()))])
        folder = cache_dir if cache_dir is not None else default_folder()
        self.compiled: Compiled = cached(folder, f"language-{lang}", key,
                                         lambda: compile_language(lang, self.lists, cap))
        self.tables = self.compiled.tables
        self.default_area = str(config.section("dialogs", DialogSettings).default_room)
        self.fuzzy = fuzzy.FuzzyStage(self.compiled.trained, self.compiled.lists, lang,
                                      self.compiled.skip_words)
        self.house_words = frozenset(
            word for name in ("area", "name", "climate_name", "domain")
            if isinstance(self.compiled.lists.get(name), TextSlotList)
            for value in self.compiled.lists[name].values  # type: ignore[attr-defined]
            for text in sample_expression(value.text_in) for word in text.split()
            if len(word) > 3) | HOUSE_WORDS.get(lang, frozenset())
        """Words naming the house's rooms, devices and kinds of device."""
        self._mention_values: dict[str, dict[str, Any]] = {}
        self._mentions: dict[str, re.Pattern[str]] = {}
        for slot in ("name", "area", "profile"):
            values = self.compiled.lists.get(slot)
            if isinstance(values, TextSlotList) and values.values:
                texts = {" ".join(text.split()): v.value_out for v in values.values
                         for text in sample_expression(v.text_in)}
                self._mention_values[slot] = texts
                self._mentions[slot] = re.compile(r"\b(" + "|".join(
                    map(re.escape, sorted(texts, key=len, reverse=True))) + r")\b")
        skip = sorted(set(self.compiled.skip_words), key=len, reverse=True)
        self._skip = re.compile(r"\b(?:" + "|".join(map(re.escape, skip)) + r")\b") \
            if skip else None
        _LOGGER.debug("%s: %d table sentences", lang,
                      sum(t.size for t in self.tables.values()))

    def warm(self) -> None:
        """Compile every template's expression now rather than at its first use."""
        for tables in self.tables.values():
            patterns.warm(tables.patterns)

    def mentions(self, text: str, slots: tuple[str, ...] = ("name", "area")) -> dict[str, Any]:
        """The first of `slots` a folded text names ("name": a device, "area": a room,
        "profile": a heating profile, "temperature": a number), as slots."""
        for slot in slots:
            if slot == "temperature":
                number = NUMBER.search(text)
                if number is not None:
                    return {slot: to_number(number.group())}
                continue
            pattern = self._mentions.get(slot)
            found = pattern.search(text) if pattern is not None else None
            if found is not None:
                return {slot: self._mention_values[slot][found.group(1)]}
        return {}

    # ---- forms ---------------------------------------------------------------------------
    def forms(self, text: str) -> list[Form]:
        """The folded forms of an utterance: times as the placeholder first, then as said."""
        out: list[Form] = []
        folded = candidates(text, self.lang)
        as_written = fold(clean(text).lower())
        for form in folded:
            if not form:
                continue
            found = when.find(form, self.lang)
            if found is not None:
                tagged = found.tagged(form)
                out.append(Form(tagged, found.expr))
                bare = self.strip_address(tagged)
                if bare and bare != tagged:
                    out.append(Form(bare, found.expr))
            out.append(Form(form, raw=clean(text) if form == as_written else None))
            bare = self.strip_address(form)
            if bare and bare != form:
                out.append(Form(bare))
        return out

    def _keys(self, form: str) -> list[str]:
        keys = [form]
        if self._skip is not None:
            stripped = " ".join(self._skip.sub(" ", form).split())
            if stripped and stripped != form:
                keys.append(stripped)
        return keys

    # ---- exact ---------------------------------------------------------------------------
    def lookup(self, form: str, group: Group = Group.COMMANDS) -> Match | None:
        """The exact table's answer for one folded form (with and without skip words)."""
        table = self.tables[group].exact
        for key in self._keys(form):
            numbers = NUMBER.findall(key)
            variants: list[tuple[str, list[str]]] = [(key, [])]
            if numbers:  # digits written in the template itself ("dans 1 heure") come first
                variants.append((NUMBER.sub(NUMBER_TOKEN, key), numbers))
            for variant, given in variants:
                entry = table.get(variant)
                if entry is not None:
                    slots = _fill(entry[1], given)
                    if slots is not None:
                        return Match(entry[0], slots, key, rank=entry[2])
        return None

    def lookup_wild(self, form: Form, group: Group = Group.COMMANDS) -> Match | None:
        """A template with free text (a message): the text between its prefix and suffix."""
        tables = self.tables[group]
        if not tables.wild:
            return None
        words = form.text.split()
        found = find_wild(tables, words)
        if found is None:
            return None
        entry, start, end = found
        message = any(name == "message" for name, v in entry.slots if isinstance(v, WildcardSlot))
        if when.PLACEHOLDER in words[start:end]:
            return None  # a time inside free text: the untagged form carries it
        if not message and (end - start > MAX_PLACE_WORDS
                            or NARRATIVE.get(self.lang, frozenset()).intersection(words)):
            return None
        free = " ".join(words[start:end])
        spans = align(form.raw) if form.raw is not None else None
        if spans is not None:
            free = form.raw[spans[start][0]:spans[end - 1][1]]  # type: ignore[index]
        slots = {name: free if isinstance(value, WildcardSlot) else value
                 for name, value in entry.slots}
        if any(isinstance(value, NumberSlot) for value in slots.values()):
            numbers = NUMBER.findall(" ".join(words[:start] + words[end:]))
            filled = _fill(tuple((k, v) for k, v in slots.items()), numbers)
            if filled is None:
                return None
            slots = filled
        return Match(entry.intent, slots, form.text)

    def match_patterns(self, form: Form, group: Group, *, free: bool = False) -> Match | None:
        """The compiled template matching a form (free-text ones only if `free`): the first,
        unless a later one reads a device's name in it."""
        tables = self.tables[group]
        for key in self._keys(form.text):
            found: Match | None = None
            as_written = _as_written(form) if key == form.text and free else None
            for pattern in tables.candidates(key):
                if pattern.free and not free:
                    continue
                slots = pattern.match(key, as_written)
                if slots is not None and not self._plausible_place(pattern, slots, key):
                    continue
                if slots is not None:
                    match = Match(pattern.intent, slots, key, via="pattern", rank=pattern.rank)
                    if found is None or match.before(found):
                        found = match
            if found is not None:
                return _with_time(found, form.when)
        return None

    def _plausible_place(self, pattern: Pattern, slots: dict[str, Any], text: str) -> bool:
        """A free-text slot other than a message is a few words in a sentence that asks."""
        for capture in pattern.captures.values():
            if capture.kind == "wildcard" and capture.slot != "message" \
                    and capture.slot in slots and (
                        len(str(slots[capture.slot]).split()) > MAX_PLACE_WORDS
                        or NARRATIVE.get(self.lang, frozenset()).intersection(text.split())):
                return False
        return True

    def _hassil(self, form: Form, group: Group) -> Match | None:
        residual = self.tables[group].residual
        if residual is None:
            return None
        result = recognize(form.text, residual, slot_lists=self.lists, language=self.lang)
        if result is None:
            return None
        slots = dict(result.intent_data.slots or {}) if result.intent_data else {}
        slots.update({name: entity.value for name, entity in result.entities.items()})
        return Match(result.intent.name, slots, form.text, via="hassil")

    def exact(self, forms: list[Form], group: Group) -> Match | None:
        """The first exact match of the forms in one group of intents."""
        for form in forms:  # whole sentences first: the table, then the big templates
            found = self.lookup(form.text, group)
            other = self.match_patterns(form, group)  # an earlier or more precise reading
            if found is not None:
                found = _with_time(found, form.when)
                return other if other is not None and other.before(found) else found
            if other is not None:
                return other
        free = group != Group.UNSUPPORTED  # free text the house declines: the last resort
        if free:  # then sentences with free text (a message, a place)
            for form in sorted(forms, key=lambda f: f.raw is None):
                found = self.lookup_wild(form, group)
                if found is not None:
                    return _with_time(found, form.when)
            for form in forms:
                found = self.match_patterns(form, group, free=True)
                if found is not None:
                    return found
        for form in forms:
            found = self._hassil(form, group)
            if found is not None:
                return _with_time(found, form.when)
        return None

    def recognize(self, text: str, *, answers: bool = False, fuzzy: bool = True,
                  context_area: str | None = None) -> Match | None:
        """The intent of an utterance (commands, or answers to a question), or None.

        `context_area` is the room of the device that heard (for "allume ici").
        """
        forms = self.forms(text)
        if answers:
            return self.exact(forms, Group.ANSWERS)
        found = self.exact_command(forms)
        if found is None and fuzzy and forms:
            found = self.guess(forms[0], context_area)
        return found if found is not None else self.declined(forms)

    def exact_command(self, forms: list[Form]) -> Match | None:
        """An exact match among the commands, then among the intents the house declines."""
        for group in (Group.COMMANDS, Group.UNSUPPORTED):
            found = self.exact(forms, group)
            if found is not None:
                return found
        return None

    def unknown_device(self, forms: list[Form]) -> Match | None:
        """"allume la télé": a switch verb on something that is not a device of the house
        (no word of a room, device or kind of device in it) — declined, not guessed at."""
        for form in sorted(forms, key=lambda f: f.raw is None):  # as written first
            found = self.lookup_wild(form, Group.UNSUPPORTED)
            if found is None or found.slots.get("what") != "device":
                continue
            thing = str(found.slots.get("thing", ""))
            if not self.house_words.intersection(fold(thing).split()):
                return found
        return None

    def declined(self, forms: list[Form]) -> Match | None:
        """Last resort: a request the house cannot serve, phrased with free text ("mets du
        jazz"); heard only when neither the commands nor the fuzzy stage took it."""
        for form in forms:
            found = self.lookup_wild(form, Group.UNSUPPORTED) \
                or self.match_patterns(form, Group.UNSUPPORTED, free=True)
            if found is not None:
                return found
        return None

    def guess(self, form: Form, context_area: str | None = None) -> Match | None:
        """The fuzzy stage's guess for a form, above `MIN_FUZZY_SCORE`."""
        text = self.strip_address(form.text)
        if not text:
            return None
        found = self.fuzzy.match(text, context_area or self.default_area)
        if found is None or found.score < MIN_FUZZY_SCORE:
            return None
        match = Match(found.intent, found.slots, found.text, via="fuzzy", score=found.score)
        return _with_time(match, form.when)

    def strip_address(self, text: str) -> str:
        """The form without fillers and words addressing the house at either end."""
        pattern = _ADDRESS.get(self.lang)
        if pattern is None:
            return text
        previous = None
        while previous != text:
            previous, text = text, pattern.sub("", text).strip()
        return text


def _as_written(form: Form) -> Callable[[int, int], str] | None:
    """Characters of the folded form -> the same words as the speaker wrote them."""
    spans = align(form.raw) if form.raw is not None else None
    if spans is None or form.raw is None:
        return None
    raw = form.raw
    starts = [m.start() for m in re.finditer(r"\S+", form.text)]

    def free_text(start: int, end: int) -> str:
        first = sum(s <= start for s in starts) - 1
        last = sum(s < end for s in starts) - 1
        if first < 0 or last >= len(spans):
            return ""
        return raw[spans[first][0]:spans[last][1]]
    return free_text


def _with_time(found: Match, expr: TimeExpr | None) -> Match:
    """A match whose placeholder slot holds the time expression it stands for."""
    if expr is None or when.PLACEHOLDER not in found.text.split():
        return found
    slots = {name: expr if value == when.PLACEHOLDER_VALUE else value
             for name, value in found.slots.items()}
    return replace(found, slots=slots, when=expr)
