"""microWakeWord (pymicro-wakeword) wake words: TFLite models shipped in the wheel."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

from assistant.errors import EngineUnavailable
from assistant.settings import VoiceSettings
from core.config import Config

FRAME = 160  # 10 ms, the feature step of the micro frontend


def cutoff(default: float, sensitivity: float) -> float:
    """The probability cutoff for a sensitivity (0.5 keeps the model's own cutoff)."""
    return min(0.99, max(0.05, default + (0.5 - sensitivity) * 0.3))


def create(voice: VoiceSettings, config: Config) -> MicroWakeWordDetector:
    """A detector running every configured model on the same features."""
    try:
        from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures, Model
    except (ImportError, OSError) as err:
        raise EngineUnavailable(f"microwakeword: pymicro-wakeword is not installed ({err}): "
                                "pip install 'pymicro-wakeword>=2,<3'") from err
    builtin = {m.value: m for m in Model}
    models = []
    for keyword in voice.microwakeword.keywords:
        try:
            if keyword in builtin:
                model = MicroWakeWord.from_builtin(builtin[keyword])
            elif Path(keyword).suffix == ".json":
                model = MicroWakeWord.from_config(Path(keyword))
            else:
                raise EngineUnavailable(f"microwakeword: unknown model {keyword!r} (built-in: "
                                        f"{', '.join(builtin)}, or a path to a model .json)")
        except (OSError, ValueError, KeyError) as err:
            raise EngineUnavailable(f"microwakeword: cannot load {keyword!r}: {err}") from err
        settings = voice.microwakeword
        model.probability_cutoff = settings.probability_cutoff \
            if settings.probability_cutoff is not None \
            else cutoff(model.probability_cutoff, voice.sensitivity)
        if settings.sliding_window is not None:
            model.sliding_window_size = settings.sliding_window
            model._probabilities = deque(maxlen=settings.sliding_window)  # sized at creation
        models.append(model)
    return MicroWakeWordDetector(models, MicroWakeWordFeatures)


class MicroWakeWordDetector:
    """Shared audio features, one streaming model per keyword."""

    name = "microwakeword"
    frame_length = FRAME

    def __init__(self, models: list[Any], features: Any) -> None:
        self._models = models
        self._features_class = features
        self._features = features()
        self.keywords = tuple(m.id for m in models)

    def process(self, frame: bytes) -> str | None:
        """The first model whose averaged probability passes its cutoff, or None."""
        heard = None
        for features in self._features.process_streaming(frame):
            for model in self._models:
                prob = model.process_streaming_prob(features)
                if heard is None and prob is not None and prob > model.probability_cutoff:
                    heard = model.id
        return heard

    def reset(self) -> None:
        """Forget the audio heard so far (after a command was taken elsewhere)."""
        self._features = self._features_class()
        for model in self._models:
            model.reset()

    def close(self) -> None:
        """Free the interpreters."""
        for model in self._models:
            model.close()
