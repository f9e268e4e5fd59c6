"""`basecamp run sysmetrics` (every machine): CPU, memory, disk and temperature with psutil to
metrics `system` (tag `host`; disks also tag `path`) — the sentinel watches disk space."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import psutil

from core.metrics import Point
from core.service import Runtime
from sensors.plumbing import settings

_LOGGER = logging.getLogger(__name__)


def sample(disks: Sequence[str]) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Machine-wide fields, and per-disk fields (unreadable disks are skipped)."""
    memory = psutil.virtual_memory()
    fields: dict[str, float] = {"cpu_percent": float(psutil.cpu_percent(interval=None)),
                                "memory_percent": float(memory.percent),
                                "memory_available_mb": round(memory.available / 2**20, 1),
                                "load1": float(psutil.getloadavg()[0])}
    temperature = cpu_temperature()
    if temperature is not None:
        fields["temperature_c"] = temperature
    per_disk = {}
    for path in disks:
        try:
            usage = psutil.disk_usage(path)
        except OSError as err:
            _LOGGER.warning("disk %s: %s", path, err)
            continue
        per_disk[path] = {"disk_percent": float(usage.percent),
                          "disk_free_mb": round(usage.free / 2**20, 1)}
    return fields, per_disk


def cpu_temperature() -> float | None:
    """The hottest CPU-ish sensor, when the machine exposes one."""
    reader = getattr(psutil, "sensors_temperatures", None)
    if reader is None:
        return None
    try:
        sensors = reader()
    except (OSError, RuntimeError):
        return None
    values = [t.current for name, entries in sensors.items() for t in entries
              if t.current and name.lower() in {"coretemp", "k10temp", "cpu_thermal",
                                               "cpu-thermal", "soc_thermal", "acpitz"}]
    return round(max(values), 1) if values else None


async def serve(rt: Runtime) -> None:
    """Sample and record every interval."""
    s = settings(rt).system
    last: dict[str, Any] = {}
    rt.status["system"] = lambda: last
    psutil.cpu_percent(interval=None)  # prime: the first call has no reference

    def record() -> None:
        fields, disks = sample(s.disks)
        now = rt.clock.now()
        points = [Point("system", fields, {"host": rt.host}, now)]
        points += [Point("system", values, {"host": rt.host, "path": path}, now)
                   for path, values in disks.items()]
        rt.metrics.write(points)
        last.update(fields, disks=disks, at=now.isoformat())

    rt.every(s.interval_s, record, name="sysmetrics")
