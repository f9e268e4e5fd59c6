"""Who may command the house on which channel, and how numbers compare (pure)."""

from __future__ import annotations

import re
from typing import Any

from core.config import Config

WRITTEN = ("sms", "push")
"""Channels whose senders are phone numbers or push users that must be whitelisted."""
CHANNELS = ("sms", "push", "voice", "kiosk", "terminal", "mqtt", "wyoming")
"""Every channel the house is spoken to on."""
_NOT_DIGIT = re.compile(r"[^\d+]")


def same_number(a: str, b: str) -> bool:
    """Phone numbers equal once spaces and dots are dropped; 06... equals +336... (France)."""
    def norm(number: str) -> str:
        digits = _NOT_DIGIT.sub("", number)
        if digits.startswith("00"):
            digits = "+" + digits[2:]
        if digits.startswith("0") and len(digits) == 10:
            digits = "+33" + digits[1:]
        return digits
    return bool(a) and bool(b) and norm(a) == norm(b)


def contact_for(config: Config, number: str) -> Any | None:
    """The config contact with this phone number, if any."""
    for contact in config.contacts:
        if same_number(contact.phone, number):
            return contact
    return None


def channel_of(name: str) -> str | None:
    """The channel a name means ("SMS", " sms" -> "sms"), None for no channel of the house."""
    channel = name.strip().lower()
    return channel if channel in CHANNELS else None


def may_command(config: Config, channel: str, sender: str) -> bool:
    """True if this sender may command the house on this channel (SMS/push: whitelist;
    a channel the house does not have: never)."""
    known = channel_of(channel)
    if known is None or channel != known:  # "SMS" is not a way round the whitelist
        return False
    if channel not in WRITTEN:
        return True
    contact = contact_for(config, sender)
    if contact is None and channel == "push":
        contact = next((c for c in config.contacts if c.name == sender), None)
    return bool(contact is not None and contact.may_command)
