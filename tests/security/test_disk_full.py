"""A full disk under a service's metrics queue (a real one: a 1 MiB tmpfs filled to the
brim): the service keeps running and reading, the readings wait in memory, a major alert says
so (and its end), and once space is back nothing was lost. The sentinel's own cycle survives
a state file it cannot write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.bus import Forwarder
from tests.security import scenarios


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    with scenarios.tiny_disk(tmp_path / "tiny") as disk:
        yield disk


async def test_a_full_queue_disk_kills_nothing_and_loses_nothing(
        tmp_path: Path, tiny_disk: Path) -> None:
    config = scenarios.house_on_disk(tmp_path, tiny_disk)
    bus = Forwarder(*config.bus_endpoints(), grace_s=0.05).start()
    try:
        got = await scenarios.full_queue_disk(config, tiny_disk, readings=3000)
    finally:
        bus.stop()
    assert got["queue_full"] and got["status_queue_full"] and not got["queue_full_after"]
    assert got["alerts"][0] == ("metrics:bc-hq/muta", "major", "problem")
    assert ("metrics:bc-hq/muta", "major", "recovery") in got["alerts"]
    assert got["memory_dropped"] == 0
    assert got["stored"] == got["written"] == 3001 and got["lost"] == 0  # nothing lost


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
    scenarios.fill(tiny_disk)
    async with aiohttp.ClientSession() as http:
        sentinel = Sentinel(cfg, ProbeContext(cfg, clock.now, http), clock, host="bc-watch",
                            notifiers={}, outbox=outbox, state_path=tiny_disk / "state.json",
                            publish=lambda _: None, log=lambda _lv, text: logged.append(text))
        for _ in range(3):
            await sentinel.cycle()
    outbox.close()
    assert sentinel.memory.history.cycle == 3 and sentinel.save_failures >= 3
    assert sum("non enregistrée" in line for line in logged) == 1  # said once
