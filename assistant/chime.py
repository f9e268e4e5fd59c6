"""The chime the house plays when it starts listening: two short rising tones made by sox,
rendered once, played through the interphone's output path (aplay, sounddevice, or only a
WAV written where the interphone writes its announcements)."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from assistant.audio import RATE, sox
from assistant.errors import AssistantError, EngineUnavailable
from assistant.tts import play

_LOGGER = logging.getLogger(__name__)

TONES = ((0.09, 880), (0.14, 1320))
"""(seconds, Hz): A5 then E6, a rising fifth."""
NAME = "chime.wav"
KEEP = 20
"""Chimes kept in the output folder."""


def render(path: Path) -> Path:
    """Make the chime WAV (16 kHz mono, about 0.25 s, faded, at -12 dBFS) unless it exists.
    The satellites of one machine share the cache: each renders in a folder of its own and
    renames the result into place atomically, so two rendering at once both get a whole file."""
    if path.exists() and path.stat().st_size > 44:
        return path
    if not shutil.which("sox"):
        raise EngineUnavailable("sox is not installed (apt-get install sox): no chime")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".chime-", dir=path.parent) as own:
        parts: list[str] = []
        try:
            for i, (seconds, hz) in enumerate(TONES):
                part = str(Path(own) / f"{i}.wav")
                sox("-n", "-r", str(RATE), "-c", "1", "-b", "16", part, "synth", f"{seconds}",
                    "sine", str(hz), "fade", "h", "0.005", f"{seconds}", "0.04")
                parts.append(part)
            tmp = Path(own) / NAME
            sox(*parts, str(tmp), "gain", "-n", "-12", "pad", "0", "0.02")
        except subprocess.CalledProcessError as err:
            raise AssistantError(f"sox could not make the chime: "
                                 f"{err.stderr.decode(errors='replace').strip()}") from err
        tmp.replace(path)
    return path


class Chime:
    """Plays the chime without holding up the audio thread; each play is also written to
    `out_dir` (as the interphone writes its announcements), so it can be checked."""

    def __init__(self, cache_dir: Path, out_dir: Path, output: str,
                 now: Callable[[], datetime] | None = None) -> None:
        self.wav = render(cache_dir / NAME)
        self.out_dir = out_dir
        self.output = output
        self.now = now or (lambda: datetime.now().astimezone())
        self.played: list[Path] = []
        self._lock = threading.Lock()

    def play(self) -> None:
        """Start the chime (returns at once)."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            out = self.out_dir / f"{self.now():%Y%m%d-%H%M%S}-chime-{len(self.played):05d}.wav"
            shutil.copyfile(self.wav, out)
            self.played.append(out)
            for old in sorted(self.out_dir.glob("*-chime-*.wav"))[:-KEEP]:
                old.unlink(missing_ok=True)
        threading.Thread(target=self._play, args=(out,), name="chime", daemon=True).start()

    def _play(self, path: Path) -> None:
        try:
            play(path, self.output)
        except AssistantError as err:
            _LOGGER.warning("chime not played: %s", err)
