"""`basecamp run bluetooth`: scan for known phones; `BluetoothPresence` when one arrives or has
been unseen for `consider_home_s` (a phone asleep for a minute is not gone); scan at once on
`BluetoothScanRequest`. Metrics `bluetooth` (tag `device`, fields present, rssi).

The radio sits behind the `Scanner` Protocol: `bleak` (BLE, real radio) or `sim`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.messages import Envelope
from core.messages.presence import BluetoothPresence, BluetoothScanRequest
from core.metrics import Point
from core.service import Runtime
from sensors.errors import SensorConfigError
from sensors.plumbing import Stamper, settings
from sensors.settings import BluetoothSettings

_LOGGER = logging.getLogger(__name__)


class ScanFailed(RuntimeError):
    """The radio could not scan (adapter missing, busy, powered off)."""


class Scanner(Protocol):
    """A Bluetooth radio."""

    async def scan(self, seconds: float) -> dict[str, float]:
        """Addresses heard during `seconds` (upper case) -> RSSI dBm; raises ScanFailed."""


class BleakRadio:
    """BLE scanning with bleak (BlueZ on Linux)."""

    async def scan(self, seconds: float) -> dict[str, float]:
        """Advertisements heard."""
        try:
            from bleak import BleakScanner
            from bleak.exc import BleakError
        except ImportError as err:
            raise ScanFailed(f"bleak is not installed: {err}") from err
        try:
            found = await BleakScanner.discover(timeout=seconds, return_adv=True)
        except (TimeoutError, BleakError, OSError) as err:
            raise ScanFailed(str(err)) from err
        except Exception as err:  # dbus errors when there is no adapter or no BlueZ
            raise ScanFailed(f"{type(err).__name__}: {err}") from err
        return {addr.upper(): float(adv.rssi) for addr, (_, adv) in found.items()}


@dataclass
class SimulatedRadio:
    """Devices in range are whatever `present` says (tests and the demo change it)."""

    present: dict[str, float] = field(default_factory=dict)
    """Address -> mean RSSI."""
    miss_probability: float = 0.0
    """A sleeping phone does not always answer."""
    scans: int = 0
    seed: int = 5

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    async def scan(self, seconds: float) -> dict[str, float]:
        """The present devices (minus the ones that happen not to answer)."""
        self.scans += 1
        await asyncio.sleep(0)
        return {a: round(r + self._rng.gauss(0, 2), 1) for a, r in self.present.items()
                if self._rng.random() >= self.miss_probability}


@dataclass
class Tracker:
    """Hysteresis [pure]: seen at once, gone only after `consider_home_s` unseen."""

    consider_home_s: float
    started: dt.datetime
    last_seen: dict[str, dt.datetime] = field(default_factory=dict)
    present: dict[str, bool] = field(default_factory=dict)

    def update(self, heard: Mapping[str, float], names: list[str],
               now: dt.datetime) -> list[tuple[str, bool]]:
        """Changes after a scan that heard `heard` (name -> rssi)."""
        changes = []
        for name in names:
            if name in heard:
                self.last_seen[name] = now
                if self.present.get(name) is not True:
                    self.present[name] = True
                    changes.append((name, True))
                continue
            since = self.last_seen.get(name, self.started)
            if self.present.get(name) is not False and \
                    (now - since).total_seconds() >= self.consider_home_s:
                self.present[name] = False
                changes.append((name, False))
        return changes


def make_radio(s: BluetoothSettings) -> Scanner:
    """The scanner the config names."""
    if s.scanner == "bleak":
        return BleakRadio()
    if s.scanner == "sim":
        by_name = {d.name: d.address.upper() for d in s.devices}
        return SimulatedRadio({by_name[n]: -60.0 for n in s.sim_present if n in by_name})
    raise SensorConfigError(f"unknown scanner {s.scanner!r}")


async def serve(rt: Runtime, radio: Scanner | None = None) -> None:
    """Scan every interval and on request; publish arrivals and departures."""
    s = settings(rt).bluetooth
    radio = radio or make_radio(s)
    names = {d.address.upper(): d.name for d in s.devices}
    tracker = Tracker(s.consider_home_s, rt.clock.now())
    lock = asyncio.Lock()
    stamp = Stamper()
    last: dict[str, Any] = {}
    rt.status["devices"] = lambda: {n: {"present": tracker.present.get(n),
                                        "last_seen": str(tracker.last_seen.get(n, ""))}
                                    for n in names.values()}
    rt.status["last_scan"] = lambda: last

    async def scan(reason: str) -> None:
        async with lock:
            try:
                heard_addr = await radio.scan(s.scan_s)
            except ScanFailed as err:
                rt.counters["scan_failed"] += 1
                _LOGGER.warning("bluetooth scan failed: %s", err)
                return
            now = rt.clock.now()
            heard = {names[a]: r for a, r in heard_addr.items() if a in names}
            rt.counters["scans"] += 1
            last.update(at=now.isoformat(), reason=reason, heard=heard,
                        strangers=len(heard_addr) - len(heard))
            for name, seen in tracker.update(heard, list(names.values()), now):
                rt.publish(BluetoothPresence(name, seen, heard.get(name)))
                rt.log("info", f"bluetooth: {name} {'arrived' if seen else 'gone'}")
            rt.metrics.write([Point("bluetooth", {"present": int(bool(tracker.present.get(n))),
                                                  **({"rssi": heard[n]} if n in heard else {})},
                                    {"device": n}, stamp(now)) for n in names.values()])

    def on_request(envelope: Envelope) -> None:
        request = BluetoothScanRequest.from_envelope(envelope)
        rt.counters["scan_requests"] += 1
        rt.spawn(scan(request.reason or "request"), name="bluetooth-scan")

    rt.subscribe([BluetoothScanRequest.TOPIC], on_request)
    rt.every(s.interval_s, lambda: scan("periodic"), name="bluetooth-periodic")
