"""The hardware the modes drive, behind Protocols: latching relays and the RGB strip.

Real relays are GPIO on bc-power / bc-veilleuse and cannot run here; the demo uses a simulated
latching relay (a JSON file, which keeps its position like the real one) or hands the command
to another machine over the bus (`RelayCommand`). The strip is a simulated one (a JSON file;
the kiosk shows the colour from `LightpackState`) or an Adalight-protocol LED controller on a
serial port (pyserial).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from core import store
from core.messages.relays import RelayCommand


class Relay(Protocol):
    """A latching relay: it stays where it was last put."""

    def set(self, on: bool) -> None:
        """Move the relay."""


class Strip(Protocol):
    """An RGB LED strip showing one colour."""

    def show(self, rgb: tuple[int, int, int]) -> None:
        """Light every LED with `rgb`."""

    def close(self) -> None:
        """Release the device."""


class FileRelay:
    """Simulated latching relay: its position lives in a JSON file."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name

    def set(self, on: bool) -> None:
        """Write the new position."""
        store.save(self.path, {"relay": self.name, "on": on,
                               "changed": dt.datetime.now(dt.UTC).isoformat()})

    def position(self) -> bool | None:
        """The last position written (None if never)."""
        data = store.load(self.path)
        return None if data is None else bool(data.get("on"))


class BusRelay:
    """A relay driven by another machine: publish `RelayCommand`."""

    def __init__(self, publish: Callable[[Any], None], name: str) -> None:
        self.publish, self.name = publish, name

    def set(self, on: bool) -> None:
        """Ask for the new position."""
        self.publish(RelayCommand(relay=self.name, on=on))


def open_relay(kind: str, name: str, data_dir: Path, publish: Callable[[Any], None]) -> Relay:
    """The relay driver named in the config."""
    factories: dict[str, Callable[[], Relay]] = {
        "file": lambda: FileRelay(data_dir / f"relay-{name}.json", name),
        "bus": lambda: BusRelay(publish, name),
    }
    return factories[kind]()


class FileStrip:
    """Simulated strip: the colour shown is written to a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def show(self, rgb: tuple[int, int, int]) -> None:
        """Write the colour."""
        store.save(self.path, {"rgb": list(rgb)})

    def close(self) -> None:
        """Nothing to release."""


def adalight_frame(rgb: tuple[int, int, int], leds: int) -> bytes:
    """One Adalight frame: "Ada", LED count − 1 (big endian), checksum, then RGB per LED."""
    count = leds - 1
    hi, lo = count >> 8 & 0xFF, count & 0xFF
    return b"Ada" + bytes((hi, lo, hi ^ lo ^ 0x55)) + bytes(rgb) * leds


class SerialStrip:
    """An Adalight LED controller on a serial port."""

    def __init__(self, port: str, baudrate: int, leds: int) -> None:
        import serial  # the sensors extra; only needed with a real strip

        self.leds = leds
        self.port = serial.Serial(port, baudrate, timeout=1, write_timeout=1)

    def show(self, rgb: tuple[int, int, int]) -> None:
        """Send one frame."""
        self.port.write(adalight_frame(rgb, self.leds))
        self.port.flush()

    def close(self) -> None:
        """Close the port."""
        self.port.close()
