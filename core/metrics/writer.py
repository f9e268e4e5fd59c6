"""The store-and-forward writer: a writer never loses a point.

    Point --to_line--> DiskQueue (SQLite, one per service) --batches--> MetricsStore

`write()` only appends to the service's on-disk queue; a flusher task sends batches in order
and deletes them once the store has acknowledged them. While the store is down the backlog
grows on disk and drains when it returns.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.config import Config
from core.metrics.lineproto import Point, to_line
from core.metrics.stores import MetricsStore, StoreUnavailable, open_store
from core.sqlqueue import SQLiteQueue

_LOGGER = logging.getLogger(__name__)


class DiskQueue:
    """An append-only on-disk queue of lines (SQLite), consumed in order.

    put() runs on the event loop, peek()/ack() in the flusher's thread: the queue's one
    connection serves one of them at a time (core.sqlqueue)."""

    def __init__(self, path: str | Path) -> None:
        self._queue = SQLiteQueue(path, "queue", "line TEXT")

    def put(self, lines: Iterable[str]) -> None:
        """Append lines durably (one transaction)."""
        self._queue.append(("line",), ((ln,) for ln in lines))

    def peek(self, limit: int) -> tuple[int, list[str]]:
        """The oldest lines and the id of the last one (0 when empty)."""
        rows = self._queue.peek(("line",), limit)
        return (rows[-1][0] if rows else 0), [r[1] for r in rows]

    def ack(self, last_id: int) -> None:
        """Forget every line up to `last_id`."""
        self._queue.delete_through(last_id)

    def __len__(self) -> int:
        return self._queue.count()

    def close(self) -> None:
        """Close the database."""
        self._queue.close()


class MetricsWriter:
    """Queues points on disk and forwards them to the store in batches, in order.

    A queue disk that is full (or failing) kills nothing: the lines wait in memory, at most
    `memory_lines` of them (the oldest dropped beyond, counted), go to disk again as soon as
    it takes them, or straight to the store; `queue_full` says the condition (the runtime
    raises an alert on it) and `memory_dropped` what it cost."""

    def __init__(self, store: MetricsStore, queue: DiskQueue, *, batch_size: int = 5000,
                 flush_interval_s: float = 1.0, retry_s: float = 2.0,
                 memory_lines: int = 100_000) -> None:
        self.store, self.queue = store, queue
        self.memory: collections.deque[str] = collections.deque()
        self.memory_lines = memory_lines
        self.queue_full = False
        self.queue_full_count = 0
        """Writes the disk refused."""
        self.memory_dropped = 0
        self.batch_size, self.flush_interval_s, self.retry_s = batch_size, flush_interval_s, \
            retry_s
        self.written = 0
        self.failures = 0
        """Failed attempts in the current outage (0 when the store answers)."""
        self.outages = 0
        """Outages seen since start."""
        self.last_error = ""
        self._wake = asyncio.Event()

    def write(self, points: Point | Iterable[Point]) -> None:
        """Queue points durably; they reach the store on the next flush. Never raises for a
        full or failing disk: the lines wait in memory (see the class)."""
        batch = [points] if isinstance(points, Point) else list(points)
        lines = [to_line(p) for p in batch]
        if self.memory and not self._to_disk(list(self.memory)):
            self._keep(lines)  # still full: after the older ones, in order
        elif self.memory:
            self.memory.clear()
            if not self._to_disk(lines):
                self._keep(lines)
        elif not self._to_disk(lines):
            self._keep(lines)
        if len(batch) >= self.batch_size:
            self._wake.set()

    def _to_disk(self, lines: list[str]) -> bool:
        try:
            self.queue.put(lines)
        except (sqlite3.Error, OSError) as err:
            if not self.queue_full:
                _LOGGER.error("metrics queue disk refuses writes (%s): keeping up to %d lines "
                              "in memory", err, self.memory_lines)
            self.queue_full = True
            self.queue_full_count += 1
            return False
        if self.queue_full:
            _LOGGER.info("metrics queue disk writable again")
        self.queue_full = False
        return True

    def _keep(self, lines: list[str]) -> None:
        self.memory.extend(lines)
        over = len(self.memory) - self.memory_lines
        if over > 0:
            for _ in range(over):
                self.memory.popleft()
            self.memory_dropped += over

    @property
    def backlog(self) -> int:
        """Lines waiting (on disk and in memory)."""
        try:
            return len(self.queue) + len(self.memory)
        except sqlite3.Error:
            return len(self.memory)

    def flush_once(self) -> int:
        """Send one batch; returns lines sent (0 when empty); raises StoreUnavailable."""
        last_id, lines = self.queue.peek(self.batch_size)
        if lines:
            self.store.write_lines(lines)
            self.queue.ack(last_id)
            self.written += len(lines)
            return len(lines)
        if not self.memory:
            return 0
        lines = [self.memory[i] for i in range(min(self.batch_size, len(self.memory)))]
        self.store.write_lines(lines)  # the disk refused them: straight to the store
        for _ in lines:
            self.memory.popleft()
        self.written += len(lines)
        return len(lines)

    def flush(self, timeout: float = 30.0) -> bool:
        """Drain the queue now (blocking); False if the store failed or time ran out."""
        deadline = time.monotonic() + timeout
        try:
            while self.flush_once():
                if time.monotonic() > deadline:
                    return False
        except StoreUnavailable as err:
            self._failed(err)
            return False
        return True

    def _failed(self, err: StoreUnavailable) -> None:
        if not self.failures:
            self.outages += 1
            _LOGGER.warning("metrics store unavailable, keeping %d lines queued: %s",
                            self.backlog, err)
        self.failures += 1
        self.last_error = str(err)

    async def run(self) -> None:
        """Flush forever: every interval, or at once when a full batch is queued."""
        while True:
            try:
                while await asyncio.to_thread(self.flush_once):
                    if self.failures:
                        _LOGGER.info("metrics store back after %d failed attempts",
                                     self.failures)
                        self.failures = 0
            except StoreUnavailable as err:
                self._failed(err)
                await asyncio.sleep(self.retry_s)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_interval_s):
                    await self._wake.wait()

    def status(self) -> dict[str, Any]:
        """For /status."""
        return {"backlog": self.backlog, "written": self.written, "outages": self.outages,
                "failures": self.failures, "last_error": self.last_error,
                "queue_full": self.queue_full, "queue_full_writes": self.queue_full_count,
                "in_memory": len(self.memory), "memory_dropped": self.memory_dropped}

    async def close(self, timeout: float = 2.0) -> None:
        """Try a last flush, then close; what is left stays on disk for next time."""
        await asyncio.to_thread(self.flush, timeout)
        self.queue.close()
        self.store.close()


def open_writer(config: Config, name: str) -> MetricsWriter:
    """A writer for service `name`, with its own queue file under the data dir."""
    m = config.metrics
    path = config.path(m.queue_dir) / f"{name}.sqlite"
    try:
        queue, unwritable = DiskQueue(path), False
    except (sqlite3.Error, OSError) as err:  # a full or read-only disk: run on, in memory
        _LOGGER.error("metrics queue %s cannot be opened (%s): readings wait in memory", path,
                      err)
        queue, unwritable = DiskQueue(":memory:"), True
    writer = MetricsWriter(open_store(config), queue, batch_size=m.batch_size,
                           flush_interval_s=m.flush_interval_s, retry_s=m.retry_s)
    writer.queue_full = unwritable
    return writer
