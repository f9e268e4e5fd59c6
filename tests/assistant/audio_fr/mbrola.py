"""MBROLA's French diphone voices for espeak-ng (`mb-fr1` … `mb-fr7`): recorded French
diphones, far closer to a human voice than espeak-ng's own formant synthesis, which Whisper
base does not hear ("allume la lumière du plafond" → "A l'une à l'une, il y a plus
d'affours"; through `mb-fr1`: "Allume la lumière du plafond.").

Debian ships the voices in non-free (`mbrola-fr1` … `mbrola-fr7`) and the `mbrola` program in
contrib, which a machine's apt sources often leave out. Installed ones are used as they are
(`/usr/share/mbrola/frN`, `mbrola` on the PATH); otherwise the packages are fetched from the
machine's own Debian mirror through a package list of their own (`apt-get update` and
`apt-get download` with private `Dir::` options: the system's sources, lists and caches are
not touched, nothing is installed) and unpacked with `dpkg-deb -x` into the cache folder;
espeak-ng then finds them through `ESPEAK_DATA_PATH` (a private `espeak-ng-data` made of links
to the system's, plus `mbrola/`) and the PATH.

The voices' licence allows non-commercial, non-military use: they make test and benchmark
audio only, and the product never ships or speaks with them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.assistant.audio_fr.asterisk import AudioSetError, unpack

VOICES = tuple(f"mb-fr{n}" for n in range(1, 8))
"""espeak-ng's names of the French MBROLA voices (fr5 and fr7 are Belgian)."""
SYSTEM_VOICES = Path("/usr/share/mbrola")
MIRROR = "http://deb.debian.org/debian"
"""The mirror when the system's sources name none."""
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")


def _database(voice: str) -> str:
    """"mb-fr4" -> "fr4" (the diphone database's name)."""
    return voice.removeprefix("mb-")


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> str:
    try:
        return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout
    except FileNotFoundError as exc:
        raise AudioSetError(f"{what}: {cmd[0]} is not installed") from exc
    except subprocess.CalledProcessError as exc:
        err = (exc.stderr or exc.stdout or "").strip()[-2000:]
        raise AudioSetError(f"{what} failed (exit {exc.returncode}): {' '.join(cmd)}\n{err}"
                            ) from exc


def espeak_data() -> Path:
    """The system's espeak-ng-data folder (as `espeak-ng --version` reports it)."""
    out = _run(["espeak-ng", "--version"], "espeak-ng --version")
    found = re.search(r"Data at:\s*(\S+)", out)
    if found is None or not Path(found.group(1)).is_dir():
        raise AudioSetError(f"espeak-ng does not say where its data is: {out.strip()!r}")
    return Path(found.group(1))


def mirror(sources: Sequence[Path] = (Path("/etc/apt/sources.list"),
                                      Path("/etc/apt/sources.list.d"))) -> tuple[str, str]:
    """(mirror URI, release codename) of the system's Debian sources."""
    codename = ""
    release = Path("/etc/os-release")
    if release.is_file():
        found = re.search(r"^VERSION_CODENAME=(\S+)", release.read_text(), re.M)
        codename = found.group(1).strip('"') if found else ""
    if not codename:
        raise AudioSetError("no VERSION_CODENAME in /etc/os-release: not a Debian release")
    files: list[Path] = []
    for source in sources:
        files += sorted(source.glob("*")) if source.is_dir() else [source]
    for file in files:
        try:
            text = file.read_text()
        except OSError:
            continue
        for uri in re.findall(r"^URIs:\s*(\S+)", text, re.M) \
                + re.findall(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+" + codename + r"\s", text, re.M):
            if "security" not in uri and "snapshot" not in uri:
                return uri.rstrip("/"), codename
    return MIRROR, codename


def _installed(voices: Sequence[str]) -> bool:
    return shutil.which("mbrola") is not None and all(
        (SYSTEM_VOICES / _database(v) / _database(v)).is_file()
        or (SYSTEM_VOICES / _database(v)).is_file() for v in voices)


def _fetch(cache: Path, voices: Sequence[str]) -> Path:
    """Download and unpack `mbrola` and the voices into `cache/root` (once); that root."""
    root = cache / "root"
    if (root / "usr/bin/mbrola").is_file() and all(
            (root / "usr/share/mbrola" / _database(v) / _database(v)).is_file() for v in voices):
        return root
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise AudioSetError("mbrola is not installed and apt-get/dpkg-deb are missing to "
                            "fetch it")
    uri, codename = mirror()
    apt = cache / "apt"
    lists, archives = apt / "lists", apt / "cache"
    for folder in (lists / "partial", archives / "archives" / "partial"):
        folder.mkdir(parents=True, exist_ok=True)
    signed = f"[signed-by={KEYRING}] " if KEYRING.is_file() else ""
    (apt / "sources.list").write_text(f"deb {signed}{uri} {codename} contrib non-free\n")
    options = [f"-oDir::Etc::sourcelist={apt / 'sources.list'}", "-oDir::Etc::sourceparts=-",
               f"-oDir::State::Lists={lists}", f"-oDir::Cache={archives}",
               "-oAPT::Sandbox::User=root", "-q"]
    _run(["apt-get", *options, "update"],
         f"apt-get update (contrib and non-free of {uri} {codename}, a private list)")
    debs = cache / "debs"
    shutil.rmtree(debs, ignore_errors=True)
    debs.mkdir(parents=True)
    packages = ["mbrola", *(f"mbrola-{_database(v)}" for v in voices)]
    _run(["apt-get", *options, "download", *packages], "apt-get download " + " ".join(packages),
         cwd=debs)
    unpack(debs, root)
    return root


def environment(cache: Path, voices: Sequence[str] = VOICES) -> dict[str, str]:
    """The environment under which `espeak-ng -v mb-frN` speaks with MBROLA (the current one
    when the system has them installed); fetches what is missing into `cache`."""
    unknown = [v for v in voices if v not in VOICES]
    if unknown:
        raise AudioSetError(f"not French MBROLA voices: {unknown} (known: {list(VOICES)})")
    if _installed(voices):
        return dict(os.environ)
    cache = Path(cache)
    root = _fetch(cache, voices)
    data = cache / "espeak" / "espeak-ng-data"
    if not (data / "mbrola").is_dir():
        staging = cache / "espeak.partial" / "espeak-ng-data"
        shutil.rmtree(staging.parent, ignore_errors=True)
        staging.mkdir(parents=True)
        for entry in espeak_data().iterdir():
            if entry.name != "mbrola":
                (staging / entry.name).symlink_to(entry)
        (staging / "mbrola").mkdir()
        shutil.rmtree(data.parent, ignore_errors=True)
        staging.parent.rename(data.parent)
    for voice in voices:
        link = data / "mbrola" / _database(voice)
        if not link.exists():
            link.symlink_to(root / "usr/share/mbrola" / _database(voice) / _database(voice))
    env = dict(os.environ)
    env["ESPEAK_DATA_PATH"] = str(data.parent)
    env["PATH"] = f"{root / 'usr/bin'}{os.pathsep}{env.get('PATH', '')}"
    return env
