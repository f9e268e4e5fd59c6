"""Expand hassil template expressions into sentences, keeping the slot values they carry.

hassil's own `sample_expression` yields text only; the recogniser's table needs each
sentence's slots too, and the speech grammar needs a bounded random sample of huge templates.
Range lists expand to a placeholder (`NUMBER_TOKEN`, for the table) or to words (grammar).
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hassil import (
    Alternative,
    Expression,
    ListReference,
    RangeSlotList,
    RuleReference,
    Sentence,
    Sequence,
    SlotList,
    TextChunk,
    TextSlotList,
    WildcardSlotList,
)
from hassil.expression import Permutation
from unicode_rbnf import RbnfEngine

NUMBER_TOKEN = "#"
"""Stands for any number in table keys; the matched number is read back from the input."""
SLOT_TOKEN = "{slot}"
"""The value a slot carries when its list was expanded to a `{slot}` token."""
WILDCARD_TOKEN = "\x00"
"""Stands for free text (a wildcard list) in table keys, when the context allows wildcards."""

Slots = tuple[tuple[str, Any], ...]
Expansion = tuple[str, Slots]


class Unexpandable(ValueError):
    """A template holds a wildcard or a construct the expander does not walk."""


@dataclass(frozen=True)
class WildcardSlot:
    """A wildcard slot in a table sentence: the free text is read from the input."""


@dataclass(frozen=True)
class NumberSlot:
    """A range slot in a table sentence: the number is read from the input."""

    lo: float
    hi: float


@dataclass
class Context:
    """Lists and rules an expression refers to, and how ranges expand."""

    lists: dict[str, SlotList]
    rules: dict[str, Sentence]
    words_lang: str | None = None
    """Spell ranges out in this language (grammar); None: one `NUMBER_TOKEN` (table)."""
    wildcards: bool = False
    """Expand a wildcard list to one `WILDCARD_TOKEN` (else wildcards are unexpandable)."""
    bare: bool = False
    """Leave every optional part out (the plain form of each sentence: "je pars")."""
    slot_tokens: frozenset[str] | None = None
    """Expand every list but these to one `{slot}` token (n-gram training); None: values."""
    _counts: dict[int, float] = field(default_factory=dict)

    def list_of(self, ref: ListReference) -> SlotList:
        """The slot list a reference names."""
        try:
            return self.lists[ref.list_name]
        except KeyError:
            raise Unexpandable(f"missing list {{{ref.list_name}}}") from None

    def as_token(self, ref: ListReference) -> bool:
        """True when a list reference expands to its `{slot}` token."""
        if self.slot_tokens is None or ref.list_name in self.slot_tokens:
            return False
        return not isinstance(self.lists.get(ref.list_name), WildcardSlotList)

    def rule(self, ref: RuleReference) -> Expression:
        """The body of an expansion rule."""
        try:
            return self.rules[ref.rule_name].expression
        except KeyError:
            raise Unexpandable(f"missing rule <{ref.rule_name}>") from None


def _range_values(slot: RangeSlotList, ctx: Context) -> list[Expansion]:
    if ctx.words_lang is None:
        return [(NUMBER_TOKEN, (("", NumberSlot(slot.start, slot.stop)),))]
    return _spelled(ctx.words_lang, slot.start, slot.stop, slot.step)


@functools.cache
def _spelled(lang: str, start: int, stop: int, step: int) -> list[Expansion]:
    """Numbers in words (every form RBNF knows: masculine, feminine...)."""
    engine = RbnfEngine.for_language(lang)
    out: list[Expansion] = []
    for number in range(start, stop + 1, step):
        for words in sorted(set(engine.format_number(number).text_by_ruleset.values())):
            out.append((words, (("", number),)))
    return out


def count(expr: Expression, ctx: Context) -> float:
    """How many sentences an expression expands to (inf for wildcards)."""
    key = id(expr)
    if key in ctx._counts:
        return ctx._counts[key]
    if isinstance(expr, TextChunk):
        result: float = 1
    elif isinstance(expr, Permutation):
        result = math.factorial(len(expr.items)) * math.prod(count(i, ctx) for i in expr.items)
    elif isinstance(expr, Alternative) and ctx.bare and expr.is_optional:
        result = 1
    elif isinstance(expr, Alternative):
        result = sum(count(i, ctx) for i in expr.items)
    elif isinstance(expr, Sequence):
        result = math.prod(count(i, ctx) for i in expr.items)
    elif isinstance(expr, RuleReference):
        result = count(ctx.rule(expr), ctx)
    elif isinstance(expr, ListReference) and ctx.as_token(expr):
        result = 1
    elif isinstance(expr, ListReference):
        slot = ctx.list_of(expr)
        if isinstance(slot, TextSlotList):
            result = sum(count(v.text_in, ctx) for v in slot.values)
        elif isinstance(slot, RangeSlotList):
            result = len(_range_values(slot, ctx))
        else:
            result = 1 if ctx.wildcards else math.inf
    else:
        result = math.inf
    ctx._counts[key] = result
    return result


def _join(parts: tuple[Expansion, ...]) -> Expansion:
    return "".join(p[0] for p in parts), tuple(s for p in parts for s in p[1])


def _name(slots: Slots, slot_name: str) -> Slots:
    return tuple((name if name else slot_name, value) for name, value in slots)


def expand(expr: Expression, ctx: Context) -> Iterator[Expansion]:
    """Every (text, slots) an expression produces, in template order (raw spacing)."""
    if isinstance(expr, TextChunk):
        yield expr.text, ()
    elif isinstance(expr, Permutation):
        for order in itertools.permutations(expr.items):
            for parts in itertools.product(*(list(expand(i, ctx)) for i in order)):
                yield _join(tuple(p for part in parts for p in (part, (" ", ()))))
    elif isinstance(expr, Alternative) and ctx.bare and expr.is_optional:
        yield "", ()
    elif isinstance(expr, Alternative):
        for item in expr.items:
            yield from expand(item, ctx)
    elif isinstance(expr, Sequence):
        for parts in itertools.product(*(list(expand(i, ctx)) for i in expr.items)):
            yield _join(parts)
    elif isinstance(expr, RuleReference):
        yield from expand(ctx.rule(expr), ctx)
    elif isinstance(expr, ListReference) and ctx.as_token(expr):
        yield f" {{{expr.slot_name}}} ", ((expr.slot_name, SLOT_TOKEN),)
    elif isinstance(expr, ListReference):
        slot = ctx.list_of(expr)
        if isinstance(slot, TextSlotList):
            for value in slot.values:
                for text, inner in expand(value.text_in, ctx):
                    yield text, ((expr.slot_name, value.value_out), *inner)
        elif isinstance(slot, RangeSlotList):
            for text, slots in _range_values(slot, ctx):
                yield text, _name(slots, expr.slot_name)
        elif ctx.wildcards:
            yield f" {WILDCARD_TOKEN} ", ((expr.slot_name, WildcardSlot()),)
        else:
            raise Unexpandable(f"wildcard {{{expr.list_name}}}")
    else:
        raise Unexpandable(f"unexpected expression {type(expr).__name__}")


WEIGHT_CAP = 1e12
"""Sampling weight of an alternative with free text in it (its count is infinite)."""


def sample(expr: Expression, ctx: Context, rng: random.Random) -> Expansion:
    """One random (text, slots), each alternative weighted by its own size."""
    if isinstance(expr, TextChunk):
        return expr.text, ()
    if isinstance(expr, Alternative) and ctx.bare and expr.is_optional:
        return "", ()
    if isinstance(expr, Alternative):
        weights = [min(count(i, ctx), WEIGHT_CAP) for i in expr.items]  # free text: endless
        return sample(rng.choices(expr.items, weights=weights)[0], ctx, rng)
    if isinstance(expr, Permutation):
        order = list(expr.items)
        rng.shuffle(order)
        return _join(tuple(p for item in order for p in (sample(item, ctx, rng), (" ", ()))))
    if isinstance(expr, Sequence):
        return _join(tuple(sample(i, ctx, rng) for i in expr.items))
    if isinstance(expr, RuleReference):
        return sample(ctx.rule(expr), ctx, rng)
    if isinstance(expr, ListReference) and ctx.as_token(expr):
        return f" {{{expr.slot_name}}} ", ((expr.slot_name, SLOT_TOKEN),)
    if isinstance(expr, ListReference):
        slot = ctx.list_of(expr)
        if isinstance(slot, TextSlotList):
            weights = [min(count(v.text_in, ctx), WEIGHT_CAP) for v in slot.values]
            value = rng.choices(slot.values, weights=weights)[0]
            text, inner = sample(value.text_in, ctx, rng)
            return text, ((expr.slot_name, value.value_out), *inner)
        if isinstance(slot, RangeSlotList):
            text, slots = rng.choice(_range_values(slot, ctx))
            return text, _name(slots, expr.slot_name)
        raise Unexpandable(f"wildcard {{{expr.list_name}}}")
    raise Unexpandable(f"unexpected expression {type(expr).__name__}")


def sentences(expr: Expression, ctx: Context, *, cap: int, seed: int = 0) -> list[Expansion]:
    """All expansions if there are at most `cap`, else `cap` distinct random ones."""
    total = count(expr, ctx)
    if total <= cap:
        return list(expand(expr, ctx))
    rng = random.Random(seed)
    found: dict[str, Slots] = {}
    for _ in range(cap * 3):
        text, slots = sample(expr, ctx, rng)
        found.setdefault(text, slots)
        if len(found) >= cap:
            break
    return list(found.items())


def is_wildcard(slot: SlotList) -> bool:
    """True for lists that match any text."""
    return isinstance(slot, WildcardSlotList)
