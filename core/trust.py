"""Who may say what on the bus: the forwarder's authorisation.

CURVE (core.buskeys) tells the forwarder which machine of the house each connection is; a
stranger without a key never gets in. This table then says which services may publish each
message that changes the house or that the house acts upon, and the forwarder lets a message
through only from a machine where one of those services is placed (`config.services`). What a
message declares as its source is the sender's word; the machine it came from is not. A
heartbeat `basecamp.alive.<host>.<service>` must come from `<host>` itself. Topics the table
does not name (logs, alerts, probes, state requests) are open to every machine of the house.
"""

from __future__ import annotations

from core.config import Config
from core.messages import Message
from core.messages.alive import ALIVE_PREFIX
from core.messages.dialogs import (
    Command,
    FamilyMessage,
    Intent,
    Outcome,
    Reply,
    ReportDue,
    SmsIncoming,
    SmsSend,
)
from core.messages.heating import HeatingState, SetProfile
from core.messages.lightpack import LightpackLock, LightpackState
from core.messages.lights import LightsState
from core.messages.nightlight import NightLightMode, NightLightState
from core.messages.presence import (
    BluetoothPresence,
    BluetoothScanRequest,
    ModeChanged,
    PirMotion,
    RoomLocation,
)
from core.messages.relays import RelayCommand, RelayState
from core.messages.sensors import MutaUpdate, PowerUpdate, WaterUpdate
from core.messages.timers import TimersState
from core.messages.voice import Listening, Say, Speaking, Spoken, Transcript, Wake, WakeBid
from core.messages.watch import ChannelState, PowerState, PushSend, SentinelOk

_VOICE = ("assistant", "interphone")
PUBLISHERS: dict[type[Message], tuple[str, ...]] = {
    Intent: ("dialogs", "assistant", "kiosk", "mqtt"),
    Outcome: ("modes", "heater", "lights", "nightlight", "lightpack", "interphone", "kiosk",
              "assistant", "timers"),
    ModeChanged: ("modes",),
    ReportDue: ("modes",),
    SetProfile: ("kiosk", "dialogs", "heater"),
    HeatingState: ("heater",),
    RelayCommand: ("heater", "nightlight", "lights"),
    RelayState: ("relays",),
    LightsState: ("lights",),
    NightLightMode: ("kiosk", "nightlight"),
    NightLightState: ("nightlight",),
    LightpackLock: ("kiosk", "dialogs", "assistant"),
    LightpackState: ("lightpack",),
    SmsSend: ("dialogs", "watch", "push", "timers"),
    SmsIncoming: ("sms",),
    FamilyMessage: ("sms",),
    PushSend: ("dialogs", "sms", "watch"),
    Command: ("push", "kiosk"),
    Reply: ("dialogs",),
    Say: ("modes", "dialogs", "assistant", "interphone", "watch", "heater", "nightlight",
          "lights", "timers"),
    TimersState: ("timers",),
    Wake: _VOICE, Transcript: _VOICE, Spoken: _VOICE, Listening: _VOICE,
    WakeBid: ("assistant",),
    Speaking: ("interphone",),
    MutaUpdate: ("muta",),
    PowerUpdate: ("power",),
    WaterUpdate: ("water",),
    PirMotion: ("pir",),
    BluetoothPresence: ("bluetooth", "modes"),
    BluetoothScanRequest: ("bluetooth", "modes"),
    RoomLocation: ("rooms",),
    SentinelOk: ("watch",),
    PowerState: ("watch",),
    ChannelState: ("sms", "push"),
}
"""Message -> the services that may publish it (its topic, and any topic it is a prefix of)."""


class Authorizer:
    """`authorizer(topic, machine)`: may `machine` publish on `topic`? (cached per topic)"""

    def __init__(self, config: Config) -> None:
        self.machines: dict[str, frozenset[str]] = {}
        for message, services in PUBLISHERS.items():
            self.machines[message.TOPIC] = frozenset(
                host for name in services if name in config.services
                for host in config.hosts(name))
        self._topics = sorted(self.machines, key=len, reverse=True)
        self._cache: dict[str, frozenset[str] | None] = {}

    def allowed(self, topic: str) -> frozenset[str] | None:
        """The machines that may publish `topic` (None: every machine of the house)."""
        if topic not in self._cache:
            # by prefix, as ZeroMQ subscriptions match: "basecamp.sms.sendX" reaches the
            # subscribers of "basecamp.sms.send", so it is judged as that topic
            known = next((t for t in self._topics if topic.startswith(t)), None)
            self._cache[topic] = self.machines[known] if known is not None else None
            if len(self._cache) > 10_000:  # topics invented by a misbehaving machine
                self._cache.clear()
        return self._cache[topic]

    def __call__(self, topic: str, machine: str) -> bool:
        if topic.startswith(ALIVE_PREFIX):
            return topic[len(ALIVE_PREFIX):].partition(".")[0] == machine
        machines = self.allowed(topic)
        return machines is None or machine in machines
