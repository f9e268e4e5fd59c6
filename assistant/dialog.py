"""What the voice path understands: the dialogs' sentences and engine, plus `voice.commands`.

The dialogs package is imported lazily: without it the assistant still understands the
phrases of `voice.commands` (phrase -> intent name, in any language the model speaks).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from assistant.grammar import normalise
from assistant.pipeline import Answer, Handler
from assistant.settings import VoiceSettings
from core.config import Config
from core.messages.dialogs import Intent

_LOGGER = logging.getLogger(__name__)


def commands(voice: VoiceSettings) -> dict[str, str]:
    """`voice.commands` with normalised phrases."""
    return {normalise(phrase): intent for phrase, intent in voice.commands.items()}


def sentences(config: Config, voice: VoiceSettings) -> list[str]:
    """Every sentence the recogniser should expect: the commands, then the dialogs' grammar."""
    found = list(commands(voice))
    try:
        from dialogs.grammar import expand_sentences
    except ImportError as err:
        _LOGGER.warning("dialogs grammar unavailable (%s): only voice.commands are understood",
                        err)
        return found
    try:
        return found + expand_sentences(config, voice.language(config),
                                        limit=voice.max_sentences)
    except ValueError as err:  # a language the dialogs do not speak (e.g. the test model's)
        _LOGGER.warning("no dialog sentences: %s; only voice.commands are understood", err)
        return found


Carry = Callable[[Intent], tuple[Intent, Any]]
"""Publish a command and wait for its `Outcome` (blocking: the audio thread may wait)."""


def in_room(config: Config, room: str) -> Any:
    """The config as a satellite in `room` sees it: the dialogs' default room is its room, so
    "ici" and a command naming no room mean that room."""
    if not room:
        return config
    try:
        from dialogs.settings import DialogSettings
    except ImportError:
        return config
    settings = dataclasses.replace(config.section("dialogs", DialogSettings), default_room=room)
    return dataclasses.replace(config, sections={**config.sections, "dialogs": settings})


def handler(config: Config, voice: VoiceSettings, now: Callable[[], datetime],
            sender: str = "owner", carry: Carry | None = None, room: str = "") -> Handler:
    """Transcript -> Answer: `voice.commands` first, then the dialog engine.

    `room` is where the microphone stands: a follow-up ("et dans la chambre ?") refers to the
    last command heard in that room.

    With `carry`, a command a service carries out is published here and the spoken reply
    says what was done (the Answer then holds no intent: it is on the bus already). `room`:
    the room the microphone is in (the dialogs' default room, set on every intent).
    """
    config = in_room(config, room)
    table = commands(voice)
    engine: Any = None
    try:
        from dialogs.engine import DialogEngine
        from dialogs.grammar import LANGS
        lang = voice.language(config)
        if lang not in LANGS:  # e.g. the Korean test model: dialogs in the house language
            _LOGGER.warning("the dialogs do not speak %r (%s): voice.commands first, then the "
                            "dialogs in the house language", lang, ", ".join(LANGS))
        engine = DialogEngine(config, lang=lang if lang in LANGS else None)
    except (ImportError, ValueError) as err:
        _LOGGER.warning("dialog engine unavailable (%s): only voice.commands are understood", err)

    def handle(text: str) -> Any:
        name = table.get(normalise(text))
        if name is not None and " " not in name:
            return Answer(intent=Intent(name, channel="voice", sender=sender, text=text,
                                        room=room))
        if engine is None:
            return Answer()
        said = name or text  # a phrase standing for a sentence of the house
        turn = engine.handle(said, channel="voice", sender=sender, now=now(), room=room)
        if carry is None or not turn.acts or turn.intent is None:
            return turn
        intent, outcome = carry(turn.intent)
        done = engine.conclude(turn, outcome)
        return Answer(reply=done.reply, intent=None, expects_answer=done.expects_answer,
                      conversation=done.conversation, carried=intent.intent)

    return handle
