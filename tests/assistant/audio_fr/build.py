"""Build the French audio set: human prompts and synthetic house commands, with a manifest.

    python -m tests.assistant.audio_fr.build --out DIR [--quick] [--clips N]

Writes `DIR/manifest.jsonl`, one JSON object per clip:

    {"file": "house/....wav" (relative to DIR), "text": what is said, "split": "tune"|"held_out",
     "kind": "human"|"house", "voice", "speed" (espeak-ng words per minute; 0 for human),
     "noise": the room added (e.g. "snr15+reverb50": brown noise 15 dB under the speech,
     sox reverberance 50 %; "none"),
     "intent", "slots" (what the house's recogniser makes of `text`; house clips only)}

- **human**: Debian's asterisk-core-sounds-fr prompts (`asterisk.prompts`), one speaker, split
  tune / held_out by a hash of the prompt's name (a third for tuning).
- **house**: what people say to the demo house, from the language corpus
  (`tests/dialogs/corpus`): tuning clips from its tuning part (`fr.jsonl`), held-out clips from
  its held-out part (`fr.heldout.jsonl`, whose sentences are never printed), keeping the spoken
  commands (no SMS, no time to resolve, no message to announce, 2 to 9 words) that the house's
  recogniser reads as their expected intent; `intent` and `slots` are what the recogniser makes
  of the written text. Spoken at several speeds by MBROLA's French voices through espeak-ng
  (`mbrola.py`: recorded diphones; `--voices espeak` for espeak-ng's own formant voices, which
  Whisper base hardly hears), given reverb by sox, then brown room noise (sox) mixed in at a
  set signal-to-noise ratio (`ROOMS`: 20, 15 and 10 dB, speech RMS over noise RMS, a living
  room at one to three metres). Tuning and held-out
  clips also use *disjoint* voices and speeds: what is chosen on tune is measured on sentences,
  voices and speeds it never heard.

Everything is made from installed packages (espeak-ng, sox, apt for the asterisk and MBROLA
packages) and cached in DIR: a second run only adds what is missing. No audio is committed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import wave
from array import array
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.assistant.audio_fr import asterisk, mbrola
from tests.assistant.audio_fr.asterisk import AudioSetError

RATE = 16000
BENCH_FOLDER = Path(__file__).resolve().parents[3] / "var" / "audio_fr"
"""Where the benches keep the full set (and the MBROLA voices, under `mbrola/`)."""
VOICE_SETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "mbrola": (("mb-fr1", "mb-fr4", "mb-fr6"), ("mb-fr2", "mb-fr3", "mb-fr5", "mb-fr7")),
    "espeak": (("fr-fr", "fr-be+f3", "fr-fr+m3"), ("fr-ch", "fr-fr+f2", "fr-be+m7")),
}
"""(tuning voices, held-out voices) of the house commands, by voice set. MBROLA: two men and a
woman from France to tune on; a woman, a man and two Belgian men held out."""
TUNE_SPEEDS = (150, 180)
HELD_OUT_SPEEDS = (135, 165)
ROOMS = (("snr20+reverb30", 20.0, 30), ("snr15+reverb50", 15.0, 50),
         ("snr10+reverb20", 10.0, 20))
"""(label, signal-to-noise ratio in dB of the brown room noise, sox reverberance %) of the
simulated rooms."""
CORPUS = Path(__file__).resolve().parents[2] / "dialogs" / "corpus"
"""The language corpus the house commands are drawn from (tune: fr.jsonl, held out:
fr.heldout.jsonl)."""
HUMAN_VOICE = "asterisk-fr_CA_f_June"
HOUSE_CLIPS = 120
"""House commands in the full set (a third for tuning, the rest held out)."""
NOT_SPOKEN = ("sms", "text message", "typed")
"""Corpus situations written, not spoken (left out of the audio)."""
TIMED = ("return_at", "until", "message")
"""Corpus slots left out: a time resolved against the moment the bench runs, a free message."""
QUICK_HUMAN = 6
QUICK_HOUSE = 6
SENTENCE_POOL = 1500
"""Sentences taken from the head of the house's grammar (its plain forms, template by
template) to draw the spoken commands from."""
MIN_WORDS, MAX_WORDS = 2, 9

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Clip:
    """One manifest line."""

    file: str
    text: str
    split: str
    kind: str
    voice: str
    speed: int
    noise: str
    intent: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)


def _hash(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16)


def human_split(name: str) -> str:
    """A prompt's split, from its name alone (stable across runs and machines)."""
    return "tune" if _hash(name) % 3 == 0 else "held_out"


def _run(cmd: list[str], what: str, env: dict[str, str] | None = None) -> None:
    try:
        subprocess.run(cmd, check=True, capture_output=True, env=env)
    except FileNotFoundError as exc:
        raise AudioSetError(f"{what}: {cmd[0]} is not installed (apt-get install "
                            "espeak-ng sox)") from exc
    except subprocess.CalledProcessError as exc:
        err = exc.stderr.decode("utf-8", "replace").strip()[-1000:]
        raise AudioSetError(f"{what} failed (exit {exc.returncode}): {' '.join(cmd)}\n"
                            f"{err}") from exc


def synthesise(text: str, voice: str, speed: int, snr: float, reverb: int, out: Path,
               env: dict[str, str] | None = None) -> None:
    """`text` by espeak-ng (under `env`: MBROLA's voices), in a room: reverb, then brown noise
    mixed in `snr` dB under the speech (RMS of the speech, padding excluded), 16 kHz mono
    16 bit."""
    import numpy as np

    from assistant.audio import read_pcm
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="audio-fr-") as tmp:
        raw, wet, room = Path(tmp, "raw.wav"), Path(tmp, "wet.wav"), Path(tmp, "room.wav")
        _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), "--", text],
             f"espeak-ng {voice}", env)
        _run(["sox", "-R", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(wet),
              "pad", "0.3", "0.5", "reverb", str(reverb), "norm", "-3"], "sox reverb")
        seconds = float(subprocess.run(["soxi", "-D", str(wet)], capture_output=True,
                                       text=True, check=True).stdout)
        _run(["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(room), "synth",
              f"{seconds:.3f}", "brownnoise", "vol", "0.5"], "sox brownnoise")
        speech = np.asarray(array("h", read_pcm(wet)), dtype=np.float64)
        noise = np.asarray(array("h", read_pcm(room)), dtype=np.float64)[:len(speech)]
        voiced = speech[np.abs(speech) > 0.05 * np.abs(speech).max()]
        rms = float(np.sqrt(np.mean(voiced ** 2))) if voiced.size else 0.0
        noise *= rms / max(float(np.sqrt(np.mean(noise ** 2))), 1e-9) / 10 ** (snr / 20)
        mixed = np.clip(np.rint(speech[:len(noise)] + noise), -32768, 32767).astype("<i2")
        tmp_out = out.with_name(f".{out.name}.{os.getpid()}.wav")
        with wave.open(str(tmp_out), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            wav.writeframes(mixed.tobytes())
        tmp_out.replace(out)


def house_sentences(count: int, progress: Progress, *, held_out: bool) -> list[
        tuple[str, str, dict[str, Any]]]:
    """`count` (sentence, intent, slots) of the corpus part (tuning, or held out), spread over
    intents: spoken commands the house's recogniser reads, exactly, as their expected intent.
    The recogniser is compiled into the dialogs' own cache (`dialogs.cache.default_folder`),
    shared with the service."""
    from dialogs.recognition import load, recognize
    from tests.helpers import demo_config

    name = "fr.heldout.jsonl" if held_out else "fr.jsonl"
    lines = [json.loads(line) for line in (CORPUS / name).read_text(
        encoding="utf-8").splitlines() if line.strip()]
    pool = [line for line in lines
            if line.get("intent") and "now" not in line
            and not any(k in line.get("slots", {}) for k in TIMED)
            and not any(w in line.get("situation", "").lower() for w in NOT_SPOKEN)
            and MIN_WORDS <= len(line["text"].split()) <= MAX_WORDS]
    with tempfile.TemporaryDirectory(prefix="audio-fr-house-") as data:
        config = demo_config(data)
        progress(f"house: {len(pool)} candidate commands in {name}; loading the recogniser")
        language = load(config, "fr")
        random.Random(16).shuffle(pool)
        by_intent: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
        for line in pool:
            found = recognize(line["text"], language, fuzzy=False)
            if found is None or found.stage != "exact" or found.intent != line["intent"]:
                continue
            slots = json.loads(json.dumps(found.slots, default=str, sort_keys=True))
            by_intent.setdefault(found.intent, []).append((line["text"], found.intent, slots))
    chosen: list[tuple[str, str, dict[str, Any]]] = []
    queues = [by_intent[k] for k in sorted(by_intent)]
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return chosen


def build(out: Path, *, quick: bool = False, house_clips: int | None = None,
          voices: str = "mbrola", progress: Progress = print) -> list[Clip]:
    """Make (or complete) the set in `out`, the house commands spoken by the `voices` set
    (`VOICE_SETS`); returns the manifest's clips."""
    if voices not in VOICE_SETS:
        raise AudioSetError(f"unknown voice set {voices!r} (known: {sorted(VOICE_SETS)})")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    clips: list[Clip] = []
    progress("human: asterisk-core-sounds-fr prompts")
    if quick:  # a few of three words or more, both splits
        taken: dict[str, int] = {"tune": 0, "held_out": 0}

        def few(name: str, text: str) -> bool:
            split = human_split(name)
            if len(text.split()) < 3 or taken[split] >= QUICK_HUMAN // 2:
                return False
            taken[split] += 1
            return True
        prompts = asterisk.prompts(out / "asterisk", few)
    else:
        prompts = asterisk.prompts(out / "asterisk")
    for prompt in prompts:
        clips.append(Clip(str(prompt.wav.relative_to(out)), prompt.text,
                          human_split(prompt.name), "human", HUMAN_VOICE, 0, "none"))
    progress(f"human: {len(clips)} clips ({time.monotonic() - started:.1f} s)")
    count = QUICK_HOUSE if quick else (house_clips or HOUSE_CLIPS)
    chosen = [(text, intent, slots, held)
              for held, part in ((False, count // 3), (True, count - count // 3))
              for text, intent, slots in house_sentences(part, progress, held_out=held)]
    tune_voices, held_voices = VOICE_SETS[voices]
    env = None
    if voices == "mbrola":
        progress("house: MBROLA's French voices (from the system, else fetched from Debian)")
        env = mbrola.environment(out / "mbrola", tune_voices + held_voices)
    for i, (text, intent, slots, held) in enumerate(chosen):
        speakers = held_voices if held else tune_voices
        speeds = HELD_OUT_SPEEDS if held else TUNE_SPEEDS
        rng = random.Random(_hash(text))
        voice, speed = rng.choice(speakers), rng.choice(speeds)
        label, snr, reverb = rng.choice(ROOMS)
        key = hashlib.sha1(repr((text, voice, speed, label)).encode()).hexdigest()[:12]
        wav = out / "house" / f"{key}.wav"
        if not wav.exists():
            synthesise(text, voice, speed, snr, reverb, wav, env)
        clips.append(Clip(str(wav.relative_to(out)), text, "held_out" if held else "tune",
                          "house", voice, speed, label, intent, slots))
        if (i + 1) % 20 == 0 or i + 1 == len(chosen):
            progress(f"house: {i + 1}/{len(chosen)} clips ({time.monotonic() - started:.1f} s)")
    manifest = out / "manifest.jsonl"
    tmp = manifest.with_name(f".manifest.{os.getpid()}.jsonl")
    tmp.write_text("".join(json.dumps(asdict(c), ensure_ascii=False) + "\n" for c in clips),
                   encoding="utf-8")
    tmp.replace(manifest)
    progress(f"wrote {manifest}: {len(clips)} clips in {time.monotonic() - started:.1f} s")
    return clips


def load(folder: Path) -> list[Clip]:
    """The clips of a built set's manifest."""
    lines = (Path(folder) / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [Clip(**json.loads(line)) for line in lines if line.strip()]


def main(argv: list[str] | None = None) -> int:
    """Command line: build the set, print progress, exit 1 with a clear message on failure."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.assistant.audio_fr.build", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True,
                        help="folder for the audio and manifest.jsonl (reused as a cache)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a small subset ({QUICK_HUMAN} human + {QUICK_HOUSE} house clips, "
                        "seconds) for tests")
    parser.add_argument("--clips", type=int, default=HOUSE_CLIPS,
                        help="house commands in the full set (default: %(default)s)")
    parser.add_argument("--voices", choices=sorted(VOICE_SETS), default="mbrola",
                        help="who speaks the house commands: MBROLA's recorded French diphones "
                        "(fetched from Debian's non-free section when not installed) or "
                        "espeak-ng's formant voices (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        build(args.out, quick=args.quick, house_clips=args.clips, voices=args.voices,
              progress=lambda line: print(line, file=sys.stderr, flush=True))
    except AudioSetError as exc:
        print(f"audio_fr: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
