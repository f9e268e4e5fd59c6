"""Templates too big to expand, compiled to regular expressions with named captures (pure).

Home Assistant's templates multiply verbs, articles, rooms and optional words into millions of
sentences; expanding them is out of the question, and `hassil.recognize` walks them at ~20 ms
an utterance. A hassil template *is* a regular language, so each one is compiled here into a
Python regular expression: alternatives and optional parts become `(?:...)`, permutations the
alternation of their orders, rules are inlined, a text list becomes a named group over its
values, a range a group over numbers (checked against the range afterwards), a wildcard a lazy
group. Spaces match `[ ]*`, as in hassil's own pre-filter, since optional parts leave double or
missing spaces. Matching is then a few microseconds per template. `tests/dialogs` checks that
what matches here is what hassil recognises.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hassil import (
    Alternative,
    Expression,
    ListReference,
    RangeSlotList,
    RuleReference,
    Sequence,
    TextChunk,
    TextSlotList,
)
from hassil.expression import Permutation
from hassil.sample import sample_expression

from dialogs.expand import Context, Unexpandable

MAX_PERMUTED = 4
"""Permutations of more items than this are not compiled (4! = 24 orders)."""


@dataclass(frozen=True)
class Capture:
    """What one named group of a pattern holds."""

    slot: str
    kind: str
    """"text" (a list value), "range" (a number) or "wildcard" (free text)."""
    values: dict[str, Any] | None = None
    """Text list: the text matched -> the slot value."""
    lo: float = 0
    hi: float = 0
    step: float = 1
    halves: bool = False

    def value(self, raw: str) -> Any:
        """The slot value of the text a group matched (None: not a value of the slot)."""
        if self.kind == "text":
            assert self.values is not None
            return self.values.get(" ".join(raw.split()))
        if self.kind == "wildcard":
            return raw or None
        try:
            number = float(raw)
        except ValueError:
            return None
        if not self.lo <= number <= self.hi:
            return None
        whole = number.is_integer()
        if not whole and not (self.halves and (number * 2).is_integer()):
            return None
        return int(number) if whole else number


@dataclass(frozen=True)
class Pattern:
    """One template, compiled."""

    intent: str
    fixed: tuple[tuple[str, Any], ...]
    source: str
    """The regular expression, compiled on first use (a language loads in a fraction of a
    second; most templates are never needed by a given house's sentences)."""
    captures: dict[str, Capture]
    rank: int = 0
    """The template's place in the data: where two templates match, the first one wins."""

    free: bool = False
    """True when the template takes free text (a wildcard)."""
    first: frozenset[str] | None = None
    """The words a matching sentence can start with (None: any word, e.g. free text)."""

    def match(self, text: str, free_text: Callable[[int, int], str] | None = None
              ) -> dict[str, Any] | None:
        """The slots of a text the template matches whole, or None; `free_text(start, end)`
        gives a wildcard's text as the speaker wrote it (else the folded text)."""
        found = _compiled(self.source).fullmatch(text)
        if found is None:
            return None
        slots = dict(self.fixed)
        for group, raw in found.groupdict().items():
            if raw is None:
                continue
            capture = self.captures[group]
            if capture.kind == "wildcard" and free_text is not None:
                start, end = found.span(group)
                raw = free_text(start, end) or raw
            value = capture.value(raw.strip())
            if value is None:
                return None
            slots[capture.slot] = value
        return slots




class _Compiler:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.captures: dict[str, Capture] = {}

    def group(self, capture: Capture, body: str) -> str:
        name = f"g{len(self.captures)}"
        self.captures[name] = capture
        return f"(?P<{name}>{body})"

    def compile(self, expr: Expression, rules_seen: frozenset[str] = frozenset()) -> str:
        if isinstance(expr, TextChunk):
            return re.escape(expr.text)
        if isinstance(expr, Permutation):
            if len(expr.items) > MAX_PERMUTED:
                raise Unexpandable("permutation too long")
            orders = ["[ ]*".join(self.compile(i, rules_seen) for i in order)
                      for order in itertools.permutations(expr.items)]
            return "(?:" + "|".join(orders) + ")"
        if isinstance(expr, Alternative):
            return "(?:" + "|".join(self.compile(i, rules_seen) for i in expr.items) + ")"
        if isinstance(expr, Sequence):
            return "".join(self.compile(i, rules_seen) for i in expr.items)
        if isinstance(expr, RuleReference):
            if expr.rule_name in rules_seen:
                raise Unexpandable(f"recursive rule <{expr.rule_name}>")
            return self.compile(self.ctx.rule(expr), rules_seen | {expr.rule_name})
        if isinstance(expr, ListReference):
            return self.reference(expr)
        raise Unexpandable(f"unexpected expression {type(expr).__name__}")

    def reference(self, ref: ListReference) -> str:
        slot = self.ctx.list_of(ref)
        if isinstance(slot, TextSlotList):
            values: dict[str, Any] = {}
            for value in slot.values:
                for text in sample_expression(value.text_in):
                    values.setdefault(" ".join(text.split()), value.value_out)
            body = "|".join(re.escape(t).replace(r"\ ", "[ ]*")
                            for t in sorted(values, key=len, reverse=True) if t)
            return self.group(Capture(ref.slot_name, "text", values), body or "(?!)")
        if isinstance(slot, RangeSlotList):
            return self.group(Capture(ref.slot_name, "range", lo=slot.start, hi=slot.stop,
                                      step=slot.step,
                                      halves=slot.fraction_type is not None),
                              r"\d+(?:\.\d+)?")
        return self.group(Capture(ref.slot_name, "wildcard"), ".+?")


_SPACES = re.compile(r"(?:\\ |\[ \]\*)+")


def compile_pattern(intent: str, fixed: dict[str, Any], expr: Expression,
                    ctx: Context, rank: int = 0) -> Pattern:
    """One template as a `Pattern` (Unexpandable if it uses what cannot be compiled)."""
    compiler = _Compiler(ctx)
    body = compiler.compile(expr)
    body = _SPACES.sub("[ ]*", body)
    free = any(c.kind == "wildcard" for c in compiler.captures.values())
    words, empty = _first(expr, ctx, frozenset())
    return Pattern(intent, tuple(fixed.items()), f"[ ]*{body}[ ]*", compiler.captures, rank,
                   free, None if words is None or empty else words)


@functools.cache
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source)


def warm(patterns: list[Pattern]) -> None:
    """Compile every pattern now (a service does it in the background after it starts)."""
    for pattern in patterns:
        _compiled(pattern.source)


First = tuple[frozenset[str] | None, bool]
"""(the words an expression can start with — None for any —, whether it can be empty).
A word ending with "*" is a prefix: the template glues what follows to it ("lumière[s]")."""


def _first(expr: Expression, ctx: Context, seen: frozenset[str]) -> First:
    """What a sentence of an expression can start with (for an index of patterns)."""
    if isinstance(expr, TextChunk):
        chunk = expr.text.split()
        if not chunk:
            return frozenset(), True
        # a one-word chunk not followed by a space may run into what comes next ("lumière[s]")
        glued = len(chunk) == 1 and not expr.text[-1:].isspace()
        return frozenset({chunk[0] + "*" if glued else chunk[0]}), False
    if isinstance(expr, Alternative):
        out: set[str] = set()
        empty = False
        for item in expr.items:
            words, item_empty = _first(item, ctx, seen)
            if words is None:
                return None, True
            out |= words
            empty = empty or item_empty
        return frozenset(out), empty
    if isinstance(expr, Permutation):
        out = set()
        empty = True
        for item in expr.items:
            words, item_empty = _first(item, ctx, seen)
            if words is None:
                return None, False
            out |= words
            empty = empty and item_empty
        return frozenset(out), empty
    if isinstance(expr, Sequence):
        out = set()
        for item in expr.items:
            words, item_empty = _first(item, ctx, seen)
            if words is None:
                return None, False
            out |= words
            if not item_empty:
                return frozenset(out), False
        return frozenset(out), True
    if isinstance(expr, RuleReference):
        if expr.rule_name in seen:
            return None, False
        return _first(ctx.rule(expr), ctx, seen | {expr.rule_name})
    if isinstance(expr, ListReference):
        slot = ctx.list_of(expr)
        if isinstance(slot, TextSlotList):
            texts = [t for v in slot.values for t in sample_expression(v.text_in)]
            # a list value glued to what follows is rare: its first word, as a prefix
            return frozenset(t.split()[0] + "*" for t in texts if t.split()), any(
                not t.strip() for t in texts)
        return None, False
    return None, False
