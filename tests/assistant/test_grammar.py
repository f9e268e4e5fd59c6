"""The grammar compiler and the snapping of decoded text to sentences (pure tables)."""

from __future__ import annotations

import json

import pytest

from assistant.grammar import compile_grammar, distance, normalise, snap


@pytest.mark.parametrize(("text", "expected"), [
    ("Allume la lumière du salon !", "allume la lumière du salon"),
    ("  je  m’en vais ", "je m'en vais"),
    ("Quelle heure est-il ?", "quelle heure est-il"),
    ("오늘 날씨 어때?", "오늘 날씨 어때"),
])
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_compile_keeps_known_sentences_and_reports_the_rest() -> None:
    vocab = frozenset(["je", "pars", "suis", "revenu", "rapport", "complet", "[unk]"])
    grammar = compile_grammar(["Je pars", "je pars", "Je suis revenu", "rapport complet",
                               "silence total", "dis à tous {message}"], vocab, unknown="[unk]")
    assert grammar.sentences == ("je pars", "je suis revenu", "rapport complet")
    assert grammar.oov == frozenset({"silence", "total"})
    assert grammar.free_text
    assert json.loads(grammar.to_json()) == [*grammar.sentences, "[unk]"]


def test_compile_without_vocabulary_keeps_everything_and_honours_the_limit() -> None:
    grammar = compile_grammar([f"phrase {i}" for i in range(10)], limit=4, unknown=None)
    assert len(grammar.sentences) == 4
    assert json.loads(grammar.to_json()) == list(grammar.sentences)


@pytest.mark.parametrize(("a", "b", "cost"), [
    ("a b c", "a b c", 0), ("a b c", "a c", 1), ("a b", "x y", 2), ("", "a b", 2),
])
def test_distance(a: str, b: str, cost: int) -> None:
    assert distance(a.split(), b.split()) == cost


SENTENCES = compile_grammar(["allume la lumière du salon", "éteins la lumière du salon",
                             "je pars", "je suis revenu", "rapport complet"])


@pytest.mark.parametrize(("alternatives", "expected"), [
    (["allume la lumière du salon"], "allume la lumière du salon"),
    (["je pars rapport", "je pars"], "je pars"),  # exact alternative wins over the first
    (["[unk] je suis revenu"], "je suis revenu"),  # the unknown word is ignored
    (["éteins la lumière salon"], "éteins la lumière du salon"),  # one word missing
    (["rapport"], "rapport complet"),
    (["bonjour tout le monde"], None),
    (["[unk]"], None),
    ([""], None),
])
def test_snap(alternatives: list[str], expected: str | None) -> None:
    match = snap(alternatives, SENTENCES)
    assert (match.sentence if match else None) == expected


def test_complete_sentences_and_prefixes() -> None:
    grammar = compile_grammar(["allume la lumière", "allume la lumière du salon", "il fait beau"])
    assert grammar.is_complete("allume la lumière du salon")
    assert grammar.is_complete("il fait beau")
    assert not grammar.is_complete("allume la lumière")  # "du salon" may follow
    assert not grammar.is_complete("il fait")  # not a sentence
    assert grammar.continues("allume la") and grammar.continues("allume la lumière")
    assert not grammar.continues("il fait beau") and not grammar.continues("éteins")
