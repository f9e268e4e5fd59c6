"""Every intent the house carries out × every channel, on the running demo house: the effect
(state on the bus) must follow, and no reply may announce it before it happened. The table
is in `tests/e2e/table.py`; `bench/promises.py` times the same pairs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e import table
from tests.e2e.house import House, running_house

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

OVERRIDES: dict[str, Any] = {"watch": {"interval_s": 1.0, "machine_check": "tcp"},
                             "sms": {"poll_s": 0.2},
                             "dialogs": {"answer_transcripts": True}}
START = dt.datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Iterator[House]:
    with running_house(tmp_path_factory.mktemp("house"), OVERRIDES, speed=1.0,
                       start=START) as h:
        yield h


@pytest.mark.parametrize(("row", "channel"), table.pairs(),
                         ids=[f"{r.name}-{c}" for r, c in table.pairs()])
def test_the_command_is_carried_out(house: House, row: table.Row, channel: str) -> None:
    result = table.run(house, row, channel, cli=True)
    assert result.effect_s is not None, f"no effect; the house said {result.reply!r}"
    assert result.kept, f"the reply came {result.effect_s - (result.reply_s or 0):.2f} s " \
                        f"before the effect: {result.reply!r}"
    if channel != "kiosk":
        assert result.reply, "no reply"
