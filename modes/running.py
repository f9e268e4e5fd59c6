"""A pure machine inside a service: hold its state, feed it bus messages and ticks, apply effects.

The four modes services differ only in which machine they run, what they subscribe to and how
they carry out effects; this module is what they share. A failing step or effect is logged and
counted, never fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from core import store
from core.bus import Envelope
from core.messages import Message
from core.messages.dialogs import Intent, Outcome
from core.service import Runtime
from modes.effects import EventRejected, Tick

_LOGGER = logging.getLogger(__name__)
S = TypeVar("S")
Step = Callable[[S, Any, Any], tuple[S, list[Any]]]


class Driven(Generic[S]):
    """One machine's state in a running service."""

    def __init__(self, rt: Runtime, state: S, step: Step[S],
                 apply: Callable[[Any], None],
                 answers: Callable[[S, Intent, list[Any]], Outcome | None] | None = None
                 ) -> None:
        self.rt, self.state, self.step, self.apply = rt, state, step, apply
        self.answers = answers
        """What became of a command (an `Intent` with an id): the `Outcome` to publish."""
        self.changed: list[Callable[[S], None]] = []
        """Called with the new state after a step that changed it."""

    def feed(self, event: Any) -> list[Any]:
        """Step the machine at the clock's now and carry out the effects."""
        before = self.state
        try:
            self.state, effects = self.step(self.state, event, self.rt.clock.now())
        except Exception:
            self.rt.counters["step_failed"] += 1
            _LOGGER.exception("step failed on %r", event)
            return []
        for effect in effects:
            if type(effect) is EventRejected:
                self.rt.counters["rejected"] += 1
                _LOGGER.info("ignored: %s", effect.reason)
                continue
            try:
                self.apply(effect)
            except Exception:
                self.rt.counters["effect_failed"] += 1
                _LOGGER.exception("effect %r failed", effect)
        if self.state is not before:
            for callback in self.changed:
                callback(self.state)
        if self.answers is not None and isinstance(event, Intent) and event.id:
            outcome = self.answers(self.state, event, effects)
            if outcome is not None:
                self.rt.publish(outcome)
        return effects

    def tick(self) -> None:
        """Feed a clock tick (for `rt.every`)."""
        self.feed(Tick())

    def subscribe(self, topics: dict[str, type[Message]]) -> None:
        """Feed the machine every message on these topics (a topic ending in "." is a prefix)."""
        def handle(envelope: Envelope) -> None:
            cls = topics.get(envelope.topic)
            if cls is None:
                cls = next(c for t, c in topics.items()
                           if t.endswith(".") and envelope.topic.startswith(t))
            self.feed(cls.from_envelope(envelope))
        self.rt.subscribe(list(topics), handle)


class Persisted:
    """Save a state's plain form whenever it differs from what was saved last."""

    def __init__(self, path: Path, to_plain: Callable[[Any], dict[str, Any]]) -> None:
        self.path, self.to_plain = path, to_plain
        self.saved: dict[str, Any] | None = store.load(path)
        self.failures = 0
        """Saves that failed in a row (a full disk)."""

    def __call__(self, state: Any) -> None:
        """Save `state` if its plain form changed."""
        data = self.to_plain(state)
        if data != self.saved:
            try:
                store.save(self.path, data)
            except OSError as err:  # a full disk: the state lives on, saved when it can be
                self.failures += 1
                if self.failures == 1:
                    _LOGGER.error("cannot save %s (%s): kept in memory", self.path, err)
                return
            self.failures = 0
            self.saved = data


def restore(path: Path, build: Callable[[dict[str, Any]], S], default: S) -> tuple[S, bool]:
    """The state saved in `path`, or `default` when there is none or it is unusable."""
    data = store.load(path)
    if data is None:
        return default, False
    try:
        return build(data), True
    except (KeyError, TypeError, ValueError) as err:
        _LOGGER.warning("ignoring state file %s: %s", path, err)
        return default, False

