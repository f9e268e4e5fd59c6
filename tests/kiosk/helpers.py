"""Helpers of the kiosk tests: envelopes from messages or raw data."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from core.messages import Envelope, Message, Source

TZ = ZoneInfo("Europe/Paris")
T0 = dt.datetime(2024, 3, 12, 14, 0, tzinfo=TZ)


def env(message: Message) -> Envelope:
    """The envelope a subscriber would receive for `message`."""
    return Envelope(message.topic(), message.to_dict(), Source("bc-test", "test"),
                    T0.timestamp())


def raw(topic: str, data: dict[str, Any]) -> Envelope:
    """An envelope with arbitrary (possibly bad) data."""
    return Envelope(topic, data, Source("bc-test", "test"), T0.timestamp())


def at(minutes: float) -> dt.datetime:
    """T0 plus some minutes."""
    return T0 + dt.timedelta(minutes=minutes)
