"""The fuzzy stage: Home Assistant's n-gram matcher (`hassil.fuzzy`) trained on the house.

When no template holds an utterance exactly, `hassil.fuzzy.FuzzyNgramMatcher` finds the slot
values it contains (rooms, devices, numbers, times — through a trie of the house's lists) and
scores the words around them against one n-gram model per intent. Ours are trained here from
the same templates the exact stage uses (`train_models`), one model per intent *variant*: an
intent whose template blocks carry fixed slots (silence on / off, a light vs a heater) gets one
model per block, named `x_<Intent>.<k>`, so the guess says which variant it is.

Before scoring, words the house does not know are mended to the nearest known word when one is
close ("cuisinne" -> "cuisine", "salle de bain" -> "salle de bains"), with `rapidfuzz`.
`FuzzyStage.match` returns a `Match` with `via="fuzzy"` and a `score` in (0, 1): the matcher's
per-word log-probability mapped so that 1 would be a sentence of the grammar itself.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hassil import Intents, ListReference, RuleReference, SlotList
from hassil.expression import Expression, Group
from hassil.fuzzy import FuzzyNgramMatcher, SlotCombinationInfo
from rapidfuzz import fuzz, process

from dialogs.expand import Context, Unexpandable, sentences
from dialogs.ngram import NgramModel, train

VERSION = 1
"""Bump when training changes, so cached models are rebuilt."""
PER_TEMPLATE = 200
"""Training sentences sampled per template (all of them when fewer)."""
MODEL_PREFIX = "x"
"""Model names are `x_<Intent>.<variant>`: "x" is never a device domain, so hassil's
domain-specific model lookup never skips ours."""
FLOOR = -6.0
"""The matcher's score (per-word log10 probability + keyword boost) mapped to 0."""
SPAN = 8.0
"""FLOOR + SPAN maps to 1: a sentence of the grammar with its intent's keywords scores ~1."""
MIN_KNOWN = 0.5
"""Share of an utterance's words the house's sentences use, below which no guess is made."""
MAX_WORDS = 24
"""Longer text is no command to guess (the corpus's longest is 16 words). hassil's n-gram
matcher's time grows steeply with length: on house words 0.19 s at 30 words, 1.2 s at 35,
5.6 s at 40; a 65-word recorded prompt took 85 s, and a 1 300-character Whisper transcript
went past 22 GB before the kernel killed it."""
NO_NUMBER_WORDS = "zxx"
"""ISO 639 "no linguistic content": the matcher's trie gets digits only."""
STOP_WORDS = {
    "fr": ("le", "la", "les", "l", "de", "du", "des", "d", "un", "une", "a", "au", "aux", "et",
           "en", "dans", "sur", "pour", "que", "qu", "je", "tu", "on", "est", "c", "ce", "moi",
           "me", "m", "te", "t", "s", "il", "y", "ca", "mais", "donc", "bon", "alors"),
    "en": ("the", "a", "an", "of", "to", "in", "on", "and", "is", "it", "i", "me", "my", "you",
           "so", "at", "for", "please", "ok", "okay", "well", "um"),
}
"""Words whose absence from a model costs little (they carry no intent)."""


@dataclass
class Trained:
    """What the fuzzy stage learnt from the house's templates (cached on disk)."""

    models: dict[str, NgramModel]
    variants: dict[str, tuple[str, dict[str, Any]]]
    """Matcher intent name (`Intent.k`) -> (intent, fixed slots)."""
    list_slots: dict[str, set[str]]
    """List name -> the slot names it fills."""
    combos: dict[str, dict[tuple[str, ...], SlotCombinationInfo]]
    vocabulary: list[str] = field(default_factory=list)


def _references(expr: Expression, rules: dict[str, Any], seen: set[str]) -> Iterator[
        ListReference]:
    """Every list reference of an expression, through its rules."""
    if isinstance(expr, ListReference):
        yield expr
    elif isinstance(expr, RuleReference):
        if expr.rule_name not in seen and expr.rule_name in rules:
            yield from _references(rules[expr.rule_name].expression, rules,
                                   seen | {expr.rule_name})
    elif isinstance(expr, Group):
        for item in expr.items:
            yield from _references(item, rules, seen)


def train_models(intents: list[Intents], lists: dict[str, SlotList], lang: str) -> Trained:
    """One n-gram model per intent variant, from the templates with lists as `{slot}` tokens."""
    corpus: dict[str, list[list[str]]] = defaultdict(list)
    variants: dict[str, tuple[str, dict[str, Any]]] = {}
    by_fixed: dict[tuple[str, str], str] = {}
    list_slots: dict[str, set[str]] = defaultdict(set)
    combos: dict[str, dict[tuple[str, ...], SlotCombinationInfo]] = defaultdict(dict)
    for group in intents:
        for name, intent in group.intents.items():
            for data in intent.data:
                fixed = dict(data.slots or {})
                fixed_key = (name, json.dumps(fixed, sort_keys=True, default=str))
                variant = by_fixed.setdefault(fixed_key, f"{name}.{len(by_fixed)}")
                variants[variant] = (name, fixed)
                all_lists = {**group.slot_lists, **data.slot_lists, **lists}
                rules = {**group.expansion_rules, **data.expansion_rules}
                ctx = Context(all_lists, rules, slot_tokens=frozenset())
                for i, sentence in enumerate(data.sentences):
                    for ref in _references(sentence.expression, rules, set()):
                        list_slots[ref.list_name].add(ref.slot_name)
                    try:
                        expansions = sentences(sentence.expression, ctx, cap=PER_TEMPLATE,
                                               seed=i)
                    except Unexpandable:
                        continue
                    for text, slots in expansions:
                        words = text.split()
                        if not words:
                            continue
                        corpus[variant].append(words)
                        names = tuple(sorted({s for s, _ in slots if s not in fixed}))
                        combos[variant][names] = SlotCombinationInfo(context_area=False)
    models = {f"{MODEL_PREFIX}_{variant}": train(words) for variant, words in corpus.items()}
    vocabulary = sorted({w for model in models.values() for w in model.words
                         if not w.startswith(("<", "{"))})
    return Trained(models, {v: variants[v] for v in corpus}, dict(list_slots), dict(combos),
                   vocabulary)


@dataclass(frozen=True)
class Guess:
    """The fuzzy stage's answer."""

    intent: str
    slots: dict[str, Any]
    score: float
    """0..1: the per-word log-probability between `FLOOR` (0) and certainty (1)."""
    text: str
    """The mended folded text that was scored."""


class _FixedOrderMatcher(FuzzyNgramMatcher):
    """hassil's matcher, trying the intents of a slot combination in a fixed order.

    It keeps them in sets, and its tie rules depend on the order it scores them in (of two
    equal scores the first wins, a close second makes the guess uncertain): with string hashes
    seeded per process, one process guessed "Chauffage, te s'il plait." as silence and another
    made no guess. Here they are tried in the order of the house's templates."""

    def __init__(self, order: dict[str, int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        ordered: dict[tuple[str, ...], Any] = {  # lists where hassil's type says sets
            combo: sorted(names, key=lambda name: (order.get(name, len(order)), name))
            for combo, names in self._slot_combo_intents.items()}
        self._slot_combo_intents = defaultdict(set, ordered)


class FuzzyStage:
    """The matcher for one language, over trained models and the house's lists."""

    def __init__(self, trained: Trained, lists: dict[str, SlotList], lang: str,
                 skip_words: list[str]) -> None:
        self.trained = trained
        known_lists = dict(lists)
        # The input reaches us with numbers as digits (text2num), so the trie needs no number
        # words: a language unicode-rbnf does not know skips formatting 2000 of them.
        intents = Intents(language=NO_NUMBER_WORDS, intents={}, slot_lists=known_lists,
                          skip_words=skip_words)
        # the slots a list fills in a fixed order too: the trie gives a span every one of them
        self.matcher = _FixedOrderMatcher(
            {variant: i for i, variant in enumerate(trained.variants)},
            intents=intents, intent_models=trained.models,
            intent_slot_list_names={name: sorted(slots)
                                    for name, slots in trained.list_slots.items()},
            slot_combinations=trained.combos, domain_keywords={},
            stop_words=STOP_WORDS.get(lang, ()), slot_lists=known_lists)
        self.vocabulary = set(trained.vocabulary) | {
            word for name in known_lists for word in _list_words(known_lists[name])}
        self._choices = sorted(w for w in self.vocabulary if len(w) >= 4)
        self.stop_words = frozenset(STOP_WORDS.get(lang, ()))

    def mend(self, words: list[str]) -> list[str]:
        """Unknown words replaced by the nearest known one, when one is close."""
        out = []
        for word in words:
            if word in self.vocabulary or len(word) < 4 or word.isdigit():
                out.append(word)
                continue
            cutoff = 80 if len(word) >= 6 else 85
            best = process.extractOne(word, self._choices, scorer=fuzz.ratio,
                                      score_cutoff=cutoff)
            out.append(best[0] if best else word)
        return out

    def match(self, text: str, context_area: str | None) -> Guess | None:
        """The closest intent variant and its slots, or None if nothing is close."""
        words = self.mend(text.split())
        if len(words) > MAX_WORDS:
            return None  # a story, a pasted text, a run-on transcript: not a command
        known = [w for w in words if w in self.vocabulary or w.isdigit()]
        if not words or len(known) / len(words) < MIN_KNOWN or not any(
                len(w) >= 3 and w not in self.stop_words for w in known):
            return None  # words the house never uses, or only little ones: not a command
        mended = " ".join(words)
        result = self.matcher.match(mended, context_area=context_area)
        if result is None or result.score is None:
            return None
        intent, fixed = self.trained.variants[result.intent_name]
        slots = dict(fixed)
        slots.update({name: value.value for name, value in result.slots.items()})
        score = max(0.0, min(0.99, (float(result.score) - FLOOR) / SPAN))
        return Guess(intent, slots, round(score, 3), mended)


def _list_words(slot: SlotList) -> set[str]:
    from hassil import TextSlotList
    from hassil.sample import sample_expression
    words: set[str] = set()
    if isinstance(slot, TextSlotList):
        for value in slot.values:
            for text in sample_expression(value.text_in):
                words.update(text.split())
    return words
