"""The sentinel's notifiers, one per channel, behind one Protocol.

Each notifier hands a message to the service that owns the channel over the bus (`SmsSend` to
the SMS gateway, `PushSend` to the push notifier, `Say` to the interphone) or to the logbook.
A channel whose service is silent on the bus is *down*: its messages stay in the sentinel's
persisted outbox and go out in order when the service's heartbeat returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from core.config import Config
from core.messages import Message
from core.messages.alive import alive_topic
from core.messages.dialogs import SmsSend
from core.messages.log import Level
from core.messages.voice import Say
from core.messages.watch import Notice, PushSend, Severity
from watch.errors import ChannelDown
from watch.settings import PushSettings, WatchSettings


class Notifier(Protocol):
    """Sends one queued payload on one channel; raises ChannelDown when it cannot."""

    channel: str

    async def send(self, payload: dict[str, Any]) -> None:
        """Send (or raise ChannelDown: the payload stays queued)."""


def recipients(config: Config) -> tuple[str, ...]:
    """Phone numbers that receive alert SMS: `watch.sms_to`, else the owners."""
    names = config.section("watch", WatchSettings).sms_to
    chosen = [c for c in config.contacts if (c.name in names if names else c.role == "owner")]
    return tuple(c.phone for c in chosen if c.phone)


@dataclass
class BusNotifier:
    """A channel served by another service over the bus; down while its heartbeat is stale."""

    channel: str
    topic: str
    """Heartbeat topic of the service owning the channel ("" = always up)."""
    heartbeats: Mapping[str, float]
    max_age_s: float
    publish: Callable[[Message], None]
    render: Callable[[dict[str, Any]], list[Message]]
    now: Callable[[], float] = time.time
    """Epoch seconds on the clock heartbeats were stamped with."""

    def up(self) -> bool:
        """The owning service was heard recently."""
        if not self.topic:
            return True
        seen = self.heartbeats.get(self.topic)
        return seen is not None and self.now() - seen <= self.max_age_s

    async def send(self, payload: dict[str, Any]) -> None:
        """Publish the channel's request(s) for this payload."""
        if not self.up():
            raise ChannelDown(f"{self.channel}: service silencieux sur le bus")
        for message in self.render(payload):
            self.publish(message)


@dataclass
class LogNotifier:
    """The logbook (always up: the bus buffers while the logbook is away)."""

    log: Callable[[Level, str], None]
    channel: str = "log"

    async def send(self, payload: dict[str, Any]) -> None:
        """Log at a level matching the notice."""
        level = Level.INFO if payload.get("notice") == Notice.RECOVERY else (
            Level.ERROR if payload.get("severity") == Severity.MAJOR else Level.WARNING)
        self.log(level, str(payload["text"]))


def build_notifiers(config: Config, host: str, heartbeats: Mapping[str, float],
                    publish: Callable[[Message], None], log: Callable[[Level, str], None],
                    now: Callable[[], float] = time.time) -> dict[str, Any]:
    """Notifier per channel for the sentinel running on `host`."""
    ws = config.section("watch", WatchSettings)
    title = config.section("push", PushSettings).title
    numbers = recipients(config)

    def topic(channel: str) -> str:
        service = ws.channel_services.get(channel, "")
        if not service or service not in config.services:
            return ""
        return alive_topic(config.hosts(service)[0], service)

    def sms(p: dict[str, Any]) -> list[Message]:
        return [SmsSend(number, str(p["text"]), kind="alert") for number in numbers]

    def push(p: dict[str, Any]) -> list[Message]:
        priority = 1 if p.get("severity") == Severity.MAJOR and p.get("notice") != Notice.RECOVERY \
            else 0
        return [PushSend(title, str(p["text"]), priority)]

    def voice(p: dict[str, Any]) -> list[Message]:
        return [Say(str(p["text"]), priority=10 if p.get("severity") == Severity.MAJOR else 5,
                    when_home=True)]

    age = ws.heartbeat_max_age_s
    return {"sms": BusNotifier("sms", topic("sms"), heartbeats, age, publish, sms, now),
            "push": BusNotifier("push", topic("push"), heartbeats, age, publish, push, now),
            "voice": BusNotifier("voice", topic("voice"), heartbeats, age, publish, voice, now),
            "log": LogNotifier(log)}
