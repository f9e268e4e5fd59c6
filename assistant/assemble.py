"""Build a voice pipeline from the config: wake engine, VAD, Vosk model with the house grammar."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from assistant import dialog, vosk_model, wake
from assistant.pipeline import Arbitrate, Emit, Handler, Pipeline
from assistant.settings import VoiceSettings
from assistant.stt import VoskTranscriber
from assistant.vad import Limits, webrtc

_LOGGER = logging.getLogger(__name__)


def limits(voice: VoiceSettings) -> Limits:
    """End-of-speech limits from config."""
    return Limits(voice.end_silence_ms, voice.no_speech_s, voice.max_command_s,
                  voice.quick_end_ms)


def transcriber(config: Any, voice: VoiceSettings,
                sentences: list[str] | None = None) -> VoskTranscriber:
    """The Vosk recogniser, restricted to `sentences` (default: what the house understands)."""
    path = vosk_model.model_path(voice.model_dir, config)
    if voice.grammar and sentences is None:
        sentences = dialog.sentences(config, voice)
    return VoskTranscriber.from_path(path, sentences if voice.grammar else None,
                                     free_fallback=voice.free_fallback,
                                     limit=voice.max_sentences)


def assemble(config: Any, voice: VoiceSettings, emit: Emit, *, use_wake: bool = True,
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
