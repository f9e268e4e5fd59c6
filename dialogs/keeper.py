"""Keeping the house's word: a command is published, and the reply waits for what was done.

The services that act (modes, heater, lights, night lights, interphone, kiosk, timers) answer each
`Intent` that carries an `id` with an `Outcome`: done, with the state it left, or refused, and
why. `Keeper.carry(intent)` publishes the intent and waits for its outcome (None when none came
in time: the reply then says so, rather than claiming what may not have happened). The dialogs
service, the voice assistant and the kiosk use one `Keeper` each, subscribed to
`Outcome.TOPIC` through `on_outcome`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import uuid
from collections.abc import Callable
from typing import Any

from core.messages.dialogs import Intent, Outcome

_LOGGER = logging.getLogger(__name__)

ACTED = frozenset({"BasecampLeave", "BasecampReturn", "BasecampSleep", "BasecampWake",
                   "BasecampSilence", "BasecampHeatingProfile", "BasecampRemoteAccess",
                   "HassClimateSetTemperature", "HassTurnOn", "HassTurnOff", "HassBroadcast",
                   "HassStartTimer", "HassCancelTimer", "HassIncreaseTimer", "HassDecreaseTimer",
                   "HassPauseTimer", "HassUnpauseTimer", "HassTimerStatus", "HassCancelAllTimers",
                   "BasecampReminder"})
"""Intents a service carries out (and answers with an `Outcome`); the others are questions
the dialogs answer from the state they hold (time, temperature, report...)."""


SPOKEN = frozenset({"HassBroadcast"})
"""Intents done once the interphone has said them (their outcome comes after the speech)."""


def new_id() -> str:
    """A fresh intent id."""
    return uuid.uuid4().hex[:12]


class Keeper:
    """Publishes intents and hands back their outcomes."""

    def __init__(self, publish: Callable[[Any], None], timeout_s: float,
                 spoken_timeout_s: float | None = None) -> None:
        self.publish = publish
        self.timeout_s = timeout_s
        self.spoken_timeout_s = spoken_timeout_s or timeout_s
        """An announcement is done once said: its outcome may take this long."""
        self._waiting: dict[str, asyncio.Future[Outcome]] = {}
        self.late = 0
        """Outcomes that came after their command had been answered."""

    def on_outcome(self, envelope: Any) -> None:
        """An `Outcome` from the bus (on the event loop)."""
        outcome = Outcome.from_envelope(envelope)
        waiting = self._waiting.get(outcome.intent_id)
        if waiting is None or waiting.done():
            self.late += waiting is None
            return
        waiting.set_result(outcome)

    async def carry(self, intent: Intent) -> tuple[Intent, Outcome | None]:
        """Publish an intent (given an id) and wait for its outcome (None: none in time)."""
        if intent.intent not in ACTED:
            self.publish(intent)
            return intent, None
        intent = dataclasses.replace(intent, id=intent.id or new_id())
        waiting: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting[intent.id] = waiting
        self.publish(intent)
        timeout = self.timeout_of(intent)
        try:
            return intent, await asyncio.wait_for(waiting, timeout)
        except TimeoutError:
            _LOGGER.warning("no outcome for %s (%s) in %.1f s", intent.intent, intent.id,
                            timeout)
            return intent, None
        finally:
            self._waiting.pop(intent.id, None)

    def timeout_of(self, intent: Intent) -> float:
        """How long the outcome of this intent may take."""
        return self.spoken_timeout_s if intent.intent in SPOKEN else self.timeout_s

    def carry_from_thread(self, intent: Intent, loop: asyncio.AbstractEventLoop
                          ) -> tuple[Intent, Outcome | None]:
        """`carry` from another thread (the voice pipeline's audio thread): blocks."""
        future = asyncio.run_coroutine_threadsafe(self.carry(intent), loop)
        try:
            return future.result(self.timeout_of(intent) + 1.0)
        except (concurrent.futures.TimeoutError, TimeoutError):
            return intent, None
