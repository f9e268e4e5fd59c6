"""The one way the assistant runs sox: repeatable, with a clear error when sox is missing."""

from __future__ import annotations

import array
import math
import os
import shutil

import pytest

from assistant.audio import RATE, scaled, sox
from assistant.errors import AudioUnavailable

pytestmark = pytest.mark.skipif(not shutil.which("sox"), reason="sox is not installed")


def tone(seconds: float = 0.5, level: float = 0.5) -> bytes:
    return array.array("h", (int(level * 32767 * math.sin(2 * math.pi * 440 * i / RATE))
                             for i in range(int(seconds * RATE)))).tobytes()


def test_the_same_change_gives_the_same_bytes() -> None:
    """Lowering a level (which sox dithers) twice gives the same bytes, at the level asked."""
    pcm = tone()
    once, twice = scaled(pcm, 0.3), scaled(pcm, 0.3)
    assert once == twice
    peak = max(abs(s) for s in array.array("h", once))
    assert 0.28 * 0.5 * 32767 < peak < 0.32 * 0.5 * 32767


def test_without_sox_the_error_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", os.devnull)
    with pytest.raises(AudioUnavailable, match="sox is not installed"):
        sox("-n", "-n")
