"""Sensor readings published by the sensor daemons."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from core.messages.envelope import Message


@dataclass(frozen=True)
class MutaUpdate(Message):
    """A reading from a wireless sensor unit."""

    TOPIC: ClassVar[str] = "basecamp.muta.update"
    unit: str
    """Sensor name from the config, e.g. salon, chambre, exterieur."""
    seq: int
    temperature: float | None = None
    humidity: float | None = None
    light: float | None = None
    """Lux."""
    battery: float | None = None
    """Volts."""


PHYSICAL: dict[str, tuple[float, float]] = {
    "temperature": (-60.0, 85.0), "humidity": (0.0, 100.0), "light": (0.0, 200_000.0),
    "battery": (0.0, 6.0), "papp_va": (0.0, 100_000.0)}
"""What a house's sensors can physically read; anything else is a fault or a forgery (the
daemons reject tighter bounds at the edge: `sensors.bounds`)."""


def implausible(message: MutaUpdate | PowerUpdate) -> list[str]:
    """The fields of a reading no sensor can give (not finite, or outside `PHYSICAL`)."""
    wrong = []
    for name, (lo, hi) in PHYSICAL.items():
        value = getattr(message, name, None)
        if value is not None and (not isinstance(value, (int, float))
                                  or not math.isfinite(value) or not lo <= value <= hi):
            wrong.append(name)
    return wrong


@dataclass(frozen=True)
class PowerUpdate(Message):
    """Electricity meter (Téléinfo) reading."""

    TOPIC: ClassVar[str] = "basecamp.power.update"
    papp_va: float
    """Apparent power."""
    iinst_a: float | None = None
    index_wh: dict[str, int] | None = None
    """Counters per tariff, e.g. {"BASE": 12345678}."""
    tariff: str = ""


@dataclass(frozen=True)
class WaterUpdate(Message):
    """Water meter: litres in the last slot."""

    TOPIC: ClassVar[str] = "basecamp.water.update"
    litres: float
    slot_s: float
    total_litres: float


@dataclass(frozen=True)
class SensorError(Message):
    """A daemon rejected input (bad frame, unplugged device)."""

    TOPIC: ClassVar[str] = "basecamp.sensors.error"
    sensor: str
    reason: str
    count: int = 1
