"""gpiozero pin factories by the name the config gives (the relays' and the water meter's).

On a Raspberry Pi (or another Linux board) gpiozero's default picks lgpio, then its native
factory; the demo house and the tests use gpiozero's own `MockFactory`, the library's test
double driven through the same code path as real pins. gpiozero is imported only here, when a
factory is asked for.
"""

from __future__ import annotations

from typing import Any

_MOCK: list[Any] = []


def pin_factory(name: str) -> Any:
    """The gpiozero pin factory the config names ("" = gpiozero's default for the board).
    The mock one is one per process, like a board: what the relays did can be read back from
    its pins (`pin_factory("mock").pin(17).states`)."""
    if name == "mock":
        if not _MOCK:
            from gpiozero.pins.mock import MockFactory
            _MOCK.append(MockFactory())
        return _MOCK[0]
    if name == "":
        return None  # gpiozero picks lgpio, then the native factory
    if name == "lgpio":
        from gpiozero.pins.lgpio import LGPIOFactory
        return LGPIOFactory()
    if name == "native":
        from gpiozero.pins.native import NativeFactory
        return NativeFactory()
    raise ValueError(f"unknown pin factory {name!r}")
