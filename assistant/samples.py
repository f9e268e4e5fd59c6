"""Synthesised speech for tests, benchmarks and demos: espeak-ng voices at 16 kHz mono."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from assistant.audio import RAW, read_pcm, silence, sox, write_wav
from assistant.errors import EngineUnavailable


def available() -> bool:
    """Whether espeak-ng and sox are installed."""
    return bool(shutil.which("espeak-ng") and shutil.which("sox"))


def speak(text: str, voice: str = "en-us", *, speed: int = 160, pitch: int = 50,
          env: Mapping[str, str] | None = None) -> bytes:
    """`text` spoken by espeak-ng (run under `env` when given: e.g. where it finds MBROLA's
    voices), as 16 kHz mono 16-bit PCM."""
    if not available():
        raise EngineUnavailable("espeak-ng and sox are needed (apt-get install espeak-ng sox)")
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch),
                          "--stdout", "--", text], capture_output=True, check=True,
                         env=env).stdout
    return sox("-t", "wav", "-", *RAW, "-", pcm=wav)


def utterance(*parts: str | float, voice: str = "en-us", speed: int = 160,
              pitch: int = 50) -> bytes:
    """Speech and pauses in a row: strings are spoken, numbers are seconds of silence."""
    return b"".join(silence(p) if isinstance(p, (int, float))
                    else speak(p, voice, speed=speed, pitch=pitch) for p in parts)


def cached_wav(folder: Path, *parts: str | float, voice: str = "en-us", speed: int = 160,
               pitch: int = 50) -> Path:
    """`utterance(...)` written once to a WAV in `folder` (named by its content)."""
    key = hashlib.sha1(repr((parts, voice, speed, pitch)).encode()).hexdigest()[:16]
    path = folder / f"{key}.wav"
    if not path.exists():
        write_wav(path, utterance(*parts, voice=voice, speed=speed, pitch=pitch))
    return path


def load(path: Path) -> bytes:
    """A WAV's samples at 16 kHz."""
    return read_pcm(path)
