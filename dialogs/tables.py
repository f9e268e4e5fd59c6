"""Sentence tables: the templates compiled for fast exact matching (pure).

hassil walks templates at every utterance; most of the house's templates are small enough to
expand once, so an utterance is one dict lookup. `compile` splits every template three ways:
- **exact**: folded sentence (numbers as `#`) -> (intent, slots);
- **wild**: templates with one free-text slot (a message to announce) become prefix/suffix
  pairs: "annonce que \\x00" is found by trying each word boundary of the input, so the
  message is what lies between — no backtracking over the whole template language;
- **patterns**: the templates too big to expand (HA's combinations of rooms, articles and
  verbs), compiled to regular expressions (`dialogs.patterns`); the rare one that cannot be
  compiled is left to `hassil.recognize` (`residual`).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from hassil import Intents, SlotList, WildcardSlotList

from dialogs.expand import WILDCARD_TOKEN, Context, Slots, Unexpandable, count, expand
from dialogs.patterns import Pattern, compile_pattern

TABLE_CAP = 3000
"""Templates with more variants than this are left to hassil."""

Entry = tuple[str, Slots, int]
"""(intent, slots, rank): rank is the template's place in the data (ours come first)."""


@dataclass(frozen=True)
class Wild:
    """A template with a free-text slot, seen from its prefix."""

    suffix: str
    """The folded words after the free text ("" when it ends the sentence)."""
    intent: str
    slots: Slots
    literal: int
    """Words of template text around the free text (more is a more specific template)."""


@dataclass
class Tables:
    """One group of intents compiled."""

    exact: dict[str, Entry]
    wild: dict[str, list[Wild]]
    """Folded prefix -> templates that continue with free text."""
    patterns: list[Pattern]
    """The templates too big to expand, as regular expressions."""
    residual: Intents | None
    """The templates left to hassil (None when every template was expanded or compiled)."""
    by_first: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    """First word of a sentence -> the patterns that can start with it (by index)."""
    any_first: list[int] = dataclasses.field(default_factory=list)
    """Patterns that can start with any word."""

    by_prefix: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    """Start of the first word -> the patterns that glue it to what follows ("lumière[s]")."""

    def candidates(self, text: str) -> list[Pattern]:
        """The patterns a sentence can match, in template order."""
        first = text.split(" ", 1)[0]
        found = set(self.by_first.get(first, ())) | set(self.any_first)
        for end in range(1, len(first) + 1):
            found.update(self.by_prefix.get(first[:end], ()))
        return [self.patterns[i] for i in sorted(found)]

    @property
    def size(self) -> int:
        """Sentences held (exact + wildcard templates)."""
        return len(self.exact) + sum(map(len, self.wild.values())) + len(self.patterns)


def _wild(key: str, name: str, slots: Slots) -> tuple[str, Wild] | None:
    words = key.split()
    if words.count(WILDCARD_TOKEN) != 1:
        return None  # two free texts in one sentence: left to hassil
    at = words.index(WILDCARD_TOKEN)
    prefix, suffix = " ".join(words[:at]), " ".join(words[at + 1:])
    return prefix, Wild(suffix, name, slots, len(words) - 1)


WILD_CAP = 20000
"""Templates with free text are expanded up to this many prefixes (a prefix walk is cheap)."""


def _has_wildcard(sentence: Any, ctx: Context) -> bool:
    return any(isinstance(ctx.lists.get(name), WildcardSlotList)
               for name in sentence.list_names(ctx.rules))


def _names_a_device(entry: Entry) -> bool:
    return any(slot == "name" for slot, _ in entry[1])


def _keep(table: dict[str, Entry], key: str, entry: Entry) -> None:
    """The first template to produce a sentence keeps it, unless a later one reads a device's
    name in it ("la lumière de l'entrée" is that light, not the lights of the entrée)."""
    old = table.get(key)
    if old is None or (_names_a_device(entry) and not _names_a_device(old)):
        table[key] = entry


def compile_tables(intents: Intents, lists: dict[str, SlotList], *,
                   cap: int = TABLE_CAP, wild_cap: int = WILD_CAP) -> Tables:
    """Split every template of `intents` into exact, wildcard and residual (see module doc)."""
    exact: dict[str, Entry] = {}
    wild: dict[str, list[Wild]] = defaultdict(list)
    patterns: list[Pattern] = []
    residual: dict[str, Any] = {}
    rank = 0
    for name, intent in intents.intents.items():
        kept = []
        for data in intent.data:
            ctx = Context({**intents.slot_lists, **data.slot_lists, **lists},
                          {**intents.expansion_rules, **data.expansion_rules}, wildcards=True)
            fixed = tuple((data.slots or {}).items())
            left: list[str] = []
            for sentence in data.sentences:
                rank += 1
                try:
                    size = count(sentence.expression, ctx)
                    if size > cap and not (size <= wild_cap and _has_wildcard(sentence, ctx)):
                        raise Unexpandable("too big")
                    expansions = list(expand(sentence.expression, ctx))
                except Unexpandable:
                    try:
                        patterns.append(compile_pattern(name, dict(data.slots or {}),
                                                        sentence.expression, ctx, rank))
                    except Unexpandable:
                        left.append(sentence.text or "")
                    continue
                for text, slots in expansions:
                    key = " ".join(text.split())
                    if WILDCARD_TOKEN not in key:
                        _keep(exact, key, (name, fixed + slots, rank))
                    elif (found := _wild(key, name, fixed + slots)) is not None:
                        wild[found[0]].append(found[1])
                    else:
                        patterns.append(compile_pattern(name, dict(data.slots or {}),
                                                        sentence.expression, ctx, rank))
                        break
            if left:
                kept.append(dataclasses.replace(data, sentence_texts=list(dict.fromkeys(left))))
        if kept:
            residual[name] = dataclasses.replace(intent, data=kept)
    for entries in wild.values():
        entries.sort(key=lambda w: -w.literal)
    rest = dataclasses.replace(intents, intents=residual) if residual else None
    by_first: dict[str, list[int]] = defaultdict(list)
    by_prefix: dict[str, list[int]] = defaultdict(list)
    any_first: list[int] = []
    for i, pattern in enumerate(patterns):
        if pattern.first is None:
            any_first.append(i)
        for word in pattern.first or ():
            if word.endswith("*"):
                by_prefix[word[:-1]].append(i)
            else:
                by_first[word].append(i)
    return Tables(exact, dict(wild), patterns, rest, dict(by_first), any_first,
                  dict(by_prefix))


def find_wild(tables: Tables, words: list[str]) -> tuple[Wild, int, int] | None:
    """The most specific wildcard template an utterance fits: (template, start, end) of the
    free text in `words`."""
    best: tuple[Wild, int, int] | None = None
    for at in range(len(words)):
        entries = tables.wild.get(" ".join(words[:at]))
        if not entries:
            continue
        for entry in entries:
            tail = entry.suffix.split()
            end = len(words) - len(tail)
            if end <= at or (tail and words[end:] != tail):
                continue
            if best is None or entry.literal > best[0].literal:
                best = (entry, at, end)
            break  # entries are sorted by specificity
    return best
