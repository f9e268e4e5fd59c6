"""Metrics throughput into a real InfluxDB: our store-and-forward writer against one raw
`write_points` batch of the same points, then ours again with InfluxDB stopped for 10 s mid-run.

- raw:  influxdb.InfluxDBClient.write_points(points as dicts, batch_size=5000), no queue;
- ours: MetricsWriter.write(points) -> on-disk queue -> batches of 5000 -> InfluxStore;
- outage: the same writer while influxd is stopped for `--outage` seconds mid-run and started
  again; `lost` counts points missing from InfluxDB at the end (must be 0).
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from influxdb import InfluxDBClient

from core.metrics import DiskQueue, InfluxStore, MetricsWriter, Point
from tests.helpers import InfluxServer

T0 = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)


def make_points(count: int, offset: int = 0) -> list[Point]:
    units = ("salon", "chambre", "exterieur", "garage")
    return [Point("muta", {"temperature": 19.0 + (i % 50) / 10, "battery": 2.9,
                           "seq": i + offset}, {"unit": units[i % 4]},
                  T0 + dt.timedelta(milliseconds=i + offset)) for i in range(count)]


def count_in(server: InfluxServer, database: str) -> int:
    client = InfluxDBClient("127.0.0.1", server.port, database=database)
    rows = list(client.query('SELECT count("seq") FROM "muta"').get_points())
    return int(rows[0]["count"]) if rows else 0


def bench_raw(server: InfluxServer, points: list[Point]) -> float:
    client = InfluxDBClient("127.0.0.1", server.port, database="raw", timeout=60)
    client.create_database("raw")
    body = [{"measurement": p.measurement, "tags": dict(p.tags), "fields": dict(p.fields),
             "time": p.time} for p in points]
    start = time.perf_counter()
    client.write_points(body, batch_size=5000)
    return time.perf_counter() - start


def bench_ours(server: InfluxServer, points: list[Point], folder: Path) -> float:
    store = InfluxStore("127.0.0.1", server.port, "ours", timeout=60)
    writer = MetricsWriter(store, DiskQueue(folder / "ours.sqlite"), batch_size=5000)
    start = time.perf_counter()
    writer.write(points)
    if not writer.flush(timeout=300):
        raise RuntimeError(f"flush failed: {writer.last_error}")
    return time.perf_counter() - start


async def bench_outage(server: InfluxServer, count: int, outage_s: float, folder: Path) -> int:
    """Write `count` points over ~2*outage s while influxd is stopped in the middle."""
    store = InfluxStore("127.0.0.1", server.port, "outage", timeout=2)
    writer = MetricsWriter(store, DiskQueue(folder / "outage.sqlite"), batch_size=5000,
                           flush_interval_s=0.2, retry_s=0.5)
    flusher = asyncio.create_task(writer.run())
    slices = 40
    per_slice = count // slices
    pause = 2 * outage_s / slices
    for i in range(slices):
        writer.write(make_points(per_slice, offset=i * per_slice))
        if i == slices // 4:
            server.stop()
            print(f"  influxd stopped, backlog {writer.backlog}", file=sys.stderr)
        if i == slices // 4 + int(outage_s / pause):
            server.start()
            print(f"  influxd back, backlog {writer.backlog}", file=sys.stderr)
        await asyncio.sleep(pause)
    if server.proc is None:
        server.start()
    for _ in range(600):
        if writer.backlog == 0:
            break
        await asyncio.sleep(0.1)
    flusher.cancel()
    print(f"  outages seen by the writer: {writer.outages}", file=sys.stderr)
    return slices * per_slice - count_in(server, "outage")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="points per run")
    parser.add_argument("--outage", type=float, default=10.0, help="seconds influxd is down")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bc-bench-metrics-") as tmp:
        folder = Path(tmp)
        server = InfluxServer(folder / "influx").start()
        try:
            points = make_points(args.count)
            raw_s = bench_raw(server, points)
            print(f"raw:  {args.count / raw_s:,.0f} points/s", file=sys.stderr)
            ours_s = bench_ours(server, points, folder)
            print(f"ours: {args.count / ours_s:,.0f} points/s", file=sys.stderr)
            stored = count_in(server, "ours")
            lost_plain = args.count - stored
            lost_outage = asyncio.run(bench_outage(server, args.count, args.outage, folder))
        finally:
            server.close()
    print(json.dumps({"bench": "metrics", "ours_pts_s": round(args.count / ours_s),
                      "raw_pts_s": round(args.count / raw_s),
                      "ratio": round(raw_s / ours_s, 3),
                      "lost": lost_plain + lost_outage, "outage_s": args.outage}))


if __name__ == "__main__":
    main()
