"""Interphone floor: locks, silence, owner away, queue order (pure tables)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assistant import floor as fl
from core.messages.voice import Say

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
URGENT = 100
LOCKED = fl.Floor(lock=fl.Lock("k1", "heater", T0 + timedelta(seconds=60)))


@pytest.mark.parametrize(("floor", "say", "at", "verdict"), [
    (fl.Floor(), Say("bonjour"), T0, fl.Verdict.SPEAK),
    (fl.Floor(silence=True), Say("bonjour"), T0, fl.Verdict.MUTE),
    (fl.Floor(silence=True), Say("fuite d'eau", priority=100), T0, fl.Verdict.SPEAK),
    (fl.Floor(away=True), Say("message de Paul", for_owner=True), T0, fl.Verdict.KEEP),
    # a message for the people at home is kept through a silenced night, not dropped
    (fl.Floor(silence=True), Say("message de Paul", for_owner=True), T0, fl.Verdict.KEEP),
    (fl.Floor(), Say("message de Paul", for_owner=True), T0, fl.Verdict.SPEAK),
    (fl.Floor(away=True), Say("il est midi"), T0, fl.Verdict.SPEAK),
    (LOCKED, Say("il est midi"), T0, fl.Verdict.WAIT),
    (LOCKED, Say("chauffage", key="k1"), T0, fl.Verdict.SPEAK),
    (LOCKED, Say("il est midi"), T0 + timedelta(seconds=61), fl.Verdict.SPEAK),  # expired
    (LOCKED, Say("alarme", priority=150), T0, fl.Verdict.SPEAK),
])
def test_decide(floor: fl.Floor, say: Say, at: datetime, verdict: fl.Verdict) -> None:
    assert fl.decide(floor, say, at, URGENT) is verdict


def test_lock_renew_refuse_release() -> None:
    floor = fl.acquire(fl.Floor(), "heater", T0, 30)
    assert floor.lock is not None and floor.lock.service == "heater"
    key = floor.lock.key
    renewed = fl.acquire(floor, "heater", T0 + timedelta(seconds=20), 30)
    assert renewed.lock is not None and renewed.lock.key == key
    assert renewed.lock.expires == T0 + timedelta(seconds=50)
    with pytest.raises(fl.LockError, match="locked by heater"):
        fl.acquire(floor, "modes", T0 + timedelta(seconds=10), 30)
    other = fl.acquire(floor, "modes", T0 + timedelta(seconds=31), 30)  # expired: free
    assert other.lock is not None and other.lock.service == "modes"
    with pytest.raises(fl.LockError, match="wrong key"):
        fl.release(floor, "nope", T0)
    assert fl.release(floor, key, T0).lock is None


def test_pick_orders_by_priority_then_age_and_skips_waiting() -> None:
    queue = [(0, 0, Say("a")), (-5, 1, Say("b")), (-5, 2, Say("c", key="k1")), (0, 3, Say("d"))]
    assert fl.pick(queue, fl.Floor(), T0, URGENT) == (1, fl.Verdict.SPEAK)
    assert fl.pick(queue, LOCKED, T0, URGENT) == (2, fl.Verdict.SPEAK)
    assert fl.pick([(0, 0, Say("a"))], LOCKED, T0, URGENT) is None
