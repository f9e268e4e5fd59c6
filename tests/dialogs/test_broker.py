"""The demo's MQTT broker (`basecamp run broker`): Debian's mosquitto on `[mqtt] port`, which
the bridge connects to and a client (Home Assistant's place) reads from; the service stops
with an error when mosquitto dies, so supervisord brings both back."""

from __future__ import annotations

import asyncio
import os
import signal

import paho.mqtt.client as mqtt

from core.bus import Forwarder
from core.config import Config
from core.service import running
from dialogs import broker
from dialogs import mqtt as bridge
from dialogs.settings import MqttSettings


async def test_the_bridge_talks_through_the_demos_broker(config: Config,
                                                         bus: Forwarder) -> None:
    port = config.section("mqtt", MqttSettings).port
    assert port != 1883  # the test house's own broker, never a system one
    async with running("broker", broker.serve, config) as rt:
        async with running("mqtt", bridge.serve, config) as link:
            async with asyncio.timeout(15):
                while not link.status["mqtt"]()["connected"]:
                    await asyncio.sleep(0.1)
        got: list[bytes] = []
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="ha")
        client.on_message = lambda _c, _u, message: got.append(message.payload)
        client.connect("127.0.0.1", port)
        client.subscribe("basecamp/status")
        client.loop_start()
        try:
            async with asyncio.timeout(10):  # the bridge's last word, kept by the broker
                while b"offline" not in got:
                    await asyncio.sleep(0.1)
        finally:
            client.loop_stop()
            client.disconnect()
        os.kill(rt.status["broker"]()["pid"], signal.SIGKILL)  # mosquitto dies
        async with asyncio.timeout(10):
            await rt.crashed.wait()  # the service stops too: supervisord restarts both
