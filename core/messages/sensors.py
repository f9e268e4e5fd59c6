"""Sensor readings published by the sensor daemons."""

from __future__ import annotations

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
