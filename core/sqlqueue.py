"""One SQLite WAL queue: rows appended durably, read in order, deleted once handled.

Shared by the metrics' store-and-forward queue (`core.metrics.writer.DiskQueue`) and the
sentinel's outbox (`watch.outbox.Outbox`); the embedded metrics store opens its database with
`open_wal` too. A queue is one table whose `id INTEGER PRIMARY KEY AUTOINCREMENT` gives the
order; several processes may open the same file (WAL). One connection serves every thread of
a process, one user at a time (a lock: else "cannot start a transaction within a
transaction").
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any


def open_wal(path: str | Path, schema: str, *, synchronous: str | None = "NORMAL",
             private: bool = False) -> sqlite3.Connection:
    """A WAL-mode SQLite database (shared by several processes), with its schema created.

    `synchronous`: the PRAGMA's value (None keeps SQLite's default, FULL); `private`: the
    file is its owner's only (0600)."""
    memory = str(path) == ":memory:"
    if not memory:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    if private and not memory:
        os.chmod(path, 0o600)
    pragmas = "PRAGMA journal_mode=WAL;"
    if synchronous is not None:
        pragmas += f" PRAGMA synchronous={synchronous};"
    db.executescript(pragmas + schema)
    return db


class SQLiteQueue:
    """The rows of one table, oldest (lowest id) first unless told another order."""

    def __init__(self, path: str | Path, table: str, columns: str, *, schema: str = "",
                 synchronous: str | None = "NORMAL", private: bool = False) -> None:
        """`columns`: the table's columns after its `id`, as in CREATE TABLE; `schema`: more
        statements (other tables, indexes) run once the table exists."""
        self.table = table
        self.db = open_wal(path, f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY "
                                 f"AUTOINCREMENT, {columns});" + schema,
                           synchronous=synchronous, private=private)
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection, alone and inside one transaction (committed on exit)."""
        with self._lock, self.db:
            yield self.db

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, alone (for queries)."""
        with self._lock:
            yield self.db

    def append(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Append rows durably, in one transaction."""
        marks = ", ".join("?" * len(columns))
        with self.transaction() as db:
            db.executemany(f"INSERT INTO {self.table} ({', '.join(columns)}) VALUES ({marks})",
                           rows)

    def peek(self, columns: Sequence[str], limit: int, *, where: str = "",
             args: Sequence[Any] = (), order: str = "id") -> list[tuple[Any, ...]]:
        """At most `limit` rows (their id first, then `columns`), in `order`."""
        cond = f" WHERE {where}" if where else ""
        with self.reading() as db:
            return db.execute(f"SELECT id, {', '.join(columns)} FROM {self.table}{cond} "
                              f"ORDER BY {order} LIMIT ?", (*args, limit)).fetchall()

    def delete_through(self, last_id: int) -> None:
        """Forget every row up to `last_id` (handled in order)."""
        with self.transaction() as db:
            db.execute(f"DELETE FROM {self.table} WHERE id <= ?", (last_id,))

    def count(self, *, where: str = "", args: Sequence[Any] = ()) -> int:
        """Rows waiting (those matching `where`)."""
        cond = f" WHERE {where}" if where else ""
        with self.reading() as db:
            return int(db.execute(f"SELECT count(*) FROM {self.table}{cond}",
                                  tuple(args)).fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self.db.close()
