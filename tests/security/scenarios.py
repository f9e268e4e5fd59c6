"""Fault scenarios shared by the trust tests and bench/trust.py: a burst of junk SMS then a
power cut (on the real SMS gateway with Gammu's dummy phone, dialogs service and sentinel),
and a full disk under a service's metrics queue (a real 1 MiB tmpfs). Each starts the services
it needs on the bus whose forwarder the caller runs (the config's ports)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gammu

from core.bus import Subscriber
from core.config import Config
from core.messages.watch import Alert
from core.metrics import Point, SQLiteStore
from core.service import running
from tests.helpers import demo_config, free_port

OWNER = "+33600000001"


# ---- alerts first ------------------------------------------------------------------------
def drop_sms(phone: Path, location: int, text: str) -> None:
    """An SMS from the owner's phone arriving at the dummy modem."""
    gammu.SaveSMSBackup(str(phone / "sms" / "1" / str(location)), [{
        "Text": text, "Number": OWNER, "SMSC": {"Location": 0, "Number": "+33000000000"},
        "Folder": 1, "State": "UnRead", "Memory": "SM", "InboxFolder": 1, "Type": "Deliver",
        "Coding": "Default_No_Compression", "Class": -1}])


async def burst_then_power_cut(folder: Path, bus: Config, *, cycle_s: float,
                               junk: int = 100) -> dict[str, Any]:
    """`junk` unreadable SMS from the owner, then the mains go off: how many "pas compris"
    left, and the seconds from the cut to the power alert's SMS handed to the modem."""
    from dialogs import service as dialogs_service
    from tests.watch.conftest import small_house
    from watch import service as watch_service
    from watch import sms
    from watch.outbox import Outbox
    services = {"sms": {"machine": "bc-watch", "port": free_port()},
                "watch": {"machine": "bc-watch", "port": free_port()},
                "dialogs": {"machine": "bc-hq", "port": free_port()}}
    cfg = small_house(folder / "var", services=services, bus=bus, sms={"poll_s": 0.1},
                      watch={"interval_s": cycle_s, "service_checks": [],
                             "ignore_services": list(services), "machine_check": "none",
                             "power": {"probe": "file", "path": "power/mains",
                                       "return_wait_s": 0}})
    mains = cfg.path("power/mains")
    mains.parent.mkdir(parents=True, exist_ok=True)
    mains.write_text("1")
    async with contextlib.AsyncExitStack() as stack:
        for name, serve in (("sms", sms.serve), ("dialogs", dialogs_service.serve),
                            ("watch", watch_service.serve)):
            rt = await stack.enter_async_context(running(name, serve, cfg))
            assert await rt.settle()
        phone = cfg.path("gammu-phone")
        journal = Outbox(cfg.path("sms") / "sms.sqlite")
        for i in range(junk):  # junk, from a pocket
            drop_sms(phone, i + 1, f"zzkq {i} blrp")
        async with asyncio.timeout(60):
            while any((phone / "sms" / "1").iterdir()):
                await asyncio.sleep(0.2)
        await asyncio.sleep(3 * cycle_s)  # the sentinel sees the gateway's heartbeats
        replies = [p for _, p in journal.journal("sms") if p.get("kind") == "reply"]
        cut = time.monotonic()
        mains.write_text("0")
        async with asyncio.timeout(60):
            while not [p for _, p in journal.journal("sms") if "PROBLÈME" in p["text"]]:
                await asyncio.sleep(0.1)
        delay = time.monotonic() - cut
        journal.close()
    return {"junk": junk, "replies": len(replies), "alert_delay_s": delay}


# ---- full disks --------------------------------------------------------------------------
@contextlib.contextmanager
def tiny_disk(mount: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs at `mount` (root, as on the house's machines and CI)."""
    mount.mkdir(parents=True, exist_ok=True)
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


async def full_queue_disk(config: Config, disk: Path, *, readings: int,
                          full_s: float = 0.0) -> dict[str, Any]:
    """A service writing `readings` readings (spread over `full_s` seconds, or as fast as it
    can) while its metrics queue's disk is full, then room again: what the service said and
    how many readings the store has at the end. `config`: `house_on_disk(folder, disk)`,
    whose bus the caller runs."""
    alerts: list[Alert] = []
    sub = Subscriber(config.bus_endpoints()[1], [Alert.TOPIC])
    written = 0
    status: dict[str, Any] = {}

    async def serve(rt: Any) -> None:
        rt.metrics  # noqa: B018 - the queue is opened now, on a disk with room

    async def alerts_until(state: str, timeout: float) -> None:
        nonlocal alerts
        async with asyncio.timeout(timeout):
            while not [a for a in alerts if a.state == state]:
                alerts += [Alert.from_envelope(e) for e in await sub.recv_batch()]
    try:
        async with running("muta", serve, config) as rt:
            assert await sub.settle(rt.publisher)
            store = SQLiteStore(config.path(config.metrics.sqlite_path))
            filler = fill(disk)
            started = time.monotonic()
            for i in range(readings):
                rt.metrics.write(Point("muta", {"temperature": 20.0 + i / 1000},
                                       {"unit": "salon", "seq": str(i)}))
                written += 1
                if full_s:
                    await asyncio.sleep(max(0.0, started + full_s * (i + 1) / readings
                                            - time.monotonic()))
                elif i % 100 == 0:
                    await asyncio.sleep(0)
            status["queue_full"] = rt.metrics.queue_full
            status["status_queue_full"] = rt.metrics.status()["queue_full"]
            await alerts_until("problem", 15)
            filler.unlink()  # room again
            rt.metrics.write(Point("muta", {"temperature": 25.0}, {"unit": "salon",
                                                                  "seq": "last"}))
            written += 1
            status["queue_full_after"] = rt.metrics.queue_full
            async with asyncio.timeout(20):
                while rt.metrics.backlog:
                    await asyncio.sleep(0.1)
            await alerts_until("recovery", 20)
            status["memory_dropped"] = rt.metrics.status()["memory_dropped"]
        ever = (dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        stored = store.series("muta", "temperature", *ever, {"unit": "salon"})
        store.close()
    finally:
        sub.close()
    return {"written": written, "stored": len(stored), "lost": written - len(stored),
            "alerts": [(a.key, a.severity, a.state) for a in alerts], **status}


def house_on_disk(folder: Path, disk: Path) -> Config:
    """The demo house in `folder`, its metrics queue on `disk`, its store beside."""
    return demo_config(folder / "var", {"metrics": {
        "queue_dir": str(disk), "sqlite_path": str(folder / "metrics.sqlite"),
        "flush_interval_s": 0.2}})
