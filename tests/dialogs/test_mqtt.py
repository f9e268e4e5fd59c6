"""The Home Assistant bridge against a real mosquitto, a real bus and the real services.

A paho client plays Home Assistant: it reads the discovery configs and states the bridge
publishes, and sends commands as HA does. Commands must reach the house as intents on channel
`mqtt` that the real heater, modes and lights services carry out (their state is checked, not
a reply); a bridge killed with SIGKILL must leave "offline" behind (the broker's last will).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson
import paho.mqtt.client as mqtt
import pytest
import tomli_w

from core.bus import Forwarder, Publisher, Subscriber
from core.config import Config, ConfigError, load
from core.messages import Envelope, Message, Source
from core.messages.alive import Heartbeat
from core.messages.dialogs import Intent
from core.messages.heating import HeatingState
from core.messages.lightpack import LightpackState
from core.messages.lights import LightsState
from core.messages.nightlight import NightLightState
from core.messages.presence import ModeChanged, PirMotion
from core.messages.sensors import MutaUpdate, PowerUpdate, WaterUpdate
from core.messages.watch import Alert, PowerState
from core.service import Runtime, running
from dialogs import mqtt as bridge_service
from dialogs import service as dialogs_service
from dialogs.discovery import Bridge, Refusal
from dialogs.settings import MqttSettings
from modes import heater_service, lights_service
from modes import service as modes_service
from tests.dialogs.mosquitto import MosquittoServer
from tests.helpers import demo_data

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
PREFIX, BASE = "homeassistant", "basecamp"
AVAILABILITY = f"{BASE}/status"
REQUIRED = {
    "select": {"state_topic", "command_topic", "options"},
    "climate": {"preset_mode_state_topic", "preset_mode_command_topic", "preset_modes",
                "current_temperature_topic", "temperature_state_topic", "action_topic",
                "modes"},
    "light": {"state_topic", "command_topic", "schema", "supported_color_modes"},
    "sensor": {"state_topic"},
    "binary_sensor": {"state_topic", "device_class"},
}
"""Per component, the keys HA's MQTT discovery needs for what the bridge shows."""
COMMON = {"unique_id", "name", "device", "availability"}


# ---- the broker, the house, and Home Assistant ------------------------------------------
@pytest.fixture
def broker() -> Iterator[MosquittoServer]:
    """A real mosquitto on a free loopback port; missing mosquitto fails, never skips."""
    try:
        server = MosquittoServer().start()
    except FileNotFoundError as err:
        pytest.fail(str(err))
    yield server
    server.close()


def write_config(tmp_path: Path, overrides: dict[str, Any]) -> Path:
    """The demo house with free ports as a config file (a subprocess reads the same)."""
    path = tmp_path / "basecamp.toml"
    path.write_text(tomli_w.dumps(demo_data(tmp_path / "var", overrides)))
    return path


@pytest.fixture
def config_file(tmp_path: Path, broker: MosquittoServer) -> Path:
    return write_config(tmp_path, broker.overrides())


@pytest.fixture
def config(config_file: Path) -> Config:
    return load(config_file)


class HomeAssistant:
    """A paho client playing HA: subscribed to discovery and to the bridge's topics."""

    def __init__(self, port: int, *, user: str = "", password: str = "") -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"ha-{uuid.uuid4().hex[:8]}")
        if user:
            self.client.username_pw_set(user, password)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *_: c.subscribe([(f"{PREFIX}/#", 1),
                                                             (f"{BASE}/#", 1)])
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not self._subscribed.wait(5):
            raise TimeoutError("HA's client did not subscribe")

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            self.messages.append((message.topic, message.payload, bool(message.retain)))

    def seen(self) -> list[tuple[str, bytes, bool]]:
        with self._lock:
            return list(self.messages)

    def last(self, topic: str) -> bytes | None:
        """The last payload received on `topic`."""
        return next((p for t, p, _ in reversed(self.seen()) if t == topic), None)

    def configs(self) -> dict[str, dict[str, Any]]:
        """object_id -> its last discovery config (component in "_component")."""
        found: dict[str, dict[str, Any]] = {}
        for topic, payload, _ in self.seen():
            parts = topic.split("/")
            if parts[0] == PREFIX and parts[-1] == "config" and payload:
                found[parts[-2]] = {**orjson.loads(payload), "_component": parts[1]}
        return found

    def command(self, topic: str, payload: str) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


async def until(probe: Callable[[], T | None], what: str | Callable[[], str],
                timeout: float = 5.0) -> T:
    """Poll `probe` until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            told = what if isinstance(what, str) else what()
            raise AssertionError(f"timed out waiting for {told}")
        await asyncio.sleep(0.02)


@pytest.fixture
def ha(broker: MosquittoServer) -> Iterator[HomeAssistant]:
    client = HomeAssistant(broker.port)
    yield client
    client.close()


@contextlib.asynccontextmanager
async def bridge(config: Config) -> AsyncIterator[Runtime]:
    """The bridge service in this process, connected to the broker."""
    async with running("mqtt", bridge_service.serve, config) as rt:
        assert await rt.settle()
        await until(lambda: rt.status["mqtt"]()["connected"], "the bridge to connect")
        yield rt


@pytest.fixture
async def house(config: Config, bus: Forwarder) -> AsyncIterator[Any]:
    """A bus publisher (as each machine's services) and a recorder of intents."""
    pubs: dict[tuple[str, str], Publisher] = {}

    def publish(message: Message, host: str = "bc-hq", service: str = "test") -> None:
        if (host, service) not in pubs:
            pubs[(host, service)] = Publisher(config.bus_endpoints()[0], Source(host, service))
        pubs[(host, service)].publish(message)

    intents = Subscriber(config.bus_endpoints()[1], [Intent.TOPIC + ".", ModeChanged.TOPIC])
    first = Publisher(config.bus_endpoints()[0], Source("bc-hq", "test"))
    pubs[("bc-hq", "test")] = first
    assert await intents.settle(first, 5)
    yield publish, intents
    intents.close()
    for pub in pubs.values():
        await pub.wait_ready(0.5)
        pub.close()


async def received(sub: Subscriber, cls: type[Any], timeout: float = 5.0,
                   match: Callable[[Any], bool] = lambda m: True) -> Any:
    """The first message of `cls` on `sub` that matches."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"no {cls.__name__} on the bus")
        with contextlib.suppress(TimeoutError):
            for envelope in await asyncio.wait_for(sub.recv_batch(), left):
                if envelope.topic.startswith(cls.TOPIC):
                    message = cls.from_envelope(envelope)
                    if match(message):
                        return message


async def quiet(sub: Subscriber, seconds: float) -> list[Envelope]:
    """Everything `sub` receives in `seconds`."""
    got: list[Envelope] = []
    deadline = asyncio.get_running_loop().time() + seconds
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        with contextlib.suppress(TimeoutError):
            got += await asyncio.wait_for(sub.recv_batch(), left)
    return got


EVERY_KIND: list[tuple[Message, str]] = [
    (ModeChanged("cocoon", "2026-11-30T08:00:00+01:00", "voice"), "bc-ui"),
    (HeatingState("comfort", 20.0, True, "salon", 19.2, regime="comfort"), "bc-power"),
    (LightsState({"lumière de la cuisine": False, "lampe de chevet": True}), "bc-veilleuse"),
    (NightLightState("auto", False, True), "bc-veilleuse"),
    (LightpackState("warm_white", [255, 180, 120]), "bc-ui"),
    (MutaUpdate("salon", 1, 19.5, 41.0, 120.0, 3.1), "bc-hq"),
    (PowerUpdate(1450.0, 6.0, {"HCHC": 1_000_000, "HCHP": 2_345_678}, "HC.."), "bc-power"),
    (WaterUpdate(1.5, 60.0, 123_456.5), "bc-water"),
    (PirMotion("entry", 1), "bc-ui"),
    (PowerState("POWER_OK", "2026-11-30T08:00:00+01:00"), "bc-watch"),
    (Alert("water:leak", "major", "problem", "fuite", "watch"), "bc-watch"),
    (Heartbeat("heater", "bc-power", "1.0", 3.0), "bc-power"),
]


# ---- discovery and states ---------------------------------------------------------------
async def test_discovery_configs_follow_ha_schema_one_device_per_machine(
        config: Config, house: Any, ha: HomeAssistant) -> None:
    publish, _ = house
    async with bridge(config):
        for message, host in EVERY_KIND:
            publish(message, host)
        wanted = {"mode", "heater", "light_lumiere_de_la_cuisine", "light_lampe_de_chevet",
                  "night_light", "lightpack", "salon_temperature", "salon_humidity",
                  "salon_light", "salon_battery", "power_apparent", "power_current",
                  "power_energy", "water_total", "pir_entry", "mains", "leak",
                  "health_bc_power_heater"}
        configs = await until(lambda: c if wanted <= set(c := ha.configs()) else None,
                              lambda: f"configs of {sorted(wanted - set(ha.configs()))}")
        for oid in wanted:
            body = configs[oid]
            assert COMMON | REQUIRED[body["_component"]] <= set(body), (oid, body)
            assert body["availability"] == [{"topic": AVAILABILITY}]
            device = body["device"]
            assert device["manufacturer"] == "Basecamp" and device["sw_version"]
            assert device["identifiers"] and device["name"] in config.machines
        assert len({c["unique_id"] for c in configs.values()}) == len(configs)
        # each entity on the device of the machine that reports it
        machine = {oid: configs[oid]["device"]["name"] for oid in wanted}
        assert machine["heater"] == "bc-power" and machine["salon_temperature"] == "bc-hq"
        assert machine["mode"] == "bc-ui" and machine["water_total"] == "bc-water"
        assert configs["heater"]["device"]["identifiers"] != \
            configs["salon_temperature"]["device"]["identifiers"]
        assert configs["mode"]["options"] == ["cocon", "absent", "nuit"]
        assert set(configs["heater"]["preset_modes"]) == {
            "comfort", "eco", "force_comfort", "force_eco", "work_week", "holiday_week"}
        # what HA's energy dashboard needs
        classes = {oid: (configs[oid].get("device_class"), configs[oid].get(
            "unit_of_measurement"), configs[oid].get("state_class"))
            for oid in ("power_apparent", "power_energy", "water_total", "salon_temperature")}
        assert classes == {"power_apparent": ("apparent_power", "VA", "measurement"),
                           "power_energy": ("energy", "kWh", "total_increasing"),
                           "water_total": ("water", "L", "total_increasing"),
                           "salon_temperature": ("temperature", "°C", "measurement")}
        assert {configs[o]["device_class"] for o in ("pir_entry", "mains", "leak")} == {
            "motion", "power", "moisture"}
        # and the states (configs and states may cross on their way: waited for, not raced)
        expected = {
            "mode/state": b"cocon", "heater/preset": b"comfort", "heater/action": b"heating",
            "heater/current": b"19.2", "heater/target": b"20.0",
            "power_energy/state": b"3345.678", "water_total/state": b"123456.5",
            "light_lampe_de_chevet/state": b'{"state":"ON"}', "pir_entry/state": b"ON",
            "mains/state": b"ON", "leak/state": b"ON", "health_bc_power_heater/state": b"ON"}

        def wrong() -> dict[str, bytes | None]:
            return {k: ha.last(f"{BASE}/{k}") for k, v in expected.items()
                    if ha.last(f"{BASE}/{k}") != v}
        await until(lambda: not wrong(), lambda: f"states, still wrong: {wrong()}")
        assert orjson.loads(ha.last(f"{BASE}/mode/attributes") or b"{}")["changed by"] == "voice"
        assert orjson.loads(ha.last(f"{BASE}/lightpack/state") or b"{}")["color"] == {
            "r": 255, "g": 180, "b": 120}
        assert ha.last(AVAILABILITY) == b"online"


async def test_a_muta_reading_on_the_bus_becomes_sensor_states(
        config: Config, house: Any, ha: HomeAssistant) -> None:
    publish, _ = house
    async with bridge(config) as rt:
        publish(MutaUpdate("chambre", 7, temperature=18.25, battery=2.95), "bc-hq", "muta")
        await until(lambda: ha.last(f"{BASE}/chambre_temperature/state") == b"18.25"
                    and ha.last(f"{BASE}/chambre_battery/state") == b"2.95",
                    "the bedroom's temperature and battery on MQTT")
        assert ha.last(f"{BASE}/chambre_humidity/state") is None  # not read: not invented
        publish(MutaUpdate("chambre", 8, temperature=18.5), "bc-hq", "muta")
        await until(lambda: ha.last(f"{BASE}/chambre_temperature/state") == b"18.5",
                    "the next reading")
        status = rt.status["mqtt"]()
        assert status["connected"] and status["messages_out"] >= 5 and status["entities"] >= 2


# ---- commands from HA go through the intent path ----------------------------------------
async def test_a_preset_chosen_in_ha_changes_the_heaters_profile(
        config: Config, house: Any, ha: HomeAssistant) -> None:
    _, intents = house
    async with contextlib.AsyncExitStack() as stack:
        heater = await stack.enter_async_context(running("heater", heater_service.serve, config))
        dialogs = await stack.enter_async_context(
            running("dialogs", dialogs_service.serve, config))
        assert await heater.settle() and await dialogs.settle()
        rt = await stack.enter_async_context(bridge(config))
        ha.command(f"{PREFIX}/status", "online")  # HA (re)started: the heater is shown
        await until(lambda: "heater" in ha.configs(), "the climate entity")
        assert heater.status["heating"]()["profile"] != "force_comfort"

        ha.command(f"{BASE}/heater/preset/set", "force_comfort")
        intent = await received(intents, Intent)
        assert (intent.intent, intent.slots, intent.channel) == (
            "BasecampHeatingProfile", {"profile": "force_comfort"}, "mqtt")
        await until(lambda: heater.status["heating"]()["profile"] == "force_comfort",
                    lambda: f"the heater forced to comfort ({heater.status['heating']()})")
        await until(lambda: ha.last(f"{BASE}/heater/preset") == b"force_comfort",
                    "HA told the new preset")

        ha.command(f"{BASE}/heater/preset/set", "holiday_week")
        await until(lambda: heater.status["heating"]()["regime"] == "holiday_week"
                    and heater.status["heating"]()["force"] == "",
                    "the heater on the holiday week")
        await until(lambda: rt.counters["commands_done"] == 2, "both outcomes counted")


async def test_a_mode_chosen_in_ha_goes_through_the_presence_machine(
        config: Config, house: Any, ha: HomeAssistant) -> None:
    _, intents = house
    async with running("modes", modes_service.serve, config) as modes:
        assert await modes.settle()
        async with bridge(config):
            ha.command(f"{PREFIX}/status", "online")
            await until(lambda: ha.last(f"{BASE}/mode/state") == b"cocon", "the mode in HA")
            ha.command(f"{BASE}/mode/set", "absent")
            changed = await received(intents, ModeChanged, match=lambda m: m.mode == "lockout")
            assert changed.changed_by == "mqtt", changed
            await until(lambda: ha.last(f"{BASE}/mode/state") == b"absent" and orjson.loads(
                ha.last(f"{BASE}/mode/attributes") or b"{}").get("changed by") == "mqtt",
                "lockout in HA, changed by mqtt")


async def test_a_light_switched_in_ha_is_switched_by_the_lights_service(
        config: Config, house: Any, ha: HomeAssistant) -> None:
    async with running("lights", lights_service.serve, config) as lights:
        assert await lights.settle()
        async with bridge(config):
            ha.command(f"{PREFIX}/status", "online")
            kitchen = f"{BASE}/light_lumiere_de_la_cuisine"
            await until(lambda: ha.last(f"{kitchen}/state"), "the kitchen light in HA")
            assert orjson.loads(ha.last(f"{kitchen}/state") or b"{}") == {"state": "OFF"}
            assert lights.status["lights"]()["on"]["lumière de la cuisine"] is False
            ha.command(f"{kitchen}/set", '{"state": "ON"}')
            await until(lambda: lights.status["lights"]()["on"]["lumière de la cuisine"],
                        "the lights service switching the kitchen light on")
            await until(lambda: orjson.loads(ha.last(f"{kitchen}/state") or b"{}") == {
                "state": "ON"}, "HA told the kitchen light is on")


async def test_commands_ha_may_not_give_make_no_intent(
        config: Config, house: Any, ha: HomeAssistant) -> None:
    publish, intents = house
    async with bridge(config) as rt:
        publish(LightpackState("red", [255, 0, 0]), "bc-ui")
        await until(lambda: ha.last(f"{BASE}/lightpack/state"), "the lightpack in HA")
        for topic, payload in ((f"{BASE}/heater/preset/set", "turbo"),
                               (f"{BASE}/lightpack/set", '{"state": "OFF"}'),
                               (f"{BASE}/mode/set", "vacances"),
                               (f"{BASE}/nowhere/set", "ON")):
            ha.command(topic, payload)
        await until(lambda: rt.counters["commands_refused"] == 4, "four refusals")
        assert not [e for e in await quiet(intents, 0.3) if e.topic.startswith(Intent.TOPIC)]
        # the lightpack is put back as it is in HA
        assert orjson.loads(ha.last(f"{BASE}/lightpack/state") or b"{}")["state"] == "ON"
        ha.command(f"{BASE}/heater/preset/set", "eco")  # and a good one does get through
        assert (await received(intents, Intent)).slots == {"profile": "eco"}


# ---- health, availability, HA's restarts -------------------------------------------------
async def test_health_follows_heartbeats_and_the_sentinel(
        tmp_path: Path, broker: MosquittoServer, ha: HomeAssistant) -> None:
    config = load(write_config(tmp_path, {**broker.overrides(missed_heartbeats=2),
                                          "bus": {"heartbeat_s": 0.2}}))
    pub, sub = config.bus_endpoints()
    forwarder = Forwarder(pub, sub, grace_s=0.05).start()
    publisher = Publisher(pub, Source("bc-power", "heater"))
    try:
        async with bridge(config):
            topic = f"{BASE}/health_bc_power_heater/state"
            publisher.publish(Heartbeat("heater", "bc-power", "1.0", 1.0))
            await until(lambda: ha.last(topic) == b"ON", "the heater up")
            await until(lambda: ha.last(topic) == b"OFF", "the heater silent, so down")
            publisher.publish(Heartbeat("heater", "bc-power", "1.0", 2.0))
            await until(lambda: ha.last(topic) == b"ON", "the heater up again")
            watch = Publisher(pub, Source("bc-watch", "watch"))
            watch.publish(Alert("service:bc-hq/logbook", "major", "problem", "down", "watch"))
            await until(lambda: ha.last(f"{BASE}/health_bc_hq_logbook/state") == b"OFF",
                        "the logbook down as the sentinel says")
            watch.publish(Alert("service:bc-hq/logbook", "major", "recovery", "up", "watch"))
            await until(lambda: ha.last(f"{BASE}/health_bc_hq_logbook/state") == b"ON",
                        "the logbook back")
            await watch.wait_ready(0.5)
            watch.close()
    finally:
        publisher.close()
        forwarder.stop()


async def test_a_killed_bridge_leaves_offline_behind(
        config_file: Path, bus: Forwarder, ha: HomeAssistant) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "run", "mqtt", "--config",
                             str(config_file)], cwd=ROOT, env={**os.environ},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await until(lambda: ha.last(AVAILABILITY) == b"online" or proc.poll() is not None,
                    "the bridge online", timeout=20)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)  # no goodbye: only the broker can tell HA
        proc.wait(5)
        await until(lambda: ha.last(AVAILABILITY) == b"offline", "the last will")
        retained = HomeAssistant(ha.client.port)  # and whoever comes later is told so
        try:
            await until(lambda: (AVAILABILITY, b"offline", True) in retained.seen(),
                        "offline retained")
        finally:
            retained.close()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)


async def test_everything_is_republished_when_ha_comes_online(
        config: Config, house: Any, broker: MosquittoServer) -> None:
    publish, _ = house
    async with bridge(config):
        publish(ModeChanged("asleep", "2026-11-30T23:00:00+01:00", "voice"), "bc-ui")
        publish(MutaUpdate("salon", 1, temperature=19.0), "bc-hq")
        first = HomeAssistant(broker.port)
        try:
            await until(lambda: first.last(f"{BASE}/mode/state") == b"nuit", "the mode")
        finally:
            first.close()
        restarted = HomeAssistant(broker.port)  # HA after a restart: retained configs only
        try:
            await until(lambda: "mode" in restarted.configs(), "retained configs")
            await asyncio.sleep(0.2)
            assert restarted.last(f"{BASE}/mode/state") is None  # states are not retained
            assert all(retain for t, _, retain in restarted.seen() if t.endswith("/config"))
            restarted.command(f"{PREFIX}/status", "online")
            await until(lambda: restarted.last(f"{BASE}/mode/state") == b"nuit",
                        "the mode again")
            await until(lambda: restarted.last(f"{BASE}/salon_temperature/state") == b"19.0",
                        "the temperature again")
            fresh = [t for t, _, retain in restarted.seen() if t.endswith("/config")
                     and not retain]
            assert f"{PREFIX}/select/{BASE}/mode/config" in fresh
        finally:
            restarted.close()


async def test_the_bridge_comes_back_with_the_broker(
        config: Config, house: Any, broker: MosquittoServer, ha: HomeAssistant) -> None:
    publish, _ = house
    async with bridge(config) as rt:
        publish(ModeChanged("lockout", "2026-11-30T09:00:00+01:00", "sms"), "bc-ui")
        await until(lambda: ha.last(f"{BASE}/mode/state") == b"absent", "the mode")
        broker.stop()  # a broker restart: nothing retained survives it
        await until(lambda: not rt.status["mqtt"]()["connected"], "the bridge disconnected")
        with ha._lock:
            ha.messages.clear()
        ha._subscribed.clear()
        broker.start()
        await until(lambda: rt.status["mqtt"]()["connected"], "the bridge back", timeout=15)
        # HA reconnects in its own time (paho backs off) and says so with its birth message,
        # which is what makes the bridge publish its states again for it
        await until(ha._subscribed.is_set, "HA back", timeout=15)
        ha.command(f"{PREFIX}/status", "online")
        await until(lambda: ha.last(AVAILABILITY) == b"online"
                    and ha.last(f"{BASE}/mode/state") == b"absent"
                    and "mode" in ha.configs(), "online, the config and the mode again",
                    timeout=15)
        assert rt.counters["mqtt_connections"] == 2


# ---- credentials and settings ------------------------------------------------------------
@pytest.mark.parametrize("password, connects", [("s3cret", True), ("wrong", False)])
async def test_credentials_come_from_the_secrets(
        tmp_path: Path, bus_keys: Path, password: str, connects: bool) -> None:
    try:
        server = MosquittoServer(users={"bridge": "s3cret"}).start()
    except FileNotFoundError as err:
        pytest.fail(str(err))
    try:
        config = load(write_config(tmp_path, server.overrides()))
        secrets = config.path("secrets")
        secrets.mkdir(parents=True, exist_ok=True)
        (secrets / "mqtt_user").write_text("bridge\n")
        (secrets / "mqtt_password").write_text(password + "\n")
        pub, sub = config.bus_endpoints()
        forwarder = Forwarder(pub, sub, grace_s=0.05).start()
        try:
            async with running("mqtt", bridge_service.serve, config) as rt:
                if connects:
                    await until(lambda: rt.status["mqtt"]()["connected"], "connected")
                    ha = HomeAssistant(server.port, user="bridge", password="s3cret")
                    try:
                        await until(lambda: ha.last(AVAILABILITY) == b"online", "online")
                    finally:
                        ha.close()
                else:
                    await until(lambda: rt.counters["mqtt_refused"], "the broker's refusal")
                    status = rt.status["mqtt"]()
                    assert not status["connected"] and "authori" in status["last_error"].lower()
                    assert "wrong" not in str(status)
        finally:
            forwarder.stop()
    finally:
        server.close()


@pytest.mark.parametrize("key, value", [("base_topic", "basecamp/#"),
                                        ("discovery_prefix", "/homeassistant"),
                                        ("base_topic", "")])
def test_settings_refuse_topics_mqtt_cannot_use(tmp_path: Path, key: str, value: str) -> None:
    data = demo_data(tmp_path, {"mqtt": {key: value}})
    with pytest.raises(ConfigError, match=f"mqtt.{key}"):
        Config.from_dict(data)


# ---- the translation itself (pure) -------------------------------------------------------
@pytest.mark.parametrize("mode, topic, payload, intent, slots", [
    ("cocoon", "mode/set", "absent", "BasecampLeave", {}),
    ("cocoon", "mode/set", "nuit", "BasecampSleep", {}),
    ("lockout", "mode/set", "cocon", "BasecampReturn", {}),
    ("asleep", "mode/set", "cocon", "BasecampWake", {}),
    ("cocoon", "heater/preset/set", "work_week", "BasecampHeatingProfile",
     {"profile": "work_week"}),
    ("cocoon", "heater/target/set", "21.5", "HassClimateSetTemperature",
     {"area": "salon", "temperature": 21.5}),
    ("cocoon", "night_light/set", '{"state": "ON"}', "HassTurnOn", {"name": "veilleuse"}),
    ("cocoon", "light_lampe_de_chevet/set", '{"state":"OFF"}', "HassTurnOff",
     {"name": "lampe de chevet"}),
])
def test_commands_read_as_intents(tmp_path: Path, mode: str, topic: str, payload: str,
                                  intent: str, slots: dict[str, Any]) -> None:
    from tests.helpers import demo_config
    b = Bridge(demo_config(tmp_path))
    b.on_message(ModeChanged(mode, "", "voice"), "bc-ui")
    b.on_message(LightsState({"lampe de chevet": True}), "bc-veilleuse")
    got = b.command(f"{BASE}/{topic}", payload.encode())
    assert isinstance(got, Intent), got
    assert (got.intent, got.slots, got.channel, got.id[:5]) == (intent, slots, "mqtt", "mqtt-")


@pytest.mark.parametrize("topic, payload", [
    ("mode/set", "cocon"), ("heater/preset/set", "none"), ("heater/target/set", "warm"),
    ("night_light/set", "{not json"), ("night_light/set", '{"brightness": 3}'),
    ("lightpack/set", "ON"), ("light_unknown/set", "ON"), ("other/base/mode/set", "nuit")])
def test_commands_that_are_no_intent(tmp_path: Path, topic: str, payload: str) -> None:
    from tests.helpers import demo_config
    b = Bridge(demo_config(tmp_path))
    b.on_message(ModeChanged("cocoon", "", "voice"), "bc-ui")
    assert isinstance(b.command(f"{BASE}/{topic}", payload.encode()), Refusal)


# ---- the whole demo house ------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.timeout(420)
def test_the_demo_house_in_home_assistant(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`basecamp up` runs the demo's own broker (mosquitto, `basecamp run broker`) and the
    bridge: HA, connected to that broker, sees what the real services and simulators publish,
    and its commands are carried out by the real heater and modes."""
    # the house's programs run the venv's `basecamp`, whose editable install may be another
    # checkout of the project: this one's code is what is under test
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    import datetime as dt
    from zoneinfo import ZoneInfo

    from tests.e2e.house import running_house, wait_for

    start = dt.datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    overrides = {"watch": {"interval_s": 1.0, "machine_check": "tcp"}}
    (tmp_path / "house").mkdir()
    with running_house(tmp_path / "house", overrides, speed=1.0, start=start) as house:
        assert house.get("broker")["broker"]["running"]
        ha = HomeAssistant(house.config.section("mqtt", MqttSettings).port)
        ha.command(f"{PREFIX}/status", "online")  # as HA says when it starts: all again
        try:
            # (the water meter speaks once a minute slot: not waited for)
            wanted = {"mode", "heater", "salon_temperature", "power_apparent", "power_energy",
                      "health_bc_hq_logbook", "health_bc_power_heater", "night_light",
                      "lightpack"}
            wait_for(lambda: wanted <= set(ha.configs()), 60,
                     lambda: f"configs of {sorted(wanted - set(ha.configs()))}")
            assert house.get("mqtt")["mqtt"]["connected"]
            assert house.get("heater")["heating"]["profile"] != "force_eco"
            ha.command(f"{BASE}/heater/preset/set", "force_eco")
            wait_for(lambda: house.get("heater")["heating"]["profile"] == "force_eco", 20,
                     "the heater forced to eco by HA")
            wait_for(lambda: ha.last(f"{BASE}/heater/preset") == b"force_eco", 20,
                     "HA told the heater's new preset")
            ha.command(f"{BASE}/mode/set", "absent")
            wait_for(lambda: house.get("modes")["presence"]["mode"] == "lockout", 20,
                     "the house in lockout by HA")
            assert house.get("modes")["presence"]["changed_by"] == "mqtt"
            assert ha.last(f"{BASE}/health_bc_hq_logbook/state") == b"ON"
        finally:
            ha.close()


def test_a_reading_no_sensor_can_give_is_not_shown(tmp_path: Path) -> None:
    from tests.helpers import demo_config
    b = Bridge(demo_config(tmp_path))
    topics = [t for t, _, _ in b.on_message(MutaUpdate("salon", 1, temperature=19.0,
                                                       humidity=250.0), "bc-hq")]
    assert f"{BASE}/salon_temperature/state" in topics
    assert not [t for t in topics if "humidity" in t]
    assert b.on_message(PowerUpdate(-5.0), "bc-power") == []
