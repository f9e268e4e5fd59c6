"""Intent recognition: a table of expanded sentences first, hassil for everything else.

Both the templates and the input are folded (`dialogs.text`), so case, punctuation, spacing and
accents do not matter. Sentences of templates small enough to expand are kept in a dict keyed
by their folded text, numbers replaced by `#` (the number is read back from the input): most
utterances are found in one lookup. Anything else (bigger templates, wildcards, skip words in
odd places, numbers in words the table cannot see) goes through `hassil.recognize`, which stays
the authority on the template language.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from hassil import Intents, SlotList, recognize

from dialogs import grammar
from dialogs.expand import NUMBER_TOKEN, Context, NumberSlot, Slots, Unexpandable, count, expand
from dialogs.text import NUMBER, candidates, clean, to_number

_LOGGER = logging.getLogger(__name__)

TABLE_CAP = 3000
"""Templates with more variants than this are left to hassil."""

Entry = tuple[str, Slots]


@dataclass(frozen=True)
class Match:
    """A recognised utterance: intent name and raw slot values (list outputs, numbers)."""

    intent: str
    slots: dict[str, Any]
    text: str
    """The folded text that matched."""
    via: str = "table"
    """"table" or "hassil"."""


def build_table(intents: Intents, lists: dict[str, SlotList], *,
                cap: int = TABLE_CAP) -> dict[str, Entry]:
    """Folded sentence (numbers as `#`) -> (intent, slots) for every small enough template."""
    table: dict[str, Entry] = {}
    for name, intent in intents.intents.items():
        for data in intent.data:
            ctx = Context({**intents.slot_lists, **data.slot_lists, **lists},
                          {**intents.expansion_rules, **data.expansion_rules})
            fixed = tuple((data.slots or {}).items())
            for sentence in data.sentences:
                try:
                    if count(sentence.expression, ctx) > cap:
                        continue
                    for text, slots in expand(sentence.expression, ctx):
                        key = " ".join(text.split())
                        table.setdefault(key, (name, fixed + slots))
                except Unexpandable:
                    continue
    return table


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


class Recognizer:
    """The intents of one language for one house (its rooms and devices)."""

    def __init__(self, config: Any, lang: str, *, cap: int = TABLE_CAP) -> None:
        self.lang = lang
        self.config = config
        self.lists = grammar.slot_lists(config, folded=True)
        self.intents = {False: grammar.build_intents(lang, answers=False),
                        True: grammar.build_intents(lang, answers=True)}
        self.tables = {answers: build_table(intents, self.lists, cap=cap)
                       for answers, intents in self.intents.items()}
        skip = sorted({w for i in self.intents.values() for w in i.skip_words if w},
                      key=len, reverse=True)
        self._skip = re.compile(r"\b(?:" + "|".join(map(re.escape, skip)) + r")\b") \
            if skip else None
        self._raw: tuple[Intents, dict[str, SlotList]] | None = None
        _LOGGER.debug("%s: %d table sentences", lang, sum(map(len, self.tables.values())))

    def lookup(self, form: str, *, answers: bool = False) -> Match | None:
        """The table's answer for one folded form (with and without skip words)."""
        table = self.tables[answers]
        keys = [form]
        if self._skip is not None:
            stripped = " ".join(self._skip.sub(" ", form).split())
            if stripped != form:
                keys.append(stripped)
        for key in keys:
            numbers = NUMBER.findall(key)
            variants: list[tuple[str, list[str]]] = [(key, [])]
            if numbers:  # digits written in the template itself ("dans 1 heure") come first
                variants.append((NUMBER.sub(NUMBER_TOKEN, key), numbers))
            for variant, given in variants:
                entry = table.get(variant)
                if entry is not None:
                    slots = _fill(entry[1], given)
                    if slots is not None:
                        return Match(entry[0], slots, key)
        return None

    def recognize(self, text: str, *, answers: bool = False) -> Match | None:
        """The intent of an utterance (commands, or answers to a question), or None."""
        forms = candidates(text, self.lang)
        for form in forms:
            if form:
                found = self.lookup(form, answers=answers)
                if found is not None:
                    return found
        for form in forms:
            if not form:
                continue
            result = recognize(form, self.intents[answers], slot_lists=self.lists,
                               language=self.lang)
            if result is not None:
                slots = dict(result.intent_data.slots or {}) if result.intent_data else {}
                slots.update({name: entity.value for name, entity in result.entities.items()})
                if any(entity.is_wildcard for entity in result.entities.values()):
                    slots.update(self._wildcards_as_written(text, result.intent.name))
                return Match(result.intent.name, slots, form, via="hassil")
        return None

    def _wildcards_as_written(self, text: str, intent: str) -> dict[str, Any]:
        """Free-text slots (a message to announce) with the speaker's accents and case."""
        if self._raw is None:
            self._raw = (grammar.build_intents(self.lang, answers=False, folded=False),
                         grammar.slot_lists(self.config, folded=False))
        intents, lists = self._raw
        result = recognize(" ".join(clean(text).split()), intents, slot_lists=lists,
                           language=self.lang)
        if result is None or result.intent.name != intent:
            return {}
        return {name: entity.value for name, entity in result.entities.items()
                if entity.is_wildcard}
