"""The voice pipeline: wake word -> listen until the speaker stops -> transcript -> dialog ->
answer, with a follow-up turn when the house asks a question. Audio in, messages out.

The pipeline takes its engines and its dialog handler as parameters, so the same code runs on
the microphone (service), on a WAV (`basecamp listen`) and in tests with any sentence list.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from assistant.audio import RATE, WIDTH
from assistant.stt import Mode, Session, Transcriber
from assistant.vad import Endpointer, IsSpeech, Limits, Outcome
from assistant.wake import Spotter
from core.messages import Message
from core.messages.dialogs import Intent
from core.messages.voice import Listening, Say, Transcript, Wake

_LOGGER = logging.getLogger(__name__)

@dataclass(frozen=True)
class Answer:
    """What the dialog made of a transcript (the dialogs' Turn has the same fields)."""

    reply: str = ""
    intent: Intent | None = None
    expects_answer: bool = False
    conversation: str = ""
    carried: str = ""
    """The command already published and carried out (its reply says what was done)."""


Handler = Callable[[str], Any]
"""Transcript -> an Answer-like object (reply, intent, expects_answer, conversation)."""
Emit = Callable[[Message], None]


class Phase(StrEnum):
    """What the pipeline is doing."""

    WAITING = "waiting"
    LISTENING = "listening"


@dataclass
class Turn:
    """Timing of one command, in audio seconds and wall-clock (perf_counter) seconds."""

    started_s: float
    speech_end_s: float = 0.0
    ended_s: float = 0.0
    """Audio time when the end of speech was decided."""
    ended_at: float = 0.0
    """When the end of speech was decided (perf_counter)."""
    decided_at: float = 0.0
    intent_at: float = 0.0
    text: str = ""
    mode: str = ""


class Pipeline:
    """Feed it audio chunks; it emits Wake, Listening, Transcript, Intent and Say messages."""

    def __init__(self, *, spotter: Spotter | None, transcriber: Transcriber, handler: Handler,
                 emit: Emit, is_speech: IsSpeech, limits: Limits | None = None,
                 follow_up: bool = True, lang: str = "",
                 on_wake: Callable[[], None] | None = None) -> None:
        self.spotter = spotter
        self.transcriber = transcriber
        self.handler = handler
        self.emit = emit
        self.is_speech = is_speech
        self.limits = limits or Limits()
        self.follow_up = follow_up
        self.lang = lang
        self.on_wake = on_wake
        self.turns: list[Turn] = []
        self.errors = 0
        self._samples = 0
        self._endpointer: Endpointer | None = None
        self._session: Session | None = None
        self._conversation = ""
        self._follow = False
        self._checked = False
        self.phase = Phase.WAITING
        self._speaking_until: float | None = None
        """While the house speaks: audio time at which to give up waiting for its end."""
        self._muted_until = 0.0
        self._muted = False
        self.muted_s = 0.0
        """Audio heard while muted (the house's own voice and its echo)."""
        if spotter is None:  # push-to-talk / a file holding only the command
            self._open(follow_up=False)

    @property
    def position_s(self) -> float:
        """Seconds of audio received."""
        return self._samples / RATE

    def speaking(self, active: bool, *, tail_s: float = 0.0, max_s: float = 60.0) -> None:
        """The house's own voice on this machine's loudspeaker: from `speaking(True)` until
        `speaking(False)` plus `tail_s` of audio (its echo), the wake word and speech to text
        hear nothing; `max_s` bounds a start whose end never comes. Any thread."""
        if active:
            self._speaking_until = self.position_s + max_s
        else:
            self._speaking_until = None
            self._muted_until = max(self._muted_until, self.position_s + tail_s)

    @property
    def muted(self) -> bool:
        """Whether the house is hearing itself."""
        until = self._speaking_until
        return (until is not None and self.position_s < until) \
            or self.position_s < self._muted_until

    def feed(self, chunk: bytes) -> None:
        """Process a chunk of 16 kHz mono 16-bit PCM."""
        samples = len(chunk) // WIDTH
        self._samples += samples
        if self.muted:
            self.muted_s += samples / RATE
            if self.spotter is not None:  # keeps the audio clock, forgets what it heard
                self.spotter.skip(samples, reset=not self._muted)
            self._muted = True
            return  # while listening: the endpointer's clock waits for the house to stop
        self._muted = False
        if self.phase is Phase.WAITING:
            if self.spotter is None:
                return
            for detection in self.spotter.feed(chunk):
                self.emit(Wake(detection.keyword, detection.engine))
                if self.on_wake is not None:
                    self.on_wake()
                self._open(follow_up=False)
                return  # the rest of this chunk is at most one frame of the command
            return
        self._listen(chunk)

    def flush(self) -> None:
        """End of the stream: finish a command that was being said."""
        if self.phase is Phase.LISTENING and self._endpointer is not None \
                and self._endpointer.heard_speech:
            self._close(Outcome.ENDED)

    def _open(self, *, follow_up: bool) -> None:
        self.phase = Phase.LISTENING
        self._follow = follow_up
        self._endpointer = Endpointer(self.is_speech, self.limits)
        self._session = self.transcriber.start()
        self._checked = False
        self.turns.append(Turn(started_s=self.position_s))
        self.emit(Listening(True, follow_up=follow_up))

    def _listen(self, chunk: bytes) -> None:
        assert self._endpointer is not None and self._session is not None
        self._session.feed(chunk)
        outcome = self._endpointer.feed(chunk)
        if outcome is Outcome.LISTENING:
            outcome = self._quick_end()
        if outcome is not Outcome.LISTENING:
            self._close(outcome)

    def _quick_end(self) -> Outcome:
        """At the first short pause after speech, end at once if a whole sentence was said."""
        assert self._endpointer is not None and self._session is not None
        silent = self._endpointer.silent_ms
        if silent < self.limits.quick_end_ms:
            self._checked = False  # speech again: check the next pause too
            return Outcome.LISTENING
        if self._checked:
            return Outcome.LISTENING
        self._checked = True
        return Outcome.ENDED if self._session.try_finish() is not None else Outcome.LISTENING

    def _close(self, outcome: Outcome) -> None:
        endpointer, session = self._endpointer, self._session
        assert endpointer is not None and session is not None
        turn = self.turns[-1]
        turn.ended_at = time.perf_counter()
        turn.ended_s = self.position_s
        turn.speech_end_s = turn.started_s + endpointer.speech_end_s
        self._endpointer = self._session = None
        self.phase = Phase.WAITING
        self.emit(Listening(False, follow_up=self._follow, outcome=outcome.value))
        if self.spotter is not None:
            self.spotter.skip(0)
        if not endpointer.heard_speech:
            self.turns.pop()
            self._conversation = ""
            return
        transcription = session.finish()
        turn.decided_at = time.perf_counter()
        turn.text, turn.mode = transcription.text, transcription.mode.value
        if transcription.mode is Mode.NONE:
            self.emit(Transcript("", self._conversation))
            return
        self.emit(Transcript(transcription.text, self._conversation))
        try:
            answer = self.handler(transcription.text)
        except Exception:  # one bad turn must not stop the assistant
            self.errors += 1
            _LOGGER.exception("dialog handler failed on %r", transcription.text)
            return
        self._answer(answer, transcription.text, turn)

    def _answer(self, answer: Any, text: str, turn: Turn) -> None:
        intent = getattr(answer, "intent", None)
        if intent is not None:
            intent = dataclasses.replace(intent, channel=intent.channel or "voice",
                                         text=intent.text or text)
            turn.intent_at = time.perf_counter()
            self.emit(intent)
        reply = getattr(answer, "reply", "")
        if reply:
            self.emit(Say(reply, lang=self.lang))
        self._conversation = getattr(answer, "conversation", "") or ""
        if getattr(answer, "expects_answer", False) and self.follow_up:
            self._open(follow_up=True)
        else:
            self._conversation = ""
