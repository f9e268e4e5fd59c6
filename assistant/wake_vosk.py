"""Vosk keyword spotting: a recogniser restricted to the wake phrase(s) plus the unknown word."""

from __future__ import annotations

import json
from typing import Any

from assistant import vosk_model
from assistant.audio import RATE
from assistant.errors import EngineUnavailable
from assistant.settings import VoiceSettings
from core.config import Config

FRAME = 1600  # 100 ms: Kaldi decodes larger blocks far more cheaply


def create(voice: VoiceSettings, config: Config) -> VoskWakeDetector:
    """A keyword spotter on the configured Vosk model."""
    vosk = vosk_model.import_vosk()
    path = vosk_model.check_model(vosk_model.model_path(voice.model_dir, config))
    words = vosk_model.vocabulary(path)
    keywords = tuple(k.lower() for k in voice.vosk.keywords)
    missing = sorted({w for k in keywords for w in k.split()} - words) if words else []
    if missing:
        raise EngineUnavailable(f"vosk wake: word(s) {', '.join(missing)} are not in the "
                                f"vocabulary of the model at {path}")
    unknown = vosk_model.unknown_token(words) if words else "[unk]"
    return VoskWakeDetector(vosk, vosk_model.load(path), keywords, unknown, voice.sensitivity)


class VoskWakeDetector:
    """Detects a keyword as soon as it shows in the partial result (stable over two updates
    unless the sensitivity is high)."""

    name = "vosk"
    frame_length = FRAME

    def __init__(self, vosk: Any, model: Any, keywords: tuple[str, ...], unknown: str | None,
                 sensitivity: float) -> None:
        self._vosk = vosk
        self._model = model
        self.keywords = keywords
        self._grammar = json.dumps([*keywords, *([unknown] if unknown else [])],
                                   ensure_ascii=False)
        self._confirm = 1 if sensitivity >= 0.7 else 2
        self._seen: dict[str, int] = {}
        self._rec = self._recogniser()

    def _recogniser(self) -> Any:
        return self._vosk.KaldiRecognizer(self._model, RATE, self._grammar)

    def process(self, frame: bytes) -> str | None:
        """The keyword found in the decoding so far, or None."""
        final = self._rec.AcceptWaveform(frame)
        text = json.loads(self._rec.Result() if final else self._rec.PartialResult())
        heard = f" {text.get('text') or text.get('partial') or ''} "
        found = next((k for k in self.keywords if f" {k} " in heard), None)
        if found is None:
            self._seen.clear()
            return None
        self._seen[found] = self._seen.get(found, 0) + 1
        if final or self._seen[found] >= self._confirm:
            self.reset()
            return found
        return None

    def reset(self) -> None:
        """Start a fresh decoding."""
        self._seen.clear()
        self._rec = self._recogniser()

    def close(self) -> None:
        """The model is shared (cached); nothing of our own to free."""
