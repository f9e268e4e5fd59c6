"""The muta daemon through a real pty with pyserial: bus, metrics, rejects, unplug."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.bus import Forwarder, Subscriber
from core.clock import ManualClock
from core.config import Config
from core.messages.sensors import MutaUpdate
from core.metrics import SQLiteStore
from core.service import running
from sensors import muta
from sensors.muta_protocol import format_frame
from sensors.vport import VirtualPort
from tests.sensors.helpers import collect, house, serial_connected, wait_for

START = dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)


async def test_frames_to_bus_and_metrics_bad_input_counted(
        tmp_path: Path, config: Config, bus: Forwarder) -> None:
    port = VirtualPort(tmp_path / "dev" / "muta")
    config = house(config, tmp_path, {"sensors": {"muta": {"device": port.path}}})
    clock = ManualClock(START)
    sub = Subscriber(config.bus_endpoints()[1], [MutaUpdate.TOPIC])
    try:
        async with running("muta", muta.serve, config, clock=clock) as rt:
            assert await sub.settle(rt.publisher)
            await serial_connected(rt)
            good = format_frame(1, 10, {"temperature": 21.5, "battery": 2.9})
            stream = (good + good  # radio repeat
                      + b"\x00\xff\xfe garbage\r\n"
                      + format_frame(2, 5, {"temperature": 18.25})[:-6] + b"0000\r\n"
                      + format_frame(1, 11, {"temperature": -80.0})   # absurd indoors
                      + format_frame(2, 6, {"battery": 12.0})         # absurd battery
                      + format_frame(7, 1, {"temperature": 20.0})     # unknown unit
                      + format_frame(3, 1, {"temperature": 4.0, "light": 1200.0})
                      + format_frame(2, 7, {"temperature": 18.5, "humidity": 52.0}))
            await port.write(stream)
            got = [MutaUpdate.from_envelope(e) for e in await collect(sub, 3)]
            assert [(m.unit, m.temperature) for m in got] == \
                [("salon", 21.5), ("exterieur", 4.0), ("chambre", 18.5)]
            assert got[1].light == 1200.0 and got[2].humidity == 52.0
            await wait_for(lambda: sum(rt.status["rejected"]().values()) == 6, 5, "rejects")
            assert rt.status["rejected"]() == {"duplicate": 1, "binary": 1, "checksum": 1,
                                               "absurd": 2, "unknown_unit": 1}
            assert rt.status["units"]()["salon"]["temperature"] == 21.5
            # unplug mid-line, replug on the same link path: the daemon reconnects
            await port.write(b"$MUTA,01,12,T=2")
            await wait_for(lambda: rt.status["serial"]()["bytes"] == port.written, 5, "read")
            port.close()
            await wait_for(lambda: not rt.status["serial"]()["connected"], 5, "unplug")
            port = VirtualPort(tmp_path / "dev" / "muta")
            await serial_connected(rt, opened=2)
            await port.write(format_frame(1, 13, {"temperature": 22.0}))
            again = [MutaUpdate.from_envelope(e) for e in await collect(sub, 1)]
            assert [(m.unit, m.seq) for m in again] == [("salon", 13)]
            assert rt.status["rejected"]()["unplugged"] == 1
            assert rt.status["rejected"]()["truncated"] == 1
            clock.advance(600)
            await wait_for(lambda: rt.metrics.backlog == 0 and rt.metrics.written >= 4, 5,
                           "metrics flushed")
    finally:
        sub.close()
        port.close()
    store = SQLiteStore(config.path(config.metrics.sqlite_path))
    end = START + dt.timedelta(hours=1)
    assert [v for _, v in store.series("muta", "temperature", START, end,
                                       {"unit": "salon"})] == [21.5, 22.0]
    assert store.last("muta", "light", {"unit": "exterieur"})[0] == 1200.0  # type: ignore[index]
    agg = store.stats("muta_agg", "temperature_count", START, end,
                      {"unit": "salon", "interval": "600s"})
    assert agg is not None and agg.max == 2
    errors = store.series("sensor_errors", "count", START, end,
                          {"sensor": "muta", "reason": "absurd"})
    assert sum(v for _, v in errors) == 2  # type: ignore[misc]
    store.close()


async def test_demo_device_runs_its_simulator(tmp_path: Path, config: Config,
                                              bus: Forwarder) -> None:
    config = house(config, tmp_path, {"sensors": {"muta": {"device": "sim",
                                                           "sim_period_s": 0.1}}})
    sub = Subscriber(config.bus_endpoints()[1], [MutaUpdate.TOPIC])
    try:
        async with running("muta", muta.serve, config) as rt:
            assert await sub.settle(rt.publisher)
            units = {MutaUpdate.from_envelope(e).unit for e in await collect(sub, 9)}
            assert units == {"salon", "chambre", "exterieur"}
            assert rt.status["serial"]()["device"].startswith("/dev/pts/")
    finally:
        sub.close()
