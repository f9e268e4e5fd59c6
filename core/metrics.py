"""Metrics: points, line protocol, two stores behind one Protocol, a store-and-forward writer.

    Point --to_line--> on-disk queue (SQLite) --batches--> MetricsStore
                                                           |- InfluxStore (InfluxDB 1.x)
                                                           '- SQLiteStore (embedded default)

`to_line`/`parse_line` are pure. A writer never loses a point: `write()` only appends to the
service's on-disk queue; a flusher task sends batches in order and deletes them once the store
has acknowledged them. While the store is down the backlog grows on disk and drains when it
returns. Errors of the stores are translated to `StoreUnavailable` at the adapter.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import json
import logging
import math
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from core.config import Config

_LOGGER = logging.getLogger(__name__)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

FieldValue = float | int | bool | str


class StoreUnavailable(RuntimeError):
    """The metrics store cannot be reached or refused a write; the batch is kept."""


@dataclass(frozen=True)
class Point:
    """One measurement at one time."""

    measurement: str
    fields: Mapping[str, FieldValue]
    tags: Mapping[str, str] = field(default_factory=dict)
    time: dt.datetime | int | None = None
    """Aware datetime or integer nanoseconds since the epoch; None = now."""


@dataclass(frozen=True)
class Stats:
    """Aggregate of a field over a window."""

    mean: float
    min: float
    max: float
    count: int


def to_ns(when: dt.datetime | int | None) -> int:
    """Nanoseconds since the epoch of an aware datetime (or an int passed through)."""
    if when is None:
        return time.time_ns()
    if isinstance(when, int):
        return when
    if when.tzinfo is None:
        raise ValueError("metrics times must be timezone-aware")
    return (when - _EPOCH) // dt.timedelta(microseconds=1) * 1000


def from_ns(ns: int) -> dt.datetime:
    """Aware UTC datetime of nanoseconds since the epoch."""
    return _EPOCH + dt.timedelta(microseconds=ns // 1000)


# ---- line protocol [pure] ----------------------------------------------------------------
def _esc(text: str, chars: str) -> str:
    text = text.replace("\\", "\\\\")
    for ch in chars:
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", "\\n")


def _field(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"field value {value} is not finite")
        return repr(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_line(point: Point) -> str:
    """InfluxDB line protocol of a point (with nanosecond time)."""
    if not point.fields:
        raise ValueError(f"point {point.measurement!r} has no fields")
    head = _esc(point.measurement, ", ")
    for key in sorted(point.tags):
        value = point.tags[key]
        if value != "":
            head += f",{_esc(key, ',= ')}={_esc(str(value), ',= ')}"
    body = ",".join(f"{_esc(k, ',= ')}={_field(v)}" for k, v in point.fields.items())
    return f"{head} {body} {to_ns(point.time)}"


def _split(text: str, sep: str, limit: int = -1) -> list[str]:
    """Split on `sep` outside backslash escapes."""
    parts: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if ch == sep and (limit < 0 or len(parts) < limit):
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def _unesc(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append("\n" if text[i + 1] == "n" else text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _parse_value(raw: str) -> FieldValue:
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return _unesc(raw[1:-1])
    if raw in ("true", "t", "T", "True", "TRUE"):
        return True
    if raw in ("false", "f", "F", "False", "FALSE"):
        return False
    if raw.endswith("i"):
        return int(raw[:-1])
    return float(raw)


def parse_line(line: str) -> Point:
    """Parse one line of line protocol (as written by `to_line`); raises ValueError."""
    parts = _split(line.rstrip("\r\n"), " ", 1)
    body, _, stamp = parts[-1].rpartition(" ")
    if len(parts) != 2 or not body:
        raise ValueError(f"expected 'measurement[,tags] fields time': {line!r}")
    names = _split(parts[0], ",")
    tags = {}
    for item in names[1:]:
        pair = _split(item, "=", 1)
        if len(pair) != 2:
            raise ValueError(f"bad tag {item!r} in {line!r}")
        tags[_unesc(pair[0])] = _unesc(pair[1])
    return Point(_unesc(names[0]), _parse_fields(body, line), tags, int(stamp))


def _parse_fields(body: str, line: str) -> dict[str, FieldValue]:
    """key=value pairs; a value in double quotes may hold commas, spaces and equals signs."""
    fields: dict[str, FieldValue] = {}
    i = 0
    while i < len(body):
        key, i = _scan(body, i, "=")
        if i >= len(body):
            raise ValueError(f"bad field {key!r} in {line!r}")
        if body[i + 1:i + 2] == '"':
            end = i + 2
            while end < len(body) and body[end] != '"':
                end += 2 if body[end] == "\\" else 1
            raw, i = body[i + 1:end + 1], end + 2
        else:
            raw, i = _scan(body, i + 1, ",")
            i += 1
        fields[_unesc(key)] = _parse_value(raw)
    return fields


def _scan(text: str, start: int, stop: str) -> tuple[str, int]:
    """Text from `start` up to an unescaped `stop` character, and that character's index."""
    i = start
    while i < len(text) and text[i] != stop:
        i += 2 if text[i] == "\\" else 1
    return text[start:i], i


def _open_sqlite(path: str | Path, schema: str) -> sqlite3.Connection:
    """A WAL-mode SQLite database (shared by several processes), with its schema created."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + schema)
    return db


# ---- stores ------------------------------------------------------------------------------
class MetricsStore(Protocol):
    """Where points end up; both implementations answer the same queries."""

    def write_lines(self, lines: Sequence[str]) -> None:
        """Store a batch of line-protocol lines; raises StoreUnavailable."""

    def last(self, measurement: str, field: str,
             tags: Mapping[str, str] | None = None) -> tuple[FieldValue, dt.datetime] | None:
        """Latest value of a field and its time."""

    def stats(self, measurement: str, field: str, start: dt.datetime, end: dt.datetime,
              tags: Mapping[str, str] | None = None) -> Stats | None:
        """Mean, min, max and count of a numeric field in [start, end)."""

    def series(self, measurement: str, field: str, start: dt.datetime, end: dt.datetime,
               tags: Mapping[str, str] | None = None) -> list[tuple[dt.datetime, FieldValue]]:
        """Raw values of a field in [start, end), oldest first."""

    def prune(self, before: dt.datetime) -> None:
        """Delete points older than `before`."""

    def close(self) -> None:
        """Release connections."""


class SQLiteStore:
    """Embedded store for houses without InfluxDB: one table of (series, field, time, value)."""

    def __init__(self, path: str | Path) -> None:
        self._db = _open_sqlite(path, """
            CREATE TABLE IF NOT EXISTS points (measurement TEXT NOT NULL, tags TEXT NOT NULL,
                field TEXT NOT NULL, ts INTEGER NOT NULL, value);
            CREATE INDEX IF NOT EXISTS points_series ON points (measurement, field, ts);
        """)

    def write_lines(self, lines: Sequence[str]) -> None:
        rows: list[tuple[str, str, str, Any, FieldValue]] = []
        for line in lines:
            try:
                point = parse_line(line)
            except ValueError:
                _LOGGER.warning("dropping unparsable metrics line %r", line[:200])
                continue
            tags = json.dumps(dict(point.tags), sort_keys=True, ensure_ascii=False)
            rows.extend((point.measurement, tags, name, point.time, value)
                        for name, value in point.fields.items())
        try:
            with self._db:
                self._db.executemany("INSERT INTO points VALUES (?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as err:
            raise StoreUnavailable(f"sqlite: {err}") from err

    def _where(self, measurement: str, field: str, tags: Mapping[str, str] | None
               ) -> tuple[str, list[Any]]:
        sql, args = "measurement = ? AND field = ?", [measurement, field]
        for key, value in (tags or {}).items():
            sql += " AND json_extract(tags, ?) = ?"
            args += [f'$."{key}"', value]
        return sql, args

    def last(self, measurement: str, field: str,
             tags: Mapping[str, str] | None = None) -> tuple[FieldValue, dt.datetime] | None:
        where, args = self._where(measurement, field, tags)
        row = self._db.execute(f"SELECT value, ts FROM points WHERE {where} "
                               "ORDER BY ts DESC LIMIT 1", args).fetchone()
        return (row[0], from_ns(row[1])) if row else None

    def stats(self, measurement: str, field: str, start: dt.datetime, end: dt.datetime,
              tags: Mapping[str, str] | None = None) -> Stats | None:
        where, args = self._where(measurement, field, tags)
        row = self._db.execute(
            f"SELECT avg(value), min(value), max(value), count(value) FROM points "
            f"WHERE {where} AND ts >= ? AND ts < ?", [*args, to_ns(start), to_ns(end)]).fetchone()
        return Stats(row[0], row[1], row[2], row[3]) if row and row[3] else None

    def series(self, measurement: str, field: str, start: dt.datetime, end: dt.datetime,
               tags: Mapping[str, str] | None = None) -> list[tuple[dt.datetime, FieldValue]]:
        where, args = self._where(measurement, field, tags)
        rows = self._db.execute(f"SELECT ts, value FROM points WHERE {where} AND ts >= ? "
                                "AND ts < ? ORDER BY ts", [*args, to_ns(start), to_ns(end)])
        return [(from_ns(ts), value) for ts, value in rows]

    def count(self) -> int:
        """Stored field values (for tests and benchmarks)."""
        return int(self._db.execute("SELECT count(*) FROM points").fetchone()[0])

    def prune(self, before: dt.datetime) -> None:
        with self._db:
            self._db.execute("DELETE FROM points WHERE ts < ?", [to_ns(before)])

    def close(self) -> None:
        self._db.close()


class InfluxStore:
    """InfluxDB 1.x through the PyPI `influxdb` 5.3 client (InfluxQL)."""

    def __init__(self, host: str, port: int, database: str, *, username: str = "",
                 password: str | None = None, timeout: float = 5.0) -> None:
        from influxdb import InfluxDBClient
        self.database = database
        self._client = InfluxDBClient(host=host, port=port, username=username or "root",
                                      password=password or "root", database=database,
                                      timeout=timeout, retries=1)
        self._created = False

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        from influxdb.exceptions import InfluxDBClientError, InfluxDBServerError
        from requests.exceptions import RequestException
        try:
            if not self._created:
                self._client.create_database(self.database)  # idempotent in 1.x
                self._created = True
            return func(*args, **kwargs)
        except (RequestException, InfluxDBClientError, InfluxDBServerError, OSError) as err:
            raise StoreUnavailable(f"influxdb {what}: {err}") from err

    def write_lines(self, lines: Sequence[str]) -> None:
        self._call("write", self._client.write_points, list(lines), protocol="line",
                   time_precision="n")

    def _query(self, select: str, measurement: str, tags: Mapping[str, str] | None,
               extra: str = "") -> list[dict[str, Any]]:
        cond = [f"\"{k}\" = '{_q(v)}'" for k, v in (tags or {}).items()]
        if extra:
            cond.append(extra)
        where = f" WHERE {' AND '.join(cond)}" if cond else ""
        result = self._call("query", self._client.query,
                            f'SELECT {select} FROM "{_qi(measurement)}"{where}', epoch="ns")
        return list(result.get_points())

    def last(self, measurement: str, field: str,
             tags: Mapping[str, str] | None = None) -> tuple[FieldValue, dt.datetime] | None:
        rows = self._query(f'last("{_qi(field)}")', measurement, tags)
        return (rows[0]["last"], from_ns(rows[0]["time"])) if rows else None

    def stats(self, measurement: str, field: str, start: dt.datetime, end: dt.datetime,
              tags: Mapping[str, str] | None = None) -> Stats | None:
        f = _qi(field)
        rows = self._query(f'mean("{f}"), min("{f}"), max("{f}"), count("{f}")', measurement,
                           tags, f"time >= {to_ns(start)} AND time < {to_ns(end)}")
        if not rows or not rows[0]["count"]:
            return None
        row = rows[0]
        return Stats(row["mean"], row["min"], row["max"], row["count"])

    def series(self, measurement: str, field: str, start: dt.datetime, end: dt.datetime,
               tags: Mapping[str, str] | None = None) -> list[tuple[dt.datetime, FieldValue]]:
        rows = self._query(f'"{_qi(field)}"', measurement, tags,
                           f"time >= {to_ns(start)} AND time < {to_ns(end)}")
        return [(from_ns(r["time"]), r[field]) for r in rows if r.get(field) is not None]

    def prune(self, before: dt.datetime) -> None:
        for row in self._call("query", self._client.query, "SHOW MEASUREMENTS").get_points():
            self._call("prune", self._client.query,
                       f'DELETE FROM "{_qi(row["name"])}" WHERE time < {to_ns(before)}')

    def close(self) -> None:
        self._client.close()


def _q(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _qi(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def open_store(config: Config) -> MetricsStore:
    """The store the config names."""
    m = config.metrics
    if m.backend == "influxdb":
        return InfluxStore(m.influxdb.host, m.influxdb.port, m.influxdb.database,
                           username=m.influxdb.username,
                           password=config.reveal(m.influxdb.password),
                           timeout=m.influxdb.timeout_s)
    return SQLiteStore(config.path(m.sqlite_path))


# ---- store and forward -------------------------------------------------------------------
class DiskQueue:
    """An append-only on-disk queue of lines (SQLite), consumed in order."""

    def __init__(self, path: str | Path) -> None:
        self._db = _open_sqlite(path, """
            CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY AUTOINCREMENT, line TEXT);
        """)
        self._lock = threading.Lock()
        """put() runs on the event loop, peek()/ack() in the flusher's thread: one connection,
        one user at a time (else "cannot start a transaction within a transaction")."""

    def put(self, lines: Iterable[str]) -> None:
        """Append lines durably (one transaction)."""
        with self._lock, self._db:
            self._db.executemany("INSERT INTO queue (line) VALUES (?)", ((ln,) for ln in lines))

    def peek(self, limit: int) -> tuple[int, list[str]]:
        """The oldest lines and the id of the last one (0 when empty)."""
        with self._lock:
            rows = self._db.execute("SELECT id, line FROM queue ORDER BY id LIMIT ?",
                                    (limit,)).fetchall()
        return (rows[-1][0] if rows else 0), [r[1] for r in rows]

    def ack(self, last_id: int) -> None:
        """Forget every line up to `last_id`."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM queue WHERE id <= ?", (last_id,))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM queue").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


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
