"""Which satellite answers when several heard the same command (pure).

Every assistant that hears the wake word publishes a `WakeBid` (its wake score and how loud
it heard the word) and keeps listening. Once `window_s` has passed since its own wake, it
compares its bid with the other bids heard within `window_s` of it: the best one answers, the
others close their microphone without a word. Who connected first, or whose bid arrived
first, plays no part: the ranking is the bid's merit, ties broken by machine name.

A satellite that bids late (its audio lagging behind) finds bids whose window closed before
its own was made: those satellites decided without it and one of them answered, so it stays
quiet — one answer, even if not from the best room. Bids further apart than `horizon_s` are
other commands.
"""

from __future__ import annotations

import math
import threading
import time
from array import array
from collections.abc import Callable, Iterable

from core.messages.voice import WakeBid

SILENCE_DB = -120.0


def energy_db(pcm: bytes) -> float:
    """RMS level of 16-bit PCM in dBFS (SILENCE_DB for digital silence)."""
    samples = array("h")
    samples.frombytes(pcm[:len(pcm) - len(pcm) % 2])
    if not samples:
        return SILENCE_DB
    mean = sum(s * s for s in samples) / len(samples)
    return max(SILENCE_DB, 10 * math.log10(mean / 32768.0 ** 2)) if mean else SILENCE_DB


def merit(bid: WakeBid, score_weight_db: float) -> float:
    """A bid's worth: its loudness, plus `score_weight_db` per unit of wake score."""
    return bid.energy_db + score_weight_db * bid.score


def winner(bids: Iterable[WakeBid], score_weight_db: float) -> WakeBid:
    """The bid that answers: the highest merit; equal merits, the first machine by name."""
    return min(bids, key=lambda b: (-round(merit(b, score_weight_db), 6), b.machine))


HORIZON_S = 1.5
"""Wake words heard further apart than this are different commands."""


def contenders(own: WakeBid, bids: Iterable[WakeBid], window_s: float) -> list[WakeBid]:
    """`own` and the other machines' bids for the same command (within the window)."""
    others = {b.machine: b for b in bids
              if b.machine != own.machine and abs(b.at - own.at) <= window_s}
    return [own, *others.values()]


def verdict(own: WakeBid, bids: Iterable[WakeBid], now: float, window_s: float,
            score_weight_db: float, horizon_s: float = HORIZON_S) -> bool | None:
    """None until the window after `own` closed; then whether `own` answers."""
    if now < own.at + window_s:
        return None
    bids = list(bids)
    if any(b.machine != own.machine and own.at - horizon_s <= b.at <= own.at - window_s
           for b in bids):
        return False  # decided before this bid was made: someone else answers
    return winner(contenders(own, bids, window_s), score_weight_db).machine == own.machine


class Arbiter:
    """The bids one satellite heard (from the bus thread) and its verdicts (from the audio
    thread)."""

    def __init__(self, machine: str, window_s: float, score_weight_db: float, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.machine = machine
        self.window_s = window_s
        self.score_weight_db = score_weight_db
        self.clock = clock
        self._bids: list[WakeBid] = []
        self._lock = threading.Lock()

    def heard(self, bid: WakeBid) -> None:
        """Another satellite's bid (our own echo from the bus is ignored)."""
        if bid.machine == self.machine:
            return
        with self._lock:
            horizon = self.clock() - 10 * self.window_s - 5.0
            self._bids = [*[b for b in self._bids if b.at >= horizon][-100:], bid]

    def decide(self, own: WakeBid) -> bool | None:
        """None while the window is open; then True if `own` answers."""
        with self._lock:
            bids = list(self._bids)
        return verdict(own, bids, self.clock(), self.window_s, self.score_weight_db)

    def wait(self, own: WakeBid, sleep: Callable[[float], None] = time.sleep) -> bool:
        """Block until the window closed (the command ended before it did); True to answer."""
        while (decided := self.decide(own)) is None:
            sleep(min(0.01, max(0.0, own.at + self.window_s - self.clock())))
        return decided
