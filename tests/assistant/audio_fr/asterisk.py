"""Real human French: Debian's asterisk-core-sounds-fr prompts (one speaker, CC-BY-SA).

The transcript (`core-sounds-fr.txt.gz`) comes with `asterisk-core-sounds-fr`, the recordings
with `asterisk-core-sounds-fr-wav` (8 kHz; `-gsm` as a fallback). They are taken from the
installed system when present, else fetched with `apt-get download` and unpacked with
`dpkg-deb -x` into the cache folder (no root needed, nothing installed). Each prompt is
converted once by sox to 16 kHz mono 16-bit WAV and kept in the cache.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "asterisk-core-sounds-fr"
AUDIO_PACKAGES = ("asterisk-core-sounds-fr-wav", "asterisk-core-sounds-fr-gsm")
"""Packages holding the recordings, in order of preference."""
TRANSCRIPT = Path("usr/share/doc/asterisk-core-sounds-fr/core-sounds-fr.txt.gz")
SOUNDS = Path("usr/share/asterisk/sounds")
EXTENSIONS = (".wav", ".gsm")
RATE = 16000

_NOISE = re.compile(r"[\[(][^\])]*[\])]")


class AudioSetError(RuntimeError):
    """The French audio could not be obtained or converted (the message says what to do)."""


@dataclass(frozen=True)
class Prompt:
    """One recorded prompt: its name (e.g. "vm-goodbye", "digits/1"), transcript, 16 kHz WAV."""

    name: str
    text: str
    wav: Path


def is_noise(text: str) -> bool:
    """Whether a transcript is no speech: empty or only bracketed sounds ("[ascending tones]",
    "(beep)")."""
    return not _NOISE.sub("", text).strip(" .,;:!?-")


def parse_transcripts(text: str) -> dict[str, str]:
    """`name: transcript` lines (comments start with ';'), noise-only entries left out."""
    entries: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(";") or ":" not in line:
            continue
        name, _, said = line.partition(":")
        name, said = name.strip(), said.strip()
        if name and not is_noise(said):
            entries[name] = said
    return entries


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> None:
    try:
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise AudioSetError(f"{what}: {cmd[0]} is not installed ({exc})") from exc
    except subprocess.CalledProcessError as exc:
        err = (exc.stderr or exc.stdout or "").strip()
        hint = ""
        if "Unable to locate package" in err or "no package lists" in err.lower() \
                or "has no installation candidate" in err:
            hint = " — the package lists are missing or stale: run `apt-get update` first"
        raise AudioSetError(f"{what} failed (exit {exc.returncode}): {' '.join(cmd)}\n"
                            f"{err[-2000:]}{hint}") from exc


def _sounds_dir(root: Path) -> Path | None:
    """The French sounds folder under `root` (holding the prompts' files), if any."""
    base = root / SOUNDS
    if not base.is_dir():
        return None
    for folder in sorted(base.iterdir()):
        if folder.name.startswith("fr") and folder.is_dir() and any(
                p.suffix in EXTENSIONS for p in folder.iterdir()):
            return folder
    return None


def unpack(debs: Path, root: Path) -> None:
    """Unpack every package in `debs` into `root` (`dpkg-deb -x`, nothing installed), whole or
    not at all: into a staging folder renamed into place."""
    staging = root.with_name(root.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    for deb in sorted(debs.glob("*.deb")):
        _run(["dpkg-deb", "-x", str(deb), str(staging)], f"unpacking {deb.name}")
    shutil.rmtree(root, ignore_errors=True)
    staging.rename(root)


def _download(cache: Path) -> Path:
    """Fetch and unpack the packages into `cache/root` (once); return that root."""
    root = cache / "root"
    if (root / TRANSCRIPT).is_file() and _sounds_dir(root) is not None:
        return root
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise AudioSetError(f"{PACKAGE} is not installed and apt-get/dpkg-deb are missing to "
                            "fetch it")
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    last: AudioSetError | None = None
    for audio in AUDIO_PACKAGES:
        try:
            _run(["apt-get", "download", "-q", PACKAGE, audio], f"apt-get download {audio}",
                 cwd=debs)
            break
        except AudioSetError as exc:
            last = exc
    else:
        assert last is not None
        raise last
    unpack(debs, root)
    if not (root / TRANSCRIPT).is_file() or _sounds_dir(root) is None:
        raise AudioSetError(f"the unpacked packages in {debs} hold no transcript or sounds")
    return root


def source(cache: Path) -> tuple[Path, Path]:
    """The transcript file and the sounds folder: from the system, else downloaded."""
    system = Path("/")
    if (system / TRANSCRIPT).is_file() and _sounds_dir(system) is not None:
        root = system
    else:
        root = _download(cache)
    sounds = _sounds_dir(root)
    assert sounds is not None
    return root / TRANSCRIPT, sounds


def _convert(src: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.wav")
    _run(["sox", "-R", str(src), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
          str(tmp)], f"converting {src.name}")
    tmp.replace(out)


def prompts(cache: Path, select: Callable[[str, str], bool] | None = None) -> list[Prompt]:
    """Every spoken prompt with a transcript, as 16 kHz mono 16-bit WAVs under `cache/wav`
    (converted once), sorted by name; `select(name, text)` keeps only some (converting only
    those)."""
    cache = Path(cache)
    transcript, sounds = source(cache)
    entries = parse_transcripts(gzip.decompress(transcript.read_bytes()).decode("utf-8"))
    found: list[Prompt] = []
    for name, text in sorted(entries.items()):
        if select is not None and not select(name, text):
            continue
        src = next((sounds / f"{name}{ext}" for ext in EXTENSIONS
                    if (sounds / f"{name}{ext}").is_file()), None)
        if src is None:
            continue
        out = cache / "wav" / f"{name.replace('/', '__')}.wav"
        if not out.exists():
            _convert(src, out)
        found.append(Prompt(name, text, out))
    if not found:
        raise AudioSetError(f"no prompt of {transcript} has a recording in {sounds}")
    return found
