"""`basecamp run mqtt`: the house in Home Assistant, through an MQTT broker and HA's discovery.

Bus -> MQTT: the mode, heating, lights, readings, motion, mains, leak and each service's health
become HA entities (see `dialogs.discovery`), one HA device per machine. MQTT -> bus: what HA
asks (a mode, a heating preset or temperature, a light on or off) is published as an `Intent`
on channel `mqtt`, so the modes, heater and lights services carry it out under the same rules,
refusals and logbook entries as a spoken command; the bridge never drives a relay itself.

Availability: `<base_topic>/status` is "online" once connected and "offline" when the bridge
stops — or, as its MQTT last will, when the broker loses it (a crash, a power cut). When HA
says it is back (`<discovery_prefix>/status` = online) every config and last state is published
again, and a `StateRequest` asks the services for what the bridge has not seen yet.

paho-mqtt runs its network loop in its own thread (`loop_start`, reconnecting by itself); what
it receives is handed to the asyncio loop with `call_soon_threadsafe`, so the bridge's state is
only ever touched from the loop. HTTP /status: connected, broker, messages in/out, entities.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from core.bus import parse
from core.messages import Envelope, Message
from core.messages.alive import ALIVE_PREFIX, Heartbeat, StateRequest
from core.messages.dialogs import Outcome
from core.service import Runtime, ServiceError
from dialogs.discovery import MESSAGES, Bridge, Publication, Refusal, topics_of
from dialogs.settings import DialogSettings, MqttSettings

_LOGGER = logging.getLogger(__name__)
ONLINE, OFFLINE = b"online", b"offline"


class Link:
    """The paho client, its connection state and the bridge it serves."""

    def __init__(self, rt: Runtime, settings: MqttSettings, bridge: Bridge) -> None:
        try:
            import paho.mqtt.client as mqtt
        except ImportError as err:
            raise ServiceError("mqtt: paho-mqtt is not installed (pip install "
                               "'basecamp[mqtt]')") from err
        self.rt, self.settings, self.bridge = rt, settings, bridge
        self.loop = asyncio.get_running_loop()
        self.connected = False
        self.sent = self.received = self.dropped = 0
        self.last_error = ""
        self.ha_status = f"{settings.discovery_prefix}/status"
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=settings.client_id,
                             protocol=mqtt.MQTTv311)
        user = rt.config.reveal(settings.username)
        if user:
            client.username_pw_set(user, rt.config.reveal(settings.password))
        if settings.tls:
            ca = str(rt.config.path(settings.ca_file)) if settings.ca_file else None
            client.tls_set(ca_certs=ca)
        client.will_set(bridge.availability, OFFLINE, qos=1, retain=True)
        client.reconnect_delay_set(1, max(1, int(settings.reconnect_max_s)))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self.client = client
        self._success = mqtt.MQTT_ERR_SUCCESS

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        """Connect in the background; paho retries until the broker answers."""
        self.client.connect_async(self.settings.host, self.settings.port,
                                  self.settings.keepalive_s)
        self.client.loop_start()

    async def stop(self) -> None:
        """Say "offline" (a clean stop is no crash, but HA should know), then disconnect."""
        if self.connected:
            info = self.client.publish(self.bridge.availability, OFFLINE, qos=1, retain=True)
            await asyncio.to_thread(info.wait_for_publish, 2.0)
        self.connected = False  # a disconnection we asked for: not one to warn about
        self.client.disconnect()
        await asyncio.to_thread(self.client.loop_stop)

    # ---- paho's thread -----------------------------------------------------------------
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any,
                    properties: Any) -> None:
        if reason.is_failure:
            self.loop.call_soon_threadsafe(self._refused, str(reason))
        else:
            self.loop.call_soon_threadsafe(self._connected)

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any,
                       properties: Any) -> None:
        self.loop.call_soon_threadsafe(self._disconnected, str(reason))

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        self.loop.call_soon_threadsafe(self._received, message.topic, message.payload)

    # ---- the asyncio loop --------------------------------------------------------------
    def _connected(self) -> None:
        self.connected, self.last_error = True, ""
        self.rt.counters["mqtt_connections"] += 1
        topics = [*self.bridge.command_topics(), self.ha_status]
        self.client.subscribe([(t, 1) for t in topics])
        self.publish([(self.bridge.availability, ONLINE, True)], qos=1)
        self.announce()
        _LOGGER.info("connected to the MQTT broker %s:%s", self.settings.host,
                     self.settings.port)

    def _refused(self, reason: str) -> None:
        if self.last_error != reason:  # paho retries every few seconds: told once
            self.rt.log("warning", f"the MQTT broker {self.settings.host}:{self.settings.port}"
                                   f" refused the bridge: {reason}")
        self.connected, self.last_error = False, reason
        self.rt.counters["mqtt_refused"] += 1

    def _disconnected(self, reason: str) -> None:
        if self.connected:
            self.rt.counters["mqtt_disconnections"] += 1
            _LOGGER.warning("disconnected from the MQTT broker: %s", reason)
        self.connected = False
        self.last_error = self.last_error or reason

    def announce(self) -> None:
        """Every config and last state, and a request for what has not been seen yet."""
        self.publish(self.bridge.everything())
        self.rt.publish(StateRequest())

    def _received(self, topic: str, payload: bytes) -> None:
        self.received += 1
        if topic == self.ha_status:
            if payload.strip() == ONLINE:  # HA restarted: it forgot every non-retained state
                self.rt.counters["ha_online"] += 1
                self.announce()
            return
        wanted = self.bridge.command(topic, payload)
        if isinstance(wanted, Refusal):
            self.rt.counters["commands_refused"] += 1
            _LOGGER.warning("command from Home Assistant refused: %s", wanted.reason)
            # HA may show what it asked for already: put the entity back as it is
            self.publish(self.bridge.states_of(topic))
            return
        self.rt.counters["intents"] += 1
        self.rt.publish(wanted)
        self.rt.log("info", f"Home Assistant: {wanted.intent} ({wanted.text})")

    def publish(self, publications: list[Publication], qos: int = 0) -> None:
        """Send to the broker (while disconnected the states wait in the bridge instead)."""
        if not self.connected:
            self.dropped += len(publications)
            return
        for topic, payload, retain in publications:
            # discovery configs at least once: an entity HA missed would never appear
            info = self.client.publish(topic, payload, qos=max(qos, 1 if retain else 0),
                                       retain=retain)
            if info.rc == self._success:
                self.sent += 1
            else:
                self.dropped += 1

    def status(self) -> dict[str, Any]:
        """The /status section."""
        return {"connected": self.connected,
                "broker": f"{self.settings.host}:{self.settings.port}",
                "tls": self.settings.tls, "messages_in": self.received,
                "messages_out": self.sent, "not_sent": self.dropped,
                "entities": len(self.bridge.entities), "last_error": self.last_error}


async def serve(rt: Runtime) -> None:
    """Start the Home Assistant bridge."""
    settings = rt.config.section("mqtt", MqttSettings)
    dialogs = rt.config.section("dialogs", DialogSettings)
    bridge = Bridge(rt.config, discovery_prefix=settings.discovery_prefix,
                    base_topic=settings.base_topic, version=rt.version,
                    min_temperature=dialogs.min_temperature,
                    max_temperature=dialogs.max_temperature,
                    lang=dialogs.language(rt.config))
    link = Link(rt, settings, bridge)
    classes: dict[str, type[Message]] = {m.TOPIC: m for m in MESSAGES}

    def on_bus(envelope: Envelope) -> None:
        cls = classes.get(envelope.topic)
        if cls is not None:
            link.publish(bridge.on_message(parse(envelope, cls), envelope.src.host))

    def on_heartbeat(envelope: Envelope) -> None:
        beat = parse(envelope, Heartbeat)
        link.publish(bridge.heartbeat(beat.host, beat.service, time.monotonic()))

    def on_outcome(envelope: Envelope) -> None:
        outcome = parse(envelope, Outcome)
        if outcome.intent_id.startswith("mqtt-"):  # what became of a command from HA
            rt.counters["commands_done" if outcome.done else "commands_not_done"] += 1

    late_s = rt.config.bus.heartbeat_s * settings.missed_heartbeats
    rt.subscribe(topics_of(MESSAGES), on_bus)
    rt.subscribe([ALIVE_PREFIX], on_heartbeat)
    rt.subscribe([Outcome.TOPIC], on_outcome)
    rt.every(rt.config.bus.heartbeat_s,
             lambda: link.publish(bridge.silent(time.monotonic(), late_s)),
             name="health", machine_time=True)
    link.start()
    rt.on_stop(link.stop)
    rt.status["mqtt"] = link.status
