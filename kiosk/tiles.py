"""The home screen's tiles as a table of pure functions over a `Screen` [pure].

Each tile is a `TileView` (title, big value, detail line, state); widgets just draw them.
A tile whose data is older than `stale_after_s`, or whose latest message was rejected, shows
"no data since ..." in its detail and the `stale` state. The banner says the bus is silent
when no message came for `Context.silent_after_s` (`kiosk.health.silent_after_s`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from core.messages.presence import Mode
from core.messages.watch import Power, Severity
from kiosk.health import is_silent
from kiosk.settings import KioskSettings
from kiosk.texts import Texts
from kiosk.view_model import Screen, Stamped, countdowns


@dataclass(frozen=True)
class TileView:
    """What one tile shows."""

    title: str
    value: str
    detail: str = ""
    state: str = "ok"
    """ok, warn, bad, stale (old or rejected data) or none (never received)."""
    colour: str = ""
    """An accent colour "#rrggbb" (lightpack, mode), or ""."""


@dataclass(frozen=True)
class Context:
    """Everything a tile function needs besides the screen."""

    now: dt.datetime
    settings: KioskSettings
    t: Texts
    silent_after_s: float
    """House seconds without any bus message before the banner says the bus is silent
    (`kiosk.health.silent_after_s`)."""


MODE_COLOURS = {Mode.COCOON: "#f4b860", Mode.LOCKOUT: "#e0533d", Mode.ASLEEP: "#4a78d0"}


def parse_time(text: str | None) -> dt.datetime | None:
    """An ISO datetime from a message, or None."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _freshness(stamped: Stamped | dt.datetime | None, fault_key: str, s: Screen,
               c: Context) -> tuple[str, str]:
    """(state, detail) when data is missing, old or rejected; ("", "") when fresh."""
    at = stamped.at if isinstance(stamped, Stamped) else stamped
    fault = s.faults.get(fault_key)
    if at is None:
        if fault is not None:
            reason = fault.reason.partition(": ")[2][:60]
            return "stale", c.t("bad_data", time=c.t.moment(fault.at, c.now), reason=reason)
        return "none", c.t("no_data")
    if fault is not None and fault.at > at:
        return "stale", c.t("no_data_since", time=c.t.moment(at, c.now))
    if (c.now - at).total_seconds() > c.settings.stale_after_s:
        return "stale", c.t("no_data_since", time=c.t.moment(at, c.now))
    return "", ""


def mode_tile(s: Screen, c: Context) -> TileView:
    """The mode, large, with since when and who changed it."""
    pending = s.pending.get("mode")
    if s.mode is None:
        state, detail = _freshness(None, "mode", s, c)
        return TileView(c.t("mode.none"), "—", detail, state)
    m = s.mode.message
    since = parse_time(m.since)
    detail = c.t("changed", time=c.t.moment(since, c.now) if since else m.since,
                 by=c.t(f"by.{m.changed_by}"))
    back = parse_time(m.return_at)
    if back is not None:
        detail += " · " + c.t("return_at", time=c.t.moment(back, c.now))
    if pending is not None:
        detail = c.t("pending", value=c.t(f"mode.{pending.value}"))
    state = "ok"
    if s.faults.get("mode") and s.faults["mode"].at > s.mode.at:
        state, detail = "stale", c.t("no_data_since", time=c.t.moment(s.mode.at, c.now))
    title = c.t("ctl.mode") + (" · " + c.t("silence.on") if m.silence else "")
    return TileView(title, c.t(f"mode.{m.mode}"), detail, state, MODE_COLOURS.get(m.mode, ""))


def clock_tile(s: Screen, c: Context) -> TileView:
    """Clock and date."""
    return TileView(c.t.date(c.now), c.t.clock(c.now))


def _temperature(unit: str, title: str) -> Callable[[Screen, Context], TileView]:
    def tile(s: Screen, c: Context) -> TileView:
        name = getattr(c.settings, unit)
        reading = s.readings.get(name)
        state, detail = _freshness(reading, "temperatures", s, c)
        if reading is None or reading.message.temperature is None:
            return TileView(c.t(title), "—", detail or c.t("no_data"), state or "none")
        m = reading.message
        extra = [f"{c.t.number(m.humidity, 0)} %"] if m.humidity is not None else []
        if m.light is not None and unit == "outdoor_unit":
            extra.append(f"{c.t.number(m.light, 0)} lx")
        return TileView(c.t(title), f"{c.t.number(m.temperature)} °C",
                        detail or " · ".join(extra), state or "ok")
    tile.__doc__ = f"The {unit} temperature."
    return tile


def heating_tile(s: Screen, c: Context) -> TileView:
    """Profile, setpoint and relay state."""
    pending = s.pending.get("heating")
    state, detail = _freshness(s.heating, "heating", s, c)
    if s.heating is None:
        return TileView(c.t("heating"), "—", detail, state)
    m = s.heating.message
    parts = [c.t("setpoint", value=f"{c.t.number(m.setpoint)} °C"),
             c.t("relay.on") if m.relay else c.t("relay.off")]
    until = parse_time(m.until)
    if until is not None:
        parts.append(c.t("until", time=c.t.moment(until, c.now)))
    if pending is not None:
        detail = c.t("pending", value=c.t(f"profile.{pending.value}"))
    return TileView(c.t("heating"), c.t(f"profile.{m.profile}"), detail or " · ".join(parts),
                    state or ("warn" if m.relay else "ok"))


def night_light_tile(s: Screen, c: Context) -> TileView:
    """Night light mode and whether it is lit."""
    pending = s.pending.get("night_light")
    state, detail = _freshness(s.night_light, "night_light", s, c)
    if s.night_light is None:
        return TileView(c.t("night_light"), "—", detail, state)
    m = s.night_light.message
    if pending is not None:
        detail = c.t("pending", value=c.t(f"nl.{pending.value}"))
    return TileView(c.t("night_light"), c.t("nl.lit") if m.lit else c.t("nl.unlit"),
                    detail or c.t("nl.mode", mode=c.t(f"nl.{m.mode}")), state or "ok")


def lightpack_tile(s: Screen, c: Context) -> TileView:
    """The lightpack colour (with its problem hint)."""
    state, detail = _freshness(s.lightpack, "lightpack", s, c)
    if s.lightpack is None:
        return TileView(c.t("lightpack"), "—", detail, state)
    m = s.lightpack.message
    r, g, b = m.rgb
    rgb = f"#{r:02x}{g:02x}{b:02x}"
    hint = c.t(f"overlay.{m.overlay}") if m.overlay else ""
    level = {"red": "bad", "orange": "warn"}.get(m.overlay, "ok")
    return TileView(c.t("lightpack"), c.t(f"colour.{m.colour}"), detail or hint,
                    state or level, rgb)


def power_tile(s: Screen, c: Context) -> TileView:
    """Electricity now and of the day."""
    cons = s.consumption
    state, detail = _freshness(cons.power_at, "power", s, c)
    if cons.power_va is None:
        return TileView(c.t("power"), "—", detail, state)
    kwh = cons.day_kwh
    return TileView(c.t("power"), f"{cons.power_va:.0f} VA",
                    detail or (c.t("power.day", kwh=c.t.number(kwh, 2)) if kwh is not None
                               else ""), state or "ok")


def water_tile(s: Screen, c: Context) -> TileView:
    """Water of the day."""
    cons = s.consumption
    state, detail = _freshness(cons.water_at, "water", s, c)
    if cons.water_at is None:
        return TileView(c.t("water"), "—", detail, state)
    return TileView(c.t("water"), f"{c.t.number(cons.water_litres, 0)} L",
                    detail or c.t("today"), state or "ok")


def exchange_tile(s: Screen, c: Context) -> TileView | None:
    """The latest spoken exchange while the assistant is active (None otherwise)."""
    ex = s.exchange
    if ex.at is None or (c.now - ex.at).total_seconds() > c.settings.conversation_s:
        return None
    heard = c.t("heard", text=ex.transcript) if ex.transcript else c.t("listening")
    return TileView(c.t("exchange"), heard, c.t("answer", text=ex.answer) if ex.answer else "")


def countdown_text(seconds: float) -> str:
    """"9:41", "1:02:05": what is left, to the second (rounded up: 0:00 only when due)."""
    left = max(0, int(seconds + 0.999))
    hours, rest = divmod(left, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def timers_tile(s: Screen, c: Context) -> TileView | None:
    """The timers and reminders set, soonest first, with their countdowns (None: none)."""
    shown = countdowns(s, c.now)
    if not shown:
        return None
    first, parts = shown[0], []
    for item in shown[:4]:
        name = item.label or c.t("timer")
        if item.kind == "reminder" and item.left_s > 3600:
            when = c.t("reminder_at", text=name, time=c.t.moment(item.due, c.now))
        else:
            when = f"{name} {countdown_text(item.left_s)}"
        parts.append(when + (" " + c.t("timer.paused") if item.paused else ""))
    title = c.t.plural("timers", len(shown)) if len(shown) > 1 else c.t(f"one.{first.kind}")
    return TileView(title, countdown_text(first.left_s), " · ".join(parts),
                    "warn" if first.left_s < 60 and not first.paused else "ok")


def banner(s: Screen, c: Context) -> TileView | None:
    """Open incidents, a blackout, or a silent bus (None when all is well)."""
    lines, state = [], "warn"
    mains = s.mains.message if s.mains else None
    if mains is not None and mains.state == Power.BLACKOUT:
        since = parse_time(mains.since)
        lines.append(c.t("mains.blackout", time=c.t.moment(since, c.now) if since else ""))
        state = "bad"
    if s.incidents:
        lines.append(c.t.plural("incidents", len(s.incidents)) + " — " + " · ".join(
            i.message for i in sorted(s.incidents.values(), key=lambda i: i.since)[-3:]))
        if any(i.severity == Severity.MAJOR for i in s.incidents.values()):
            state = "bad"
    if s.last_message is not None and is_silent(s.last_message, c.now, c.silent_after_s):
        lines.append(c.t("bus.lost", time=c.t.moment(s.last_message, c.now)))
    return TileView("", "\n".join(lines), state=state) if lines else None


HOME_TILES: tuple[tuple[str, Callable[[Screen, Context], TileView]], ...] = (
    ("mode", mode_tile),
    ("clock", clock_tile),
    ("indoor", _temperature("indoor_unit", "indoor")),
    ("outdoor", _temperature("outdoor_unit", "outdoor")),
    ("bedroom", _temperature("bedroom_unit", "bedroom")),
    ("heating", heating_tile),
    ("night_light", night_light_tile),
    ("lightpack", lightpack_tile),
    ("power", power_tile),
    ("water", water_tile),
)
"""Tile name -> function; the order is the reading order of the home grid."""


def home(s: Screen, c: Context) -> dict[str, TileView]:
    """Every home tile for this screen and moment."""
    return {name: fn(s, c) for name, fn in HOME_TILES}
