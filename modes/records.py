"""Immutable records, changed cheaply: `evolve` is `dataclasses.replace` without its checks.

The machines replace a field or two of their state on most events; `dataclasses.replace`
re-validates every field through `__init__` and costs more than the rule itself. `evolve`
copies the instance dictionary instead (states are frozen dataclasses without `__slots__`).
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")
_new = object.__new__
_set = object.__setattr__


def evolve(record: T, **changes: Any) -> T:
    """A copy of the frozen dataclass `record` with `changes` applied (names not checked)."""
    new = _new(type(record))
    values = record.__dict__.copy()
    values.update(changes)
    _set(new, "__dict__", values)
    return new
