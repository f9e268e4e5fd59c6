"""`basecamp run timers`: the house's timers and reminders (`dialogs.timers` in a service).

In: the timer intents and `BasecampReminder` on `basecamp.intent.<Name>` (each answered with an
`Outcome`), `ModeChanged` (lockout: nobody home). Out: `TimersState` at every change, every
`REPUBLISH_S` and on request; when one is due, `Say` in the room where it was set, or
`SmsSend` to the owner when the house is in lockout. Times are house time (the injected
clock: accelerated in the demo). Everything set survives a restart: `timers.json` in the
service's data folder, written atomically (`core.store`) after every change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from core import store
from core.bus import Envelope
from core.config import Config
from core.messages.alive import StateRequest
from core.messages.dialogs import Intent, intent_topic
from core.messages.presence import ModeChanged
from core.messages.timers import TimersState
from core.service import Runtime
from dialogs import timers
from dialogs.settings import DialogSettings

_LOGGER = logging.getLogger(__name__)
STATE_FILE = "timers.json"
REPUBLISH_S = 60.0
"""Machine seconds between two `TimersState` (a kiosk that missed one catches up)."""
MAX_WAIT_S = 30.0
"""House seconds the ringer sleeps at most between two looks at what is due."""


def load(path: Path) -> timers.Timers:
    """The saved timers (none when the file is missing or unreadable: logged)."""
    data = store.load(path)
    if data is None:
        return timers.Timers()
    try:
        return timers.from_plain(data)
    except (ValueError, KeyError, TypeError) as err:
        _LOGGER.warning("ignoring timers file %s: %s", path, err)
        return timers.Timers()


def house_of(config: Config) -> timers.TimerHouse:
    """Where timers ring by default, whom reminders are texted to, in which language."""
    settings = config.section("dialogs", DialogSettings)
    return timers.TimerHouse(
        default_room=str(settings.default_room),
        owner_phones=tuple(c.phone for c in config.contacts if c.role == "owner" and c.phone),
        lang=settings.language(config))


class TimersService:
    """The machine's state, fed by the bus and by the ringer."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.house = house_of(rt.config)
        self.path = rt.data_dir() / STATE_FILE
        self.state = load(self.path)
        self.restored = len(self.state.items)
        self.changed = asyncio.Event()

    def feed(self, event: Any) -> None:
        """Step the machine at the house's now, publish its effects, save what changed."""
        before = self.state
        try:
            self.state, effects = timers.step(self.state, event, self.rt.clock.now(), self.house)
        except Exception:
            self.rt.counters["step_failed"] += 1
            _LOGGER.exception("step failed on %r", event)
            return
        if self.state != before:
            try:
                store.save(self.path, timers.to_plain(self.state))
            except OSError as err:  # a full disk: kept in memory, saved at the next change
                self.rt.counters["save_failed"] += 1
                _LOGGER.error("cannot save %s: %s", self.path, err)
            self.changed.set()
        for effect in effects:
            if type(effect) is not TimersState:
                said = getattr(effect, "text", "") or getattr(effect, "reason", "")
                self.rt.log("info", f"timers: {type(effect).__name__} {said}")
            self.rt.publish(effect)

    def on_intent(self, envelope: Envelope) -> None:
        self.feed(Intent.from_envelope(envelope))

    def on_mode(self, envelope: Envelope) -> None:
        self.feed(ModeChanged.from_envelope(envelope))

    def report(self) -> TimersState:
        return timers.report(self.state, self.rt.clock.now())

    async def ring(self) -> None:
        """Ring what is due, then sleep until the next one (or a change) — house time."""
        while True:
            self.changed.clear()
            self.feed(timers.Tick())
            due = timers.next_due(self.state)
            wait = MAX_WAIT_S if due is None else min(
                MAX_WAIT_S, max(0.0, (due - self.rt.clock.now()).total_seconds()))
            sleeper = asyncio.ensure_future(self.rt.clock.sleep(wait))
            woken = asyncio.ensure_future(self.changed.wait())
            try:
                await asyncio.wait({sleeper, woken}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (sleeper, woken):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task


async def serve(rt: Runtime) -> None:
    """Start the timers service."""
    service = TimersService(rt)
    rt.subscribe([intent_topic(name) for name in sorted(timers.HANDLED)],
                 service.on_intent)
    rt.subscribe([ModeChanged.TOPIC], service.on_mode)
    rt.answer_state(service.report)
    rt.every(REPUBLISH_S, lambda: rt.publish(service.report()), name="republish",
             machine_time=True)
    rt.status["timers"] = lambda: {"set": len(service.state.items),
                                   "lockout": service.state.lockout,
                                   "restored": service.restored}
    rt.spawn(service.ring(), name="ringer")
    rt.publish(service.report())

    async def ask_mode() -> None:  # the mode now, rather than at its next change
        await rt.settle()
        rt.publish(StateRequest(prefix=ModeChanged.TOPIC))
    rt.spawn(ask_mode(), name="ask_mode")
    _LOGGER.info("timers: %d restored", service.restored)
