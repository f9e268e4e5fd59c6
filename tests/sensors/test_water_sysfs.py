"""The water meter on a GPIO line's sysfs `value` file (a real file standing for the kernel's):
rising edges are pulses, junk is counted, an unplugged line is said once and comes back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sensors.errors import Reason, Rejected
from sensors.water import SysfsLine


async def test_rising_edges_junk_and_an_unplugged_line(tmp_path: Path) -> None:
    value = tmp_path / "value"
    value.write_text("0\n")
    rejected: list[Rejected] = []
    line = SysfsLine(str(value), 0.01, rejected.append)  # type: ignore[arg-type]
    seen: list[int | None] = []

    async def read() -> None:
        async for count in line.pulses():
            seen.append(count)

    async def settle() -> None:
        await asyncio.sleep(0.2)  # many polls (every 10 ms)

    task = asyncio.create_task(read())
    try:
        await settle()
        assert seen == [0]  # connected: the slots can be trusted
        for level in ("1", "1", "0", "1", "0"):  # two rising edges, a held level counts once
            value.write_text(level + "\n")
            await settle()
        assert seen == [0, 1, 1]
        value.write_text("x\n")
        await settle()
        assert Rejected(Reason.MALFORMED, "gpio value 'x'") in rejected
        assert seen == [0, 1, 1]
        value.unlink()  # the line is gone (unexported, unplugged)
        await settle()
        assert seen[-1] is None
        assert [r.reason for r in rejected].count(Reason.UNPLUGGED) == 1
        value.write_text("0\n")
        await asyncio.sleep(1.2)  # while unplugged it looks once a second
        value.write_text("1\n")
        await settle()
        assert seen[-2:] == [0, 1]  # back: trusted again, and the next edge counts
        assert [r.reason for r in rejected].count(Reason.UNPLUGGED) == 1
    finally:
        task.cancel()
