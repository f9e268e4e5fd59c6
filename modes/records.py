"""Immutable records, changed cheaply: `evolve` is a checked `dataclasses.replace`, no `__init__`.

The machines replace a field or two of their state on most events; `dataclasses.replace`
re-validates every field through `__init__` and costs more than the rule itself. `evolve`
copies the instance dictionary instead (states are frozen dataclasses without `__slots__`),
after checking the changed names against the class's fields (cached per class), so a typo
raises a `TypeError` naming the field instead of silently adding an attribute. `builder` makes
the same for a new record on a hot path: every field by name, nothing else, no `__init__`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_new = object.__new__
_set = object.__setattr__
_FIELDS: dict[type, frozenset[str]] = {}


def field_names(cls: type) -> frozenset[str]:
    """The names of the dataclass `cls`'s fields (computed once per class)."""
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = frozenset(f.name for f in dataclasses.fields(cls))
    return names


def evolve(record: T, **changes: Any) -> T:
    """A copy of the frozen dataclass `record` with `changes` applied.

    Raises `TypeError` naming any change that is not a field of `record`'s class.
    """
    cls = type(record)
    names = _FIELDS.get(cls) or field_names(cls)
    if not changes.keys() <= names:
        unknown = ", ".join(repr(name) for name in sorted(changes.keys() - names))
        raise TypeError(f"{cls.__name__} has no field {unknown}")
    new = _new(cls)
    values = record.__dict__.copy()
    values.update(changes)
    _set(new, "__dict__", values)
    return new


def builder(cls: type[T]) -> Callable[..., T]:
    """A constructor of the frozen dataclass `cls` without `__init__`'s checks, for a hot path:
    every field by keyword and no other, as Python checks any call's names (an unknown or
    missing one raises `TypeError` naming it). Compiled once per class, as `dataclasses`
    compiles `__init__`; the fields' names are identifiers, so the source is safe."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    values = ", ".join(f"{name!r}: {name}" for name in names)
    source = (f"def {cls.__name__}(*, {', '.join(names)}):\n"
              f"    new = _new(cls)\n"
              f"    _set(new, '__dict__', {{{values}}})\n"
              f"    return new\n")
    scope: dict[str, Any] = {"_new": _new, "_set": _set, "cls": cls}
    exec(source, scope)
    build: Callable[..., T] = scope[cls.__name__]
    return build

