"""A persisted outbox per channel (SQLite): messages wait while their channel is down and are
sent in order when it returns; a journal records what was sent (and when) for audits and tests.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from core.redact import MASK
from watch.errors import ChannelDown


class Outbox:
    """Ordered queues of JSON payloads, one per channel, plus a sent journal."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        if str(path) != ":memory:":  # numbers and texts of the house: its owner's only
            os.chmod(path, 0o600)
        self._db.executescript("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT,
                channel TEXT NOT NULL, payload TEXT NOT NULL, queued REAL NOT NULL);
            CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY AUTOINCREMENT,
                channel TEXT NOT NULL, payload TEXT NOT NULL, sent REAL NOT NULL);
        """)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        if "priority" not in columns:  # an outbox from before priorities
            with self._db:
                self._db.execute("ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL "
                                 "DEFAULT 0")

    def put(self, channel: str, payload: dict[str, Any], priority: int = 0) -> None:
        """Queue a message in its channel, behind those of the same or a higher priority
        (0 first): an alert never waits behind replies."""
        with self._lock, self._db:
            self._db.execute("INSERT INTO outbox (channel, payload, queued, priority) "
                             "VALUES (?, ?, ?, ?)", (channel, json.dumps(payload,
                                                                         ensure_ascii=False),
                                                     time.time(), priority))

    def pending(self, channel: str, limit: int = 1000) -> list[tuple[int, dict[str, Any]]]:
        """The waiting messages of a channel, most urgent first, then oldest."""
        with self._lock:
            rows = self._db.execute("SELECT id, payload FROM outbox WHERE channel = ? "
                                    "ORDER BY priority, id LIMIT ?", (channel, limit)).fetchall()
        return [(row[0], json.loads(row[1])) for row in rows]

    def done(self, channel: str, ident: int, payload: dict[str, Any]) -> None:
        """A message was sent: remove it and journal it, atomically — with its `mask` (a
        secret it carried, such as a remote-access key) masked in the journal."""
        kept = dict(payload)
        mask = str(kept.pop("mask", "") or "")
        if mask:
            kept = {k: v.replace(mask, MASK) if isinstance(v, str) else v
                    for k, v in kept.items()}
        with self._lock, self._db:
            self._db.execute("DELETE FROM outbox WHERE id = ?", (ident,))
            self._db.execute("INSERT INTO journal (channel, payload, sent) VALUES (?, ?, ?)",
                             (channel, json.dumps(kept, ensure_ascii=False), time.time()))

    def count(self, channel: str | None = None) -> int:
        """Messages waiting (in one channel, or all)."""
        with self._lock:
            if channel is None:
                return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])
            return int(self._db.execute("SELECT count(*) FROM outbox WHERE channel = ?",
                                        (channel,)).fetchone()[0])

    def journal(self, channel: str | None = None,
                since: float = 0.0) -> list[tuple[float, dict[str, Any]]]:
        """Sent messages, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT sent, payload FROM journal WHERE (? IS NULL OR channel = ?) AND sent >= ?"
                " ORDER BY id", (channel, channel, since)).fetchall()
        return [(row[0], json.loads(row[1])) for row in rows]

    def close(self) -> None:
        """Close the database."""
        self._db.close()


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
