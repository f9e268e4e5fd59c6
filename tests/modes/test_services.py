"""The four modes services on a real bus, real HTTP and the embedded metrics store, with a
manual clock: what they publish, what they write, what they keep across a restart."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from core.bus import Envelope, Forwarder, Publisher, Subscriber
from core.clock import ManualClock
from core.config import Config
from core.messages import Message, Source
from core.messages.alive import StateRequest
from core.messages.dialogs import Intent
from core.messages.heating import HeatingState
from core.messages.lightpack import LightpackLock
from core.messages.nightlight import NightLightMode
from core.messages.presence import ModeChanged, PirMotion
from core.messages.sensors import MutaUpdate
from core.messages.watch import Alert
from core.metrics import open_store
from core.service import Runtime, running
from modes import heater_service, lightpack_service, nightlight_service, relays_service, service
from tests.helpers import demo_config
from tests.service_process import ServiceProcess

CET = dt.timezone(dt.timedelta(hours=1))
TOKEN = "s3cret-token"


class Probe:
    """A test's own publisher and subscriber on the bus."""

    def __init__(self, config: Config, topics: list[str]) -> None:
        pub, sub = config.bus_endpoints()
        self.publisher = Publisher(pub, Source("test", "probe"))
        self.subscriber = Subscriber(sub, topics)
        self.backlog: list[Envelope] = []

    async def settle(self) -> None:
        assert await self.subscriber.settle(self.publisher)

    def send(self, message: Message) -> None:
        self.publisher.publish(message)

    async def expect(self, topic: str, check: Callable[[dict[str, Any]], bool] = lambda d: True,
                     timeout: float = 5.0) -> dict[str, Any]:
        """The data of the first message on `topic` that passes `check` (others are kept)."""
        for envelope in self.backlog:
            if envelope.topic == topic and check(envelope.data):
                self.backlog.remove(envelope)
                return envelope.data

        async def wait() -> Envelope:
            while True:
                envelope = await self.subscriber.recv()
                if envelope.topic == topic and check(envelope.data):
                    return envelope
                self.backlog.append(envelope)
        return (await asyncio.wait_for(wait(), timeout)).data

    def close(self) -> None:
        self.subscriber.close()
        self.publisher.close()


async def relay_is(relays: Runtime, name: str, on: bool, timeout: float = 5.0) -> None:
    """Wait until the relays service has put relay `name` in position `on`."""
    async with asyncio.timeout(timeout):
        while relays.status["relays"]()[name]["on"] is not on:
            await asyncio.sleep(0.02)


async def _advance(clock: ManualClock, seconds: float) -> None:
    clock.advance(seconds)
    await asyncio.sleep(0.05)


async def _http(method: str, url: str, token: str | None = TOKEN) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.request(method, url,
                                                              headers=headers) as resp:
        body = await resp.text()
        return resp.status, json.loads(body) if resp.content_type == "application/json" \
            else body


async def test_modes_service_changes_persists_and_restores(
        config: Config, bus: Forwarder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", TOKEN)
    clock = ManualClock(dt.datetime(2026, 11, 24, 10, 0, tzinfo=CET))
    probe = Probe(config, ["basecamp.presence.mode", "basecamp.bluetooth.scan",
                           "basecamp.watch.alert"])
    await probe.settle()
    async with running("modes", service.serve, config, clock=clock) as rt:
        assert await rt.settle()  # subscribed at the forwarder
        first = await probe.expect(ModeChanged.TOPIC)
        assert first["mode"] == "cocoon"
        probe.send(Intent("BasecampLeave", {}, "sms"))
        left = await probe.expect(ModeChanged.TOPIC, lambda d: d["mode"] == "lockout")
        assert left["changed_by"] == "sms"
        saved = json.loads((rt.data_dir() / "presence.json").read_text())
        assert saved["mode"] == "lockout"
        await _advance(clock, 400)  # past the exit delay
        probe.send(PirMotion("entry", 1))
        scan = await probe.expect("basecamp.bluetooth.scan")
        assert "entry" in scan["reason"]
        await _advance(clock, 130)  # the grace period ends on the next tick
        alert = await probe.expect(Alert.TOPIC)
        assert (alert["key"], alert["severity"], alert["state"]) == \
            ("modes:intrusion", "major", "problem")
        probe.send(PirMotion("garage", 1))  # unknown sensor: counted, not fatal
        await asyncio.sleep(0.2)
        assert rt.counters["rejected"] >= 1
    async with running("modes", service.serve, config, clock=clock) as rt:
        assert await rt.settle()  # subscribed at the forwarder
        again = await probe.expect(ModeChanged.TOPIC, lambda d: d["changed_by"] == "restore")
        assert again["mode"] == "lockout"
        status, body = await _http("GET", config.service_url("modes") + "/status")
        assert status == 200 and body["presence"]["restored"] and body["presence"]["intrusion"]
    probe.close()


async def test_heater_thermostat_failsafe_metrics_and_http(
        config: Config, bus: Forwarder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", TOKEN)
    clock = ManualClock(dt.datetime(2026, 11, 23, 7, 0, tzinfo=CET))  # Monday, comfort
    probe = Probe(config, ["basecamp.heating.state", "basecamp.watch.alert"])
    await probe.settle()
    # the relay itself: `basecamp run relays` on bc-power's (mock) GPIO
    async with running("relays", relays_service.serve, config, host="bc-power") as relays:
        assert await relays.settle()
        async with running("heater", heater_service.serve, config, clock=clock) as rt:
            assert await rt.settle()  # subscribed at the forwarder
            probe.send(MutaUpdate("salon", 1, temperature=18.0))
            on = await probe.expect("basecamp.heating.state", lambda d: d["relay"])
            assert (on["profile"], on["setpoint"], on["sensor"]) == ("comfort", 20.0, "salon")
            await relay_is(relays, "heater", True)
            probe.send(MutaUpdate("salon", 2, temperature=300.0))  # impossible: ignored
            await _advance(clock, 31 * 60)  # no reading for 31 min while heating
            alert = await probe.expect(Alert.TOPIC)
            assert (alert["key"], alert["state"], alert["source"]) == \
                ("heater:failsafe", "problem", "heater")
            await relay_is(relays, "heater", False)
            url = config.service_url("heater")
            assert (await _http("POST", url + "/set_profile?profile=force_eco", token=None))[0] \
                == 401
            status, body = await _http("POST", url + "/set_profile?profile=tropical")
            assert status == 400 and "tropical" in body
            until = (clock.now() + dt.timedelta(hours=2)).isoformat()
            status, body = await _http("POST", f"{url}/set_profile?profile=force_eco&until="
                                               + until.replace("+", "%2B"))
            assert status == 200 and body["profile"] == "force_eco"
            forced = await probe.expect("basecamp.heating.state",
                                        lambda d: d["profile"] == "force_eco")
            assert forced["setpoint"] == 17.0 and forced["until"] == until
            assert rt.counters["rejected"] >= 1
        store = open_store(config)
        try:
            setpoint = store.last("heating", "setpoint")
            assert setpoint is not None and setpoint[0] == 17.0
        finally:
            store.close()
        await relay_is(relays, "heater", False)  # switched off on stop
    probe.close()


async def test_nightlight_follows_lux_intents_and_kiosk(
        config: Config, bus: Forwarder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", TOKEN)
    clock = ManualClock(dt.datetime(2026, 11, 24, 12, 0, tzinfo=CET))
    probe = Probe(config, ["basecamp.nightlight.state", "basecamp.watch.alert"])
    await probe.settle()
    async with running("nightlight", nightlight_service.serve, config, clock=clock) as rt:
        assert await rt.settle()  # subscribed at the forwarder
        probe.send(MutaUpdate("exterieur", 1, light=2.0))
        lit = await probe.expect("basecamp.nightlight.state", lambda d: d["lit"])
        assert lit["mode"] == "auto" and lit["daylight"] is True
        warning = await probe.expect(Alert.TOPIC)
        assert warning["key"] == "nightlight:dark_before_sunset"
        probe.send(Intent("HassTurnOff", {"name": "veilleuse", "domain": "light"}, "voice"))
        off = await probe.expect("basecamp.nightlight.state", lambda d: d["mode"] == "off")
        assert off["lit"] is False
        assert json.loads((rt.data_dir() / "relay-veilleuse.json").read_text())["on"] is False
        probe.backlog.clear()  # the start-up state (auto, unlit) is behind us
        probe.send(NightLightMode("auto", "kiosk"))
        back = await probe.expect("basecamp.nightlight.state", lambda d: d["mode"] == "auto")
        assert back["lit"] is True  # 2 lx is still fresh
    async with running("nightlight", nightlight_service.serve, config, clock=clock) as rt:
        assert await rt.settle()  # subscribed at the forwarder
        status, body = await _http("GET", config.service_url("nightlight") + "/status")
        assert status == 200
        assert body["nightlight"]["mode"] == "auto" and body["nightlight"]["restored"]
    probe.close()


async def test_lightpack_colour_overlay_and_lock(config: Config, bus: Forwarder,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", TOKEN)
    clock = ManualClock(dt.datetime(2026, 11, 24, 12, 0, tzinfo=CET))
    probe = Probe(config, ["basecamp.lightpack.state"])
    await probe.settle()
    async with running("lightpack", lightpack_service.serve, config, clock=clock) as rt:
        assert await rt.settle()  # subscribed at the forwarder
        first = await probe.expect("basecamp.lightpack.state")
        assert first["colour"] == "warm_white" and first["overlay"] == ""
        probe.send(ModeChanged("lockout", clock.now().isoformat(), "voice"))
        red = await probe.expect("basecamp.lightpack.state", lambda d: d["colour"] == "red")
        assert red["rgb"] == [255, 0, 0]
        probe.send(Alert("service:bc-hq/logbook", "major", "problem", "logbook down", "watch"))
        await probe.expect("basecamp.lightpack.state", lambda d: d["overlay"] == "red")
        probe.send(Alert("service:bc-hq/logbook", "major", "recovery", "logbook up", "watch"))
        await probe.expect("basecamp.lightpack.state", lambda d: d["overlay"] == "orange")
        url = config.service_url("lightpack")
        status, body = await _http("POST", url + "/lock?owner=dialog&seconds=30&colour=green")
        assert status == 200 and body == {"colour": "green", "locked_by": "dialog"}
        drawn = json.loads((rt.data_dir() / "strip.json").read_text())["rgb"]
        assert drawn[0] == 0 and 0.69 <= drawn[1] / 200 <= 1 and abs(drawn[2] / 40 - drawn[
            1] / 200) < 0.05  # green, somewhere in its breath
        status, _ = await _http("POST", url + "/lock?owner=other&seconds=30")
        assert status == 409
        probe.send(LightpackLock("dialog", 0))
        await probe.expect("basecamp.lightpack.state",
                           lambda d: d["colour"] == "red" and d["locked_by"] == "")
    probe.close()


async def test_the_strip_breathes_and_says_comfort_or_eco_by_hue(
        tmp_path: Path, bus: Forwarder, config: Config) -> None:
    fast = demo_config(tmp_path / "fast", {
        "bus": {"pub_port": config.bus.pub_port, "sub_port": config.bus.sub_port},
        "lightpack": {"breathe_period_s": 0.6, "breathe_depth": 0.5, "frame_s": 0.03}})
    clock = ManualClock(dt.datetime(2026, 11, 24, 12, 0, tzinfo=CET))
    probe = Probe(fast, ["basecamp.lightpack.state"])
    await probe.settle()
    async with running("lightpack", lightpack_service.serve, fast, clock=clock) as rt:
        assert await rt.settle()  # subscribed at the forwarder
        await probe.expect("basecamp.lightpack.state", lambda d: d["colour"] == "warm_white")
        seen = set()
        for _ in range(30):  # a breath is 0.6 s: its levels pass by in a second
            seen.add(tuple(json.loads((rt.data_dir() / "strip.json").read_text())["rgb"]))
            await asyncio.sleep(0.035)
        reds = sorted(r for r, _, _ in seen)
        assert reds[0] <= 255 * 0.65 and reds[-1] >= 255 * 0.9  # down to half, back up
        probe.send(HeatingState("eco", 17.0, False))
        eco = await probe.expect("basecamp.lightpack.state", lambda d: d["colour"] != "warm_white")
        assert eco["colour"] == "eco_white" and eco["rgb"] == [150, 210, 190]
        probe.send(HeatingState("force_comfort", 21.0, True))
        await probe.expect("basecamp.lightpack.state", lambda d: d["colour"] == "warm_white")
        probe.send(ModeChanged("lockout", clock.now().isoformat(), "voice"))
        await probe.expect("basecamp.lightpack.state", lambda d: d["colour"] == "red")
    probe.close()


@pytest.mark.slow
async def test_the_four_services_answer_a_newcomer_with_their_state(
        config: Config, bus: Forwarder) -> None:
    """A kiosk that starts late asks (StateRequest) instead of waiting a minute for the
    next republish: modes, heater, night lights and lightpack each say their state."""
    clock = ManualClock(dt.datetime(2026, 11, 23, 7, 0, tzinfo=CET))
    topics = [ModeChanged.TOPIC, "basecamp.heating.state", "basecamp.nightlight.state",
              "basecamp.lightpack.state"]
    async with contextlib.AsyncExitStack() as stack:
        for name, serve in (("modes", service.serve), ("heater", heater_service.serve),
                            ("nightlight", nightlight_service.serve),
                            ("lightpack", lightpack_service.serve)):
            rt = await stack.enter_async_context(running(name, serve, config, clock=clock))
            assert await rt.settle()
        probe = Probe(config, topics)  # joins after their start-up announcements
        await probe.settle()
        probe.send(StateRequest())
        for topic in topics:
            await probe.expect(topic)
        await asyncio.sleep(0.6)  # past the answer gap (one answer per 0.5 s and service)
        probe.backlog.clear()
        probe.send(StateRequest(prefix="basecamp.presence."))
        mode = await probe.expect(ModeChanged.TOPIC)
        assert mode["mode"] == "cocoon"
        await asyncio.sleep(0.3)
        assert not [e for e in probe.backlog if e.topic != ModeChanged.TOPIC]
        probe.close()


def test_kill_9_then_restart_restores_the_mode(tmp_path: Path) -> None:
    with ServiceProcess(tmp_path, "modes", TOKEN) as modes:
        asyncio.run(_kill_and_restart(modes))


async def _kill_and_restart(modes: ServiceProcess) -> None:
    pub, sub = modes.config.bus_endpoints()
    forwarder = Forwarder(pub, sub, grace_s=0.05).start()
    probe = Probe(modes.config, [ModeChanged.TOPIC])
    await probe.settle()
    modes.start()
    try:
        assert (await probe.expect(ModeChanged.TOPIC, timeout=20))["mode"] == "cocoon"
        probe.send(Intent("BasecampSleep", {}, "voice"))
        asleep = await probe.expect(ModeChanged.TOPIC, lambda d: d["mode"] == "asleep")
        assert asleep["silence"] is True
        await asyncio.sleep(0.2)
        modes.kill9()
        modes.start()
        again = await probe.expect(ModeChanged.TOPIC, lambda d: d["changed_by"] == "restore",
                                   timeout=20)
        assert (again["mode"], again["silence"]) == ("asleep", True)
        body = await modes.status()
        assert body["presence"]["mode"] == "asleep" and body["presence"]["restored"]
    finally:
        probe.close()
        forwarder.stop()
