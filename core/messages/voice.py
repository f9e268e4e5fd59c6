"""The voice path: wake word, transcript, announcements through the interphone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from core.messages.envelope import Message


@dataclass(frozen=True)
class Wake(Message):
    """The wake word was heard."""

    TOPIC: ClassVar[str] = "basecamp.voice.wake"
    keyword: str
    engine: str = ""


@dataclass(frozen=True)
class Transcript(Message):
    """Speech to text result."""

    TOPIC: ClassVar[str] = "basecamp.voice.transcript"
    text: str
    conversation: str = ""


@dataclass(frozen=True)
class Say(Message):
    """Ask the interphone to speak (priority: higher first; key: from a lock): the request,
    answered by `Spoken`."""

    TOPIC: ClassVar[str] = "basecamp.interphone.say"
    text: str
    priority: int = 0
    key: str = ""
    lang: str = ""
    radio: bool = False
    for_owner: bool = False
    """For the people at home: kept while the house is away or silenced, spoken once it is
    neither."""
    when_home: bool = False
    """Only worth saying to someone at home (an alert: it went by SMS too): dropped while the
    house is away, muted in silence."""
    rooms: list[str] = field(default_factory=list)
    """The rooms to speak in (their interphones); empty = every room."""


@dataclass(frozen=True)
class Speaking(Message):
    """The interphone starts speaking an announcement: the assistant of the same machine stops
    hearing (wake word and speech to text) until `Spoken`, plus its echo tail."""

    TOPIC: ClassVar[str] = "basecamp.voice.speaking"
    text: str
    duration_s: float = 0.0
    """Length of the audio about to play (a bound if `Spoken` never comes)."""
    machine: str = ""
    """The machine whose loudspeaker speaks ("" = unknown: every assistant mutes)."""


@dataclass(frozen=True)
class Spoken(Message):
    """The interphone finished speaking (or muted) an announcement: the report of a `Say`."""

    TOPIC: ClassVar[str] = "basecamp.interphone.spoken"
    text: str
    muted: bool = False


@dataclass(frozen=True)
class Listening(Message):
    """The assistant opened (active) or closed the microphone for a command: a hint for the
    kiosk and the lightpack."""

    TOPIC: ClassVar[str] = "basecamp.voice.listening"
    active: bool
    follow_up: bool = False
    """Re-opened without a wake word: the house asked a question, or carried out a command
    people often follow ("et dans la chambre ?")."""
    outcome: str = ""
    """When closing: ended, no_speech or too_long; yielded (another room answers the command);
    woken (the wake word said in a follow-up window: a new command, which this room bids for)."""


@dataclass(frozen=True)
class WakeBid(Message):
    """A voice satellite heard the wake word: its claim to answer. Every satellite that heard
    the same command bids within a short window; the best bid answers, the others close their
    microphone quietly (assistant.arbitration)."""

    TOPIC: ClassVar[str] = "basecamp.voice.bid"
    machine: str
    room: str = ""
    score: float = 1.0
    """The wake engine's confidence (0-1; 1.0 for an engine that gives none)."""
    energy_db: float = -120.0
    """Loudness of the wake word as this microphone heard it (dBFS): the closest room hears
    it loudest."""
    at: float = 0.0
    """Wall time (Unix seconds) the wake word was heard."""
