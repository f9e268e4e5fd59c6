"""Speech to text with faster-whisper: free transcription, then mapped to the house's sentences.

Whisper cannot be restricted to a grammar the way Vosk is, so it transcribes the whole
utterance freely in the house language (CPU, int8) and the text is then scored against every
sentence of the grammar, character by character (rapidfuzz's `ratio` on normalised text, with
numbers spelt out the way the grammar has them). The best sentence scoring at least
`WhisperSettings.min_score` is returned as a `Mode.GRAMMAR` transcription; anything else is
returned as it was heard (`Mode.FREE`), for the dialogs' own fuzzy stage to read. With
`free_first`, the transcript goes to the language stage (the dialogs' recogniser: exact, fuzzy
and partial stages) first and is mapped only when that stage finds no command in it.

Whisper is also given an initial prompt so that it expects the house's words ("chauffage", not
"sofa") without being restricted to them: the house's vocabulary (its rooms and devices by their
own names, `vocabulary_prompt`; `prompt = "vocabulary"`), or the head of the grammar (the first
sentences, every template's plain form first, up to `prompt_words` words; `"sentences"`).
Decoding uses silero's voice activity detector (shipped inside faster-whisper, offline) to cut
the silence around the command, where Whisper otherwise invents text ("je suis là. je suis
là..."); no temperature fallback, no timestamps, nothing carried between windows.

Whisper decodes a whole utterance at once: `try_finish` never ends a command early, the
pipeline's end-of-speech silence does.
"""

from __future__ import annotations

import logging
import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.errors import EngineUnavailable
from assistant.grammar import Grammar, compile_grammar, normalise
from assistant.stt import Mode, Transcription
from core.config import Config

_LOGGER = logging.getLogger(__name__)

MIN_SCORE = 80.0
"""Default `min_score` (see `WhisperSettings.min_score`)."""
PROMPT_WORDS = 120
"""Default `prompt_words` (see `WhisperSettings.prompt_words`)."""
_DIGITS = re.compile(r"\d+")
SPACES = ("text", "phonemes")
"""What the transcript is compared in (`WhisperSettings.match_on`): its letters, or its sounds
(espeak-ng's phonemes of both sides, word boundaries left out: Whisper's mishearings sound
like what was said, "enquête mort" / "en quel mode")."""
SCORERS = ("ratio", "token_sort_ratio", "token_set_ratio", "partial_ratio", "WRatio")
"""rapidfuzz scorers the transcript may be matched with (`WhisperSettings.scorer`)."""
HOUSE_WORDS = {"fr": "chauffage, température, degrés", "en": "heating, temperature, degrees"}


def vocabulary_prompt(config: Config, lang: str) -> str:
    """The house's words as an initial prompt: its rooms and devices by their own names (not
    their aliases, which may be of another language), and the heating's words."""
    rooms = ", ".join(r.name for r in getattr(config, "rooms", ()))
    devices = ", ".join(d.name for d in getattr(config, "devices", ()))
    parts = [part for part in (rooms, devices, HOUSE_WORDS.get(lang, "")) if part]
    return ". ".join(part[:1].upper() + part[1:] for part in parts) + "." if parts else ""


@lru_cache(maxsize=4)
def _speller(lang: str) -> Any:
    try:
        from unicode_rbnf import RbnfEngine
        return RbnfEngine.for_language(lang)
    except Exception:  # an unknown language, or no unicode-rbnf: digits stay digits
        return None


def spell_numbers(text: str, lang: str) -> str:
    """Digits written as words ("20 degrés" -> "vingt degrés"), as the grammar has them."""
    engine = _speller(lang)
    if engine is None or not _DIGITS.search(text):
        return text

    def words(match: re.Match[str]) -> str:
        try:
            return str(engine.format_number(int(match.group())).text)
        except Exception:  # a number the engine cannot spell
            return match.group()
    return _DIGITS.sub(words, text)


_STRESS = re.compile(r"[ˈˌ\-\s]+")


def phonemes(texts: Sequence[str], lang: str) -> list[str]:
    """espeak-ng's phonemes (IPA, stress marks and word boundaries left out) of normalised
    texts, one espeak-ng call for them all; raises EngineUnavailable without espeak-ng."""
    import subprocess
    if not texts:
        return []
    lines = [normalise(t).replace(".", " ") or "euh" for t in texts]
    try:
        done = subprocess.run(["espeak-ng", "-v", lang, "-q", "--ipa"],
                              input="".join(f"{line}.\n" for line in lines),
                              capture_output=True, text=True, check=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as err:
        raise EngineUnavailable(f"espeak-ng cannot give phonemes: {err}") from err
    out = [_STRESS.sub("", line) for line in done.stdout.splitlines() if line.strip()]
    if len(out) != len(lines):  # a text split into clauses: one call each
        return [phonemes([t], lang)[0] if len(texts) > 1 else "".join(out) for t in texts]
    return out


@lru_cache(maxsize=4)
def _phoneme_table(sentences: tuple[str, ...], lang: str) -> tuple[str, ...]:
    return tuple(phonemes(sentences, lang))


@dataclass(frozen=True)
class Scored:
    """The grammar sentence closest to a transcript."""

    sentence: str
    score: float
    """rapidfuzz ratio, 0..100."""


class SentenceMapper:
    """Scores a free transcript against every sentence of a grammar."""

    def __init__(self, grammar: Grammar, lang: str, scorer: str = "ratio",
                 space: str = "text") -> None:
        if scorer not in SCORERS:
            raise ValueError(f"unknown scorer {scorer!r}: one of {', '.join(SCORERS)}")
        if space not in SPACES:
            raise ValueError(f"unknown space {space!r}: one of {', '.join(SPACES)}")
        self.grammar = grammar
        self.lang = lang
        self.scorer = scorer
        self.space = space
        self._sentences = list(grammar.sentences)

    def prepare(self, text: str) -> str:
        """The transcript as the grammar writes: normalised, numbers in words."""
        return normalise(spell_numbers(text.replace("-", " - "), self.lang)).replace(" - ", "-")

    def best(self, text: str) -> Scored | None:
        """The closest sentence and its score, or None for an empty text or grammar."""
        from rapidfuzz import fuzz, process
        prepared = self.prepare(text)
        if not prepared or not self._sentences:
            return None
        scorer = getattr(fuzz, self.scorer)
        if self.space == "phonemes":
            table = _phoneme_table(tuple(self._sentences), self.lang)
            found = process.extractOne(phonemes([prepared], self.lang)[0], table, scorer=scorer)
            return Scored(self._sentences[found[2]], float(found[1])) if found else None
        found = process.extractOne(prepared, self._sentences, scorer=scorer)
        return Scored(found[0], float(found[1])) if found else None


class WhisperTranscriber:
    """A faster-whisper model, free transcription mapped to the house's sentences."""

    def __init__(self, model: Any, sentences: Sequence[str] | None, *, lang: str,
                 beam_size: int = 1, min_score: float = MIN_SCORE,
                 prompt_words: int = PROMPT_WORDS, vocabulary: str | None = None,
                 vad_filter: bool = True, scorer: str = "ratio", match_on: str = "text",
                 understands: Callable[[str], bool] | None = None) -> None:
        """`vocabulary`: the initial prompt (`vocabulary_prompt`); None = the head of the
        grammar, `prompt_words` long (0: no prompt). `understands`: the language stage; a
        transcript it reads as a command is passed on as heard, only the others are mapped."""
        self.model = model
        self.lang = lang
        self.beam_size = beam_size
        self.min_score = min_score
        self.prompt_words = prompt_words
        self.vocabulary = vocabulary
        self.vad_filter = vad_filter
        self.scorer = scorer
        self.understands = understands
        self.match_on = match_on
        self.prompt: str | None = None
        self.mapper: SentenceMapper | None = None
        self.set_sentences(sentences)

    @classmethod
    def from_path(cls, path: Path, sentences: Sequence[str] | None, *, lang: str,
                  beam_size: int = 1, compute_type: str = "int8", threads: int = 2,
                  min_score: float = MIN_SCORE, prompt_words: int = PROMPT_WORDS,
                  vocabulary: str | None = None, vad_filter: bool = True,
                  scorer: str = "ratio", match_on: str = "text",
                  understands: Callable[[str], bool] | None = None) -> WhisperTranscriber:
        """Load the CTranslate2 Whisper model in `path` (model.bin, config.json, ...)."""
        return cls(load(path, compute_type=compute_type, threads=threads), sentences,
                   lang=lang, beam_size=beam_size, min_score=min_score,
                   prompt_words=prompt_words, vocabulary=vocabulary, vad_filter=vad_filter,
                   scorer=scorer, match_on=match_on, understands=understands)

    @property
    def grammar(self) -> Grammar | None:
        """The sentences transcripts are mapped to (None: free transcription)."""
        return self.mapper.grammar if self.mapper is not None else None

    def set_sentences(self, sentences: Sequence[str] | None) -> None:
        """The sentences transcripts are mapped to (None: free transcription only)."""
        grammar = compile_grammar(sentences) if sentences is not None else None
        self.mapper = SentenceMapper(grammar, self.lang, self.scorer, self.match_on) \
            if grammar and grammar.sentences else None
        self.prompt = self.vocabulary or None
        if self.vocabulary is None and self.mapper is not None and self.prompt_words > 0:
            head: list[str] = []
            for sentence in self.mapper.grammar.sentences:
                if sum(len(s.split()) for s in head) >= self.prompt_words:
                    break
                head.append(sentence)
            self.prompt = ". ".join(head) + "."

    def heard(self, pcm: bytes) -> str:
        """Whisper's free transcript of 16 kHz mono 16-bit PCM."""
        import numpy as np
        if not pcm:
            return ""
        audio = np.asarray(array("h", pcm), dtype=np.float32) / 32768.0
        segments, _info = self.model.transcribe(
            audio, language=self.lang, beam_size=self.beam_size, vad_filter=self.vad_filter,
            condition_on_previous_text=False, without_timestamps=True, temperature=0.0,
            initial_prompt=self.prompt)
        return " ".join(s.text.strip() for s in segments).strip()

    def map(self, heard: str) -> Transcription:
        """A free transcript mapped to the closest house sentence, if close enough."""
        if not heard:
            return Transcription("", Mode.NONE, heard)
        if self.understands is not None and self.understands(heard):
            return Transcription(heard, Mode.FREE, heard)
        scored = self.mapper.best(heard) if self.mapper is not None else None
        if scored is not None and scored.score >= self.min_score:
            return Transcription(scored.sentence, Mode.GRAMMAR, heard,
                                 round(100 - scored.score))
        return Transcription(heard, Mode.FREE, heard)

    def transcribe(self, pcm: bytes) -> Transcription:
        """A whole utterance at once."""
        return self.map(self.heard(pcm))

    def start(self) -> WhisperSession:
        """A new utterance."""
        return WhisperSession(self)


class WhisperSession:
    """Collects an utterance; Whisper decodes it when it ends."""

    def __init__(self, owner: WhisperTranscriber) -> None:
        self.owner = owner
        self.audio = bytearray()

    def feed(self, pcm: bytes) -> None:
        """More audio."""
        self.audio += pcm

    def try_finish(self) -> Transcription | None:
        """Never early: the end-of-speech silence ends a Whisper command."""
        return None

    def finish(self) -> Transcription:
        """The transcript of the utterance."""
        return self.owner.transcribe(bytes(self.audio))


def load(path: Path, *, compute_type: str = "int8", threads: int = 2) -> Any:
    """faster-whisper's model from a folder, with a clear error when it cannot be."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as err:
        raise EngineUnavailable("faster-whisper is not installed: pip install "
                                "'basecamp[voice]'") from err
    path = Path(path)
    if not (path / "model.bin").is_file():
        raise EngineUnavailable(f"no Whisper model in {path} (model.bin missing): "
                                "`basecamp models download faster-whisper-base`")
    _LOGGER.info("loading Whisper from %s (%s, %d threads)", path, compute_type, threads)
    return WhisperModel(str(path), device="cpu", compute_type=compute_type, cpu_threads=threads)
