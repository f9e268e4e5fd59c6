"""`basecamp run modes`: the presence machine and the scheduler rules, on the bus.

Listens to intents, PIR motion, Bluetooth presence and the heater's state (for the spoken
reports); publishes `ModeChanged` at start, at every change and every `republish_s`, plus `Say`,
`Alert` and `BluetoothScanRequest`. The mode is saved atomically in the service's data folder
at every change and restored on restart (a `kill -9` loses nothing). HTTP: `/status` shows the
presence; `POST /set_mode?mode=...` (token) forces a mode, e.g. from a maintenance console.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from core.messages.dialogs import INTENT_PREFIX, Intent
from core.messages.presence import BluetoothPresence, ChangedBy, ModeChanged, PirMotion
from core.metrics import Point, open_store
from core.service import Runtime
from modes import presence, scheduler
from modes.effects import ForceMode, Prune, Report, Tick
from modes.house import rules_from_config
from modes.records import evolve
from modes.running import Driven, Persisted, restore
from modes.settings import PresenceSettings


async def serve(rt: Runtime) -> None:
    """Start the modes service."""
    settings = rt.config.section("presence", PresenceSettings)
    rules = rules_from_config(rt.config)
    path = rt.data_dir() / settings.state_file
    now = rt.clock.now()
    fresh = presence.Presence(rules.presence, since=now, changed_by=ChangedBy.TERMINAL.value,
                              reason="first start")
    state, restored = restore(path, lambda d: presence.from_plain(rules.presence, d), fresh)
    if restored:
        reason = state.reason if state.changed_by == ChangedBy.RESTORE else \
            f"restarted (was {state.changed_by}: {state.reason})"
        state = evolve(state, changed_by=ChangedBy.RESTORE.value, reason=reason)

    def apply(effect: Any) -> None:
        if type(effect) is ModeChanged:
            rt.publish(effect)
            rt.metrics.write(Point("presence", {"mode": effect.mode, "silence": effect.silence},
                                   {"changed_by": effect.changed_by}, rt.clock.now()))
            sched.feed(effect)
            rt.log("info", f"mode {effect.mode} ({effect.changed_by}: {effect.reason})")
        elif type(effect) is Report:
            rt.publish(scheduler.due(effect))
        elif type(effect) is Prune:
            rt.spawn(_prune(rt, effect), name="prune")
        else:
            rt.publish(effect)

    machine: Driven[presence.Presence] = Driven(rt, state, presence.step, apply,
                                                answers=presence.outcome)
    sched: Driven[scheduler.Scheduler] = Driven(
        rt, scheduler.Scheduler(rules.scheduler, mode=state.mode, silence=state.silence),
        scheduler.step, apply)
    save = Persisted(path, presence.to_plain)
    machine.changed.append(save)
    save(state)
    machine.subscribe({INTENT_PREFIX: Intent, PirMotion.TOPIC: PirMotion,
                       BluetoothPresence.TOPIC: BluetoothPresence})

    announce = presence.announce(state)
    rt.publish(announce)
    rt.metrics.write(Point("presence", {"mode": announce.mode, "silence": announce.silence},
                           {"changed_by": announce.changed_by}, now))
    sched.feed(announce)
    rt.every(settings.tick_s, lambda: _tick(machine, sched), name="tick")
    rt.every(settings.republish_s, lambda: rt.publish(presence.announce(machine.state)),
             name="republish")
    rt.answer_state(lambda: presence.announce(machine.state))
    rt.status["presence"] = lambda: presence.to_plain(machine.state) | {"restored": restored}

    async def set_mode(request: web.Request) -> web.Response:
        rt.check_token(request)
        mode = request.query.get("mode", "")
        by = request.query.get("by", "terminal")
        effects = machine.feed(ForceMode(mode, by))
        if machine.state.mode.value != mode:
            raise web.HTTPBadRequest(text=f"unknown mode {mode!r} (cocoon, lockout, asleep)")
        return web.json_response({"mode": mode, "effects": len(effects)})
    rt.app.router.add_post("/set_mode", set_mode)


def _tick(machine: Driven[Any], sched: Driven[Any]) -> None:
    machine.feed(Tick())
    sched.feed(Tick())


async def _prune(rt: Runtime, effect: Prune) -> None:
    """Weekly pruning of old metrics (blocking store call in a thread)."""
    def prune() -> None:
        store = open_store(rt.config)
        try:
            store.prune(effect.before)
        finally:
            store.close()
    try:
        await asyncio.to_thread(prune)
        rt.log("info", f"metrics older than {effect.before:%Y-%m-%d} pruned")
    except Exception as err:
        rt.counters["prune_failed"] += 1
        rt.log("warning", f"metrics pruning failed: {err}")
