"""The sentinel's memory is on disk before its remedies run: a sentinel killed while it
restarts services (seconds each) must not tell the same incidents again when it comes back."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from core.clock import SystemClock
from tests.helpers import free_port
from tests.watch.conftest import small_house
from watch.outbox import Outbox
from watch.probes import ProbeContext
from watch.sentinel import Sentinel


async def test_incidents_are_saved_before_the_remedies(tmp_path: Path) -> None:
    nobody = free_port()  # the logbook is down from the start
    cfg = small_house(tmp_path, services={"logbook": {"machine": "bc-hq", "port": nobody}},
                      watch={"service_checks": ["http"], "machine_check": "none",
                             "restart": True})
    clock = SystemClock("UTC")
    state_path = tmp_path / "state.json"
    outbox = Outbox(tmp_path / "outbox.sqlite")
    on_disk: list[list[str]] = []

    def remedy(machine: str, program: str) -> str:
        on_disk.append(sorted(json.loads(state_path.read_text())["book"]["incidents"]))
        return f"{program} restarted"

    async with aiohttp.ClientSession() as http:
        sentinel = Sentinel(cfg, ProbeContext(cfg, clock.now, http), clock, host="bc-watch",
                            notifiers={}, outbox=outbox, state_path=state_path,
                            publish=lambda _: None, log=lambda *_: None)
        sentinel.remedy = remedy
        for _ in range(3):
            await sentinel.cycle()
    outbox.close()
    assert len(on_disk) == 1 and "service:bc-hq/logbook" in on_disk[0]


async def test_silent_sensors_restart_their_operator_once(tmp_path: Path) -> None:
    """Three MUTA units silent: the MUTA daemon (their operator) is restarted once, as a dead
    service would be, and the other two incidents say it was already done."""
    from core.metrics import SQLiteStore
    cfg = small_house(tmp_path, services={"muta": {"machine": "bc-hq", "port": free_port()}},
                      watch={"service_checks": [], "machine_check": "none", "restart": True,
                             "sensors": {"units": ["salon", "chambre", "exterieur"]},
                             "fail_n": 1, "fail_m": 1})
    clock = SystemClock("UTC")
    restarts: list[tuple[str, str]] = []

    def remedy(machine: str, program: str) -> str:
        restarts.append((machine, program))
        return f"{program} redémarré"

    store = SQLiteStore(tmp_path / "metrics.sqlite")  # no reading at all: every unit silent
    outbox = Outbox(tmp_path / "outbox.sqlite")
    async with aiohttp.ClientSession() as http:
        sentinel = Sentinel(cfg, ProbeContext(cfg, clock.now, http, store=store), clock,
                            host="bc-watch", notifiers={}, outbox=outbox,
                            state_path=tmp_path / "state.json", publish=lambda _: None,
                            log=lambda *_: None)
        sentinel.remedy = remedy
        for _ in range(3):
            await sentinel.cycle()
    remedied = sentinel.report()["checks"]
    outbox.close()
    store.close()
    assert restarts == [("bc-hq", "muta")]
    assert {remedied[f"sensor:{u}"]["remedy"] for u in ("salon", "chambre", "exterieur")} == {
        "muta redémarré", "muta déjà redémarré"}
