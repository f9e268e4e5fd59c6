"""Word n-gram models with Witten-Bell smoothing, trained on the house's own sentences (pure).

`hassil.fuzzy` scores an utterance against one n-gram model per intent; Home Assistant ships
its models for English only (as SQLite files). Ours are trained here, from the expanded
templates of the house, in memory: `train(sentences)` returns a `NgramModel` that answers
`get_log_prob` exactly as hassil's models do (log10 probabilities, backoff to shorter
histories, an unknown-word callback), so `hassil.fuzzy.FuzzyNgramMatcher` takes it as is.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hassil.ngram import BOS, EOS, UNK_LOG_PROB

ORDER = 3
"""Trigrams: enough to tell "éteins la lumière" from "allume la lumière" in context."""


@dataclass
class NgramModel:
    """A backoff n-gram model: n-gram -> (log10 probability, log10 backoff weight)."""

    order: int
    words: dict[str, str]
    """Word -> id (hassil's matcher reads the vocabulary from here)."""
    probs: dict[tuple[str, ...], tuple[float, float | None]] = field(default_factory=dict)

    def get_log_prob(self, tokens: Iterable[str],
                     unk_log_prob: Callable[[str], float] | None = None,
                     cache: dict[tuple[str, ...], float] | None = None) -> float:
        """log10 P(tokens), backing off to shorter histories (hassil's algorithm)."""
        cache = {} if cache is None else cache
        total = 0.0
        context: list[str] = []
        for word in tokens:
            if word == BOS:
                context.append(word)
                continue
            key = (*context, word)
            if key in cache:
                total = cache[key]
                context.append(word)
                continue
            found = False
            for n in range(self.order, 0, -1):
                prefix = tuple(context[-(n - 1):]) if n > 1 else ()
                if len(prefix) < n - 1:
                    continue
                entry = self.probs.get((*prefix, word))
                if entry is not None:
                    total += entry[0]
                    found = True
                    break
                backoff = self.probs.get(prefix)
                if prefix and backoff is not None and backoff[1] is not None:
                    total += backoff[1]
            if not found:
                total += unk_log_prob(word) if unk_log_prob is not None else UNK_LOG_PROB
            context.append(word)
            cache[key] = total
        return total


def train(sentences: Iterable[list[str]], order: int = ORDER) -> NgramModel:
    """A Witten-Bell interpolated model of tokenised sentences (BOS/EOS added)."""
    counts: dict[int, Counter[tuple[str, ...]]] = {n: Counter() for n in range(1, order + 1)}
    for words in sentences:
        padded = [BOS, *words, EOS]
        for n in range(1, order + 1):
            for i in range(len(padded) - n + 1):
                gram = tuple(padded[i:i + n])
                if gram[-1] == BOS:
                    continue
                counts[n][gram] += 1
    model = NgramModel(order, {})
    total = sum(counts[1].values())
    for (word,), c in counts[1].items():
        model.probs[(word,)] = (math.log10(c / total), None)
    vocabulary = [w for (w,) in counts[1]]
    model.words = {w: str(i) for i, w in enumerate([BOS, *vocabulary])}
    for n in range(2, order + 1):
        by_history: dict[tuple[str, ...], dict[str, int]] = defaultdict(dict)
        for gram, c in counts[n].items():
            by_history[gram[:-1]][gram[-1]] = c
        for history, following in by_history.items():
            seen, types = sum(following.values()), len(following)
            weight = types / (seen + types)
            model.probs[history] = (model.probs.get(history, (UNK_LOG_PROB, None))[0],
                                    math.log10(weight))
            for word, c in following.items():
                lower = 10 ** _log_prob(model, (*history[1:], word))
                p = (c + types * lower) / (seen + types)
                model.probs[(*history, word)] = (math.log10(p), None)
    return model


def _log_prob(model: NgramModel, gram: tuple[str, ...]) -> float:
    """log10 P(last | rest) with backoff, for n-grams of the orders already trained."""
    entry = model.probs.get(gram)
    if entry is not None:
        return entry[0]
    if len(gram) == 1:
        return UNK_LOG_PROB
    backoff = model.probs.get(gram[:-1])
    weight = backoff[1] if backoff is not None and backoff[1] is not None else 0.0
    return weight + _log_prob(model, gram[1:])
