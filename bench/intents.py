"""The language benchmark: how well and how fast the house understands, against plain hassil.

1. **Accuracy** on the corpus (`tests/dialogs/corpus/`, written from situations, not from the
   templates): the tuning part and the held-out part, per language, intent and slots right
   (`tests/dialogs/corpus_score.py`); **false actions**: must-not-match lines the house would
   act on without asking. The held-out part is reported as numbers only.
2. **Speed**, ours and the reference in one run, over the same utterances (the corpus, a sample
   of sentences of every template, and sentences made of the house's words that match nothing):
   - ours: `DialogEngine.recognize` (both languages, exact stages then the fuzzy one);
   - hassil: `hassil.recognize` over the same sentence data (our templates and Home
     Assistant's, as written, the house's slot lists), French then English, exact only.
   Throughput is utterances per second; p99 is ours, per utterance.
3. **Load**: building the compiled languages from nothing (`build_s`), loading them from the
   on-disk cache as a service does at start (`load_s`: it answers from then on), compiling the
   big templates' expressions, which a service does in a background thread after (`warm_s`),
   and the process's RSS after loading.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil
from hassil import recognize

from core.config import load
from dialogs import grammar
from dialogs.engine import DialogEngine
from dialogs.grammar import Group
from tests.dialogs import corpus_score

NONSENSE = ["le chat mange une pomme", "quel temps fera-t-il à Lyon", "joue de la musique",
            "commande des pizzas", "what is the capital of France", "play some jazz",
            "appelle maman", "combien coûte un kilo de pommes", "raconte une blague",
            "order a taxi", "la voiture est au garage depuis lundi"]


def template_sample(config: object, lang: str, per_template: int) -> list[str]:
    """Command sentences of a language, a few per template (numbers in words)."""
    out: list[str] = []
    for intent, expansions in grammar.template_sentences(config, lang,
                                                         per_template=per_template):
        if not grammar.is_answer(intent):
            out += [" ".join(text.split()) for text, _ in expansions]
    return out


def junk(sentences: list[str], count: int, rng: random.Random) -> list[str]:
    """Sentences made of the house's words in no template's order, and unrelated phrases."""
    out: list[str] = []
    while len(out) < count:
        if rng.random() < 0.2:
            out.append(f"{rng.choice(NONSENSE)} {rng.randint(1, 99)}")
        else:
            words = rng.choice(sentences).split() + rng.choice(sentences).split()
            rng.shuffle(words)
            out.append(" ".join(words[: rng.randint(2, 8)]))
    return out


def main() -> int:
    """Run the benchmark and print one JSON object on the last line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-template", type=int, default=20,
                        help="template sentences per template in the speed set")
    parser.add_argument("--junk", type=int, default=1000, help="non-matching sentences")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    config = load()

    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        cold = DialogEngine(config, cache_dir=Path(cache))
        for lang in grammar.LANGS:
            cold.recognizer(lang)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        engine = DialogEngine(config, cache_dir=Path(cache))
        for lang in grammar.LANGS:
            engine.recognizer(lang)
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        engine.warm()
        warm_s = time.perf_counter() - t0
    del cold
    rss_mb = psutil.Process().memory_info().rss / 2**20

    result: dict[str, object] = {"bench": "intents"}
    false_actions = 0
    corpus_texts: list[str] = []
    for lang in grammar.LANGS:
        for part in corpus_score.PARTS:
            lines = corpus_score.lines(lang, part)
            report = corpus_score.evaluate(engine, lines)
            result[f"{lang}_{'tune' if part == 'tune' else 'heldout'}_accuracy"] = \
                round(report.accuracy, 3)
            false_actions += report.false_actions
            corpus_texts += [line["text"] for line in lines]
    result["false_actions"] = false_actions

    plain = {lang: (grammar.build_intents(lang, Group.COMMANDS, folded=False),
                    grammar.slot_lists(config, folded=False)) for lang in grammar.LANGS}

    def hassil(text: str) -> object:
        for lang in grammar.LANGS:
            intents, lists = plain[lang]
            found = recognize(text, intents, slot_lists=lists, language=lang)
            if found is not None:
                return found
        return None

    work = list(corpus_texts)
    for lang in grammar.LANGS:
        sample = template_sample(config, lang, args.per_template)
        work += sample + junk(sample, args.junk // len(grammar.LANGS), rng)
    rng.shuffle(work)

    times: list[float] = []
    start = time.perf_counter()
    for text in work:
        t = time.perf_counter()
        engine.recognize(text)
        times.append(time.perf_counter() - t)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    for text in work:
        hassil(text)
    hassil_s = time.perf_counter() - start

    times.sort()
    result.update({
        "utterances": len(work),
        "ours_utt_s": round(len(work) / ours_s, 1),
        "hassil_utt_s": round(len(work) / hassil_s, 1),
        "ratio": round(hassil_s / ours_s, 2),
        "p50_ms": round(statistics.median(times) * 1000, 3),
        "p99_ms": round(times[int(len(times) * 0.99)] * 1000, 3),
        "max_ms": round(times[-1] * 1000, 3),
        "build_s": round(build_s, 2),
        "load_s": round(load_s, 2),
        "warm_s": round(warm_s, 2),
        "rss_mb": round(rss_mb, 1),
    })
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
