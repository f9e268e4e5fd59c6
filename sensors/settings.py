"""The `[sensors]` config section: devices, units, plausibility bounds, aggregation intervals.

A serial `device` of `"sim"` makes the daemon start its own simulator on a pty pair and read
it through pyserial, so the demo house runs without hardware; any other value is a serial
device path (e.g. /dev/ttyUSB0, or the link a `basecamp simulate` process made).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from core.config import Config, register_sections
from core.schema import ConfigError, bounded

SIM = "sim"


@dataclass(frozen=True)
class MutaUnit:
    """One wireless unit: its radio id and where it sits."""

    id: str = "01"
    """Unit id in the frames (1-4 hex digits)."""
    outdoor: bool = False
    """Outdoor units get wider temperature bounds."""


def _demo_units() -> dict[str, MutaUnit]:
    return {"salon": MutaUnit("01"), "chambre": MutaUnit("02"),
            "exterieur": MutaUnit("03", outdoor=True)}


@dataclass(frozen=True)
class Bounds:
    """Plausible values; a reading outside is rejected as absurd."""

    indoor_c: tuple[float, ...] = (-10.0, 50.0)
    outdoor_c: tuple[float, ...] = (-45.0, 60.0)
    humidity: tuple[float, ...] = (0.0, 100.0)
    light_lux: tuple[float, ...] = (0.0, 200_000.0)
    battery_v: tuple[float, ...] = (0.5, 4.5)
    papp_va: tuple[float, ...] = (0.0, 36_000.0)

    def check(self, config: Config, path: str) -> None:
        """Every bound is a (low, high) pair."""
        for name in ("indoor_c", "outdoor_c", "humidity", "light_lux", "battery_v", "papp_va"):
            pair = getattr(self, name)
            if len(pair) != 2 or pair[0] >= pair[1]:
                raise ConfigError(f"{path}.{name}", "expected [low, high] with low < high")


@dataclass(frozen=True)
class MutaSettings:
    """The USB serial radio receiving the wireless units' frames."""

    device: str = SIM
    baudrate: int = bounded(115200, lo=300, hi=4_000_000)
    units: dict[str, MutaUnit] = field(default_factory=_demo_units)
    """Sensor name -> unit; the names are what the bus and metrics carry."""
    aggregate_s: float = bounded(600.0, lo=1, hi=86400)
    sim_period_s: float = bounded(60.0, lo=0.001, hi=3600)
    """Simulator: one frame per unit this often."""


@dataclass(frozen=True)
class PirSettings:
    """The microcontroller printing `PIR <sensor> 1|0` lines."""

    device: str = SIM
    baudrate: int = bounded(115200, lo=300, hi=4_000_000)
    sensors: tuple[str, ...] = ("entry", "kiosk", "indoor")


@dataclass(frozen=True)
class TeleinfoSettings:
    """The electricity meter's Téléinfo (TIC) output."""

    device: str = SIM
    mode: Literal["historique", "standard"] = "historique"
    """historique: 1200 baud 7E1; standard: 9600 baud 7E1."""
    baudrate: int = bounded(0, lo=0, hi=115200)
    """0: the mode's own rate."""
    aggregate_s: float = bounded(3600.0, lo=1, hi=86400)
    """Aggregation interval (hourly maxima for the sentinel)."""
    write_every_s: float = bounded(10.0, lo=0, hi=3600)
    """Raw frames to metrics at most this often (0: every frame)."""
    sim_period_s: float = bounded(1.5, lo=0.0001, hi=60)


@dataclass(frozen=True)
class WaterSettings:
    """The water meter's pulses."""

    input: Literal["serial", "gpio"] = "serial"
    """serial: a counter printing `W <total pulses>` lines; gpio: the meter's reed contact on
    a GPIO pin (gpiozero edge callbacks; the kernel's old sysfs interface is gone)."""
    device: str = SIM
    """Serial device (input = "serial")."""
    baudrate: int = bounded(115200, lo=300, hi=4_000_000)
    litres_per_pulse: float = bounded(1.0, lo=0.001, hi=1000)
    slot_s: float = bounded(900.0, lo=1, hi=86400)
    """Consumption slots for the night leak check (the sentinel wants one zero slot)."""
    pin: int = bounded(-1, lo=-1, hi=63)
    """GPIO pin (BCM number) of the reed contact (input = "gpio")."""
    pull_up: bool = True
    """The contact closes to ground (pull-up on, a pulse is a falling then rising level)."""
    bounce_ms: float = bounded(20.0, lo=0, hi=1000)
    """Edges closer than this to the last pulse are contact bounce, not water."""
    pin_factory: Literal["", "lgpio", "native", "mock"] = ""
    """gpiozero's pin factory ("" = the board's default; "mock" = gpiozero's MockFactory)."""
    poll_s: float = bounded(0.1, lo=0.001, hi=10)
    """How often the counted edges are collected into the slots."""
    sim_leak: bool = False
    """Simulator: a dripping tap, so no night slot is ever zero."""


@dataclass(frozen=True)
class BluetoothDevice:
    """A known phone, by its identity address.

    Phones rotate random addresses; once paired with the scanning machine, BlueZ resolves them
    and reports the identity address, which is the one to put here."""

    name: str = "phone-owner"
    address: str = "02:00:00:00:00:01"
    """AA:BB:CC:DD:EE:FF."""


def _demo_phones() -> tuple[BluetoothDevice, ...]:
    return (BluetoothDevice("phone-owner", address="02:00:00:00:00:01"),)


@dataclass(frozen=True)
class BluetoothSettings:
    """Scanning for known phones."""

    scanner: Literal["bleak", "sim"] = "sim"
    devices: tuple[BluetoothDevice, ...] = field(default_factory=_demo_phones)
    interval_s: float = bounded(30.0, lo=1, hi=3600)
    scan_s: float = bounded(5.0, lo=0.1, hi=60)
    consider_home_s: float = bounded(180.0, lo=0, hi=86400)
    """A device unseen for this long is gone (Home Assistant's default)."""
    sim_present: tuple[str, ...] = ("phone-owner",)
    """Simulator: names of devices in range."""


@dataclass(frozen=True)
class RoomsSettings:
    """Room location from RSSI readings posted by scanners."""

    training: str = "rooms/training.jsonl"
    """Labelled readings (relative to the data dir); `basecamp rooms train` writes it."""
    neighbours: int = bounded(5, lo=1, hi=100)
    smoothing: int = bounded(3, lo=1, hi=100)
    """Average the class probabilities of the last N readings per badge."""
    missing_rssi: float = bounded(-100.0, lo=-200, hi=0)
    recent: int = bounded(200, lo=1, hi=100_000)
    """Readings kept for GET /readings."""


@dataclass(frozen=True)
class SystemSettings:
    """Machine metrics (CPU, memory, disk, temperature)."""

    interval_s: float = bounded(60.0, lo=0.1, hi=3600)
    disks: tuple[str, ...] = ("/",)


@dataclass(frozen=True)
class SensorSettings:
    """Every sensor daemon's settings."""

    muta: MutaSettings = field(default_factory=MutaSettings)
    pir: PirSettings = field(default_factory=PirSettings)
    teleinfo: TeleinfoSettings = field(default_factory=TeleinfoSettings)
    water: WaterSettings = field(default_factory=WaterSettings)
    bluetooth: BluetoothSettings = field(default_factory=BluetoothSettings)
    rooms: RoomsSettings = field(default_factory=RoomsSettings)
    system: SystemSettings = field(default_factory=SystemSettings)
    bounds: Bounds = field(default_factory=Bounds)
    reconnect_s: tuple[float, ...] = (0.5, 30.0)
    """Serial reconnect backoff: first wait, longest wait."""

    def check(self, config: Config, path: str) -> None:
        """Unit ids unique and hex; devices named once; backoff sane."""
        self.bounds.check(config, f"{path}.bounds")
        seen: dict[str, str] = {}
        for name, unit in self.muta.units.items():
            key = f"{path}.muta.units.{name}.id"
            try:
                number = int(unit.id, 16)
            except ValueError:
                raise ConfigError(key, f"expected 1-4 hex digits, got {unit.id!r}") from None
            if not 1 <= len(unit.id) <= 4 or number in {int(i, 16) for i in seen}:
                raise ConfigError(key, f"expected a unique id of 1-4 hex digits, got {unit.id!r}")
            seen[unit.id] = name
        names = [d.name for d in self.bluetooth.devices]
        for i, dev in enumerate(self.bluetooth.devices):
            key = f"{path}.bluetooth.devices[{i}]"
            if names.count(dev.name) > 1:
                raise ConfigError(f"{key}.name", f"duplicate device name {dev.name!r}")
            if not re.fullmatch(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}", dev.address):
                raise ConfigError(f"{key}.address", "expected AA:BB:CC:DD:EE:FF, got "
                                                    f"{dev.address!r}")
        if len(self.reconnect_s) != 2 or not 0 < self.reconnect_s[0] <= self.reconnect_s[1]:
            raise ConfigError(f"{path}.reconnect_s", "expected [first, longest] > 0")


register_sections(sensors=SensorSettings)
