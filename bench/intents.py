"""Intent recognition: our recogniser against plain `hassil.recognize`, same templates, one run.

The sentence set: every command template of both languages expanded (templates with more than
`--per-template` variants contribute a random sample of that many), numbers in words as the
speech recogniser hears them, plus 1000 non-matching sentences (shuffled words of real ones,
and unrelated phrases, kept only if hassil matches none of them).
- ours: `dialogs.recognition.Recognizer.recognize` (folding, numbers via text2num, the table of
  expanded sentences, hassil on folded templates for the rest);
- hassil: `hassil.recognize(text, intents, slot_lists=..., language=...)` on the same templates
  as written, with the same slot lists (the house's rooms and devices).
Throughput is utterances per second over the whole set; p99 is ours, per utterance.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hassil import recognize

from core.config import load
from dialogs import grammar
from dialogs.recognition import Recognizer

NONSENSE = ["le chat mange une pomme", "quel temps fera-t-il à Lyon", "joue de la musique",
            "commande des pizzas", "what is the capital of France", "play some jazz",
            "ouvre la porte du garage", "appelle maman", "combien coûte un kilo de pommes",
            "raconte une blague", "order a taxi", "set an alarm for six"]


def sentence_set(config: object, lang: str, per_template: int,
                 rng: random.Random) -> list[str]:
    """Command sentences of a language (answers are only heard inside a conversation)."""
    out: list[str] = []
    for intent, expansions in grammar.template_sentences(config, lang,
                                                         per_template=per_template):
        if not grammar.is_answer(intent):
            out += [" ".join(text.split()) for text, _ in expansions]
    rng.shuffle(out)
    return out


def non_matching(sentences: list[str], count: int, rng: random.Random,
                 matches: object) -> list[str]:
    """Sentences made of the house's words that no template accepts."""
    out: list[str] = []
    while len(out) < count:
        if rng.random() < 0.2:
            text = rng.choice(NONSENSE) + " " + str(rng.randint(1, 99))
        else:
            words = rng.choice(sentences).split() + rng.choice(sentences).split()
            rng.shuffle(words)
            text = " ".join(words[: rng.randint(2, 8)])
        if not matches(text):  # type: ignore[operator]
            out.append(text)
    return out


def main() -> int:
    """Run the benchmark and print one JSON object on the last line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-template", type=int, default=400)
    parser.add_argument("--non-matching", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    config = load()
    t0 = time.perf_counter()
    ours = {lang: Recognizer(config, lang) for lang in grammar.LANGS}
    build_s = time.perf_counter() - t0
    plain = {lang: (grammar.build_intents(lang, answers=False, folded=False),
                    grammar.slot_lists(config, folded=False)) for lang in grammar.LANGS}

    def hassil(text: str, lang: str) -> object:
        intents, lists = plain[lang]
        return recognize(text, intents, slot_lists=lists, language=lang)

    work: list[tuple[str, str]] = []
    for lang in grammar.LANGS:
        sentences = sentence_set(config, lang, args.per_template, rng)
        junk = non_matching(sentences, args.non_matching // len(grammar.LANGS), rng,
                            lambda text, lang=lang: hassil(text, lang) is not None)
        work += [(lang, s) for s in sentences + junk]
    rng.shuffle(work)

    times: list[float] = []
    ours_results = []
    start = time.perf_counter()
    for lang, text in work:
        t = time.perf_counter()
        ours_results.append(ours[lang].recognize(text))
        times.append(time.perf_counter() - t)
    ours_s = time.perf_counter() - start
    hassil_results = []
    start = time.perf_counter()
    for lang, text in work:
        hassil_results.append(hassil(text, lang))
    hassil_s = time.perf_counter() - start

    agree = sum((a.intent if a else None) == (b.intent.name if b else None)  # type: ignore[attr-defined]
                for a, b in zip(ours_results, hassil_results, strict=True))
    times.sort()
    result = {
        "bench": "intents", "utterances": len(work),
        "matching": sum(r is not None for r in hassil_results),
        "ours_utt_s": round(len(work) / ours_s, 1),
        "hassil_utt_s": round(len(work) / hassil_s, 1),
        "ratio": round(hassil_s / ours_s, 2),
        "p99_ms": round(times[int(len(times) * 0.99)] * 1000, 3),
        "p50_ms": round(statistics.median(times) * 1000, 3),
        "max_ms": round(times[-1] * 1000, 3),
        "agree": round(agree / len(work), 4),
        "build_s": round(build_s, 2),
        "table_sentences": sum(len(t) for r in ours.values() for t in r.tables.values()),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
