"""A full disk under a service's metrics queue (a real one: a 1 MiB tmpfs filled to the
brim): the service keeps running and reading, the readings wait in memory, a major alert says
so (and its end), and once space is back nothing was lost. The sentinel's own cycle survives
a state file it cannot write."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.bus import Forwarder, Subscriber
from core.messages.watch import Alert
from core.metrics import Point, SQLiteStore
from core.service import running
from core.testing import demo_config


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (root, as on the house's machines and CI)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True,
                   capture_output=True, timeout=10)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, capture_output=True,
                       timeout=10)


def fill(disk: Path) -> Path:
    """Fill the disk until a write fails; the filler file (delete it to make room)."""
    filler = disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as out:
        while True:
            out.write(b"\0" * 4096)
            out.flush()
    return filler


async def test_a_full_queue_disk_kills_nothing_and_loses_nothing(
        tmp_path: Path, tiny_disk: Path) -> None:
    config = demo_config(tmp_path / "var", {"metrics": {
        "queue_dir": str(tiny_disk), "sqlite_path": str(tmp_path / "metrics.sqlite"),
        "flush_interval_s": 0.2}})
    bus = Forwarder(*config.bus_endpoints(), grace_s=0.05).start()
    alerts: list[Alert] = []
    sub = Subscriber(config.bus_endpoints()[1], [Alert.TOPIC])
    written = 0

    async def serve(rt: Any) -> None:
        rt.metrics  # noqa: B018 - the queue is opened now, on a disk with room
    try:
        async with running("muta", serve, config) as rt:
            assert await sub.settle(rt.publisher)
            store_was_down = SQLiteStore(tmp_path / "metrics.sqlite")
            filler = fill(tiny_disk)
            for i in range(3000):  # a reading every ms, as a busy daemon writes them
                rt.metrics.write(Point("muta", {"temperature": 20.0 + i / 1000},
                                       {"unit": "salon", "seq": str(i)}))
                written += 1
                if i % 100 == 0:
                    await asyncio.sleep(0)
            assert rt.metrics.queue_full and rt.metrics.status()["queue_full"]
            async with asyncio.timeout(15):
                while not [a for a in alerts if a.state == "problem"]:
                    alerts += [Alert.from_envelope(e) for e in await sub.recv_batch()]
            assert alerts[0].key == "metrics:bc-hq/muta" and alerts[0].severity == "major"
            filler.unlink()  # room again
            rt.metrics.write(Point("muta", {"temperature": 25.0}, {"unit": "salon",
                                                                  "seq": "last"}))
            written += 1
            assert not rt.metrics.queue_full
            async with asyncio.timeout(20):
                while rt.metrics.backlog:
                    await asyncio.sleep(0.1)
                while not [a for a in alerts if a.state == "recovery"]:
                    alerts += [Alert.from_envelope(e) for e in await sub.recv_batch()]
            assert rt.metrics.status()["memory_dropped"] == 0
        ever = (dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        stored = store_was_down.series("muta", "temperature", *ever, {"unit": "salon"})
        store_was_down.close()
        assert len(stored) == written  # nothing lost
    finally:
        sub.close()
        bus.stop()


async def test_the_sentinel_cycles_on_when_its_state_cannot_be_written(
        tmp_path: Path, tiny_disk: Path) -> None:
    import aiohttp

    from core.clock import SystemClock
    from tests.watch.conftest import small_house
    from watch.outbox import Outbox
    from watch.probes import ProbeContext
    from watch.sentinel import Sentinel
    cfg = small_house(tmp_path, services={}, watch={"machine_check": "none"})
    clock = SystemClock("UTC")
    outbox = Outbox(tmp_path / "outbox.sqlite")
    logged: list[str] = []
    fill(tiny_disk)
    async with aiohttp.ClientSession() as http:
        sentinel = Sentinel(cfg, ProbeContext(cfg, clock.now, http), clock, host="bc-watch",
                            notifiers={}, outbox=outbox, state_path=tiny_disk / "state.json",
                            publish=lambda _: None, log=lambda _lv, text: logged.append(text))
        for _ in range(3):
            await sentinel.cycle()
    outbox.close()
    assert sentinel.memory.history.cycle == 3 and sentinel.save_failures >= 3
    assert sum("non enregistrée" in line for line in logged) == 1  # said once
