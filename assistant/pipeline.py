"""The voice pipeline: wake word -> listen until the speaker stops -> transcript -> dialog ->
answer, with a follow-up turn (no wake word) when the house asks a question or carried out a
command people often follow ("et dans la chambre ?"), and the rest of a sentence cut by a
pause waited for instead of half of it answered. Audio in, messages out.

The pipeline takes its engines and its dialog handler as parameters, so the same code runs on
the microphone (service), on a WAV (`basecamp listen`) and in tests with any sentence list.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from assistant.arbitration import energy_db
from assistant.audio import RATE, WIDTH
from assistant.stt import Mode, Session, Transcriber, Transcription
from assistant.vad import Endpointer, IsSpeech, Limits, Outcome
from assistant.wake import Detection, Spotter
from core.messages import Message
from core.messages.dialogs import Intent
from core.messages.voice import Listening, Say, Transcript, Wake

_LOGGER = logging.getLogger(__name__)

@dataclass(frozen=True)
class Answer:
    """What the dialog made of a transcript (the dialogs' DialogTurn has the same fields)."""

    reply: str = ""
    intent: Intent | None = None
    expects_answer: bool = False
    conversation: str = ""
    carried: str = ""
    """The command already published and carried out (its reply says what was done)."""


FOLLOWED = frozenset({"HassTurnOn", "HassTurnOff", "HassClimateSetTemperature"})
"""Commands people often follow with another ("et dans la chambre ?", "plus chaud")."""
MAX_RESUMES = 2
"""Pauses mid-sentence waited through per command."""
WAKE_LAG_MS = 400
"""In a follow-up window the wake word is listened for too, and a command there ends at a
pause no shorter than this: the wake word engine tells the word about 0.3 s after it ended
(porcupine behind its AGC: 0.28 s on the tests' "computer"), and the follow-up must not take
the wake word itself for a short command first."""


def invites_follow_up(answer: Any) -> bool:
    """Whether the microphone stays open after this answer, without a wake word: the house
    asked a question, or it carried out (or published) a command people often follow."""
    if getattr(answer, "expects_answer", False):
        return True
    intent = getattr(answer, "intent", None)
    name = intent.intent if intent is not None else getattr(answer, "carried", "")
    return name in FOLLOWED


Handler = Callable[[str], Any]
"""Transcript -> an Answer-like object (reply, intent, expects_answer, conversation)."""
Emit = Callable[[Message], None]
Verdict = Callable[[bool], bool | None]
"""Asked while listening after a wake word: None while undecided (`wait` False), True to
answer, False to close the microphone without a word; with `wait` True it blocks until
decided."""
Arbitrate = Callable[[Detection, float], Verdict]
"""On a wake word (detection, loudness of the wake word in dBFS): bid against the other
satellites that heard it; returns how to learn the verdict."""
WAKE_WINDOW_S = 1.0
"""Audio before a detection whose loudness goes into the bid (the wake word itself)."""


class Phase(StrEnum):
    """What the pipeline is doing."""

    WAITING = "waiting"
    LISTENING = "listening"


@dataclass
class VoiceTurn:
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
    resumed: int = 0
    """Times the speaker paused mid-sentence and listening went on for the rest."""
    woke_at: float = 0.0
    """When the wake word was heard (perf_counter; 0 for a follow-up)."""
    arbitrated_at: float = 0.0
    """When the satellites' arbitration let this one answer (perf_counter)."""

    @property
    def arbitration_ms(self) -> float | None:
        """Wake word -> decision to answer, in ms (None without arbitration)."""
        if not self.woke_at or not self.arbitrated_at:
            return None
        return (self.arbitrated_at - self.woke_at) * 1000


class Pipeline:
    """Feed it audio chunks; it emits Wake, Listening, Transcript, Intent and Say messages."""

    def __init__(self, *, spotter: Spotter | None, transcriber: Transcriber, handler: Handler,
                 emit: Emit, is_speech: IsSpeech, limits: Limits | None = None,
                 follow_up: bool = True, follow_up_s: float = 5.0, lang: str = "",
                 on_wake: Callable[[], None] | None = None, room: str = "",
                 arbitrate: Arbitrate | None = None) -> None:
        self.spotter = spotter
        self.transcriber = transcriber
        self.handler = handler
        self.emit = emit
        self.is_speech = is_speech
        self.limits = limits or Limits()
        self.follow_up = follow_up
        self.follow_up_s = follow_up_s
        """How long the microphone stays open for a follow-up (and for the rest of a sentence
        cut by a pause) before it closes quietly."""
        self.lang = lang
        self.on_wake = on_wake
        self.room = room
        """The room this microphone is in: set on intents, where replies are spoken."""
        self.arbitrate = arbitrate
        self.turns: list[VoiceTurn] = []
        self.errors = 0
        self.yielded = 0
        """Commands left to a satellite that heard them better."""
        self._recent: collections.deque[bytes] = collections.deque()
        self._recent_bytes = 0
        self._verdict: Verdict | None = None
        self._samples = 0
        self._endpointer: Endpointer | None = None
        self._session: Session | None = None
        self._conversation = ""
        self._follow = False
        self._strict = False
        self._checked = False
        self._segment_s = 0.0
        self._heard = False
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
            self._remember(chunk)
            for detection in self.spotter.feed(chunk):
                self._wake(detection)
                return  # the rest of this chunk is at most one frame of the command
            return
        if self._wakes_in_follow_up:
            # the wake word said while a follow-up window is open is a new command like any
            # other: this room bids for it, so the other rooms that heard it stand down
            assert self.spotter is not None
            self._remember(chunk)
            for detection in self.spotter.feed(chunk):
                self._endpointer = self._session = None
                self.turns.pop()
                self.emit(Listening(False, follow_up=True, outcome="woken"))
                self._wake(detection)
                return
        self._listen(chunk)

    @property
    def _wakes_in_follow_up(self) -> bool:
        """Whether the wake word is listened for as well: in a follow-up window (no wake, so no
        arbitration pending), with a wake word engine."""
        return self._follow and self.spotter is not None

    def _wake(self, detection: Detection) -> None:
        """The wake word: bid (with several rooms), chime, listen for the command."""
        woke_at = time.perf_counter()
        self.emit(Wake(detection.keyword, detection.engine))
        if self.on_wake is not None:
            self.on_wake()
        if self.arbitrate is not None:
            self._verdict = self.arbitrate(detection, energy_db(b"".join(self._recent)))
        self._recent.clear()
        self._recent_bytes = 0
        self._open(follow_up=False)
        self.turns[-1].woke_at = woke_at

    def _remember(self, chunk: bytes) -> None:
        """Keep the last WAKE_WINDOW_S of audio (the wake word, when it is detected)."""
        self._recent.append(chunk)
        self._recent_bytes += len(chunk)
        while self._recent_bytes - len(self._recent[0]) >= WAKE_WINDOW_S * RATE * WIDTH:
            self._recent_bytes -= len(self._recent.popleft())

    def _arbitrated(self, *, wait: bool) -> bool | None:
        """Whether this satellite answers (True when there is nothing to arbitrate)."""
        if self._verdict is None:
            return True
        decided = self._verdict(wait)
        if decided is not None:
            self._verdict = None
            if decided:
                self.turns[-1].arbitrated_at = time.perf_counter()
        return decided

    def _stand_down(self) -> None:
        """Another satellite answers: close the microphone without a word."""
        self._endpointer = self._session = None
        self.phase = Phase.WAITING
        self.turns.pop()
        self._conversation = ""
        self.yielded += 1
        self.emit(Listening(False, follow_up=False, outcome="yielded"))
        if self.spotter is not None:
            self.spotter.skip(0)

    def flush(self) -> None:
        """End of the stream: finish a command that was being said."""
        if self.phase is Phase.LISTENING and self._endpointer is not None \
                and (self._heard or self._endpointer.heard_speech):
            self._close(Outcome.ENDED)

    def _open(self, *, follow_up: bool, strict: bool = False) -> None:
        """Listen for a command; `follow_up`: without a wake word, closing quietly after
        `follow_up_s` of silence; `strict`: only a house sentence is answered (after a
        command, not a question: talk in the room is not a command)."""
        self.phase = Phase.LISTENING
        self._follow = follow_up
        self._strict = strict
        self._endpointer = self._endpointer_for(follow_up)
        self._session = self.transcriber.start()
        self._checked = False
        self._heard = False
        self._segment_s = self.position_s
        self.turns.append(VoiceTurn(started_s=self.position_s))
        self.emit(Listening(True, follow_up=follow_up))

    def _endpointer_for(self, waiting: bool) -> Endpointer:
        limits = self.limits
        if waiting:
            limits = dataclasses.replace(limits, no_speech_s=self.follow_up_s)
        return Endpointer(self.is_speech, limits)

    def _resume(self) -> bool:
        """The speaker stopped mid-sentence: keep the microphone open for the rest (same
        decoding, a fresh end-of-speech detector), at most `MAX_RESUMES` times per command."""
        endpointer, session = self._endpointer, self._session
        assert endpointer is not None and session is not None
        turn = self.turns[-1]
        cut_off = getattr(session, "cut_off", None)
        if turn.resumed >= MAX_RESUMES or cut_off is None or not cut_off():
            return False
        turn.resumed += 1
        turn.speech_end_s = self._segment_s + endpointer.speech_end_s
        self._heard = True
        self._segment_s = self.position_s
        self._endpointer = self._endpointer_for(True)
        self._checked = False
        return True

    def _listen(self, chunk: bytes) -> None:
        assert self._endpointer is not None and self._session is not None
        if self._arbitrated(wait=False) is False:
            self._stand_down()
            return
        self._session.feed(chunk)
        outcome = self._endpointer.feed(chunk)
        if outcome is Outcome.LISTENING:
            outcome = self._quick_end()
        elif outcome is Outcome.ENDED and self._resume():
            return
        if outcome is not Outcome.LISTENING:
            self._close(outcome)

    def _quick_end(self) -> Outcome:
        """At the first short pause after speech, end at once if a whole sentence was said."""
        assert self._endpointer is not None and self._session is not None
        silent = self._endpointer.silent_ms
        needed = self.limits.quick_end_ms
        if self._wakes_in_follow_up:
            needed = max(needed, WAKE_LAG_MS)
        if silent < needed:
            self._checked = False  # speech again: check the next pause too
            return Outcome.LISTENING
        if self._checked:
            return Outcome.LISTENING
        self._checked = True
        return Outcome.ENDED if self._session.try_finish() is not None else Outcome.LISTENING

    def _close(self, outcome: Outcome) -> None:
        if not self._arbitrated(wait=True):
            self._stand_down()
            return
        endpointer, session = self._endpointer, self._session
        assert endpointer is not None and session is not None
        turn = self.turns[-1]
        turn.ended_at = time.perf_counter()
        turn.ended_s = self.position_s
        if endpointer.heard_speech:
            turn.speech_end_s = self._segment_s + endpointer.speech_end_s
        self._endpointer = self._session = None
        self.phase = Phase.WAITING
        if not (self._heard or endpointer.heard_speech):  # nothing said: close quietly
            self.emit(Listening(False, follow_up=self._follow, outcome=outcome.value))
            if self.spotter is not None:
                self.spotter.skip(0)
            self.turns.pop()
            self._conversation = ""
            return
        self.emit(Listening(False, follow_up=self._follow,
                            outcome=(Outcome.ENDED if self._heard else outcome).value))
        if self.spotter is not None:
            self.spotter.skip(0)
        transcription = session.finish()
        turn.decided_at = time.perf_counter()
        turn.text, turn.mode = transcription.text, transcription.mode.value
        if self._ignored(transcription):
            self.turns.pop()
            self._conversation = ""
            return
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

    def _ignored(self, transcription: Transcription) -> bool:
        """Speech in a follow-up window after a command that is no house sentence: people
        talking in the room, not to the house."""
        return self._strict and transcription.mode is not Mode.GRAMMAR

    def _answer(self, answer: Any, text: str, turn: VoiceTurn) -> None:
        intent = getattr(answer, "intent", None)
        if intent is not None:
            intent = dataclasses.replace(intent, channel=intent.channel or "voice",
                                         text=intent.text or text,
                                         room=intent.room or self.room)
            turn.intent_at = time.perf_counter()
            self.emit(intent)
        reply = getattr(answer, "reply", "")
        if reply:
            self.emit(Say(reply, lang=self.lang, rooms=[self.room] if self.room else []))
        asked = bool(getattr(answer, "expects_answer", False))
        self._conversation = (getattr(answer, "conversation", "") or "") if asked else ""
        if self.follow_up and invites_follow_up(answer):
            self._open(follow_up=True, strict=not asked)
