"""Home Assistant's view of the house over MQTT: entities, discovery payloads, states, and the
commands HA sends back turned into intents [pure].

`Bridge.on_message(message, host, now)` folds one bus message into the entities it shows and
returns the MQTT publications to make: a discovery config (retained) the first time an entity
appears, then its state. `Bridge.everything()` is all of it again (when HA restarts). One HA
device per machine; an entity belongs to the machine of the service that reports it.
`Bridge.command(topic, payload)` reads a command from HA into an `Intent` on channel `mqtt`
— never a direct SetProfile or RelayCommand: the modes, heater and lights services apply the
same rules and logbook entries as for a spoken command — or a `Refusal` saying why not.

What HA shows (component: entities, from which messages):
- select: the presence mode (ModeChanged; "changed by" in its attributes);
- climate: the heater (HeatingState: temperature, setpoint, presets, heating/idle);
- light: each room light (LightsState), the night light (NightLightState), the lightpack
  (LightpackState; it follows the mode, so commands to it are refused);
- sensor: MUTA temperature/humidity/illuminance/battery per unit (MutaUpdate), apparent power
  and the kWh index (PowerUpdate), the water meter's total (WaterUpdate), with the device
  and state classes HA's energy dashboard needs;
- binary_sensor: PIR motion (PirMotion), leak (the sentinel's `water:leak` alert), mains
  (PowerState), each service's health (heartbeats, and the sentinel's `service:` alerts).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from core.config import Config
from core.devices import Driver, driver
from core.messages import Message
from core.messages.dialogs import Intent
from core.messages.heating import HeatingState
from core.messages.lightpack import LightpackState
from core.messages.lights import LightsState
from core.messages.nightlight import NightLightState
from core.messages.presence import Mode, ModeChanged, PirMotion
from core.messages.sensors import MutaUpdate, PowerUpdate, WaterUpdate, implausible
from core.messages.watch import Alert, Notice, PowerState

MANUFACTURER = "Basecamp"
CHANNEL = "mqtt"
SENDER = "home-assistant"
PRESETS = ("comfort", "eco", "force_comfort", "force_eco", "work_week", "holiday_week")
"""The heater's profiles HA may choose (modes.heating.PROFILES; dialogs does not import modes)."""
MODE_LABELS = {"fr": {"cocoon": "cocon", "lockout": "absent", "asleep": "nuit"},
               "en": {"cocoon": "home", "lockout": "away", "asleep": "night"}}
"""The presence select's options, in the house's language."""
LEAK_KEY = "water:leak"
"""The sentinel's incident key of a night leak (watch.policy)."""
SERVICE_KEY = "service:"
"""Prefix of the sentinel's incident keys about a service: service:<machine>/<service>."""
MUTA_FIELDS: dict[str, dict[str, Any]] = {
    "temperature": {"device_class": "temperature", "unit_of_measurement": "°C",
                    "state_class": "measurement"},
    "humidity": {"device_class": "humidity", "unit_of_measurement": "%",
                 "state_class": "measurement"},
    "light": {"device_class": "illuminance", "unit_of_measurement": "lx",
              "state_class": "measurement"},
    "battery": {"device_class": "voltage", "unit_of_measurement": "V",
                "state_class": "measurement", "entity_category": "diagnostic"},
}
"""MutaUpdate field -> what HA needs to show it (the battery is read in volts, not %)."""
NAMES = {
    "fr": {"mode": "Mode", "heater": "Chauffage", "lightpack": "Lightpack",
           "night_light": "Veilleuse", "power_apparent": "Puissance apparente",
           "power_current": "Intensité", "power_energy": "Électricité", "water_total": "Eau",
           "mains": "Secteur", "leak": "Fuite d'eau", "pir": "Mouvement {}",
           "temperature": "Température {}", "humidity": "Humidité {}",
           "light": "Luminosité {}", "battery": "Pile {}"},
    "en": {"mode": "Mode", "heater": "Heating", "lightpack": "Lightpack",
           "night_light": "Night light", "power_apparent": "Apparent power",
           "power_current": "Current", "power_energy": "Electricity", "water_total": "Water",
           "mains": "Mains", "leak": "Water leak", "pir": "Motion {}",
           "temperature": "Temperature {}", "humidity": "Humidity {}", "light": "Light {}",
           "battery": "Battery {}"}}
"""Entity names in the house's language ({} = the unit or sensor)."""

Publication = tuple[str, bytes, bool]
"""(topic, payload, retain)."""


@dataclass(frozen=True)
class Refusal:
    """A command from HA that becomes no intent, and why (counted and logged)."""

    reason: str


@dataclass
class Entity:
    """One HA entity: where it lives on MQTT and what its discovery config says."""

    component: str
    object_id: str
    host: str
    config: dict[str, Any]
    """The discovery keys of the component (topics included), device and availability aside."""
    state: dict[str, bytes] = field(default_factory=dict)
    """Last payload per state topic (republished when HA comes back)."""


def slug(text: str) -> str:
    """An MQTT/HA-safe id: "lumière de l'entrée" -> "lumiere_de_l_entree"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_") or "x"


def _number(value: float) -> bytes:
    return orjson.dumps(round(float(value), 3))


def _json(value: Any) -> bytes:
    return orjson.dumps(value)


class Bridge:
    """The entities shown so far, their last states, and the translation both ways."""

    def __init__(self, config: Config, *, discovery_prefix: str = "homeassistant",
                 base_topic: str = "basecamp", version: str = "",
                 min_temperature: float = 5.0, max_temperature: float = 28.0,
                 lang: str = "fr") -> None:
        self.config = config
        self.prefix, self.base, self.version = discovery_prefix, base_topic, version
        self.node = slug(base_topic)
        self.availability = f"{base_topic}/status"
        """The bridge's own availability: "online", or "offline" (its MQTT last will)."""
        self.min_t, self.max_t = min_temperature, max_temperature
        self.labels = MODE_LABELS.get(lang, MODE_LABELS["en"])
        self.names = NAMES.get(lang, NAMES["en"])
        self.entities: dict[str, Entity] = {}
        self.mode = ""
        """The presence mode last seen (chooses BasecampReturn or BasecampWake)."""
        self.lights: dict[str, str] = {}
        """object_id of a room light -> its device name (the intent's `name` slot)."""
        self.seen: dict[tuple[str, str], float] = {}
        """(machine, service) -> machine time of its last heartbeat."""
        heaters = [d for d in config.devices if driver(d) == Driver.HEATER]
        self.heater_room = heaters[0].room if heaters else ""
        nights = [d for d in config.devices if d.kind == "night_light"]
        self.night_light = nights[0].name if nights else ""
        self.leak_host = self._host_of("water")

    # ---- topics and payloads -----------------------------------------------------------
    def topic(self, object_id: str, *parts: str) -> str:
        """A topic of this bridge: <base>/<object_id>/<parts...>."""
        return "/".join((self.base, object_id, *parts))

    def config_topic(self, entity: Entity) -> str:
        """Where HA looks for the entity's discovery config."""
        return f"{self.prefix}/{entity.component}/{self.node}/{entity.object_id}/config"

    def device(self, host: str) -> dict[str, Any]:
        """The HA device of a machine."""
        machine = self.config.machines.get(host)
        device: dict[str, Any] = {"identifiers": [f"{self.node}_{slug(host)}"], "name": host,
                                  "manufacturer": MANUFACTURER, "model": "Basecamp machine",
                                  "sw_version": self.version}
        if machine is not None and machine.description:
            device["model"] = machine.description
        return device

    def discovery(self, entity: Entity) -> dict[str, Any]:
        """The full discovery payload of an entity."""
        return {"unique_id": f"{self.node}_{entity.object_id}", **entity.config,
                "device": self.device(entity.host),
                "availability": [{"topic": self.availability}], "availability_mode": "all"}

    def _host_of(self, service: str) -> str:
        if service in self.config.services:
            return self.config.hosts(service)[0]
        return self.config.bus.machine

    # ---- entities ----------------------------------------------------------------------
    def _entity(self, component: str, object_id: str, host: str, config: dict[str, Any],
                out: list[Publication]) -> Entity:
        """The entity, announced to HA the first time it is met."""
        entity = self.entities.get(object_id)
        if entity is None:
            entity = self.entities[object_id] = Entity(component, object_id, host, config)
            out.append(self._config_publication(entity))
        return entity

    def _config_publication(self, entity: Entity) -> Publication:
        return self.config_topic(entity), _json(self.discovery(entity)), True

    @staticmethod
    def _state(entity: Entity, topic: str, payload: bytes, out: list[Publication]) -> None:
        entity.state[topic] = payload
        out.append((topic, payload, False))

    def everything(self) -> list[Publication]:
        """Every discovery config, then every last state (HA came back, or we reconnected)."""
        configs = [self._config_publication(e) for e in self.entities.values()]
        states = [(t, p, False) for e in self.entities.values() for t, p in e.state.items()]
        return configs + states

    def states_of(self, topic: str) -> list[Publication]:
        """The last states of the entity a command topic belongs to (to undo what HA shows
        when its command is refused)."""
        parts = topic.split("/")[len(self.base.split("/")):]
        entity = self.entities.get(parts[0]) if parts else None
        return [(t, p, False) for t, p in entity.state.items()] if entity else []

    # ---- bus -> HA ---------------------------------------------------------------------
    def on_message(self, message: Message, host: str) -> list[Publication]:
        """The publications a bus message from machine `host` makes."""
        out: list[Publication] = []
        handler = _HANDLERS.get(type(message))
        if handler is not None:
            handler(self, message, host, out)
        return out

    def _mode(self, msg: ModeChanged, host: str, out: list[Publication]) -> None:
        self.mode = msg.mode
        oid = "mode"
        entity = self._entity("select", oid, host, {
            "name": self.names["mode"], "icon": "mdi:home-account",
            "options": list(self.labels.values()),
            "state_topic": self.topic(oid, "state"), "command_topic": self.topic(oid, "set"),
            "json_attributes_topic": self.topic(oid, "attributes")}, out)
        self._state(entity, self.topic(oid, "state"),
                    self.labels.get(msg.mode, msg.mode).encode(), out)
        self._state(entity, self.topic(oid, "attributes"), _json({
            "mode": msg.mode, "changed by": msg.changed_by,
            "since": msg.since, "reason": msg.reason, "silence": msg.silence,
            "return_at": msg.return_at}), out)

    def _heating(self, msg: HeatingState, host: str, out: list[Publication]) -> None:
        oid = "heater"
        config: dict[str, Any] = {
            "name": self.names["heater"], "modes": ["heat"],
            "mode_state_topic": self.topic(oid, "mode"),
            "preset_modes": list(PRESETS),
            "preset_mode_state_topic": self.topic(oid, "preset"),
            "preset_mode_command_topic": self.topic(oid, "preset", "set"),
            "current_temperature_topic": self.topic(oid, "current"),
            "temperature_state_topic": self.topic(oid, "target"),
            "action_topic": self.topic(oid, "action"),
            "json_attributes_topic": self.topic(oid, "attributes"),
            "temperature_unit": "C", "precision": 0.1, "temp_step": 0.5,
            "min_temp": self.min_t, "max_temp": self.max_t}
        if self.heater_room:
            config["temperature_command_topic"] = self.topic(oid, "target", "set")
        entity = self._entity("climate", oid, host, config, out)
        # a forced profile runs over the chosen regime: HA shows the one that rules
        preset = msg.profile if msg.profile in PRESETS and msg.profile.startswith("force") \
            else msg.regime if msg.regime in PRESETS else "none"
        self._state(entity, self.topic(oid, "mode"), b"heat", out)
        self._state(entity, self.topic(oid, "preset"), preset.encode(), out)
        self._state(entity, self.topic(oid, "target"), _number(msg.setpoint), out)
        if msg.temperature is not None:
            self._state(entity, self.topic(oid, "current"), _number(msg.temperature), out)
        self._state(entity, self.topic(oid, "action"), b"heating" if msg.relay else b"idle", out)
        self._state(entity, self.topic(oid, "attributes"), _json({
            "profile": msg.profile, "regime": msg.regime, "until": msg.until,
            "sensor": msg.sensor, "override": msg.override, "room": msg.room}), out)

    def _light(self, oid: str, name: str, host: str, rgb: bool,
               out: list[Publication]) -> Entity:
        return self._entity("light", oid, host, {
            "name": name, "schema": "json", "state_topic": self.topic(oid, "state"),
            "command_topic": self.topic(oid, "set"),
            "supported_color_modes": ["rgb"] if rgb else ["onoff"],
            "json_attributes_topic": self.topic(oid, "attributes")}, out)

    def _lights(self, msg: LightsState, host: str, out: list[Publication]) -> None:
        for name, lit in msg.on.items():
            oid = f"light_{slug(name)}"
            self.lights[oid] = name
            entity = self._light(oid, name, host, False, out)
            self._state(entity, self.topic(oid, "state"),
                        _json({"state": "ON" if lit else "OFF"}), out)
            if name in msg.changed:
                self._state(entity, self.topic(oid, "attributes"),
                            _json({"changed by": msg.changed_by}), out)

    def _night_light(self, msg: NightLightState, host: str, out: list[Publication]) -> None:
        oid = "night_light"
        entity = self._light(oid, self.night_light or self.names[oid], host, False, out)
        self._state(entity, self.topic(oid, "state"),
                    _json({"state": "ON" if msg.lit else "OFF"}), out)
        self._state(entity, self.topic(oid, "attributes"),
                    _json({"mode": msg.mode, "daylight": msg.daylight}), out)

    def _lightpack(self, msg: LightpackState, host: str, out: list[Publication]) -> None:
        oid = "lightpack"
        entity = self._light(oid, self.names[oid], host, True, out)
        r, g, b = ([*msg.rgb, 0, 0, 0])[:3]
        self._state(entity, self.topic(oid, "state"), _json({
            "state": "ON" if (r, g, b) != (0, 0, 0) else "OFF", "color_mode": "rgb",
            "color": {"r": r, "g": g, "b": b}}), out)
        self._state(entity, self.topic(oid, "attributes"), _json({
            "colour": msg.colour, "overlay": msg.overlay, "locked_by": msg.locked_by}), out)

    def _sensor(self, oid: str, name: str, host: str, classes: dict[str, Any], value: float,
                out: list[Publication]) -> None:
        entity = self._entity("sensor", oid, host, {
            "name": name, "state_topic": self.topic(oid, "state"), **classes}, out)
        self._state(entity, self.topic(oid, "state"), _number(value), out)

    def _muta(self, msg: MutaUpdate, host: str, out: list[Publication]) -> None:
        wrong = implausible(msg)  # no sensor reads it: a fault, never a state for HA's history
        for name, classes in MUTA_FIELDS.items():
            value = getattr(msg, name)
            if value is not None and name not in wrong:
                self._sensor(f"{slug(msg.unit)}_{name}", self.names[name].format(msg.unit),
                             host, classes, value, out)

    def _power(self, msg: PowerUpdate, host: str, out: list[Publication]) -> None:
        if implausible(msg):
            return
        self._sensor("power_apparent", self.names["power_apparent"], host, {
            "device_class": "apparent_power", "unit_of_measurement": "VA",
            "state_class": "measurement"}, msg.papp_va, out)
        if msg.iinst_a is not None:
            self._sensor("power_current", self.names["power_current"], host, {
                "device_class": "current", "unit_of_measurement": "A",
                "state_class": "measurement"}, msg.iinst_a, out)
        if msg.index_wh:  # every tariff's counter together: what the house used
            self._sensor("power_energy", self.names["power_energy"], host, {
                "device_class": "energy", "unit_of_measurement": "kWh",
                "state_class": "total_increasing"}, sum(msg.index_wh.values()) / 1000, out)

    def _water(self, msg: WaterUpdate, host: str, out: list[Publication]) -> None:
        # the meter's running total, not the slot's litres: HA's energy dashboard wants a
        # counter that only grows
        self._sensor("water_total", self.names["water_total"], host, {
            "device_class": "water", "unit_of_measurement": "L",
            "state_class": "total_increasing"}, msg.total_litres, out)

    def _binary(self, oid: str, name: str, host: str, device_class: str, on: bool,
                out: list[Publication], *, health: bool = False) -> None:
        config = {"name": name, "state_topic": self.topic(oid, "state"),
                  "device_class": device_class, "payload_on": "ON", "payload_off": "OFF"}
        if health:
            config["entity_category"] = "diagnostic"
        entity = self._entity("binary_sensor", oid, host, config, out)
        payload = b"ON" if on else b"OFF"
        # a heartbeat every few seconds per service: only a change is worth a message
        if not health or entity.state.get(self.topic(oid, "state")) != payload:
            self._state(entity, self.topic(oid, "state"), payload, out)

    def _pir(self, msg: PirMotion, host: str, out: list[Publication]) -> None:
        self._binary(f"pir_{slug(msg.sensor)}", self.names["pir"].format(msg.sensor), host,
                     "motion",
                     msg.state == 1, out)

    def _mains(self, msg: PowerState, host: str, out: list[Publication]) -> None:
        self._binary("mains", self.names["mains"], host, "power", msg.state == "POWER_OK", out)

    def _alert(self, msg: Alert, host: str, out: list[Publication]) -> None:
        problem = msg.state != Notice.RECOVERY
        if msg.key == LEAK_KEY:
            self._binary("leak", self.names["leak"], self.leak_host, "moisture", problem, out)
        elif msg.key.startswith(SERVICE_KEY):
            machine, _, service = msg.key[len(SERVICE_KEY):].partition("/")
            if machine in self.config.machines and service:
                self.health(machine, service, not problem, out)

    def health(self, machine: str, service: str, up: bool, out: list[Publication]) -> None:
        """A service's health binary sensor (published when it changes)."""
        self._binary(f"health_{slug(machine)}_{slug(service)}", f"{service} ({machine})",
                     machine, "connectivity", up, out, health=True)

    def heartbeat(self, machine: str, service: str, now: float) -> list[Publication]:
        """A service said it is alive at machine time `now`."""
        self.seen[(machine, service)] = now
        out: list[Publication] = []
        if machine in self.config.machines:
            self.health(machine, service, True, out)
        return out

    def silent(self, now: float, after_s: float) -> list[Publication]:
        """Services whose heartbeat is older than `after_s` at `now`: shown down."""
        out: list[Publication] = []
        for (machine, service), last in self.seen.items():
            if now - last > after_s:
                self.health(machine, service, False, out)
        return out

    # ---- HA -> bus ---------------------------------------------------------------------
    def command_topics(self) -> list[str]:
        """What the bridge subscribes to for HA's commands."""
        return [self.topic("+", "set"), self.topic("+", "+", "set")]

    def command(self, topic: str, payload: bytes) -> Intent | Refusal:
        """The intent a command from HA asks for, or why there is none."""
        text = payload.decode("utf-8", "replace").strip()
        parts = topic.split("/")
        base = self.base.split("/")
        if parts[:len(base)] != base or parts[-1] != "set":
            return Refusal(f"not a command topic: {topic}")
        path = parts[len(base):-1]
        if path == ["mode"]:
            return self._mode_command(text)
        if path == ["heater", "preset"]:
            if text not in PRESETS:
                return Refusal(f"unknown heating preset {text!r}")
            return self._intent("BasecampHeatingProfile", {"profile": text},
                                f"preset {text}")
        if path == ["heater", "target"] and self.heater_room:
            try:
                value = float(text)
            except ValueError:
                return Refusal(f"temperature {text!r} is not a number")
            return self._intent("HassClimateSetTemperature",
                                {"area": self.heater_room, "temperature": value},
                                f"temperature {value:g}")
        if len(path) == 1 and (path[0] in self.lights or path[0] == "night_light"):
            return self._light_command(path[0], text)
        if path == ["lightpack"]:
            return Refusal("the lightpack follows the mode: it takes no command")
        return Refusal(f"no such command: {topic}")

    def _mode_command(self, label: str) -> Intent | Refusal:
        mode = next((m for m, lab in self.labels.items() if lab == label or m == label), None)
        if mode is None:
            return Refusal(f"unknown mode option {label!r}")
        if mode == self.mode:
            return Refusal(f"already {mode}")
        name = {"lockout": "BasecampLeave", "asleep": "BasecampSleep",
                "cocoon": "BasecampReturn" if self.mode == Mode.LOCKOUT else "BasecampWake"}[mode]
        return self._intent(name, {}, f"mode {label}")

    def _light_command(self, oid: str, text: str) -> Intent | Refusal:
        try:
            body = orjson.loads(text) if text.startswith("{") else {"state": text}
        except orjson.JSONDecodeError:
            return Refusal(f"light command {text[:40]!r} is not JSON")
        wanted = str(body.get("state", "")).upper() if isinstance(body, dict) else ""
        if wanted not in ("ON", "OFF"):
            return Refusal(f"light command without ON/OFF state: {text[:40]!r}")
        name = self.lights.get(oid) or self.night_light
        return self._intent("HassTurnOn" if wanted == "ON" else "HassTurnOff", {"name": name},
                            f"{name} {wanted.lower()}")

    @staticmethod
    def _intent(name: str, slots: dict[str, Any], text: str) -> Intent:
        # an id, so the service carrying it out answers with an Outcome the bridge counts
        return Intent(name, slots, CHANNEL, SENDER, text, f"mqtt-{uuid.uuid4().hex[:12]}")


_HANDLERS: dict[type, Any] = {
    ModeChanged: Bridge._mode, HeatingState: Bridge._heating, LightsState: Bridge._lights,
    NightLightState: Bridge._night_light, LightpackState: Bridge._lightpack,
    MutaUpdate: Bridge._muta, PowerUpdate: Bridge._power, WaterUpdate: Bridge._water,
    PirMotion: Bridge._pir, PowerState: Bridge._mains, Alert: Bridge._alert}
"""Bus message -> how the bridge shows it."""
MESSAGES: tuple[type[Message], ...] = tuple(_HANDLERS)
"""The bus messages the bridge shows (their TOPICs are its subscriptions)."""


def topics_of(messages: Iterable[type[Message]]) -> list[str]:
    """The bus topics of these message classes."""
    return [m.TOPIC for m in messages]
