"""The persisted outbox: stamped on its clock, its hourly window counted on the same clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.clock import ManualClock
from watch.outbox import Outbox

T0 = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)


def _send(outbox: Outbox, channel: str, text: str) -> None:
    outbox.put(channel, {"text": text})
    ident, payload = outbox.pending(channel)[-1]
    outbox.done(channel, ident, payload)


def test_the_last_hour_is_the_clocks(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    outbox = Outbox(tmp_path / "sms.sqlite", clock)
    _send(outbox, "sms", "un")
    clock.advance(1800)
    _send(outbox, "sms", "deux")
    _send(outbox, "push", "ailleurs")
    assert [when for when, _ in outbox.journal("sms")] == [T0.timestamp(),
                                                           T0.timestamp() + 1800]
    assert [p["text"] for p in outbox.sent_last_hour("sms")] == ["un", "deux"]
    clock.advance(1801)
    assert [p["text"] for p in outbox.sent_last_hour("sms")] == ["deux"]
    outbox.close()


def test_stamps_ahead_of_the_clock_are_not_the_last_hour(tmp_path: Path) -> None:
    """A journal left by a house on an accelerated clock (stamped days ahead) does not hold
    back the messages of the same house on wall time."""
    ahead = Outbox(tmp_path / "sms.sqlite", ManualClock(T0 + dt.timedelta(days=3)))
    _send(ahead, "sms", "demain")
    ahead.close()
    outbox = Outbox(tmp_path / "sms.sqlite", ManualClock(T0))
    assert outbox.sent_last_hour("sms") == [] and len(outbox.journal("sms")) == 1
    outbox.close()
