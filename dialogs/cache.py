"""An on-disk cache for what the language is compiled into (tables, fuzzy models).

Compiling the house's language takes seconds (expanding templates, training n-gram models);
loading the result takes a fraction of that. `cached(folder, name, key, build)` returns the
object stored under `name-key.pickle`, or builds, stores (atomically) and returns it; other
versions of `name` older than a day are removed. The key is a digest of everything the build
reads, so a changed config or template is rebuilt, never served stale. A folder that cannot
be written only costs the build time (logged); a corrupt file is rebuilt. What a process has
loaded or built lately it keeps in memory (the last `MEMO_ENTRIES`; `forget()` drops them):
the compiled language is read-only, and every dialog engine of the process (one per
conversation test, one per CLI call) shares it instead of unpickling a second copy, which
takes a second or two; a service whose config changes does not keep every old one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")
KEEP_OTHERS_S = 86400.0
"""Other versions younger than this are kept (two houses on one machine do not thrash)."""
MEMO_ENTRIES = 8
"""Objects a process keeps in memory (a few languages for a few houses)."""
_MEMO: OrderedDict[tuple[str, str], object] = OrderedDict()
"""What this process loaded or built lately, by (name, key), the latest used last."""


def default_folder() -> Path:
    """`$BASECAMP_CACHE_DIR`, else `$XDG_CACHE_HOME/basecamp`, else `~/.cache/basecamp`."""
    explicit = os.environ.get("BASECAMP_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "basecamp"


def digest(parts: Iterable[str]) -> str:
    """A short stable key for a sequence of strings."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


def forget() -> None:
    """Drop what this process keeps in memory: the next `cached` reads its file again."""
    _MEMO.clear()


def cached(folder: Path | None, name: str, key: str, build: Callable[[], T]) -> T:
    """The object `build()` makes: from this process's memory, else from
    `folder/name-key.pickle` when it is there, else built (and stored)."""
    if (name, key) in _MEMO:
        _MEMO.move_to_end((name, key))
        return _MEMO[name, key]  # type: ignore[return-value]
    value = _load_or_build(folder, name, key, build)
    _MEMO[name, key] = value
    while len(_MEMO) > MEMO_ENTRIES:
        _MEMO.popitem(last=False)
    return value


def _load_or_build(folder: Path | None, name: str, key: str, build: Callable[[], T]) -> T:
    path = folder / f"{name}-{key}.pickle" if folder is not None else None
    if path is not None and path.exists():
        try:
            with path.open("rb") as handle:
                stored_key, value = pickle.load(handle)
            if stored_key == key:
                return value  # type: ignore[no-any-return]
        except Exception as err:  # truncated, foreign or from another version: rebuild
            _LOGGER.warning("%s unreadable (%s): building again", path, err)
    value = build()
    if path is None:
        return value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump((key, value), handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
        for old in path.parent.glob(f"{name}-*.pickle"):
            if old != path and time.time() - old.stat().st_mtime > KEEP_OTHERS_S:
                old.unlink(missing_ok=True)
    except OSError as err:
        _LOGGER.warning("not cached in %s: %s", path.parent, err)
    return value
