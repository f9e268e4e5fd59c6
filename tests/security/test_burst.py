"""Alerts first: a hundred junk SMS from the owner's phone used to queue a hundred "pas
compris" under the hourly cap, and a power cut then left 2.6 hours late. Now the junk gets one
answer a minute and the power cut's SMS leaves within one sentinel cycle — on the real SMS
gateway (Gammu's dummy phone), dialogs service and sentinel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.config import Config
from tests.security.scenarios import burst_then_power_cut

CYCLE_S = 2.0


async def test_a_power_cut_is_told_at_once_after_a_burst_of_junk(tmp_path: Path,
                                                                  config: Config,
                                                                  bus: Any) -> None:
    got = await burst_then_power_cut(tmp_path, config, cycle_s=CYCLE_S, junk=100)
    assert 1 <= got["replies"] <= 2  # one "pas compris" a minute, not a hundred
    assert got["alert_delay_s"] < CYCLE_S + 1.5, \
        f"the power cut was told {got['alert_delay_s']:.1f} s later (one cycle: {CYCLE_S} s)"
