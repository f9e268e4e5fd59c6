"""Test helpers: wait for a daemon's serial port, collect bus messages."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from core.bus import Subscriber
from core.messages import Envelope
from core.service import Runtime


async def wait_for(predicate: Any, timeout: float = 10.0, what: str = "condition") -> None:
    """Poll until `predicate()` is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def serial_connected(rt: Runtime, opened: int = 1, timeout: float = 10.0) -> None:
    """Wait until the daemon has opened its serial device `opened` times."""
    await wait_for(lambda: rt.status["serial"]()["connected"]
                   and rt.status["serial"]()["opened"] >= opened, timeout, "serial port")


async def collect(sub: Subscriber, count: int, timeout: float = 10.0) -> list[Envelope]:
    """Receive `count` envelopes (fewer on timeout)."""
    out: list[Envelope] = []
    deadline = time.monotonic() + timeout
    while len(out) < count and time.monotonic() < deadline:
        try:
            out.extend(await asyncio.wait_for(sub.recv_batch(), 0.2))
        except TimeoutError:
            continue
    return out


def house(base: Any, tmp_path: Any, overrides: dict[str, Any]) -> Any:
    """The demo house on the `bus` fixture's ports (`base` is the `config` fixture), with
    overrides."""
    from core.config import Config
    from tests.helpers import demo_data
    data = demo_data(tmp_path / "var", {"metrics": {"flush_interval_s": 0.05, "retry_s": 0.1},
                                        **overrides})
    data["bus"]["pub_port"], data["bus"]["sub_port"] = base.bus.pub_port, base.bus.sub_port
    return Config.from_dict(data, base_dir=str(tmp_path))
