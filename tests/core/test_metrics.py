"""Metrics: line protocol, both stores answering the same queries, nothing lost in outages."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.metrics import (
    DiskQueue,
    InfluxStore,
    MetricsStore,
    MetricsWriter,
    Point,
    SQLiteStore,
    StoreUnavailable,
    parse_line,
    to_line,
)
from tests.helpers import InfluxServer, free_port

T0 = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)

names = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=12)
values = st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                   st.integers(-2**63, 2**63 - 1), st.booleans(),
                   st.text(st.characters(blacklist_categories=["Cs"]), max_size=20))


@given(measurement=names, tags=st.dictionaries(names, names, max_size=3),
       fields=st.dictionaries(names, values, min_size=1, max_size=4),
       ns=st.integers(0, 2**62))
def test_line_protocol_round_trips(measurement: str, tags: dict[str, str],
                                   fields: dict[str, object], ns: int) -> None:
    point = Point(measurement, fields, tags, ns)  # type: ignore[arg-type]
    assert parse_line(to_line(point)) == point


@pytest.mark.parametrize(("point", "line"), [
    (Point("muta", {"temperature": 19.5}, {"unit": "salon"}, T0),
     "muta,unit=salon temperature=19.5 1795248000000000000"),
    (Point("heater", {"relay": True, "setpoint": 20.0, "n": 3}, {}, 5),
     "heater relay=true,setpoint=20.0,n=3i 5"),
    (Point("log", {"text": 'dit "bonjour"'}, {"room": "salle de bains"}, 1),
     'log,room=salle\\ de\\ bains text="dit \\"bonjour\\"" 1'),
])
def test_line_protocol_table(point: Point, line: str) -> None:
    assert to_line(point) == line


@pytest.mark.parametrize("bad", [
    Point("m", {}, {}, 1), Point("m", {"x": float("nan")}, {}, 1),
    Point("m", {"x": 1.0}, {}, dt.datetime(2026, 1, 1)),
])
def test_bad_points_are_refused(bad: Point) -> None:
    with pytest.raises(ValueError):
        to_line(bad)


def _fill(store: MetricsStore) -> None:
    points = [Point("muta", {"temperature": 18.0 + i, "battery": 2.9}, {"unit": "salon"},
                    T0 + dt.timedelta(minutes=10 * i)) for i in range(6)]
    points.append(Point("muta", {"temperature": 5.0}, {"unit": "exterieur"},
                        T0 + dt.timedelta(minutes=70)))
    store.write_lines([to_line(p) for p in points])


def _check_queries(store: MetricsStore) -> None:
    value, when = store.last("muta", "temperature", {"unit": "salon"})  # type: ignore[misc]
    assert (value, when) == (23.0, T0 + dt.timedelta(minutes=50))
    assert store.last("muta", "temperature", {"unit": "garage"}) is None
    stats = store.stats("muta", "temperature", T0, T0 + dt.timedelta(minutes=30),
                        {"unit": "salon"})
    assert stats is not None
    assert (stats.mean, stats.min, stats.max, stats.count) == (19.0, 18.0, 20.0, 3)
    series = store.series("muta", "temperature", T0, T0 + dt.timedelta(hours=2))
    assert len(series) == 7 and series[0] == (T0, 18.0)
    store.prune(T0 + dt.timedelta(minutes=25))
    assert len(store.series("muta", "temperature", T0, T0 + dt.timedelta(hours=2))) == 4


def test_sqlite_store_queries(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "m.sqlite")
    _fill(store)
    _check_queries(store)


def test_influx_store_queries(influx: InfluxServer) -> None:
    store = InfluxStore("127.0.0.1", influx.port, "queries")
    _fill(store)
    _check_queries(store)


def test_influx_down_is_store_unavailable() -> None:
    store = InfluxStore("127.0.0.1", free_port(), "x", timeout=0.5)
    with pytest.raises(StoreUnavailable):
        store.write_lines(["m x=1 1"])


async def test_outage_queues_on_disk_and_drains_in_order(tmp_path: Path,
                                                        influx: InfluxServer) -> None:
    store = InfluxStore("127.0.0.1", influx.port, "outage", timeout=1.0)
    writer = MetricsWriter(store, DiskQueue(tmp_path / "q.sqlite"), batch_size=500,
                           flush_interval_s=0.05, retry_s=0.1)
    task = asyncio.create_task(writer.run())
    try:
        writer.write(Point("seq", {"n": i}, {}, T0 + dt.timedelta(seconds=i)) for i in range(1000))
        await _until(lambda: writer.backlog == 0)
        influx.stop()
        writer.write(Point("seq", {"n": i}, {}, T0 + dt.timedelta(seconds=i))
                     for i in range(1000, 3000))
        await asyncio.sleep(0.5)
        assert writer.backlog == 2000 and writer.failures > 0
        influx.start()
        await _until(lambda: writer.backlog == 0)
    finally:
        task.cancel()
    rows = store.series("seq", "n", T0, T0 + dt.timedelta(hours=1))
    assert [v for _, v in rows] == list(range(3000))


async def test_queue_survives_a_restart_of_the_writer(tmp_path: Path) -> None:
    down = InfluxStore("127.0.0.1", free_port(), "x", timeout=0.3)
    writer = MetricsWriter(down, DiskQueue(tmp_path / "q.sqlite"))
    writer.write([Point("m", {"v": float(i)}, {}, i) for i in range(10)])
    assert writer.flush(timeout=1) is False
    await writer.close(timeout=0.5)
    store = SQLiteStore(tmp_path / "m.sqlite")
    again = MetricsWriter(store, DiskQueue(tmp_path / "q.sqlite"))
    assert again.backlog == 10 and again.flush()
    assert store.count() == 10


async def _until(predicate: object, timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


def test_queue_put_while_the_flusher_thread_acks(tmp_path: Path) -> None:
    # the service puts on its event loop while the writer's flusher peeks and acks in a thread:
    # one SQLite connection used by two threads at once broke a sensor daemon's reader task
    queue = DiskQueue(tmp_path / "queue.sqlite")
    errors: list[BaseException] = []
    acked = [0]
    done = threading.Event()

    def consume() -> None:
        try:
            while not (done.is_set() and not len(queue)):
                last, lines = queue.peek(50)
                if lines:
                    queue.ack(last)
                    acked[0] += len(lines)
        except BaseException as err:  # recorded for the assertion below
            errors.append(err)

    consumer = threading.Thread(target=consume)
    consumer.start()
    try:
        for i in range(3000):
            queue.put([f"m v={i}i {j}" for j in range(3)])
    finally:
        done.set()
        consumer.join(30)
        queue.close()
    assert not errors
    assert acked[0] == 9000
