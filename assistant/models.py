"""Speech models from their official publishers, checksum-verified: the small Vosk models
(the publisher's MD5 from its model list, then our SHA-256 manifest) and Whisper base for
faster-whisper (Systran/faster-whisper-base on Hugging Face: each file's SHA-256 or git blob
hash from the repository's own listing)."""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError, ChecksumMismatch

MODEL_LIST = "https://alphacephei.com/vosk/models/model-list.json"
HUGGING_FACE = "https://huggingface.co"
MANIFEST = "basecamp-manifest.json"


@dataclass(frozen=True)
class Model:
    """A downloadable model."""

    name: str
    lang: str
    url: str
    """A zip (Vosk), or a Hugging Face repository "owner/name" (`source = "huggingface"`)."""
    size_mb: int
    source: str = "vosk"
    """"vosk": alphacephei's model list; "huggingface": a repository of loose files."""
    engine: str = "vosk"
    """The `voice.stt` engine that reads it."""
    hardware: str = "Raspberry Pi 4 or better"


CATALOGUE: dict[str, Model] = {m.name: m for m in (
    Model("vosk-model-small-fr-0.22", "fr",
          "https://alphacephei.com/vosk/models/vosk-model-small-fr-0.22.zip", 41),
    Model("vosk-model-small-en-us-0.15", "en",
          "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip", 40),
    Model("faster-whisper-base", "multi", "Systran/faster-whisper-base", 145, "huggingface",
          "whisper", "x86 mini-PC (2+ cores) or better"),
)}
WHISPER_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")


def digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in blocks."""
    h = hashlib.new(algorithm)
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def verify_file(path: Path, *, md5: str = "", sha256: str = "", size: int | None = None) -> None:
    """Raise ChecksumMismatch unless the file has the expected size and digests."""
    if size is not None and path.stat().st_size != size:
        raise ChecksumMismatch(f"{path.name}: size {path.stat().st_size} != expected {size}")
    for algorithm, expected in (("md5", md5), ("sha256", sha256)):
        if expected and digest(path, algorithm) != expected.lower():
            raise ChecksumMismatch(f"{path.name}: {algorithm} differs from the published one "
                                   "(corrupt or tampered download; it was not installed)")


class Unreachable(AssistantError):
    """The model's server cannot be reached (offline machine, DNS, firewall)."""


def _open(url: str, timeout: float, then: str) -> Any:
    """urlopen, with an error a person can act on when the network is not there."""
    try:
        return urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as err:
        raise AssistantError(f"{url}: the server answered {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        host = urllib.parse.urlsplit(url).hostname or url
        raise Unreachable(f"cannot reach {host} ({reason}): is this machine offline? {then}") \
            from None


def published(name: str, list_url: str = MODEL_LIST, timeout: float = 30) -> dict[str, Any]:
    """The publisher's entry for a model (url, md5, size) from its model list."""
    with _open(list_url, timeout, f"On a connected machine, download the model {name} and "
               "pass --url file:///path/to/it.zip with its --sha256 (or --md5).") as response:
        entries = json.load(response)
    for entry in entries:
        if entry.get("name") == name:
            return dict(entry)
    raise AssistantError(f"{name} is not in the publisher's model list {list_url}")


def download(url: str, folder: Path, *, md5: str = "", sha256: str = "",
             size: int | None = None, timeout: float = 60) -> Path:
    """Fetch a model zip, verify it, unpack it into `folder`, write a SHA-256 manifest."""
    if not (md5 or sha256):
        raise ChecksumMismatch("refusing to install a model without a published checksum")
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / Path(url).name
    partial = archive.with_suffix(".part")
    with _open(url, timeout, f"Fetch {url} on a connected machine, then pass --url "
               "file:///path/to/it.zip (same checksum).") as response, \
            partial.open("wb") as out:
        shutil.copyfileobj(response, out)
    try:
        verify_file(partial, md5=md5, sha256=sha256, size=size)
    except ChecksumMismatch:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(archive)
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        if any(n.startswith("/") or ".." in Path(n).parts for n in names):
            raise ChecksumMismatch(f"{archive.name} holds unsafe paths")
        zf.extractall(folder)
    target = folder / names[0].split("/")[0]
    write_manifest(target)
    archive.unlink()
    return target


def git_blob_sha1(path: Path) -> str:
    """The git object id of a file (what Hugging Face lists for files outside LFS)."""
    h = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def download_hf(repo: str, folder: Path, files: tuple[str, ...] = WHISPER_FILES, *,
                base: str = HUGGING_FACE, revision: str = "main", timeout: float = 60) -> Path:
    """Fetch files of a Hugging Face model repository into `folder/<name>`, each checked
    against the repository's listing (size, then the LFS SHA-256 or the git blob hash);
    a file that does not match is deleted and nothing is installed."""
    listing_url = f"{base}/api/models/{repo}/tree/{revision}"
    hint = (f"On a connected machine, fetch {', '.join(files)} from {base}/{repo} into a "
            "folder and set voice.whisper.model_dir to it.")
    with _open(listing_url, timeout, hint) as response:
        listing = {entry.get("path"): entry for entry in json.load(response)}
    target = folder / repo.split("/")[-1]
    staging = target.with_name(target.name + ".partial")
    staging.mkdir(parents=True, exist_ok=True)
    try:
        for name in files:
            entry = listing.get(name)
            if entry is None:
                raise AssistantError(f"{repo} has no {name} (listing {listing_url})")
            path = staging / name
            with _open(f"{base}/{repo}/resolve/{revision}/{name}", timeout, hint) as response, \
                    path.open("wb") as out:
                shutil.copyfileobj(response, out)
            lfs = entry.get("lfs") or {}
            verify_file(path, sha256=str(lfs.get("oid", "")),
                        size=int(lfs.get("size", entry.get("size", -1))))
            if not lfs and git_blob_sha1(path) != entry.get("oid"):
                raise ChecksumMismatch(f"{name}: git hash differs from the repository's "
                                       "(corrupt or tampered download; it was not installed)")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    write_manifest(target)
    return target


def write_manifest(model: Path) -> Path:
    """Record the SHA-256 of every file of an installed model."""
    files = {str(p.relative_to(model)): digest(p) for p in sorted(model.rglob("*"))
             if p.is_file() and p.name != MANIFEST}
    path = model / MANIFEST
    path.write_text(json.dumps(files, indent=1))
    return path


def verify_model(model: Path) -> list[str]:
    """Problems found in an installed model (missing or changed files); [] when intact."""
    manifest = model / MANIFEST
    if not manifest.exists():
        return [f"{model}: no {MANIFEST} (not installed by `basecamp models download`)"]
    problems = []
    for name, expected in json.loads(manifest.read_text()).items():
        path = model / name
        if not path.exists():
            problems.append(f"missing {name}")
        elif digest(path) != expected:
            problems.append(f"changed {name}")
    return problems
