"""An InfluxDB outage during a simulated hour of the muta daemon loses no reading."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.bus import Forwarder
from core.clock import ManualClock
from core.config import Config
from core.metrics import InfluxStore
from core.service import running
from sensors import muta
from sensors.settings import SensorSettings
from sensors.simulate import MutaSimulator
from sensors.vport import VirtualPort
from tests.helpers import InfluxServer
from tests.sensors.helpers import house, serial_connected, wait_for

START = dt.datetime(2026, 1, 15, 6, 0, tzinfo=dt.UTC)


@pytest.mark.slow
async def test_influx_outage_loses_no_reading(tmp_path: Path, config: Config, bus: Forwarder,
                                              influx: InfluxServer) -> None:
    port = VirtualPort()
    database = "sensors_outage"
    config = house(config, tmp_path, {
        "metrics": {**influx.overrides(database)["metrics"], "flush_interval_s": 0.05,
                    "retry_s": 0.1},
        "sensors": {"muta": {"device": port.path}}})
    sim = MutaSimulator(config.section("sensors", SensorSettings).muta.units)
    sim.repeat_probability = 0.0
    clock = ManualClock(START)
    stopped_backlog = 0
    try:
        async with running("muta", muta.serve, config, clock=clock) as rt:
            await serial_connected(rt)
            for minute in range(60):
                if minute == 20:
                    await wait_for(lambda: rt.metrics.backlog == 0, 10, "first flush")
                    influx.stop()
                await port.write(b"".join(sim.frames(clock.now())))
                want = 3 * (minute + 1)
                await wait_for(lambda: rt.counters["readings"] == want, 5,  # noqa: B023
                               "readings")
                clock.advance(60)
                if minute == 39:
                    await wait_for(lambda: rt.metrics.failures > 0, 5, "store failure seen")
                    stopped_backlog = rt.metrics.backlog
                    influx.start()
            await wait_for(lambda: rt.metrics.backlog == 0, 30, "drain after restart")
    finally:
        port.close()
        if influx.proc is None:
            influx.start()
    assert stopped_backlog >= 60  # 20 minutes x 3 units waited on disk
    store = InfluxStore("127.0.0.1", influx.port, database)
    end = START + dt.timedelta(hours=1)
    for unit in ("salon", "chambre", "exterieur"):
        stats = store.stats("muta", "temperature", START, end, {"unit": unit})
        assert stats is not None and stats.count == 60, unit
        battery = store.stats("muta", "battery", START, end, {"unit": unit})
        assert battery is not None and battery.count == 60
    agg = store.series("muta_agg", "temperature_count", START, end,
                       {"unit": "salon", "interval": "600s"})
    assert [v for _, v in agg] == [10] * 6
    store.close()
