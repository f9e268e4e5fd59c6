"""The `[dialogs]` config section (language, day parts, timeouts, bounds, report sources) and
the `[mqtt]` section of the Home Assistant bridge."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from core.config import Config, register_sections
from core.schema import ConfigError, Secret, bounded


@dataclass(frozen=True)
class DayParts:
    """When named times of day fall ("ce soir" = today at `evening`)."""

    morning: dt.time = dt.time(8, 0)
    noon: dt.time = dt.time(12, 0)
    afternoon: dt.time = dt.time(15, 0)
    evening: dt.time = dt.time(19, 0)
    night: dt.time = dt.time(22, 0)


@dataclass(frozen=True)
class Timeouts:
    """How long a conversation waits for an answer, per channel (seconds)."""

    voice: float = bounded(20.0, lo=1, hi=86400)
    sms: float = bounded(1800.0, lo=1, hi=86400)
    push: float = bounded(1800.0, lo=1, hi=86400)
    kiosk: float = bounded(60.0, lo=1, hi=86400)
    terminal: float = bounded(300.0, lo=1, hi=86400)

    def for_channel(self, channel: str) -> float:
        """The timeout of a channel (the terminal's for an unknown one)."""
        value = getattr(self, channel, self.terminal)
        return float(value)


@dataclass(frozen=True)
class Counter:
    """A cumulative metric whose growth over the day is the day's consumption."""

    measurement: str = ""
    field: str = ""
    scale: float = 1.0
    """Multiply the growth by this (e.g. 0.001 for Wh -> kWh)."""
    kind: Literal["cumulative", "increments"] = "cumulative"
    """cumulative: a meter index (the day is max - min); increments: each point is what was
    used in its slot (the day is their sum)."""
    tags: dict[str, str] = dataclasses.field(default_factory=dict)  # `field` is a field here
    """Which series, e.g. {"slot": "60s"} for the water meter's minute slots."""


@dataclass(frozen=True)
class DialogSettings:
    """How the house understands and answers people."""

    lang: Literal["", "fr", "en"] = ""
    """Language of the dialogs ("" = `house.lang`)."""
    default_room: str = "salon"
    """A command that names no room means this room (where the kiosk microphone stands)."""
    min_temperature: float = bounded(5.0, lo=-20, hi=40)
    """Lowest setpoint a spoken command may ask for."""
    max_temperature: float = bounded(28.0, lo=-20, hi=40)
    """Highest setpoint a spoken command may ask for."""
    max_input_chars: int = bounded(500, lo=10, hi=100_000)
    """Longer input is refused without being parsed (an SMS of 5000 characters)."""
    confirm: tuple[str, ...] = ("HassBroadcast",)
    """Intents that ask "are you sure?" before they act."""
    follow_up_s: float = bounded(60.0, lo=0.0, hi=3600)
    """How long (house time) a command stays what "et dans la chambre ?", "plus chaud" or
    "encore deux degrés" refer to, per speaker (channel, sender, room)."""
    sure_score: float = bounded(0.8, lo=0.0, hi=1.0)
    """A fuzzy guess scoring less is asked about ("Tu veux que j'allume ... ?") before acting;
    consequential commands (leaving, forced heating, remote access, all lights off) are
    always asked about when guessed."""
    answer_transcripts: bool = False
    """Answer `basecamp.voice.transcript` on the bus (off: the assistant runs the engine itself)."""
    sms_idle_reply_s: float = bounded(60.0, lo=0, hi=3600)
    """To one phone, a reply that did nothing ("je n'ai pas compris") at most this often."""
    sms_replies_per_hour: int = bounded(30, lo=1, hi=10_000)
    """Replies to one phone in an hour, at most (the rest are counted, not sent)."""
    outcome_timeout_s: float = bounded(3.0, lo=0.1, hi=60)
    spoken_timeout_s: float = bounded(30.0, lo=0.1, hi=300)
    """How long an announcement may take to be said before the reply says it is not
    confirmed (the interphone answers once it has spoken)."""
    """How long a reply waits for the service carrying a command out to say what it did."""
    expire_every_s: float = bounded(1.0, lo=0.05, hi=60)
    """How often unanswered conversations are closed."""
    metrics_every_s: float = bounded(60.0, lo=1, hi=3600)
    """How often the day's water and electricity are read for reports."""
    day_parts: DayParts = field(default_factory=DayParts)
    timeouts: Timeouts = field(default_factory=Timeouts)
    water: Counter = field(default_factory=lambda: Counter(
        "water", "litres", 1.0, "increments", {"slot": "60s"}))
    """The water meter's litres per minute slot (sensors/water.py)."""
    power: Counter = field(default_factory=lambda: Counter("power", "total_wh", 0.001))
    usual_days: int = bounded(7, lo=1, hi=60)
    """"D'habitude": the mean of this many previous days, by the same time of day."""
    kwh_price: float = bounded(0.0, lo=0.0, hi=100.0)
    """Price of a kWh, for the cost said in reports (0: none said)."""
    currency: str = "EUR"
    """ISO 4217 code of `kwh_price`."""
    """The electricity meter's cumulative Wh (reported in kWh)."""
    aliases: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        "cuisine": ("kitchen",), "salon": ("living room", "lounge"), "chambre": ("bedroom",),
        "entrée": ("entrance", "hallway"), "salle de bains": ("bathroom", "sdb"),
        "lampe de chevet": ("bedside lamp", "bedside light", "chevet", "lampe du chevet"),
        "lumière du plafond": ("ceiling light", "plafonnier"), "veilleuse": ("night light",),
        "thermostat du salon": ("living room thermostat",),
        "sèche-serviettes": ("towel dryer", "towel rail", "seche serviette"),
        "lampe de l'entrée": ("entrance lamp", "hallway lamp")})
    """More names (any language) for rooms and devices, keyed by their config name."""
    temperature_units: dict[str, str] = field(default_factory=lambda: {
        "salon": "salon", "chambre": "chambre", "exterieur": "exterieur"})
    """Room (or "exterieur") -> MUTA sensor unit read for "quelle température"."""

    def check(self, config: Config, path: str) -> None:
        """The default room must be a room of the house; bounds must be ordered."""
        rooms = {room.name for room in config.rooms}
        if rooms and self.default_room not in rooms:
            raise ConfigError(f"{path}.default_room", f"a room of the house "
                                                      f"({', '.join(sorted(rooms))})")
        if self.min_temperature >= self.max_temperature:
            raise ConfigError(f"{path}.min_temperature", "lower than max_temperature")

    def language(self, config: Config) -> str:
        """The effective dialog language."""
        return self.lang or str(config.house.lang)


_TOPIC_LEVEL = re.compile(r"^[^#+\s/][^#+\s]*[^#+\s/]$|^[^#+\s/]$")
"""An MQTT topic prefix: no wildcards, no spaces, no leading or trailing slash."""


@dataclass(frozen=True)
class MqttSettings:
    """The Home Assistant bridge (`basecamp run mqtt`): its broker and topics."""

    host: str = "localhost"
    """The MQTT broker Home Assistant uses."""
    port: int = bounded(1883, lo=1, hi=65535)
    username: Secret = field(default_factory=lambda: Secret(env="BASECAMP_MQTT_USER",
                                                            file="secrets/mqtt_user"))
    """Broker user (none: anonymous)."""
    password: Secret = field(default_factory=lambda: Secret(env="BASECAMP_MQTT_PASSWORD",
                                                            file="secrets/mqtt_password"))
    tls: bool = False
    """Connect with TLS (the broker's usual port is then 8883)."""
    ca_file: str = ""
    """CA certificate of the broker (TLS; "" = the system's CAs); relative to the data dir."""
    discovery_prefix: str = "homeassistant"
    """Home Assistant's MQTT discovery prefix (its `homeassistant/status` says it restarted)."""
    base_topic: str = "basecamp"
    """Where states, commands and the bridge's availability live."""
    client_id: str = "basecamp"
    keepalive_s: int = bounded(30, lo=5, hi=3600)
    """The broker publishes the bridge's "offline" (its last will) when it hears nothing for
    1.5 times this, or at once when the connection drops."""
    reconnect_max_s: float = bounded(30.0, lo=1, hi=3600)
    """Longest wait between two connection attempts while the broker is away."""
    missed_heartbeats: int = bounded(3, lo=1, hi=100)
    """A service whose heartbeat is this many periods (`bus.heartbeat_s`) late is shown down."""

    def check(self, config: Config, path: str) -> None:
        """Topic prefixes must be usable as MQTT topic levels (no wildcards)."""
        for key in ("discovery_prefix", "base_topic"):
            if not _TOPIC_LEVEL.match(getattr(self, key)):
                raise ConfigError(f"{path}.{key}", "a topic prefix without '#', '+', spaces or "
                                                   "a leading/trailing '/'")
        if not self.client_id or len(self.client_id) > 64:
            raise ConfigError(f"{path}.client_id", "a client id of 1 to 64 characters")


register_sections(dialogs=DialogSettings, mqtt=MqttSettings)
