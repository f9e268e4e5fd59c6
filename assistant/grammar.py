"""The recogniser's grammar: the sentences the house understands, checked against the model's
vocabulary, and the snapping of a decoded text to the closest of those sentences (pure)."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s'’-]+")
_SLOT = re.compile(r"\{[^}]*\}")
UNKNOWN_WORDS = frozenset({"[unk]", "<UNK>", "<unk>"})


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces, typographic apostrophes made plain."""
    text = _PUNCT.sub(" ", text.lower().replace("’", "'"))
    return _SPACES.sub(" ", text).strip(" -")


@dataclass(frozen=True)
class Grammar:
    """Sentences the recogniser may output, and what had to be left out."""

    sentences: tuple[str, ...]
    """Normalised sentences whose every word the model knows."""
    dropped: tuple[str, ...] = ()
    """Sentences with a word outside the vocabulary (or a free-text slot)."""
    oov: frozenset[str] = frozenset()
    """The out-of-vocabulary words met."""
    unknown: str | None = "[unk]"
    """The model's unknown word, so out-of-grammar speech does not become a command."""
    free_text: bool = False
    """Some sentences end in free dictation (e.g. a message to broadcast)."""
    _index: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)
    _sets: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def is_complete(self, sentence: str) -> bool:
        """Whether `sentence` is in the grammar and no longer sentence continues it."""
        return sentence in self._lookup("known") and not self.continues(sentence)

    def continues(self, text: str) -> bool:
        """Whether some longer sentence starts with the words of `text`."""
        return text in self._lookup("prefixes")

    def cut_off(self, text: str) -> bool:
        """Whether `text` is the beginning of a sentence but not a sentence itself: a speaker
        who stops there paused mid-sentence ("allume la lumière de la")."""
        return text not in self._lookup("known") and self.continues(text)

    def _lookup(self, name: str) -> frozenset[str]:
        if not self._sets:
            prefixes = {" ".join(words[:n]) for words in map(str.split, self.sentences)
                        for n in range(1, len(words))}
            self._sets.update(known=frozenset(self.sentences), prefixes=frozenset(prefixes))
        return self._sets[name]

    def to_json(self) -> str:
        """The Vosk grammar argument: a JSON list of phrases."""
        phrases = [*self.sentences, *([self.unknown] if self.unknown else [])]
        return json.dumps(phrases, ensure_ascii=False)

    def candidates(self, words: Sequence[str], limit: int = 200) -> list[str]:
        """Sentences sharing the most words with `words` (at most `limit`)."""
        if not self._index:
            index: dict[str, list[int]] = defaultdict(list)
            for i, sentence in enumerate(self.sentences):
                for word in set(sentence.split()):
                    index[word].append(i)
            self._index.update({w: tuple(ids) for w, ids in index.items()})
        shared: Counter[int] = Counter()
        for word in set(words):
            shared.update(self._index.get(word, ()))
        return [self.sentences[i] for i, _ in shared.most_common(limit)]


def compile_grammar(sentences: Iterable[str], vocabulary: frozenset[str] = frozenset(), *,
                    unknown: str | None = "[unk]", limit: int | None = None) -> Grammar:
    """Keep the sentences the model can say (all of them when the vocabulary is unknown)."""
    kept: dict[str, None] = {}
    dropped: list[str] = []
    oov: set[str] = set()
    free_text = False
    for raw in sentences:
        if _SLOT.search(raw):
            free_text = True
            dropped.append(raw)
            continue
        sentence = normalise(raw)
        if not sentence or sentence in kept:
            continue
        missing = {w for w in sentence.split() if w not in vocabulary} if vocabulary else set()
        if missing:
            oov |= missing
            dropped.append(sentence)
            continue
        kept[sentence] = None
        if limit is not None and len(kept) >= limit:
            break
    return Grammar(tuple(kept), tuple(dropped), frozenset(oov), unknown, free_text)


def distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Word-level Levenshtein distance."""
    previous = list(range(len(b) + 1))
    for i, word in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (word != other)))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class Match:
    """The sentence a decoded text was snapped to."""

    sentence: str
    heard: str
    distance: int


def snap(alternatives: Sequence[str], grammar: Grammar, *, tolerance: float = 0.34) -> Match | None:
    """The grammar sentence closest to the decoder's alternatives (best first), if close enough.

    An exact alternative wins; otherwise the smallest word edit distance, allowed up to
    `tolerance` x the sentence length (at least one word). Unknown words never match.
    """
    known = set(grammar.sentences)
    texts = [normalise(" ".join(w for w in a.split() if w not in UNKNOWN_WORDS))
             for a in alternatives]
    for text in texts:
        if text in known:
            return Match(text, text, 0)
    best: Match | None = None
    for text in texts:
        words = text.split()
        if not words:
            continue
        for sentence in grammar.candidates(words):
            target = sentence.split()
            cost = distance(words, target)
            if cost > max(1, int(len(target) * tolerance)):
                continue
            if best is None or cost < best.distance:  # ties: the better-ranked alternative
                best = Match(sentence, text, cost)
    return best
