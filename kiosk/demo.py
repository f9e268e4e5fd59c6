"""A demo house state for screenshots, docs and the benchmark: bus messages, a status report,
a logbook day and chart curves, all relative to `now` [pure]."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from core.messages import Message
from core.messages.dialogs import Reply
from core.messages.heating import HeatingState
from core.messages.lightpack import LightpackState
from core.messages.nightlight import NightLightState
from core.messages.presence import Mode, ModeChanged
from core.messages.sensors import MutaUpdate, PowerUpdate, WaterUpdate
from core.messages.voice import Transcript, Wake
from core.messages.watch import Alert, Notice, Severity


def demo_messages(now: dt.datetime) -> list[Message]:
    """What a calm afternoon in cocoon looks like on the bus."""
    morning = now.replace(hour=7, minute=42, second=0, microsecond=0)
    return [
        ModeChanged(Mode.COCOON, morning.isoformat(), "voice", reason="je suis revenu"),
        HeatingState("work_week", 20.5, True, "salon", 19.6),
        NightLightState("auto", False, True),
        LightpackState("warm_white", [255, 180, 100], overlay="orange"),
        MutaUpdate("salon", 101, temperature=19.6, humidity=46.0, battery=2.9),
        MutaUpdate("chambre", 77, temperature=18.2, humidity=51.0, battery=2.8),
        MutaUpdate("exterieur", 55, temperature=6.4, humidity=80.0, light=1800.0, battery=2.7),
        PowerUpdate(1830.0, 8.0, {"HCHC": 10_312_000, "HCHP": 20_000_000}, "HP.."),
        PowerUpdate(1750.0, 7.0, {"HCHC": 10_312_000, "HCHP": 20_006_420}, "HP.."),
        WaterUpdate(96.0, 3600, 512_000.0),
        WaterUpdate(38.5, 3600, 512_038.5),
        Alert("battery:exterieur", Severity.MINOR, Notice.PROBLEM,
              "pile faible : exterieur (2,1 V)"),
        Wake("ok maison"),
        Transcript("quelle est la température dehors"),
        Reply("Il fait 6 degrés dehors.", "voice"),
    ]


def demo_status_report(now: dt.datetime) -> dict[str, Any]:
    """A sentinel status report with one orange and one red service."""
    def at(minutes: int) -> str:
        return (now - dt.timedelta(minutes=minutes)).isoformat(timespec="seconds")
    ok = {"state": "ok", "since": at(600), "last_check": at(1)}
    return {"machines": {
        "bc-ui": {**ok, "services": {s: ok for s in ("kiosk", "assistant", "interphone",
                                                      "modes", "pir", "lightpack")}},
        "bc-hq": {**ok, "services": {"bus": ok, "logbook": ok, "muta": ok,
                                     "dialogs": {"state": "problem", "since": at(12),
                                                 "last_check": at(1),
                                                 "last_error": "HTTP /alive : délai dépassé"}}},
        "bc-watch": {**ok, "services": {"watch": ok, "sms": ok, "push": ok}},
        "bc-power": {**ok, "services": {"heater": ok, "power": ok}},
        "bc-water": {**ok, "services": {"water": ok}},
        "bc-veilleuse": {"state": "warning", "since": at(40), "last_check": at(1),
                         "last_error": "disque à 91 %",
                         "services": {"nightlight": ok, "bluetooth": ok}},
    }}


def demo_logbook(now: dt.datetime) -> dict[str, Any]:
    """A logbook day in the logbook's JSON shape."""
    rows = [(7, 42, "bc-ui", "modes", "info", "mode cocoon (voix : je suis revenu)"),
            (9, 5, "bc-veilleuse", "nightlight", "info", "veilleuse éteinte (jour)"),
            (11, 30, "bc-watch", "watch", "warning", "pile faible : exterieur (2,1 V)"),
            (now.hour, max(now.minute - 12, 0), "bc-watch", "watch", "error",
             "dialogs sur bc-hq ne répond pas")]
    return {"day": now.date().isoformat(), "entries": [
        {"ts": now.replace(hour=h, minute=m, second=0, microsecond=0).isoformat(),
         "machine": mach, "service": svc, "level": lvl, "message": msg}
        for h, m, mach, svc, lvl, msg in rows if (h, m) <= (now.hour, now.minute)]}


def demo_series(now: dt.datetime, span_s: float = 86400.0) -> dict[str, list[Any]]:
    """Smooth curves for the charts page."""
    end = now.timestamp()
    xs = [end - span_s + i * span_s / 288 for i in range(289)]

    def daily(x: float, mean: float, amp: float, phase: float = 0.0) -> float:
        return mean + amp * math.sin((x / 86400.0 + phase) * 2 * math.pi)
    return {
        "temperature": [("salon", xs, [daily(x, 20.0, 1.0) for x in xs]),
                        ("chambre", xs, [daily(x, 18.0, 0.8, 0.1) for x in xs]),
                        ("extérieur", xs, [daily(x, 6.0, 4.0, 0.6) for x in xs])],
        "power": [("puissance", xs, [max(300.0, daily(x, 1200, 900, 0.3)) for x in xs])],
        "water": [("eau", xs, [max(0.0, daily(x, 4, 8, 0.2)) for x in xs])],
    }
