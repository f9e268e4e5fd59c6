"""The JSON envelope every bus message travels in: {topic, v, ts, src: {host, service}, data}.

Topics are `basecamp.<domain>.<event>[.<detail>]`, spelled only in this package: each message
class's `TOPIC`, and builders for topics with a detail and for prefix subscriptions beside their
class (`alive_topic`/`ALIVE_PREFIX`, `intent_topic`/`INTENT_PREFIX`, `LOG_PREFIX`);
`tests/core/test_topics.py` checks every subscription of the code against them. Fields holding a
state (a mode, a severity, a notice) are typed with its StrEnum and arrive as its member from
`from_dict`; a text that is no member stays text, for the receiver to judge as it always did (the
sentinel takes an unknown severity for major).

On the wire a message is one ZeroMQ frame: the topic, a space, then the JSON envelope, so
subscriptions match topic prefixes and a message costs one send and one receive. Only
`encode`/`decode` touch bytes.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from typing import Any, ClassVar, NamedTuple, Self, TypeVar

import orjson

VERSION = 1
M = TypeVar("M", bound="Message")


class MessageError(ValueError):
    """A frame or payload that is not a valid Basecamp message."""


class Source(NamedTuple):
    """Who published a message."""

    host: str
    """Machine name, e.g. bc-hq."""
    service: str
    """Service name, e.g. heater."""


class Envelope(NamedTuple):
    """A message as it travels: topic, data, source, timestamp and schema version.

    A NamedTuple rather than a dataclass: subscribers build one per message on the hot path.
    """

    topic: str
    data: dict[str, Any]
    src: Source
    ts: float
    """Seconds since the epoch (UTC) when the message was published."""
    v: int = VERSION

    def encode(self) -> bytes:
        """The wire frame: topic, space, JSON envelope."""
        return b"%s %s" % (self.topic.encode(), orjson.dumps(self.to_dict()))

    def to_dict(self) -> dict[str, Any]:
        """The envelope as plain data."""
        return {"topic": self.topic, "v": self.v, "ts": self.ts,
                "src": {"host": self.src.host, "service": self.src.service}, "data": self.data}


def encode_message(message: Message, source: Source, ts: float) -> bytes:
    """The wire frame of a typed message, serialised straight from the dataclass (fast path)."""
    topic = message.topic()
    body = {"topic": topic, "v": VERSION, "ts": ts,
            "src": {"host": source.host, "service": source.service}, "data": message}
    return b"%s %s" % (topic.encode(), orjson.dumps(body))


def decode(frame: bytes) -> Envelope:
    """Parse a wire frame; raises MessageError on anything malformed."""
    head, sep, payload = frame.partition(b" ")
    if not sep:
        raise MessageError("frame has no topic separator")
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError as err:
        raise MessageError(f"payload is not JSON: {err}") from err
    if not isinstance(body, dict):
        raise MessageError("payload is not a JSON object")
    try:
        topic, ts, src, data = body["topic"], body["ts"], body["src"], body["data"]
        version = body.get("v", VERSION)
    except KeyError as err:
        raise MessageError(f"envelope lacks {err.args[0]!r}") from None
    if not isinstance(topic, str) or topic.encode() != head:
        raise MessageError("envelope topic does not match the frame topic")
    if not isinstance(ts, (int, float)) or not isinstance(data, dict) \
            or not isinstance(src, dict) or not isinstance(version, int):
        raise MessageError("envelope fields have wrong types")
    if version > VERSION:
        raise MessageError(f"envelope version {version} is newer than {VERSION}")
    host = src.get("host")
    if not isinstance(host, str) or source_host(frame) != host.encode():
        raise MessageError("envelope source is not where the wire format puts it")
    return Envelope(topic, data, Source(host, str(src.get("service", "?"))), ts, version)


_SOURCE_AT = b',"src":{"host":"'


def source_host(frame: bytes) -> bytes | None:
    """The host a frame says it comes from, read where `encode_message` writes it (the first
    `,"src":{"host":"…"` of the frame), without parsing the JSON: what the forwarder compares
    with the machine the frame really came from. `decode` refuses a frame whose parsed source
    is not this one, so what a subscriber believes is what the forwarder checked."""
    at = frame.find(_SOURCE_AT)
    if at < 0:
        return None
    start = at + len(_SOURCE_AT)
    end = frame.find(b'"', start)
    return frame[start:end] if end >= 0 else None


@functools.cache
def _schema(cls: type) -> tuple[frozenset[str], tuple[str, ...], dict[str, frozenset[type]],
                                dict[str, type[enum.StrEnum]]]:
    """Field names, required names, exact accepted types of plain JSON fields, and the StrEnum
    of each field that holds one (a mode, a severity...)."""
    plain: dict[Any, tuple[type, ...]] = {str: (str,), int: (int,), float: (int, float),
                                          bool: (bool,), dict: (dict,), list: (list,)}
    fields = dataclasses.fields(cls)
    required = tuple(f.name for f in fields if f.default is dataclasses.MISSING
                     and f.default_factory is dataclasses.MISSING)
    simple: dict[str, frozenset[type]] = {}
    enums: dict[str, type[enum.StrEnum]] = {}
    for name, hint in typing.get_type_hints(cls).items():
        if name not in {f.name for f in fields}:
            continue
        if isinstance(hint, type) and issubclass(hint, enum.StrEnum):
            simple[name], enums[name] = frozenset((str, hint)), hint
            continue
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        accepted: tuple[type, ...] = ()
        for arg in typing.get_args(hint) if union else (hint,):
            base = typing.get_origin(arg) or arg
            if arg is type(None):
                accepted += (type(None),)
            elif base in plain:
                accepted += plain[base]
            else:
                break
        else:
            simple[name] = frozenset(accepted)
    return frozenset(f.name for f in fields), required, simple, enums


class Message:
    """Base of typed messages: a frozen dataclass with a TOPIC and plain-data round trip.

    Subclasses are `@dataclass(frozen=True)` with JSON-friendly fields. A message whose topic
    has a per-instance suffix overrides `topic()`.
    """

    TOPIC: ClassVar[str]

    def topic(self) -> str:
        """The topic this message is published on."""
        return self.TOPIC

    def to_dict(self) -> dict[str, Any]:
        """The message's data (the envelope's `data`)."""
        return orjson.loads(orjson.dumps(self))  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build the message from an envelope's `data`; raises MessageError."""
        names, required, simple, enums = _schema(cls)  # type: ignore[arg-type]
        for name in required:
            if name not in data:
                raise MessageError(f"{cls.__name__} lacks {name}")
        values = {k: v for k, v in data.items() if k in names}
        for name, value in values.items():
            expected = simple.get(name)
            if expected is not None and (type(value) not in expected):
                raise MessageError(f"{cls.__name__}.{name}: unexpected {type(value).__name__}")
        for name, kind in enums.items():
            if name in values and values[name] in kind._value2member_map_:
                values[name] = kind(values[name])  # else the text stays: receivers judge it
        try:
            return cls(**values)
        except (TypeError, ValueError) as err:
            raise MessageError(f"{cls.__name__}: {err}") from err

    @classmethod
    def from_envelope(cls, envelope: Envelope) -> Self:
        """Build the message from a received envelope."""
        return cls.from_dict(envelope.data)
