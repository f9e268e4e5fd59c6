"""Relays on GPIO pins, through gpiozero, behind the `Relay` Protocol (modes.devices).

Three wirings:
- `latching`: a bistable relay with two coils, a pulse on the set coil closes it, a pulse on
  the reset coil opens it; it stays where it was put with no current. The two coils are never
  energised at once: each pulse first makes sure the other coil is off, and pulses on one
  relay are serialised.
- `latching_sensed`: one coil that toggles the relay and an input reading its position; a
  pulse is sent only when the position differs from the one asked for, and the position is
  read back after it.
- `plain`: a monostable relay held by one output as long as it must stay closed.

Pins use gpiozero's pin factories: on a Raspberry Pi (or another Linux board) its default
(lgpio, or the native one), in the demo and the tests gpiozero's own `MockFactory`, the
library's test double driven through the same code path as real pins.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from core.pins import pin_factory
from modes.settings import RelaySpec

__all__ = ["LatchingRelay", "PlainRelay", "SensedLatchingRelay", "open_gpio_relay",
           "pin_factory"]

class LatchingRelay:
    """Two coils: a pulse on `set_pin` closes the relay, a pulse on `reset_pin` opens it."""

    def __init__(self, spec: RelaySpec, factory: Any) -> None:
        from gpiozero import DigitalOutputDevice
        self.spec = spec
        self._lock = threading.Lock()
        self.set_coil = DigitalOutputDevice(spec.set_pin, active_high=spec.active_high,
                                            initial_value=False, pin_factory=factory)
        self.reset_coil = DigitalOutputDevice(spec.reset_pin, active_high=spec.active_high,
                                              initial_value=False, pin_factory=factory)
        self.pulses = 0

    def set(self, on: bool) -> None:
        """One pulse on the coil that moves the relay where it must be."""
        coil, other = (self.set_coil, self.reset_coil) if on else \
            (self.reset_coil, self.set_coil)
        with self._lock:
            other.off()
            coil.on()
            try:
                time.sleep(self.spec.pulse_ms / 1000)
            finally:
                coil.off()
            self.pulses += 1

    def position(self) -> bool | None:
        """A two-coil relay cannot be read: None (its last position is kept by the service)."""
        return None

    def close(self) -> None:
        """Release the pins (both coils off)."""
        with self._lock:
            for coil in (self.set_coil, self.reset_coil):
                coil.off()
                coil.close()


class SensedLatchingRelay:
    """One coil that toggles the relay, and an input that reads where it is."""

    def __init__(self, spec: RelaySpec, factory: Any) -> None:
        from gpiozero import DigitalInputDevice, DigitalOutputDevice
        self.spec = spec
        self._lock = threading.Lock()
        self.coil = DigitalOutputDevice(spec.set_pin, active_high=spec.active_high,
                                        initial_value=False, pin_factory=factory)
        self.sense = DigitalInputDevice(spec.position_pin, pull_up=None, active_state=True,
                                        pin_factory=factory)
        self.pulses = 0

    def set(self, on: bool) -> None:
        """Pulse the coil if the relay is not already there; raises OSError if it did not
        move (a coil or contact fault the service reports)."""
        with self._lock:
            if bool(self.sense.value) == on:
                return
            self.coil.on()
            try:
                time.sleep(self.spec.pulse_ms / 1000)
            finally:
                self.coil.off()
            self.pulses += 1
            time.sleep(self.spec.settle_ms / 1000)
            if bool(self.sense.value) != on:
                raise OSError(f"relay {self.spec.name} did not move (position input "
                              f"{self.spec.position_pin} still reads {self.sense.value})")

    def position(self) -> bool | None:
        """Where the relay is, as its position input reads."""
        return bool(self.sense.value)

    def close(self) -> None:
        """Release the pins."""
        with self._lock:
            self.coil.off()
            self.coil.close()
            self.sense.close()


class PlainRelay:
    """A monostable relay held closed by one output."""

    def __init__(self, spec: RelaySpec, factory: Any) -> None:
        from gpiozero import DigitalOutputDevice
        self.spec = spec
        self.output = DigitalOutputDevice(spec.pin, active_high=spec.active_high,
                                          initial_value=None, pin_factory=factory)

    def set(self, on: bool) -> None:
        """Hold the relay closed, or release it."""
        self.output.value = on

    def position(self) -> bool | None:
        """The output's level."""
        return bool(self.output.value)

    def close(self) -> None:
        """Release the pin (a plain relay then opens)."""
        self.output.close()


GpioRelay = LatchingRelay | SensedLatchingRelay | PlainRelay


def open_gpio_relay(spec: RelaySpec, factory: Any) -> GpioRelay:
    """The driver of one configured relay."""
    if spec.kind == "latching":
        return LatchingRelay(spec, factory)
    if spec.kind == "latching_sensed":
        return SensedLatchingRelay(spec, factory)
    return PlainRelay(spec, factory)
