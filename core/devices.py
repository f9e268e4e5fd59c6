"""Which devices a switch command reaches, and which service drives each (pure).

Shared by the dialogs (to refuse at once what nothing can switch: "Je n'ai pas d'interrupteur
pour la lumière de la cuisine") and the services that act (lights, night lights, heater), so
both read a command the same way. A command names one device (`name`), or the devices of a
kind in a room (`area` + `domain`), or in every room (`area: "*"`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from core.config import Config, Device

DOMAINS = {"light": ("light",), "climate": ("heater",), "night_light": ("night_light",)}
"""A command's domain -> the device kinds it reaches ("light" is the room lights: the night
light is named to be switched)."""
EVERYWHERE = "*"


class Driver(StrEnum):
    """The service that switches a device."""

    LIGHTS = "lights"
    """Room lights on relays (`basecamp run lights`)."""
    NIGHTLIGHT = "nightlight"
    HEATER = "heater"


def driver(device: Device) -> Driver | None:
    """The service that switches a device, or None when nothing can."""
    if device.kind == "night_light":
        return Driver.NIGHTLIGHT
    if device.kind == "heater":
        return Driver.HEATER if device.driver == "heater" else None
    if device.kind == "light" and device.driver in ("file", "bus"):
        return Driver.LIGHTS
    return None


def targets(devices: Iterable[Device], slots: Mapping[str, Any]) -> list[Device]:
    """The devices a switch command's canonical slots reach."""
    devices = list(devices)
    name = slots.get("name")
    if name:
        return [d for d in devices if d.name == name]
    kinds = DOMAINS.get(str(slots.get("domain") or "light"), ())
    area = slots.get("area")
    return [d for d in devices if d.kind in kinds
            and (area in (None, "", EVERYWHERE) or d.room == area)]


def reach(config: Config, slots: Mapping[str, Any]) -> tuple[list[Device], list[Device]]:
    """(devices a command reaches that can be switched, those that cannot)."""
    found = targets(config.devices, slots)
    return [d for d in found if driver(d)], [d for d in found if not driver(d)]
