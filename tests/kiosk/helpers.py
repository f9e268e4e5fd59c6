"""Helpers of the kiosk tests: envelopes from messages or raw data."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from core.clock import SystemClock
from core.config import Bus
from core.messages import Envelope, Message, Source
from kiosk.health import silent_after_s

TZ = ZoneInfo("Europe/Paris")
T0 = dt.datetime(2024, 3, 12, 14, 0, tzinfo=TZ)
SILENT_S = silent_after_s(Bus().heartbeat_s, SystemClock())
"""When the default house shows a service or the bus silent (house seconds at speed 1)."""


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
