"""What the kiosk shows, as plain data: `fold(screen, envelope, now)` folds bus messages into a
`Screen` [pure]. Widgets only draw a `Screen`; nothing here knows Qt.

A bad message (missing field, unknown mode, wrong type) never raises: the tile keeps its last
good value and records a `Fault`, so the screen shows "no data since ..." for that tile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from core.messages import Envelope, Message, MessageError
from core.messages.alive import Heartbeat
from core.messages.dialogs import Reply
from core.messages.heating import HeatingState
from core.messages.lightpack import LightpackState
from core.messages.log import LogEntry
from core.messages.nightlight import NightLightState
from core.messages.presence import Mode, ModeChanged, PirMotion
from core.messages.sensors import MutaUpdate, PowerUpdate, WaterUpdate, implausible
from core.messages.timers import TimersState
from core.messages.voice import Spoken, Transcript, Wake
from core.messages.watch import Alert, Notice, PowerState
from kiosk.health import Health, LogLine

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stamped:
    """A message as received, with the kiosk time it arrived at."""

    at: dt.datetime
    message: Any


@dataclass(frozen=True)
class Consumption:
    """Electricity and water of the current day."""

    day: str = ""
    """ISO date the counters belong to."""
    power_va: float | None = None
    start_wh: int | None = None
    """Sum of the meter's counters at the first reading of the day."""
    last_wh: int | None = None
    water_litres: float = 0.0
    power_at: dt.datetime | None = None
    water_at: dt.datetime | None = None

    @property
    def day_kwh(self) -> float | None:
        """Electricity used since the first reading of the day."""
        if self.start_wh is None or self.last_wh is None:
            return None
        return (self.last_wh - self.start_wh) / 1000


@dataclass(frozen=True)
class Exchange:
    """The latest spoken exchange: wake word, what was heard, what the house answered."""

    keyword: str = ""
    transcript: str = ""
    answer: str = ""
    at: dt.datetime | None = None
    """Time of its latest step."""


@dataclass(frozen=True)
class Incident:
    """An open alert from the sentinel (or another service)."""

    key: str
    severity: str
    message: str
    since: dt.datetime
    reminders: int = 0


@dataclass(frozen=True)
class Fault:
    """The latest rejected message for a tile."""

    at: dt.datetime
    reason: str
    count: int = 1


@dataclass(frozen=True)
class Pending:
    """A touch control waiting for the state message that confirms it."""

    value: str
    at: dt.datetime


@dataclass(frozen=True)
class Screen:
    """Everything the kiosk draws."""

    mode: Stamped | None = None
    heating: Stamped | None = None
    night_light: Stamped | None = None
    lightpack: Stamped | None = None
    readings: Mapping[str, Stamped] = field(default_factory=dict)
    """MUTA unit -> latest MutaUpdate."""
    consumption: Consumption = field(default_factory=Consumption)
    exchange: Exchange = field(default_factory=Exchange)
    incidents: Mapping[str, Incident] = field(default_factory=dict)
    mains: Stamped | None = None
    heartbeats: Mapping[str, dt.datetime] = field(default_factory=dict)
    """"host/service" -> last heartbeat."""
    motion: Mapping[str, dt.datetime] = field(default_factory=dict)
    """PIR sensor -> last motion start."""
    log: tuple[LogLine, ...] = ()
    health: Health = field(default_factory=Health)
    faults: Mapping[str, Fault] = field(default_factory=dict)
    pending: Mapping[str, Pending] = field(default_factory=dict)
    timers: Stamped | None = None
    """The latest `TimersState` (timers and reminders set, with their countdowns)."""
    last_message: dt.datetime | None = None
    received: int = 0
    log_limit: int = 200


def _mode(s: Screen, m: ModeChanged, now: dt.datetime) -> Screen:
    Mode(m.mode)  # ValueError on an unknown mode
    pending = {k: v for k, v in s.pending.items() if k not in ("mode", "silence")}
    return replace(s, mode=Stamped(now, m), pending=pending)


def _heating(s: Screen, m: HeatingState, now: dt.datetime) -> Screen:
    return replace(s, heating=Stamped(now, m), pending=_done(s, "heating"))


def _night_light(s: Screen, m: NightLightState, now: dt.datetime) -> Screen:
    if m.mode not in ("on", "off", "auto"):
        raise ValueError(f"unknown night light mode {m.mode!r}")
    return replace(s, night_light=Stamped(now, m), pending=_done(s, "night_light"))


def _lightpack(s: Screen, m: LightpackState, now: dt.datetime) -> Screen:
    if len(m.rgb) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in m.rgb):
        raise ValueError(f"rgb must be three integers 0-255, got {m.rgb!r}")
    return replace(s, lightpack=Stamped(now, m))


def _muta(s: Screen, m: MutaUpdate, now: dt.datetime) -> Screen:
    wrong = implausible(m)
    if wrong:  # 1e9 °C or -50 lx is never shown as a reading (the tile ages instead)
        _LOGGER.warning("implausible %s reading ignored: %s", m.unit, ", ".join(wrong))
        return s
    return replace(s, readings={**s.readings, m.unit: Stamped(now, m)})


def _today(s: Screen, now: dt.datetime) -> Consumption:
    day = now.date().isoformat()
    if s.consumption.day == day:
        return s.consumption
    # a new day: keep the latest meter index as the start of the day
    return Consumption(day=day, power_va=s.consumption.power_va, start_wh=s.consumption.last_wh,
                       last_wh=s.consumption.last_wh, power_at=s.consumption.power_at)


def _power(s: Screen, m: PowerUpdate, now: dt.datetime) -> Screen:
    if implausible(m):
        _LOGGER.warning("implausible power reading ignored: %s VA", m.papp_va)
        return s
    c = _today(s, now)
    total = sum(m.index_wh.values()) if m.index_wh else None
    start = c.start_wh if c.start_wh is not None and total is not None \
        and total >= c.start_wh else total
    c = replace(c, power_va=m.papp_va, power_at=now,
                last_wh=total if total is not None else c.last_wh,
                start_wh=start if total is not None else c.start_wh)
    return replace(s, consumption=c)


def _water(s: Screen, m: WaterUpdate, now: dt.datetime) -> Screen:
    if m.litres < 0:
        raise ValueError(f"negative water volume {m.litres}")
    c = _today(s, now)
    return replace(s, consumption=replace(c, water_litres=c.water_litres + m.litres,
                                          water_at=now))


def _wake(s: Screen, m: Wake, now: dt.datetime) -> Screen:
    return replace(s, exchange=Exchange(keyword=m.keyword, at=now))


def _transcript(s: Screen, m: Transcript, now: dt.datetime) -> Screen:
    return replace(s, exchange=replace(s.exchange, transcript=m.text, answer="", at=now))


def _reply(s: Screen, m: Reply, now: dt.datetime) -> Screen:
    if m.channel not in ("voice", "kiosk"):
        return s
    return replace(s, exchange=replace(s.exchange, answer=m.text, at=now))


def _spoken(s: Screen, m: Spoken, now: dt.datetime) -> Screen:
    if s.exchange.at is None or s.exchange.answer:
        return s
    return replace(s, exchange=replace(s.exchange, answer=m.text, at=now))


def _alert(s: Screen, m: Alert, now: dt.datetime) -> Screen:
    incidents = dict(s.incidents)
    if m.state == Notice.RECOVERY:
        incidents.pop(m.key, None)
    elif m.state in (Notice.PROBLEM, Notice.REMINDER):
        old = incidents.get(m.key)
        incidents[m.key] = Incident(m.key, m.severity, m.message, old.since if old else now,
                                    old.reminders + 1 if old else 0)
    else:
        raise ValueError(f"unknown alert state {m.state!r}")
    return replace(s, incidents=incidents)


def _mains(s: Screen, m: PowerState, now: dt.datetime) -> Screen:
    return replace(s, mains=Stamped(now, m))


def _heartbeat(s: Screen, m: Heartbeat, now: dt.datetime) -> Screen:
    return replace(s, heartbeats={**s.heartbeats, f"{m.host}/{m.service}": now})


def _pir(s: Screen, m: PirMotion, now: dt.datetime) -> Screen:
    return replace(s, motion={**s.motion, m.sensor: now}) if m.state else s


def _log(s: Screen, m: LogEntry, now: dt.datetime) -> Screen:
    line = LogLine(now.strftime("%H:%M:%S"), m.machine, m.service, m.level, m.message)
    return replace(s, log=(*s.log, line)[-s.log_limit:])


def _timers(s: Screen, m: TimersState, now: dt.datetime) -> Screen:
    dt.datetime.fromisoformat(m.at)  # ValueError on a bad time
    for timer in m.timers:
        float(timer["left_s"])
        dt.datetime.fromisoformat(str(timer["due"]))
    return replace(s, timers=Stamped(now, m))


@dataclass(frozen=True)
class Countdown:
    """One timer or reminder as the screen shows it."""

    kind: str
    """"timer" or "reminder"."""
    label: str
    """A timer's name or a reminder's text ("" for a timer without a name)."""
    left_s: float
    """Seconds until it rings, now."""
    due: dt.datetime
    paused: bool = False


def countdowns(s: Screen, now: dt.datetime) -> list[Countdown]:
    """The timers and reminders set, soonest first, counted down to `now` (house time): the
    figures of the latest `TimersState` less the time gone since it was sent."""
    if s.timers is None:
        return []
    m = s.timers.message
    gone = max(0.0, (now - dt.datetime.fromisoformat(m.at)).total_seconds())
    out = []
    for timer in m.timers:
        paused = bool(timer.get("paused"))
        left = float(timer["left_s"]) - (0.0 if paused else gone)
        out.append(Countdown(str(timer.get("kind", "timer")),
                             str(timer.get("name") or timer.get("message") or ""),
                             max(0.0, left), dt.datetime.fromisoformat(str(timer["due"])),
                             paused))
    return sorted(out, key=lambda c: c.left_s)


def _done(s: Screen, control: str) -> Mapping[str, Pending]:
    return {k: v for k, v in s.pending.items() if k != control}


HANDLERS: tuple[tuple[type[Message], str, Callable[[Screen, Any, dt.datetime], Screen]], ...] = (
    (ModeChanged, "mode", _mode),
    (HeatingState, "heating", _heating),
    (NightLightState, "night_light", _night_light),
    (LightpackState, "lightpack", _lightpack),
    (MutaUpdate, "temperatures", _muta),
    (PowerUpdate, "power", _power),
    (WaterUpdate, "water", _water),
    (Wake, "exchange", _wake),
    (Transcript, "exchange", _transcript),
    (Reply, "exchange", _reply),
    (Spoken, "exchange", _spoken),
    (Alert, "incidents", _alert),
    (PowerState, "mains", _mains),
    (Heartbeat, "health", _heartbeat),
    (PirMotion, "motion", _pir),
    (LogEntry, "log", _log),
    (TimersState, "timers", _timers),
)
"""Message class shown -> (tile name for faults, fold step)."""


def subscription(cls: type[Message]) -> str:
    """The topic prefix the kiosk subscribes to for a message class: its `TOPIC`, followed by
    a dot when its messages add a suffix of their own (they override `topic()`: a heartbeat's
    host and service, a log line's level)."""
    topic_of = cls.topic
    return cls.TOPIC + "." if topic_of is not Message.topic else cls.TOPIC


_ROUTES = tuple((subscription(cls), tile, cls, step) for cls, tile, step in HANDLERS)
TOPICS: tuple[str, ...] = tuple(prefix for prefix, *_ in _ROUTES)
"""Topic prefixes the kiosk subscribes to."""


def handler_for(topic: str) -> tuple[str, type[Message], Callable[..., Screen]] | None:
    """The tile, message class and fold step of a topic (None: not shown)."""
    for prefix, tile, cls, step in _ROUTES:
        if topic == prefix or topic.startswith(prefix if prefix.endswith(".") else prefix + "."):
            return tile, cls, step
    return None


def fold(screen: Screen, envelope: Envelope, now: dt.datetime) -> Screen:
    """The screen after one bus message; a bad message becomes a Fault on its tile."""
    screen = replace(screen, last_message=now, received=screen.received + 1)
    found = handler_for(envelope.topic)
    if found is None:
        return screen
    tile, cls, step = found
    try:
        return step(screen, cls.from_envelope(envelope), now)
    except (MessageError, ValueError, TypeError, KeyError, AttributeError) as err:
        old = screen.faults.get(tile)
        fault = Fault(now, f"{envelope.topic}: {err}", old.count + 1 if old else 1)
        _LOGGER.warning("kiosk: rejected %s (%s)", envelope.topic, err)
        return replace(screen, faults={**screen.faults, tile: fault})


def fold_all(screen: Screen, envelopes: list[Envelope], now: dt.datetime) -> Screen:
    """Fold a batch of envelopes."""
    for envelope in envelopes:
        screen = fold(screen, envelope, now)
    return screen


def request(screen: Screen, control: str, value: str, now: dt.datetime) -> Screen:
    """Record a touch request that waits for its state message (mode, heating, night_light,
    silence)."""
    return replace(screen, pending={**screen.pending, control: Pending(value, now)})


def with_health(screen: Screen, health: Health) -> Screen:
    """The screen with a new status-report reading."""
    return replace(screen, health=health)


def with_log(screen: Screen, lines: tuple[LogLine, ...]) -> Screen:
    """The screen with the logbook's day (replaces what the bus added since the last read)."""
    return replace(screen, log=lines[-screen.log_limit:])


def to_plain(screen: Screen) -> dict[str, Any]:
    """The screen as JSON-friendly data (for `--state` files and debugging)."""
    def conv(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: conv(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, Mapping):
            return {str(k): conv(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [conv(v) for v in value]
        if isinstance(value, dt.datetime):
            return value.isoformat()
        return value
    return conv(screen)  # type: ignore[no-any-return]
