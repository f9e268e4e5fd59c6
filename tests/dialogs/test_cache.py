"""The compiled-language cache: built once, read back from its file by another process (here:
after `forget()`), rebuilt when the file is corrupt or the key changes, shared in memory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dialogs import cache


def _counting() -> tuple[list[int], Callable[[], dict[str, int]]]:
    builds: list[int] = []

    def build() -> dict[str, int]:
        builds.append(1)
        return {"tables": len(builds)}
    return builds, build


def test_built_once_then_read_then_shared(tmp_path: Path) -> None:
    cache.forget()
    builds, build = _counting()
    first = cache.cached(tmp_path, "language-fr", "k1", build)
    assert builds == [1] and list(tmp_path.glob("language-fr-k1.pickle"))
    cache.forget()  # as another process would: from the file, not built again
    again = cache.cached(tmp_path, "language-fr", "k1", build)
    assert again == first and builds == [1]
    assert cache.cached(tmp_path, "language-fr", "k1", build) is again
    cache.cached(tmp_path, "language-fr", "k2", build)
    assert builds == [1, 1], "another key is another build"


def test_memory_keeps_the_latest_only(tmp_path: Path) -> None:
    cache.forget()
    builds, build = _counting()
    first = cache.cached(tmp_path, "language-fr", "k0", build)
    second = cache.cached(tmp_path, "language-fr", "k1", build)
    for i in range(2, cache.MEMO_ENTRIES):
        cache.cached(tmp_path, "language-fr", f"k{i}", build)
    assert cache.cached(tmp_path, "language-fr", "k0", build) is first  # used: kept
    cache.cached(tmp_path, "language-fr", "one more", build)
    assert cache.cached(tmp_path, "language-fr", "k0", build) is first
    oldest = cache.cached(tmp_path, "language-fr", "k1", build)  # dropped, read from its file
    assert oldest == second and oldest is not second
    assert len(builds) == cache.MEMO_ENTRIES + 1
    cache.forget()


def test_a_corrupt_file_is_rebuilt(tmp_path: Path) -> None:
    cache.forget()
    builds, build = _counting()
    cache.cached(tmp_path, "language-en", "k", build)
    (tmp_path / "language-en-k.pickle").write_bytes(b"not a pickle")
    cache.forget()
    assert cache.cached(tmp_path, "language-en", "k", build) == {"tables": 2}
    assert builds == [1, 1]
    cache.forget()
