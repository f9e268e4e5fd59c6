"""Speech to text with Vosk, restricted to the house grammar, with a free-dictation fallback.

Decoding is repeatable: every utterance starts from libc's `rand()` seeded the same way
(`vosk_model.repeatable`; Kaldi dithers the audio with it) and from a grammar recogniser of its
own (10 ms for 2 000 sentences). Before, the same audio could be heard differently depending on
what the process had decoded before it (a Wyoming client's words on the clients served before
it, a replay at a pause on the first pass). The free-dictation recogniser is reused (a new one
costs about a second on the Korean model) and reset."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from assistant import vosk_model
from assistant.audio import RATE
from assistant.grammar import UNKNOWN_WORDS, Grammar, Match, compile_grammar, normalise, snap

_LOGGER = logging.getLogger(__name__)

ALTERNATIVES = 8
BLOCK = 8000  # bytes fed to Kaldi at once when transcribing a whole utterance (250 ms)
EARLY_CHECKS = 3
"""Pauses checked for a whole sentence per utterance (each "no" replays the audio so far)."""


class Mode(StrEnum):
    """Which decoding produced a transcript."""

    GRAMMAR = "grammar"
    FREE = "free"
    NONE = "none"


@dataclass(frozen=True)
class Transcription:
    """What was understood: the snapped sentence (grammar) or the dictated text (free)."""

    text: str
    mode: Mode
    heard: str = ""
    """The decoder's raw best text."""
    distance: int = 0
    """Word edits between `heard` and `text` (grammar mode)."""


class Session(Protocol):
    """One utterance being decoded as it arrives.

    A session may also have `cut_off() -> bool` (the speech so far is the beginning of a
    house sentence, not a whole one): the pipeline then waits for the rest of a sentence
    cut by a pause instead of answering half of it.
    """

    def feed(self, pcm: bytes) -> None: ...

    def try_finish(self) -> Transcription | None: ...

    def finish(self) -> Transcription: ...


class Transcriber(Protocol):
    """A speech recogniser: open a streaming session per utterance."""

    def start(self) -> Session: ...


def _texts(result: str) -> list[str]:
    data = json.loads(result)
    if "alternatives" in data:
        return [a.get("text", "") for a in data["alternatives"]]
    return [data.get("text", "")]


class VoskTranscriber:
    """A Vosk model with a grammar (a recogniser per utterance) and a lazy free-dictation
    recogniser (reused)."""

    def __init__(self, model: Any, grammar: Grammar | None, *, free_fallback: bool = True) -> None:
        self._vosk = vosk_model.import_vosk()
        self.model = model
        self.free_fallback = free_fallback
        self.grammar: Grammar | None = None
        self._grammar_json = ""
        self._free: Any = None
        self.set_grammar(grammar)

    @classmethod
    def from_path(cls, path: Path, sentences: list[str] | None, *, free_fallback: bool = True,
                  limit: int | None = None) -> VoskTranscriber:
        """Load the model at `path` and restrict it to `sentences` (None: free dictation)."""
        model = vosk_model.load(vosk_model.check_model(path))
        grammar = None
        if sentences is not None:
            words = vosk_model.vocabulary(path)
            grammar = compile_grammar(sentences, words, limit=limit,
                                      unknown=vosk_model.unknown_token(words) if words
                                      else "[unk]")
        return cls(model, grammar, free_fallback=free_fallback)

    def set_grammar(self, grammar: Grammar | None) -> None:
        """Switch to a new grammar (e.g. after a config change)."""
        self.grammar = grammar if grammar is not None and grammar.sentences else None
        if grammar is not None and grammar.dropped:
            _LOGGER.info("grammar: %d sentences, %d left out (words unknown to the model: %s)",
                         len(grammar.sentences), len(grammar.dropped),
                         ", ".join(sorted(grammar.oov)[:20]))
        self._grammar_json = ""
        if self.grammar is not None:
            self.grammar.is_complete("")  # build the lookup now, not in the audio thread
            self._grammar_json = self.grammar.to_json()

    def recogniser(self) -> Any:
        """A recogniser for one utterance, in its first state: the grammar's, made now, or
        the free one."""
        if self.grammar is None:
            return self.free_recogniser()
        vosk_model.repeatable()
        rec = self._vosk.KaldiRecognizer(self.model, RATE, self._grammar_json)
        rec.SetMaxAlternatives(ALTERNATIVES)
        return rec

    def free_recogniser(self) -> Any:
        """The unrestricted recogniser (created on first use), reset for a new utterance."""
        if self._free is None:
            self._free = self._vosk.KaldiRecognizer(self.model, RATE)
        self._free.Reset()
        vosk_model.repeatable()
        return self._free

    def start(self) -> VoskSession:
        """A new utterance."""
        return VoskSession(self)

    def transcribe(self, pcm: bytes) -> Transcription:
        """A whole utterance at once."""
        session = self.start()
        for i in range(0, len(pcm), BLOCK):
            session.feed(pcm[i:i + BLOCK])
        return session.finish()


class VoskSession:
    """Streams audio into the grammar recogniser, keeping it for a free re-decode."""

    def __init__(self, owner: VoskTranscriber) -> None:
        self.owner = owner
        self.audio = bytearray()
        self._rec = owner.recogniser()
        self._finals: list[str] = []
        self._done: Transcription | None = None
        self.early_checks = 0
        self.replayed_s = 0.0

    def feed(self, pcm: bytes) -> None:
        """Decode more audio."""
        self.audio += pcm
        self._decode(pcm)

    def _decode(self, pcm: bytes) -> None:
        if self._rec.AcceptWaveform(pcm):
            self._finals.append(_texts(self._rec.Result())[0])

    def _final_texts(self) -> list[str]:
        texts = _texts(self._rec.FinalResult())
        if self._finals:  # Kaldi found an endpoint inside the command: join the pieces
            texts = [" ".join([*self._finals, t]).strip() for t in texts]
        return texts

    def try_finish(self) -> Transcription | None:
        """At a pause: the transcript if the decoding so far snaps to a whole house sentence
        and nothing the speaker could add would make a longer one; else None, and decoding
        goes on where it was.

        Kaldi's final decoding cannot be undone, so a "no" replays the audio heard so far
        into a new recogniser (same result, paid only when the speaker has not finished).
        """
        grammar = self.owner.grammar
        if grammar is None or self._done is not None or self.early_checks >= EARLY_CHECKS:
            return self._done
        self.early_checks += 1
        texts = self._final_texts()
        match = snap(texts, grammar)
        if match is not None and grammar.is_complete(match.sentence) \
                and not grammar.continues(match.heard):
            self._done = Transcription(match.sentence, Mode.GRAMMAR, texts[0], match.distance)
            return self._done
        self._rec = self.owner.recogniser()
        self._finals = []
        for i in range(0, len(self.audio), BLOCK):
            self._decode(bytes(self.audio[i:i + BLOCK]))
        self.replayed_s += len(self.audio) / (2 * RATE)
        return None

    def cut_off(self) -> bool:
        """Whether the decoding so far is the beginning of a house sentence but not a whole
        one (the speaker paused mid-sentence)."""
        grammar = self.owner.grammar
        if grammar is None or self._done is not None:
            return False
        partial = json.loads(self._rec.PartialResult()).get("partial", "")
        said = " ".join([*self._finals, partial]).split()
        text = normalise(" ".join(w for w in said if w not in UNKNOWN_WORDS))
        return bool(text) and grammar.cut_off(text)

    def partial(self) -> Match | None:
        """The grammar sentence the decoding matches so far, exactly, if any."""
        grammar = self.owner.grammar
        if grammar is None or self._finals:
            return None
        text = json.loads(self._rec.PartialResult()).get("partial", "")
        match = snap([text], grammar, tolerance=0.0) if text else None
        return match if match is not None and match.distance == 0 else None

    def finish(self) -> Transcription:
        """The transcript of the utterance."""
        if self._done is not None:
            return self._done
        texts = self._final_texts()
        grammar = self.owner.grammar
        if grammar is None:
            return Transcription(texts[0], Mode.FREE if texts[0] else Mode.NONE, texts[0])
        match = snap(texts, grammar)
        if match is not None:
            return Transcription(match.sentence, Mode.GRAMMAR, texts[0], match.distance)
        if self.owner.free_fallback:
            free = self.owner.free_recogniser()
            free.AcceptWaveform(bytes(self.audio))
            text = _texts(free.FinalResult())[0]
            return Transcription(text, Mode.FREE if text else Mode.NONE, text)
        return Transcription("", Mode.NONE, texts[0])
