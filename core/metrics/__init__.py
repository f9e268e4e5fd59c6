"""Metrics: points, line protocol, two stores behind one Protocol, a store-and-forward writer.

    Point --to_line--> on-disk queue (SQLite) --batches--> MetricsStore
                                                           |- InfluxStore (InfluxDB 1.x)
                                                           '- SQLiteStore (embedded default)

- `lineproto`: `Point`, `to_line`/`parse_line` and nanosecond times [pure];
- `stores`: the `MetricsStore` Protocol, `InfluxStore`, `SQLiteStore`, `open_store`;
- `writer`: the on-disk `DiskQueue` (core.sqlqueue) and the `MetricsWriter` flushing it.

A writer never loses a point: `write()` only appends to the service's on-disk queue; a flusher
task sends batches in order and deletes them once the store has acknowledged them. While the
store is down the backlog grows on disk and drains when it returns. Errors of the stores are
translated to `StoreUnavailable` at the adapter. Importers use this package's names.
"""

from core.metrics.lineproto import FieldValue, Point, from_ns, parse_line, to_line, to_ns
from core.metrics.stores import (
    InfluxStore,
    MetricsStore,
    SQLiteStore,
    Stats,
    StoreUnavailable,
    open_store,
)
from core.metrics.writer import DiskQueue, MetricsWriter, open_writer

__all__ = ["DiskQueue", "FieldValue", "InfluxStore", "MetricsStore", "MetricsWriter", "Point",
           "SQLiteStore", "Stats", "StoreUnavailable", "from_ns", "open_store", "open_writer",
           "parse_line", "to_line", "to_ns"]
