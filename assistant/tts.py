"""Text to speech: pyttsx3 (espeak-ng driver) to a WAV, sox effects, a cache, then playback."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import shutil
import subprocess
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

from assistant.audio import sox
from assistant.errors import AudioUnavailable, EngineUnavailable
from assistant.settings import InterphoneSettings

_LOGGER = logging.getLogger(__name__)
_PYTTSX3_LOCK = threading.Lock()  # pyttsx3 engines are process-wide and not thread-safe


@dataclass(frozen=True)
class Voice:
    """How a phrase is rendered (part of the cache key)."""

    tts: str = "pyttsx3"
    voice: str = "fr"
    rate: int = 165


def effects(settings: InterphoneSettings, radio: bool) -> list[str]:
    """The sox effect chain for an announcement (pure)."""
    chain = ["gain", "-n", "-3"]  # normalise first so volume means the same for every phrase
    if settings.contrast:
        chain += ["contrast", str(settings.contrast)]
    if radio:
        low, high = settings.radio_band_hz
        chain += ["sinc", f"{low}-{high}"]
        if settings.radio_overdrive:
            chain += ["overdrive", str(settings.radio_overdrive)]
    chain += ["vol", f"{settings.volume:g}"]
    return chain


def cache_key(text: str, voice: Voice, chain: list[str], noise: float) -> str:
    """A stable name for a rendered phrase."""
    blob = "\x1f".join([text, voice.tts, voice.voice, str(voice.rate), *chain, f"{noise:g}"])
    return hashlib.sha1(blob.encode()).hexdigest()[:20]


def synthesise(text: str, out: Path, voice: Voice) -> Path:
    """Render `text` to a WAV with pyttsx3 or the espeak-ng command.

    pyttsx3 2.99's espeak driver writes its file before appending the last audio buffer, so a
    short phrase sometimes comes out empty: then the espeak-ng command renders it instead.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    if voice.tts == "pyttsx3":
        _pyttsx3(text, out, voice)
        if _has_audio(out):
            return out
        _LOGGER.warning("pyttsx3 produced no audio for %r; using the espeak-ng command", text)
    _espeak(text, out, voice)
    if not _has_audio(out):
        raise EngineUnavailable(f"the {voice.tts} engine produced no audio for {text!r}")
    return out


def _has_audio(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 44


def _pyttsx3(text: str, out: Path, voice: Voice) -> None:
    try:
        import pyttsx3
    except ImportError as err:
        raise EngineUnavailable(f"pyttsx3 is not installed ({err}): pip install pyttsx3") \
            from err
    with _PYTTSX3_LOCK, contextlib.redirect_stdout(io.StringIO()):
        try:
            engine = pyttsx3.init("espeak")
            engine.setProperty("voice", voice.voice)
            engine.setProperty("rate", voice.rate)
            engine.save_to_file(text, str(out))
            engine.runAndWait()
        except (RuntimeError, OSError) as err:
            raise EngineUnavailable(f"pyttsx3/espeak-ng failed: {err} "
                                    "(apt-get install espeak-ng)") from err


def _espeak(text: str, out: Path, voice: Voice) -> None:
    if not shutil.which("espeak-ng"):
        raise EngineUnavailable("espeak-ng is not installed (apt-get install espeak-ng)")
    subprocess.run(["espeak-ng", "-v", voice.voice, "-s", str(voice.rate), "-w", str(out),
                    "--", text], check=True, capture_output=True)


def apply_effects(source: Path, out: Path, chain: list[str], noise: float = 0.0) -> Path:
    """Run sox on a WAV: the effect chain, then mix in low white noise when asked."""
    if not shutil.which("sox"):
        raise EngineUnavailable("sox is not installed (apt-get install sox)")
    out.parent.mkdir(parents=True, exist_ok=True)
    if noise <= 0:
        sox(str(source), str(out), *chain)
        return out
    shaped = out.with_suffix(".fx.wav")
    hiss = out.with_suffix(".noise.wav")
    sox(str(source), str(shaped), *chain)
    length = subprocess.run(["soxi", "-D", str(shaped)], check=True, capture_output=True,
                            text=True).stdout.strip()
    rate = subprocess.run(["soxi", "-r", str(shaped)], check=True, capture_output=True,
                          text=True).stdout.strip()
    sox("-n", "-r", rate, "-c", "1", "-b", "16", str(hiss), "synth", length, "whitenoise",
        "vol", f"{noise:g}")
    sox("-m", str(shaped), str(hiss), str(out))
    shaped.unlink(missing_ok=True)
    hiss.unlink(missing_ok=True)
    return out


class Renderer:
    """Renders announcements through the cache: text -> WAV with the effects applied."""

    def __init__(self, settings: InterphoneSettings, cache_dir: Path) -> None:
        self.settings = settings
        self.cache_dir = cache_dir
        self.hits = 0
        self.misses = 0

    def render(self, text: str, *, voice: str = "", radio: bool | None = None) -> Path:
        """The WAV of `text` (from the cache when it was rendered before)."""
        s = self.settings
        chosen = Voice(s.tts, voice or s.voice, s.rate)
        radio = s.radio if radio is None else radio
        chain = effects(s, radio)
        noise = s.radio_noise if radio else 0.0
        out = self.cache_dir / f"{cache_key(text, chosen, chain, noise)}.wav"
        if out.exists() and s.cache_size > 0:
            self.hits += 1
            out.touch()
            return out
        self.misses += 1
        # Work files of their own, then an atomic rename: two interphones sharing a cache (the
        # demo's rooms on one computer) may render the same phrase at the same moment.
        work = self.cache_dir / "tmp"
        work.mkdir(parents=True, exist_ok=True)
        unique = f"{out.stem}.{os.getpid()}.{threading.get_ident()}"
        raw = synthesise(text, work / f"{unique}.raw.wav", chosen)
        done = work / f"{unique}.wav"
        try:
            apply_effects(raw, done, chain, noise)
            os.replace(done, out)
        except subprocess.CalledProcessError as err:
            raise EngineUnavailable(f"sox failed: {err.stderr.decode(errors='replace')}") \
                from err
        finally:
            raw.unlink(missing_ok=True)
            done.unlink(missing_ok=True)
        self._prune(keep=out)
        return out

    def _prune(self, keep: Path) -> None:
        """Drop the oldest phrases beyond `cache_size`, never the one just rendered."""
        files = sorted((p for p in self.cache_dir.glob("*.wav") if p != keep),
                       key=lambda p: p.stat().st_mtime)
        for old in files[:max(0, len(files) + 1 - max(1, self.settings.cache_size))]:
            old.unlink(missing_ok=True)


def sound_card() -> bool:
    """Whether ALSA sees a playback card."""
    cards = Path("/proc/asound/cards")
    try:
        return cards.exists() and "no soundcards" not in cards.read_text()
    except OSError:
        return False


def play(path: Path, output: str) -> str:
    """Play a WAV on the loudspeaker; returns how ("aplay", "sounddevice" or "wav" = not played).

    Raises AudioUnavailable when the configured output cannot play.
    """
    if output == "wav" or (output == "auto" and not (sound_card() and shutil.which("aplay"))):
        return "wav"
    if output in ("auto", "aplay"):
        if not shutil.which("aplay"):
            raise AudioUnavailable("no audio output: aplay is not installed (alsa-utils)")
        done = subprocess.run(["aplay", "-q", str(path)], capture_output=True, text=True)
        if done.returncode:
            raise AudioUnavailable(f"no audio output: aplay: {done.stderr.strip()}")
        return "aplay"
    try:
        import numpy
        import sounddevice
    except (ImportError, OSError) as err:
        raise AudioUnavailable(f"no audio output: sounddevice unavailable ({err})") from err
    try:
        with wave.open(str(path), "rb") as wav:
            rate = wav.getframerate()
            data = numpy.frombuffer(wav.readframes(wav.getnframes()), dtype=numpy.int16)
        sounddevice.play(data, rate, blocking=True)
    except Exception as err:  # PortAudioError and friends
        raise AudioUnavailable(f"no audio output: {err}") from err
    return "sounddevice"
