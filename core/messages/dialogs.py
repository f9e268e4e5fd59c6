"""Recognised commands and replies, whatever the channel (voice, SMS, push, kiosk, terminal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.messages.envelope import Message


@dataclass(frozen=True)
class Intent(Message):
    """A recognised command: Home Assistant / Basecamp intent name and canonical slots."""

    TOPIC: ClassVar[str] = "basecamp.intent"
    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    channel: str = ""
    """voice, sms, push, kiosk or terminal."""
    sender: str = ""
    text: str = ""
    id: str = ""
    """Set when the sender waits for an `Outcome` (the dialogs service, to answer truly)."""
    room: str = ""
    """The room the command was heard in (a voice satellite's room; "" = not heard in a room:
    SMS, push, terminal). "ici" and a command naming no room mean this room."""

    def topic(self) -> str:
        return intent_topic(self.intent)


INTENT_PREFIX = Intent.TOPIC + "."
"""Subscribe to this to hear every intent."""


def intent_topic(intent: str) -> str:
    """The topic of the intent named `intent` (HassTurnOn...)."""
    return INTENT_PREFIX + intent


@dataclass(frozen=True)
class Outcome(Message):
    """What became of an `Intent`: carried out (and the state it left), or refused and why.

    Published by the service that acts on the intent; the dialogs service composes its reply
    from it, so the house never says "J'allume" with nothing lit.
    """

    TOPIC: ClassVar[str] = "basecamp.outcome"
    intent_id: str
    intent: str
    done: bool
    reason: str = ""
    """Why not: a reply key of the dialogs catalogue (no_driver, no_heating_here...)."""
    values: dict[str, Any] = field(default_factory=dict)
    """What the reply says: the new state (setpoint, mode...) or what the refusal names."""


@dataclass(frozen=True)
class Reply(Message):
    """What the house answers on a channel."""

    TOPIC: ClassVar[str] = "basecamp.dialogs.reply"
    text: str
    channel: str
    recipient: str = ""
    expects_answer: bool = False
    conversation: str = ""


@dataclass(frozen=True)
class SmsIncoming(Message):
    """An SMS from a whitelisted number."""

    TOPIC: ClassVar[str] = "basecamp.sms.incoming"
    number: str
    text: str
    received_at: str = ""


@dataclass(frozen=True)
class FamilyMessage(Message):
    """An SMS from a contact of the house who may not command it (the family): a message for
    the people at home, spoken or kept for them, never a command."""

    TOPIC: ClassVar[str] = "basecamp.sms.family"
    number: str
    name: str
    text: str
    received_at: str = ""


@dataclass(frozen=True)
class ReportDue(Message):
    """A scheduled report is due: the dialogs service composes it (mode, temperatures,
    heating, problems, the day's water and electricity) and speaks and/or sends it."""

    TOPIC: ClassVar[str] = "basecamp.report.due"
    at: str
    spoken: bool = True
    """Said through the interphone (someone is home and the house is not silenced)."""
    send: list[str] = field(default_factory=list)
    """Also sent to the owner on these channels ("sms", "push")."""


@dataclass(frozen=True)
class SmsSend(Message):
    """Ask the SMS gateway to send a message."""

    TOPIC: ClassVar[str] = "basecamp.sms.send"
    number: str
    text: str
    kind: str = ""
    """What it is, for the gateway's order: "alert" (the sentinel's, first and outside the
    hourly cap), "error_report" (a channel failure: never reported again, no loops),
    "report" (scheduled), "reply" (an answer to an SMS: last)."""


@dataclass(frozen=True)
class Command(Message):
    """Text to answer from any channel without its own message (push replies, kiosk, tools)."""

    TOPIC: ClassVar[str] = "basecamp.dialogs.command"
    text: str
    channel: str
    """push, kiosk, terminal..."""
    sender: str = ""
