"""Immutable records, changed cheaply: `evolve` is a checked `dataclasses.replace`, no `__init__`.

The machines replace a field or two of their state on most events; `dataclasses.replace`
re-validates every field through `__init__` and costs more than the rule itself. `evolve`
copies the instance dictionary instead (states are frozen dataclasses without `__slots__`),
after checking the changed names against the class's fields (cached per class), so a typo
raises a `TypeError` naming the field instead of silently adding an attribute. `make` is the
same for a new record on a hot path: every field by name, nothing else, no `__init__`.
"""

from __future__ import annotations

import dataclasses
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
        raise TypeError(_mismatch(cls, changes, names))
    new = _new(cls)
    values = record.__dict__.copy()
    values.update(changes)
    _set(new, "__dict__", values)
    return new


def make(cls: type[T], **values: Any) -> T:
    """`cls(**values)` without `__init__`'s checks: `values` names every field and no other.

    Raises `TypeError` naming the unknown or missing fields.
    """
    names = _FIELDS.get(cls) or field_names(cls)
    if values.keys() != names:
        raise TypeError(_mismatch(cls, values, names))
    new = _new(cls)
    _set(new, "__dict__", values)
    return new


def _mismatch(cls: type, given: dict[str, Any], names: frozenset[str]) -> str:
    unknown = sorted(given.keys() - names)
    missing = sorted(names - given.keys())
    parts = ([f"{cls.__name__} has no field " + ", ".join(map(repr, unknown))] if unknown
             else []) + ([f"{cls.__name__} needs field " + ", ".join(map(repr, missing))]
                         if missing else [])
    return "; ".join(parts)
