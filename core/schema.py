"""Typed loading of plain data into frozen dataclasses, with errors that name the key path.

`build(cls, data, path)` is pure: it walks the dataclass's type hints and converts or rejects
each value. Supported field types: bool, int, float, str, `Literal[...]`, `StrEnum`,
`datetime.time` ("HH:MM"), `Secret`, nested dataclasses, `tuple[T, ...]`, `list[T]`,
`dict[str, T]` and `T | None`. Ranges and choices come from field metadata, see `bounded()`.
A dataclass may define `_prepare(data) -> data` (a classmethod) to accept shorthand forms.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration value is wrong: names the file, the key path and what was expected."""

    def __init__(self, path: str, expected: str, *, file: str | None = None,
                 line: int | None = None) -> None:
        self.path = path
        self.expected = expected
        self.file = file
        self.line = line
        super().__init__(str(self))

    def with_file(self, file: str) -> ConfigError:
        """Return the same error, located in `file`."""
        return ConfigError(self.path, self.expected, file=file, line=self.line)

    def __str__(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where += f":{self.line}"
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.expected}"


@dataclasses.dataclass(frozen=True)
class Secret:
    """A secret named by the config but read from the environment or a file, never printed."""

    env: str = ""
    """Environment variable holding the secret."""
    file: str = ""
    """File whose first line is the secret (used when `env` is unset or empty)."""

    def reveal(self) -> str | None:
        """Return the secret's value, or None when neither source holds one."""
        if self.env and os.environ.get(self.env):
            return os.environ[self.env]
        if self.file:
            try:
                return Path(self.file).expanduser().read_text(encoding="utf-8").strip() or None
            except OSError:
                return None
        return None

    def describe(self) -> str:
        """Where the secret comes from, for `config show` (never its value)."""
        parts = [f"env {self.env}" if self.env else "", f"file {self.file}" if self.file else ""]
        return "<secret from " + " or ".join(p for p in parts if p) + ">" if any(parts) \
            else "<secret unset>"

    def __repr__(self) -> str:
        return self.describe()


def bounded(default: Any = dataclasses.MISSING, *, lo: float | None = None,
            hi: float | None = None) -> Any:
    """A dataclass field with an inclusive numeric range checked on load."""
    meta = {"lo": lo, "hi": hi}
    if isinstance(default, (list, dict, tuple)):
        return dataclasses.field(default_factory=lambda: default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " or ".join(repr(a) for a in typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return " or ".join(repr(m.value) for m in tp)
    if tp is dt.time:
        return 'a time "HH:MM"'
    if origin in (tuple, list):
        return "a list"
    if origin is dict:
        return "a table"
    if dataclasses.is_dataclass(tp):
        return "a table"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        tp, getattr(tp, "__name__", str(tp)))


def _convert(tp: Any, value: Any, path: str) -> Any:
    """Convert one value to `tp`, raising ConfigError(path, ...) when it does not fit."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, path)
            except ConfigError as err:
                errors.append(err)
        raise ConfigError(path, f"expected {_type_name(tp)}, got {value!r}")
    if tp is Any:
        return value
    if origin is Literal:
        if value in typing.get_args(tp):
            return value
        raise ConfigError(path, f"expected {_type_name(tp)}, got {value!r}")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            raise ConfigError(path, f"expected {_type_name(tp)}, got {value!r}") from None
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):  # nan passes every comparison: a stalled loop
                raise ConfigError(path, f"expected a finite number, got {value!r}")
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    elif tp is dt.time:
        if isinstance(value, dt.time):
            return value
        if isinstance(value, str):
            try:
                return dt.time.fromisoformat(value)
            except ValueError:
                pass
    elif tp is Secret:
        if isinstance(value, Mapping):
            return build(Secret, value, path)
        raise ConfigError(path, "expected a secret source { env = \"VAR\" } or { file = \"path\" }"
                                " (secrets are never written in the config itself)")
    elif origin in (tuple, list):
        if isinstance(value, (list, tuple)):
            (item,) = typing.get_args(tp)[:1] or (Any,)
            items = [_convert(item, v, _join(path, i)) for i, v in enumerate(value)]
            return tuple(items) if origin is tuple else items
    elif origin is dict:
        if isinstance(value, Mapping):
            _, item = typing.get_args(tp)
            return {str(k): _convert(item, v, _join(path, str(k))) for k, v in value.items()}
    elif dataclasses.is_dataclass(tp):
        if isinstance(value, Mapping):
            return build(tp, value, path)  # type: ignore[arg-type]
    else:  # pragma: no cover - a schema bug, not a config error
        raise TypeError(f"unsupported config type {tp!r} at {path}")
    raise ConfigError(path, f"expected {_type_name(tp)}, got {value!r}")


def _check_range(field: dataclasses.Field[Any], value: Any, path: str) -> None:
    lo, hi = field.metadata.get("lo"), field.metadata.get("hi")
    if value is None or (lo is None and hi is None):
        return
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        if lo is not None and hi is not None:
            span = f"between {lo} and {hi}"
        else:
            span = f">= {lo}" if lo is not None else f"<= {hi}"
        raise ConfigError(path, f"expected a value {span}, got {value!r}")


def build(cls: type[T], data: Mapping[str, Any], path: str = "") -> T:
    """Build the frozen dataclass `cls` from plain `data`; pure, raises ConfigError."""
    if not isinstance(data, Mapping):
        raise ConfigError(path, f"expected a table, got {data!r}")
    prepare = getattr(cls, "_prepare", None)
    if prepare is not None:
        data = prepare(dict(data), path)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields)) or "none"
        raise ConfigError(_join(path, unknown[0]), f"unknown key (known keys: {known})")
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        sub = _join(path, name)
        if name not in data:
            if field.default is dataclasses.MISSING and \
                    field.default_factory is dataclasses.MISSING:
                raise ConfigError(sub, f"missing key, expected {_type_name(hints[name])}")
            continue
        value = _convert(hints[name], data[name], sub)
        _check_range(field, value, sub)
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except ValueError as err:  # __post_init__ validation
        raise ConfigError(path, str(err)) from err


def to_plain(obj: Any) -> Any:
    """Turn a config dataclass back into TOML-friendly data a config file accepts; a secret is
    written as where it comes from (`{ env = "VAR" }`), never its value; an unset one as None."""
    if isinstance(obj, Secret):
        return {k: v for k, v in (("env", obj.env), ("file", obj.file)) if v} or None
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if not f.name.startswith("_") and f.init}
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, dt.time):
        return obj.strftime("%H:%M")
    return obj
