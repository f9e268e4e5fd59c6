"""Metrics stores: two implementations behind one Protocol, answering the same queries.

    MetricsStore |- InfluxStore (InfluxDB 1.x, InfluxQL)
                 '- SQLiteStore (embedded default: one table of field values)

Errors of the stores are translated to `StoreUnavailable` at the adapter.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from core.config import Config
from core.metrics.lineproto import FieldValue, from_ns, parse_line, to_ns
from core.sqlqueue import open_wal

_LOGGER = logging.getLogger(__name__)


class StoreUnavailable(RuntimeError):
    """The metrics store cannot be reached or refused a write; the batch is kept."""


@dataclass(frozen=True)
class Stats:
    """Aggregate of a field over a window."""

    mean: float
    min: float
    max: float
    count: int


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
        self._db = open_wal(path, """
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
