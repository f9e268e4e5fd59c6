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
    regex: re.Pattern[str]
    captures: dict[str, Capture]
    rank: int = 0
    """The template's place in the data: where two templates match, the first one wins."""

    @property
    def free(self) -> bool:
        """True when the template takes free text (a wildcard)."""
        return any(c.kind == "wildcard" for c in self.captures.values())

    def match(self, text: str, free_text: Callable[[int, int], str] | None = None
              ) -> dict[str, Any] | None:
        """The slots of a text the template matches whole, or None; `free_text(start, end)`
        gives a wildcard's text as the speaker wrote it (else the folded text)."""
        found = self.regex.fullmatch(text)
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
    return Pattern(intent, tuple(fixed.items()), re.compile(f"[ ]*{body}[ ]*"),
                   compiler.captures, rank)
