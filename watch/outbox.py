"""A persisted outbox per channel (SQLite): messages wait while their channel is down and are
sent in order when it returns; a journal records what was sent (and when) for audits and tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from core.clock import Clock, SystemClock
from core.redact import MASK
from core.sqlqueue import SQLiteQueue
from watch.errors import ChannelDown

HOUR_S = 3600.0
"""The window of the channels' `max_per_hour` caps."""


class Outbox:
    """Ordered queues of JSON payloads, one per channel, plus a sent journal.

    Messages are stamped (queued, sent) in epoch seconds of `clock` (wall time by default):
    the hourly caps of the SMS and push channels count the journal on that same clock."""

    def __init__(self, path: str | Path, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._queue = SQLiteQueue(  # numbers and texts of the house: its owner's only
            path, "outbox", "channel TEXT NOT NULL, payload TEXT NOT NULL, queued REAL NOT NULL",
            schema="""
            CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY AUTOINCREMENT,
                channel TEXT NOT NULL, payload TEXT NOT NULL, sent REAL NOT NULL);
            """, synchronous=None, private=True)
        with self._queue.reading() as db:
            columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
        if "priority" not in columns:  # an outbox from before priorities
            with self._queue.transaction() as db:
                db.execute("ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")

    def now(self) -> float:
        """Epoch seconds on the outbox's clock."""
        return self.clock.now().timestamp()

    def put(self, channel: str, payload: dict[str, Any], priority: int = 0) -> None:
        """Queue a message in its channel, behind those of the same or a higher priority
        (0 first): an alert never waits behind replies."""
        self._queue.append(("channel", "payload", "queued", "priority"),
                           [(channel, json.dumps(payload, ensure_ascii=False), self.now(),
                             priority)])

    def pending(self, channel: str, limit: int = 1000) -> list[tuple[int, dict[str, Any]]]:
        """The waiting messages of a channel, most urgent first, then oldest."""
        rows = self._queue.peek(("payload",), limit, where="channel = ?", args=(channel,),
                                order="priority, id")
        return [(row[0], json.loads(row[1])) for row in rows]

    def done(self, channel: str, ident: int, payload: dict[str, Any]) -> None:
        """A message was sent: remove it and journal it, atomically — with its `mask` (a
        secret it carried, such as a remote-access key) masked in the journal."""
        kept = dict(payload)
        mask = str(kept.pop("mask", "") or "")
        if mask:
            kept = {k: v.replace(mask, MASK) if isinstance(v, str) else v
                    for k, v in kept.items()}
        with self._queue.transaction() as db:
            db.execute("DELETE FROM outbox WHERE id = ?", (ident,))
            db.execute("INSERT INTO journal (channel, payload, sent) VALUES (?, ?, ?)",
                       (channel, json.dumps(kept, ensure_ascii=False), self.now()))

    def count(self, channel: str | None = None) -> int:
        """Messages waiting (in one channel, or all)."""
        if channel is None:
            return self._queue.count()
        return self._queue.count(where="channel = ?", args=(channel,))

    def journal(self, channel: str | None = None,
                since: float = 0.0) -> list[tuple[float, dict[str, Any]]]:
        """Sent messages, oldest first."""
        with self._queue.reading() as db:
            rows = db.execute(
                "SELECT sent, payload FROM journal WHERE (? IS NULL OR channel = ?) AND sent >= ?"
                " ORDER BY id", (channel, channel, since)).fetchall()
        return [(row[0], json.loads(row[1])) for row in rows]

    def sent_last_hour(self, channel: str) -> list[dict[str, Any]]:
        """What the channel sent in the last hour of the outbox's clock (its hourly cap); a
        stamp ahead of the clock (left by a house that ran on an accelerated clock) is not
        "the last hour"."""
        now = self.now()
        return [payload for when, payload in self.journal(channel, since=now - HOUR_S)
                if when <= now]

    def close(self) -> None:
        """Close the database."""
        self._queue.close()


async def drain(outbox: Outbox, channel: str,
                send: Callable[[dict[str, Any]], Awaitable[None]],
                allowed: int | None = None) -> int:
    """Send waiting messages in order until one fails (ChannelDown) or `allowed` are sent."""
    sent = 0
    for ident, payload in outbox.pending(channel, limit=allowed or 1000):
        try:
            await send(payload)
        except ChannelDown:
            break
        outbox.done(channel, ident, payload)
        sent += 1
    return sent


async def nap(wake: asyncio.Event, seconds: float) -> None:
    """Sleep up to `seconds`, or less if `wake` is set (cancellation-safe, unlike
    Python 3.11's `wait_for`, which can swallow a cancel and keep a service from stopping)."""
    waiter = asyncio.ensure_future(wake.wait())
    try:
        await asyncio.wait({waiter}, timeout=seconds)
    finally:
        waiter.cancel()
