"""The whole house in one pure machine: presence, heating, night lights, lightpack, scheduler.

`step(house, event, now) -> (house, effects)` routes an event to every machine that takes it,
and feeds each machine's `ModeChanged` and `Alert` effects to the others, exactly as the bus
does between the services. Used by `basecamp modes replay`, the scenario tables and the
benchmark; the services run the part machines one by one. Events out of time order are
rejected; a machine that raises keeps its previous state (the heating also turns its relay off).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.config import Config
from core.messages.heating import HeatingState
from core.messages.presence import Mode, ModeChanged
from core.messages.watch import Alert
from modes import heating, lightpack, nightlight, presence, scheduler
from modes.effects import EventRejected, Report, Tick
from modes.records import builder, evolve
from modes.settings import (
    DAYS,
    HeatingSettings,
    LightpackSettings,
    NightLightSettings,
    PresenceSettings,
    SchedulerSettings,
    parse_span,
)
from modes.sun import Place, zone

_LOGGER = logging.getLogger(__name__)
_FEEDBACK = (ModeChanged, Alert, HeatingState)


@dataclass(frozen=True)
class Rules:
    """Every machine's rules, built once from the config."""

    presence: presence.PresenceRules
    heating: heating.HeatingRules
    nightlight: nightlight.NightLightRules
    lightpack: lightpack.LightpackRules
    scheduler: scheduler.SchedulerRules


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def rules_from_config(config: Config) -> Rules:
    """Compile the config's modes sections into the machines' rules."""
    house = config.house
    place = Place(house.latitude, house.longitude, house.timezone)
    pre = config.section("presence", PresenceSettings)
    heat = config.section("heating", HeatingSettings)
    night = config.section("nightlight", NightLightSettings)
    pack = config.section("lightpack", LightpackSettings)
    sched = config.section("scheduler", SchedulerSettings)
    lights = frozenset(n.lower() for d in config.devices if d.kind in ("light", "night_light")
                       for n in (d.name, *d.aliases))
    night_names = frozenset(n.lower() for d in config.devices if d.name == night.device
                            for n in (d.name, *d.aliases)) | {night.device.lower()}
    schedules = {name: tuple(tuple(parse_span(s) for s in week.get(day, ())) for day in DAYS)
                 for name, week in heat.schedules.items()}
    return Rules(
        presence=presence.PresenceRules(
            known_devices=frozenset(pre.known_devices), pir_sensors=frozenset(pre.pir_sensors),
            scan_grace=dt.timedelta(seconds=pre.scan_grace_s),
            exit_delay=dt.timedelta(seconds=pre.exit_delay_s),
            silence_when_asleep=pre.silence_when_asleep, lights=lights or frozenset({"light"}),
            place=place, lang=house.lang),
        heating=heating.HeatingRules(
            primary=heat.primary_sensor, secondary=heat.secondary_sensor, comfort=heat.comfort,
            eco=heat.eco, night=heat.night, hysteresis=heat.hysteresis, schedules=schedules,
            stale=dt.timedelta(minutes=heat.stale_minutes),
            night_alert=(_minutes(heat.night_alert_from), _minutes(heat.night_alert_to)),
            preheat=dt.timedelta(hours=heat.preheat_hours),
            min_absence=dt.timedelta(hours=heat.min_absence_hours),
            valid=(heat.min_valid, heat.max_valid), timezone=house.timezone, lang=house.lang,
            devices=tuple(d.name for d in config.devices
                          if d.kind == "heater" and d.driver == "heater")),
        nightlight=nightlight.NightLightRules(
            names=night_names, outdoor_sensor=night.outdoor_sensor, on_lux=night.on_lux,
            off_lux=night.off_lux, hold=dt.timedelta(minutes=night.hold_minutes),
            stale=dt.timedelta(minutes=night.stale_minutes), dark_lux=night.dark_lux,
            bright_lux=night.bright_lux, margin=dt.timedelta(minutes=night.margin_minutes),
            max_lux=night.max_lux, place=place, lang=house.lang),
        lightpack=lightpack.LightpackRules(
            colours=dict(pack.colours),
            modes={"cocoon": pack.cocoon, "lockout": pack.lockout, "asleep": pack.asleep},
            cocoon_eco=pack.cocoon_eco,
            cleared_hint=dt.timedelta(hours=pack.cleared_hint_hours),
            max_lock=dt.timedelta(seconds=pack.max_lock_s)),
        scheduler=scheduler.SchedulerRules(
            announce=sched.announce_time, every=sched.announce_every_minutes,
            announce_from=_minutes(sched.announce_from), announce_to=_minutes(sched.announce_to),
            late=dt.timedelta(seconds=sched.late_s),
            reports=tuple(_minutes(t) for t in sched.reports),
            sent_reports=tuple(_minutes(t) for t in sched.sent_reports),
            report_channels=tuple(sched.report_channels),
            prune_day=DAYS.index(sched.prune_day), prune_at=_minutes(sched.prune_at),
            retention=dt.timedelta(days=config.metrics.influxdb.retention_days),
            timezone=house.timezone, lang=house.lang))


@dataclass(frozen=True)
class HouseState:
    """The five machines' states and the time of the last event."""

    presence: presence.Presence
    heating: heating.Heating
    nightlight: nightlight.NightLight
    lightpack: lightpack.Lightpack
    scheduler: scheduler.Scheduler
    last_at: dt.datetime | None = None


_house = builder(HouseState)
"""HouseState(...) without __init__'s checks (the hot path of `step`), field names still
checked."""


def initial(rules: Rules, mode: Mode = Mode.COCOON, regime: str = "work_week",
            night_mode: str = "auto") -> HouseState:
    """A house that has seen nothing yet."""
    return HouseState(
        presence=presence.Presence(rules.presence, mode=mode),
        heating=heating.Heating(rules.heating, mode=mode, regime=regime),
        nightlight=nightlight.NightLight(rules.nightlight, mode=night_mode),
        lightpack=lightpack.Lightpack(rules.lightpack, mode=mode),
        scheduler=scheduler.Scheduler(rules.scheduler, mode=mode))


_Step = Callable[[Any, Any, dt.datetime], tuple[Any, list[Any]]]
_MACHINES: tuple[tuple[frozenset[type], _Step], ...] = (  # in the order of HouseState's fields
    (frozenset(presence.EVENTS), presence.step),
    (frozenset(heating.EVENTS), heating.step),
    (frozenset(nightlight.EVENTS), nightlight.step),
    (frozenset(lightpack.EVENTS), lightpack.step),
    (frozenset({ModeChanged, Tick}), scheduler.step),
)
_ROUTES: dict[type, tuple[tuple[int, _Step], ...]] = {
    kind: tuple((i, machine) for i, (events, machine) in enumerate(_MACHINES) if kind in events)
    for events, _ in _MACHINES for kind in events}
_PRESENCE = 0


def start(house: HouseState, now: dt.datetime) -> tuple[HouseState, list[Any]]:
    """Announce the starting mode and let every machine decide once (a first tick)."""
    if house.presence.since is None:
        house = evolve(house, presence=evolve(house.presence, since=now))
    house, out = step(house, Tick(), now)
    announced = presence.announce(house.presence)
    house, more = step(house, announced, now)
    return house, [announced, *out, *more]


def step(house: HouseState, event: Any, now: dt.datetime) -> tuple[HouseState, list[Any]]:
    """Apply one event at `now` to every machine that takes it; effects in order."""
    if house.last_at is not None and now < house.last_at:
        return house, [EventRejected(f"{type(event).__name__} at {now.isoformat()} is older than "
                                     f"the last event ({house.last_at.isoformat()})")]
    states: list[Any] = [house.presence, house.heating, house.nightlight, house.lightpack,
                         house.scheduler]
    now = now.astimezone(zone(states[1].rules.timezone))  # the machines' own calls are no-ops
    effects: list[Any] = []
    pending = [event]
    for current in pending:  # grows while we walk it: feedback between machines
        for index, machine in _ROUTES.get(type(current), ()):
            if index == _PRESENCE and current is not event:
                continue
            try:
                states[index], out = machine(states[index], current, now)
            except Exception as err:
                _LOGGER.exception("machine %d failed on %r", index, current)
                out = [EventRejected(f"{machine.__module__} failed on "
                                     f"{type(current).__name__}: {err}")]
            for effect in out:
                if type(effect) is Report:
                    effect = scheduler.due(effect)
                elif isinstance(effect, _FEEDBACK):
                    pending.append(effect)
                effects.append(effect)
    return _house(presence=states[0], heating=states[1], nightlight=states[2],
                  lightpack=states[3], scheduler=states[4], last_at=now), effects
