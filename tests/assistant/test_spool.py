"""The simulated microphone: WAVs dropped into a spool folder are heard at real-time pace."""

from __future__ import annotations

import threading
from pathlib import Path

from assistant.audio import CHUNK, RATE, WIDTH, SpoolSource, feed_wav, read_pcm, write_wav


class FakeTime:
    """A clock that moves only when the source sleeps (real-time pace, instantly)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


def tone(samples: int, value: int = 1000) -> bytes:
    return value.to_bytes(2, "little", signed=True) * samples


def test_feed_wav_appears_whole_and_in_order(tmp_path: Path) -> None:
    first = feed_wav(tmp_path / "spool", tone(1600, 1))
    second = feed_wav(tmp_path / "spool", tone(800, 2))
    assert sorted((tmp_path / "spool").iterdir()) == [first, second]
    assert first.suffix == ".wav" and read_pcm(first) == tone(1600, 1)


def test_spool_is_heard_at_real_time_pace_then_silence(tmp_path: Path) -> None:
    t = FakeTime()
    source = SpoolSource(tmp_path / "spool", clock=t.clock, sleep=t.sleep)
    heard = bytearray()
    wav: Path | None = None
    for i, chunk in enumerate(source.chunks()):
        heard += chunk
        if i == 10:  # 0.3 s of silence, then a command is spoken
            wav = feed_wav(source.folder, tone(RATE, 1234))
        if len(heard) >= 3 * RATE * WIDTH:
            break
    assert wav is not None and not wav.exists(), "a heard WAV is removed"
    assert source.heard == 1
    start = bytes(heard).index(tone(1, 1234))
    assert start >= 11 * CHUNK * WIDTH  # silence before it was dropped
    assert bytes(heard[start:start + RATE * WIDTH]) == tone(RATE, 1234)
    assert set(heard[start + RATE * WIDTH:]) == {0}  # silence afterwards
    assert abs(t.slept - 3.0) < 0.05  # three seconds of audio took three seconds


def test_a_wav_being_written_is_not_heard(tmp_path: Path) -> None:
    t = FakeTime()
    source = SpoolSource(tmp_path / "spool", clock=t.clock, sleep=t.sleep)
    part = write_wav(source.folder / "1.wav.part", tone(RATE))
    heard = b"".join(chunk for _, chunk in zip(range(40), source.chunks(), strict=False))
    assert set(heard) == {0} and part.exists()


def test_close_ends_the_stream(tmp_path: Path) -> None:
    source = SpoolSource(tmp_path / "spool")
    timer = threading.Timer(0.2, source.close)
    timer.start()
    count = sum(1 for _ in source.chunks())
    assert 3 <= count <= 40  # about 0.2 s of 30 ms chunks, in real time
