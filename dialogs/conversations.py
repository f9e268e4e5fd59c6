"""Multi-turn conversations: what the house is waiting for, per channel and speaker (pure).

A question narrows what the next answer may mean (Rhasspy's `continueSession` +
`intentFilter`): while a conversation waits, only the answers it expects are heard, plus
"annule"; any other full command abandons it. Unanswered questions time out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Expect(StrEnum):
    """What kind of answer a conversation waits for."""

    RETURN = "return"
    """"Tu reviens quand ?" -> a time, or "je ne sais pas"."""
    PROFILE = "profile"
    """"Quel mode de chauffage ?" -> a heating profile."""
    CONFIRM = "confirm"
    """"Tu confirmes ?" -> yes or no."""
    ROOM = "room"
    """"Dans quelle pièce ?" -> a room (an SMS that switches or heats names none)."""


ANSWERS: dict[Expect, frozenset[str]] = {
    Expect.RETURN: frozenset({"AnswerReturn", "AnswerUnknown"}),
    Expect.PROFILE: frozenset({"AnswerProfile"}),
    Expect.CONFIRM: frozenset({"AnswerYes", "AnswerNo"}),
    Expect.ROOM: frozenset({"AnswerRoom"}),
}
"""The answer intents each question accepts."""

MAX_RETRIES = 2
"""Not-understood answers before the house stops asking."""


@dataclass(frozen=True)
class Pending:
    """A question the house asked and the command it will complete."""

    expect: Expect
    intent: str
    """The intent published once answered (BasecampLeave, BasecampHeatingProfile...)."""
    conversation: str
    deadline: dt.datetime
    lang: str
    slots: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    """The utterance that opened the conversation."""
    retries: int = 0
    guessed: bool = False
    """The command is a fuzzy guess: the question is "is that what you meant?"."""
    then: Expect | None = None
    """A question to ask once this one is answered yes ("Tu reviens quand ?")."""

    def expired(self, now: dt.datetime) -> bool:
        """True once the answer is too late."""
        return now >= self.deadline

    def accepts(self, answer_intent: str) -> bool:
        """True if this answer intent answers the question."""
        return answer_intent in ANSWERS[self.expect]

    def retried(self) -> Pending:
        """The same question asked once more."""
        return replace(self, retries=self.retries + 1)

    def exhausted(self) -> bool:
        """True when the house should stop asking."""
        return self.retries >= MAX_RETRIES


Key = tuple[str, str]
"""(channel, sender): one conversation per speaker per channel."""


@dataclass
class Conversations:
    """The open conversations (a plain mutable registry, no I/O)."""

    pending: dict[Key, Pending] = field(default_factory=dict)
    opened: int = 0

    def new_id(self, key: Key) -> str:
        """A fresh conversation id for a channel and sender."""
        self.opened += 1
        return f"{key[0]}:{key[1]}:{self.opened}"

    def current(self, key: Key, now: dt.datetime) -> Pending | None:
        """The conversation waiting for this speaker, if still in time."""
        found = self.pending.get(key)
        return found if found is not None and not found.expired(now) else None

    def expired(self, now: dt.datetime) -> list[tuple[Key, Pending]]:
        """Remove and return the conversations whose answer is too late."""
        late = [(key, p) for key, p in self.pending.items() if p.expired(now)]
        for key, _ in late:
            del self.pending[key]
        return late
