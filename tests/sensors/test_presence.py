"""Bluetooth presence with hysteresis and scan requests; room location over HTTP; sysmetrics."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import aiohttp
import pytest

from core.bus import Forwarder, Subscriber
from core.clock import ManualClock
from core.config import Config
from core.messages.presence import BluetoothPresence, BluetoothScanRequest, RoomLocation
from core.metrics import SQLiteStore
from core.service import running
from sensors import bluetooth, rooms, system
from sensors.bluetooth import SimulatedRadio, Tracker
from sensors.errors import InputRejected
from sensors.rooms_model import RoomModel, RssiSimulator, Smoother, cross_validate, parse_reading
from tests.sensors.helpers import collect, house, wait_for

START = dt.datetime(2026, 1, 15, 18, 0, tzinfo=dt.UTC)
PHONE = "02:00:00:00:00:01"


def test_tracker_hysteresis() -> None:
    t = Tracker(180, START)
    at = functools.partial(dt.timedelta)
    assert t.update({"phone": -60}, ["phone"], START) == [("phone", True)]
    assert t.update({}, ["phone"], START + at(seconds=170)) == []       # asleep a while
    assert t.update({"phone": -70}, ["phone"], START + at(seconds=200)) == []
    assert t.update({}, ["phone"], START + at(seconds=379)) == []
    assert t.update({}, ["phone"], START + at(seconds=380)) == [("phone", False)]
    assert t.update({}, ["phone"], START + at(seconds=999)) == []       # said once
    assert t.update({}, ["other"], START + at(seconds=10)) == []        # never seen: wait
    assert t.update({}, ["other"], START + at(seconds=180)) == [("other", False)]


async def test_bluetooth_daemon_scans_on_request(tmp_path: Path, config: Config,
                                                 bus: Forwarder) -> None:
    config = house(config, tmp_path, {"sensors": {"bluetooth": {"interval_s": 30}}})
    radio = SimulatedRadio({PHONE: -60.0})
    clock = ManualClock(START)
    sub = Subscriber(config.bus_endpoints()[1], [BluetoothPresence.TOPIC])
    try:
        async with running("bluetooth", functools.partial(bluetooth.serve, radio=radio),
                           config, clock=clock) as rt:
            assert await sub.settle(rt.publisher) and await rt.settle()
            first = [BluetoothPresence.from_envelope(e) for e in await collect(sub, 1)]
            assert [(m.device, m.seen) for m in first] == [("phone-owner", True)]
            radio.present.clear()  # the owner leaves
            for _ in range(5):     # 150 s: still "home" (consider_home 180 s)
                clock.advance(30)
                await wait_for(lambda: radio.scans >= 1, 1)
            assert await collect(sub, 1, timeout=0.3) == []
            clock.advance(40)
            gone = [BluetoothPresence.from_envelope(e) for e in await collect(sub, 1)]
            assert [(m.device, m.seen) for m in gone] == [("phone-owner", False)]
            radio.present[PHONE] = -55.0  # back; the entry PIR asks for a scan at once
            scans = radio.scans
            rt.publish(BluetoothScanRequest("pir entry in lockout"))
            back = [BluetoothPresence.from_envelope(e) for e in await collect(sub, 1)]
            assert [(m.device, m.seen) for m in back] == [("phone-owner", True)]
            assert radio.scans == scans + 1 and rt.counters["scan_requests"] == 1
    finally:
        sub.close()


@pytest.mark.parametrize("body", [None, [], {"badge_id": "b"}, {"badge_id": "b", "scanner_id":
                                  "s", "beacons": {"x": "loud"}}, {"badge_id": "b",
                                  "scanner_id": "s", "beacons": {"x": -300}},
                                  {"badge_id": "b" * 100, "scanner_id": "s", "beacons": {"x": 1}}])
def test_bad_readings(body: object) -> None:
    assert isinstance(parse_reading(body), InputRejected)


def test_classifier_cross_validated_on_simulated_set() -> None:
    sim = RssiSimulator(["cuisine", "salon", "chambre", "garage", "entrée", "salle de bains"])
    labelled = sim.labelled(30)
    accuracy = cross_validate(labelled)
    assert 0.8 <= accuracy <= 1.0
    noisy = RssiSimulator(sim.rooms, noise_db=25).labelled(30)
    assert cross_validate(noisy) < accuracy  # the figure measures something
    model = RoomModel(labelled)
    smoother = Smoother(3)
    rooms_seen = [smoother.add("b", model.probabilities(sim.reading("garage")))[0]
                  for _ in range(5)]
    assert rooms_seen[-1] == "garage"


async def test_rooms_daemon_http(tmp_path: Path, config: Config, bus: Forwarder,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sim = RssiSimulator([r.name for r in config.rooms], seed=11)
    training = tmp_path / "training.jsonl"
    import json
    training.write_text("\n".join(json.dumps(r.to_dict()) for r in sim.labelled(25))
                        + "\nnot json\n")
    config = house(config, tmp_path, {"sensors": {"rooms": {"training": str(training)}}})
    sub = Subscriber(config.bus_endpoints()[1], [RoomLocation.TOPIC])
    try:
        async with running("rooms", rooms.serve, config) as rt, aiohttp.ClientSession() as http:
            assert await sub.settle(rt.publisher)
            url = config.service_url("rooms")
            async with http.get(f"{url}/model") as resp:
                model = await resp.json()
            assert model["readings"] == 25 * len(config.rooms) and model["cv_accuracy"] > 0.8
            posts = [sim.reading("chambre", badge="badge-owner").to_dict() for _ in range(3)]
            async with http.post(f"{url}/readings", json=posts) as resp:
                assert resp.status == 403  # no token configured: nobody may post
            monkeypatch.setenv("BASECAMP_HTTP_TOKEN", "sc4nner")
            async with http.post(f"{url}/readings", json=posts) as resp:
                assert resp.status == 401  # a scanner without the token
            auth = {"Authorization": "Bearer sc4nner"}
            async with http.post(f"{url}/readings", json=posts, headers=auth) as resp:
                assert resp.status == 200
            async with http.post(f"{url}/readings", data=b"\xff{", headers=auth) as resp:
                assert resp.status == 400
            located = [RoomLocation.from_envelope(e) for e in await collect(sub, 3)]
            assert located[-1].room == "chambre" and 0 < located[-1].confidence <= 1
            async with http.get(f"{url}/readings") as resp:
                assert len((await resp.json())["readings"]) == 3
            assert rt.status["rejected"]() == {"malformed": 1}
    finally:
        sub.close()


async def test_sysmetrics_writes_disk_usage(tmp_path: Path, config: Config,
                                            bus: Forwarder) -> None:
    config = house(config, tmp_path, {"sensors": {"system": {"interval_s": 0.1}}})
    async with running("sysmetrics", system.serve, config, host="bc-water") as rt:
        await wait_for(lambda: rt.metrics.written >= 2, 10, "metrics")
    store = SQLiteStore(config.path(config.metrics.sqlite_path))
    disk = store.last("system", "disk_percent", {"host": "bc-water", "path": "/"})
    assert disk is not None and 0 < float(disk[0]) < 100
    assert store.last("system", "memory_percent", {"host": "bc-water"}) is not None
    store.close()
