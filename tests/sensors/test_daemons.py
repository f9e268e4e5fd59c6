"""PIR, power and water daemons through real ptys with pyserial: bus, metrics, rejects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.bus import Forwarder, Subscriber
from core.clock import ManualClock
from core.config import Config
from core.messages.presence import PirMotion
from core.messages.sensors import PowerUpdate, SensorError, WaterUpdate
from core.metrics import SQLiteStore
from core.service import running
from sensors import pir, pulses, teleinfo, tic, water
from sensors.simulate import TeleinfoSimulator
from sensors.vport import VirtualPort
from tests.sensors.helpers import collect, house, serial_connected, wait_for

START = dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)


def _store(config: Config) -> SQLiteStore:
    return SQLiteStore(config.path(config.metrics.sqlite_path))


async def test_pir_edges_and_board_temperature(tmp_path: Path, config: Config,
                                               bus: Forwarder) -> None:
    port = VirtualPort()
    config = house(config, tmp_path, {"sensors": {"pir": {"device": port.path}}})
    sub = Subscriber(config.bus_endpoints()[1], [PirMotion.TOPIC, SensorError.TOPIC])
    clock = ManualClock(START)
    try:
        async with running("pir", pir.serve, config, clock=clock) as rt:
            assert await sub.settle(rt.publisher)
            await serial_connected(rt)
            await port.write(b"booting v1.2\r\nPIR entry 1\r\nPIR garage 1\r\nTEMP 36.5\r\n"
                             b"PIR entry 0\r\nPIR kiosk 1\r\n\xff\xfe\x00\r\nTEMP 500\r\n")
            got = await collect(sub, 3)
            assert [(m.sensor, m.state) for m in map(PirMotion.from_envelope, got)] == \
                [("entry", 1), ("entry", 0), ("kiosk", 1)]
            await wait_for(lambda: sum(rt.status["rejected"]().values()) == 4, 5, "rejects")
            assert rt.status["pir"]()["board_c"] == 36.5
            clock.advance(60)
            errors = {SensorError.from_envelope(e).reason: SensorError.from_envelope(e).count
                      for e in await collect(sub, 4)}
            assert errors == {"malformed": 1, "unknown_sensor": 1, "binary": 1, "absurd": 1}
            await wait_for(lambda: rt.metrics.backlog == 0, 5, "flush")
    finally:
        sub.close()
        port.close()
    store = _store(config)
    end = START + dt.timedelta(hours=1)
    assert [v for _, v in store.series("pir", "state", START, end, {"sensor": "entry"})] == [1, 0]
    assert store.last("pir_board", "temperature")[0] == 36.5  # type: ignore[index]
    store.close()


async def test_power_historique_and_hourly_maxima(tmp_path: Path, config: Config,
                                                  bus: Forwarder) -> None:
    port = VirtualPort()
    config = house(config, tmp_path, {"sensors": {"teleinfo": {"device": port.path,
                                                               "write_every_s": 0}}})
    sub = Subscriber(config.bus_endpoints()[1], [PowerUpdate.TOPIC])
    clock = ManualClock(START)
    sim = TeleinfoSimulator("historique")
    try:
        async with running("power", teleinfo.serve, config, clock=clock) as rt:
            assert await sub.settle(rt.publisher)
            await serial_connected(rt)
            sent = []
            for i in range(40):
                frame = sim.frames(clock.now())[0]
                sent.append(tic.to_reading(tic.parse_frame(frame, "historique")))  # type: ignore[arg-type]
                if i == 5:  # one corrupted byte: its checksum fails
                    frame = frame.replace(b"PAPP 0", b"PAPP 1")
                    sent.pop()
                await port.write(frame)
                await wait_for(lambda: rt.status["serial"]()["bytes"] == port.written, 5)
                clock.advance(100)  # 40 frames over ~1.1 simulated hours
            await port.write(tic.format_frame([("PAPP", "99999")], "historique"))  # absurd
            got = [PowerUpdate.from_envelope(e) for e in await collect(sub, 39)]
            assert [m.papp_va for m in got] == [r.papp_va for r in sent]  # type: ignore[union-attr]
            assert got[0].index_wh == {"BASE": sent[0].index_wh["BASE"]}  # type: ignore[union-attr]
            assert got[0].tariff == "TH"
            await wait_for(lambda: rt.status["rejected"]() == {"checksum": 1, "absurd": 1}, 5)
            clock.advance(3600)
            await wait_for(lambda: rt.metrics.backlog == 0 and rt.counters["frames"] == 39, 5)
            await wait_for(lambda: _agg_count(config) >= 1, 5, "hourly aggregate")
    finally:
        sub.close()
        port.close()
    store = _store(config)
    hour = START.replace(minute=0)
    agg = store.series("power_agg", "papp_va_max", hour, hour + dt.timedelta(hours=1),
                       {"interval": "3600s"})
    # frames 0..35 fell in the first hour, minus the corrupted one: sent[:35]
    assert agg[0][1] == max(r.papp_va for r in sent[:35])  # type: ignore[union-attr]
    count = store.last("power_agg", "papp_va_count", {"interval": "3600s"})
    assert count is not None
    diff = store.last("power_agg", "total_wh_diff", {"interval": "3600s"})
    assert diff is not None and diff[0] > 0
    store.close()


def _agg_count(config: Config) -> int:
    store = _store(config)
    try:
        return len(store.series("power_agg", "papp_va_max", START - dt.timedelta(hours=2),
                                START + dt.timedelta(hours=3)))
    finally:
        store.close()


async def test_water_slots_zero_slots_and_unplug(tmp_path: Path, config: Config,
                                                 bus: Forwarder) -> None:
    port = VirtualPort()
    config = house(config, tmp_path, {"sensors": {"water": {
        "device": port.path, "litres_per_pulse": 0.5, "slot_s": 300}}})
    sub = Subscriber(config.bus_endpoints()[1], [WaterUpdate.TOPIC])
    clock = ManualClock(START)  # on a slot boundary: the first slot counts
    try:
        async with running("water", water.serve, config, clock=clock) as rt:
            assert await sub.settle(rt.publisher)
            await serial_connected(rt)
            total = 1000
            await port.write(pulses.format_total(total))
            for minute in range(10):
                if minute in (1, 2):  # someone takes a short shower: 20 pulses a minute
                    total += 20
                    await port.write(pulses.format_total(total) + b"W x\r\n")
                await wait_for(lambda: rt.status["serial"]()["bytes"] == port.written, 5)
                for _ in range(12):
                    clock.advance(5)
                    await wait_for(lambda: True, 0)
            await wait_for(lambda: len(rt.status["water"]()["slots"]) == 2, 5, "slots")
            updates = [WaterUpdate.from_envelope(e) for e in await collect(sub, 10)]
            # the bus carries the live minute slots only; longer slots go to metrics
            assert [(u.slot_s, u.litres) for u in updates] == \
                [(60, v) for v in (0, 10, 10, 0, 0, 0, 0, 0, 0, 0)]
            assert sum(u.litres for u in updates) == 20
            assert rt.status["rejected"]() == {"malformed": 2}
            port.close()  # unplugged: the slots it spans are not reported as zero
            await wait_for(lambda: not rt.status["serial"]()["connected"], 5)
            clock.advance(600)
            port = VirtualPort()
            await wait_for(lambda: rt.metrics.backlog == 0, 5)
    finally:
        sub.close()
        port.close()
    store = _store(config)
    slots = store.series("water", "litres", START, START + dt.timedelta(hours=1),
                         {"slot": "300s"})
    assert [v for _, v in slots] == [20.0, 0.0]
    store.close()
