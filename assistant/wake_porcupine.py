"""Porcupine (pvporcupine) wake words: the offline 1.9.x line, or a current release with a key."""

from __future__ import annotations

import array
import importlib.metadata
from typing import Any

from assistant.errors import EngineUnavailable
from assistant.settings import VoiceSettings
from core.config import Config


def installed_version() -> str | None:
    """The installed pvporcupine version, or None."""
    try:
        return importlib.metadata.version("pvporcupine")
    except importlib.metadata.PackageNotFoundError:
        return None


def create(voice: VoiceSettings, config: Config) -> PorcupineDetector:
    """A Porcupine detector for the configured keywords and release line."""
    settings = voice.porcupine
    version = installed_version()
    if version is None:
        raise EngineUnavailable("porcupine: pvporcupine is not installed; for the offline "
                                "release: pip install --no-deps 'pvporcupine==1.9.5'")
    offline = version.startswith("1.")
    if settings.release == "1.9" and not offline:
        raise EngineUnavailable(f"porcupine: pvporcupine {version} is installed but "
                                "voice.porcupine.release = \"1.9\" needs the offline 1.9.x line "
                                "(pip install --no-deps 'pvporcupine==1.9.5'), or set "
                                "release = \"current\" with an access_key")
    if settings.release == "current" and offline:
        raise EngineUnavailable(f"porcupine: pvporcupine {version} is installed but "
                                "voice.porcupine.release = \"current\" needs pvporcupine >= 2 "
                                "and a Picovoice access_key")
    import pvporcupine
    keywords = list(settings.keywords)
    unknown = [k for k in keywords if k not in pvporcupine.KEYWORDS]
    if unknown:
        raise EngineUnavailable(f"porcupine: keyword(s) {', '.join(unknown)} are not built into "
                                f"pvporcupine {version} (built-in: "
                                f"{', '.join(sorted(pvporcupine.KEYWORDS))})")
    kwargs: dict[str, Any] = {"keywords": keywords,
                              "sensitivities": [voice.sensitivity] * len(keywords)}
    if not offline:
        key = config.reveal(settings.access_key) if config is not None else None
        if not key:
            raise EngineUnavailable(f"porcupine: pvporcupine {version} needs an access key "
                                    "(voice.porcupine.access_key: env or file)")
        kwargs["access_key"] = key
    try:
        engine = pvporcupine.create(**kwargs)
    except Exception as err:  # pvporcupine raises its own tree or ValueError
        raise EngineUnavailable(f"porcupine {version}: {err}") from err
    return PorcupineDetector(engine, tuple(keywords))


class PorcupineDetector:
    """One Porcupine handle detecting several keywords."""

    name = "porcupine"

    def __init__(self, engine: Any, keywords: tuple[str, ...]) -> None:
        self._engine = engine
        self.keywords = keywords
        self.frame_length: int = engine.frame_length

    def process(self, frame: bytes) -> str | None:
        """The keyword heard in this frame, or None."""
        index = self._engine.process(array.array("h", frame))
        if isinstance(index, bool):  # single-keyword releases return a bool
            index = 0 if index else -1
        return self.keywords[index] if index >= 0 else None

    def reset(self) -> None:
        """Porcupine keeps no state worth resetting between frames."""

    def close(self) -> None:
        """Free the native handle."""
        self._engine.delete()
