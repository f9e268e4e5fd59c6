"""Who may speak through the interphone now: locks, silence, the owner away (pure).

Every function takes `now`; the interphone service keeps one `Floor` and a queue of `Say`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from core.messages.voice import Say


class Verdict(StrEnum):
    """What to do with an announcement."""

    SPEAK = "speak"
    WAIT = "wait"
    """Locked by someone else: stays queued until the lock is released or expires."""
    MUTE = "mute"
    """Silence mode: dropped, reported as muted."""
    KEEP = "keep"
    """For the people at home, and nobody is listening (away, or silence asked): kept and
    spoken when the house is back and not silenced."""


class LockError(ValueError):
    """A lock request or release that cannot be honoured (held by another, wrong key)."""


@dataclass(frozen=True)
class Lock:
    """The interphone reserved by one service."""

    key: str
    service: str
    expires: datetime


@dataclass(frozen=True)
class Floor:
    """The interphone's standing: lock, silence mode, owner away."""

    lock: Lock | None = None
    silence: bool = False
    away: bool = False

    @property
    def listening(self) -> bool:
        """Someone is home and has not asked for silence: kept messages may be spoken."""
        return not self.away and not self.silence


def active_lock(floor: Floor, now: datetime) -> Lock | None:
    """The lock, unless it expired."""
    return floor.lock if floor.lock is not None and now < floor.lock.expires else None


def decide(floor: Floor, say: Say, now: datetime, urgent: int) -> Verdict:
    """The fate of one announcement. Urgent ones pass locks and silence."""
    if say.priority >= urgent:
        return Verdict.SPEAK
    lock = active_lock(floor, now)
    if lock is not None and say.key != lock.key:
        return Verdict.WAIT
    if say.for_owner and (floor.away or floor.silence):
        return Verdict.KEEP
    if say.when_home and floor.away:
        return Verdict.MUTE
    if floor.silence:
        return Verdict.MUTE
    return Verdict.SPEAK


def acquire(floor: Floor, service: str, now: datetime, ttl_s: float,
            key: str | None = None) -> Floor:
    """Lock the interphone for `service`; the same service may renew its own lock."""
    lock = active_lock(floor, now)
    if lock is not None and lock.service != service:
        raise LockError(f"locked by {lock.service} until {lock.expires.isoformat()}")
    new_key = lock.key if lock is not None else (key or secrets.token_urlsafe(12))
    return replace(floor, lock=Lock(new_key, service, now + timedelta(seconds=ttl_s)))


def release(floor: Floor, key: str, now: datetime) -> Floor:
    """Free the interphone; the key must be the lock's."""
    lock = active_lock(floor, now)
    if lock is None:
        return replace(floor, lock=None)
    if key != lock.key:
        raise LockError("wrong key for the current lock")
    return replace(floor, lock=None)


def pick(queue: list[tuple[int, int, Say]], floor: Floor, now: datetime,
         urgent: int) -> tuple[int, Verdict] | None:
    """Index and verdict of the next announcement to handle (highest priority, then oldest),
    skipping those that must wait."""
    for index, (_, _, say) in sorted(enumerate(queue), key=lambda item: item[1][:2]):
        verdict = decide(floor, say, now, urgent)
        if verdict is not Verdict.WAIT:
            return index, verdict
    return None
