"""Alerts first: a hundred junk SMS from the owner's phone used to queue a hundred "pas
compris" under the hourly cap, and a power cut then left 2.6 hours late. Now the junk gets one
answer a minute and the power cut's SMS leaves within one sentinel cycle — on the real SMS
gateway (Gammu's dummy phone), dialogs service and sentinel."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import gammu

from core.config import Config
from core.service import running
from core.testing import free_port
from dialogs import service as dialogs_service
from tests.watch.conftest import small_house
from watch import service as watch_service
from watch import sms
from watch.outbox import Outbox

OWNER = "+33600000001"
CYCLE_S = 2.0


def drop(phone: Path, location: int, text: str) -> None:
    gammu.SaveSMSBackup(str(phone / "sms" / "1" / str(location)), [{
        "Text": text, "Number": OWNER, "SMSC": {"Location": 0, "Number": "+33000000000"},
        "Folder": 1, "State": "UnRead", "Memory": "SM", "InboxFolder": 1, "Type": "Deliver",
        "Coding": "Default_No_Compression", "Class": -1}])


async def test_a_power_cut_is_told_at_once_after_a_burst_of_junk(tmp_path: Path,
                                                                  config: Config,
                                                                  bus: Any) -> None:
    services = {"sms": {"machine": "bc-watch", "port": free_port()},
                "watch": {"machine": "bc-watch", "port": free_port()},
                "dialogs": {"machine": "bc-hq", "port": free_port()}}
    cfg = small_house(tmp_path / "var", services=services, bus=config,
                      sms={"poll_s": 0.1},
                      watch={"interval_s": CYCLE_S, "service_checks": [],
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
        for i in range(100):  # junk, from a pocket
            drop(phone, i + 1, f"zzkq {i} blrp")
        async with asyncio.timeout(60):
            while any((phone / "sms" / "1").iterdir()):
                await asyncio.sleep(0.2)
        await asyncio.sleep(3 * CYCLE_S)  # the sentinel sees the gateway's heartbeats
        replies = [p for _, p in journal.journal("sms") if p.get("kind") == "reply"]
        assert 1 <= len(replies) <= 2  # one "pas compris" a minute, not a hundred
        cut = time.monotonic()
        mains.write_text("0")
        async with asyncio.timeout(60):
            while not [p for _, p in journal.journal("sms") if "PROBLÈME" in p["text"]]:
                await asyncio.sleep(0.1)
        delay = time.monotonic() - cut
        journal.close()
    assert delay < 2 * CYCLE_S + 1, f"the power cut was told {delay:.1f} s later"
