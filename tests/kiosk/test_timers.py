"""Timers and reminders on the kiosk: the countdowns of the latest `TimersState`, counted down
with the house clock between two messages (pure, then in the offscreen window)."""

from __future__ import annotations

import datetime as dt

from core.clock import ManualClock
from core.messages.timers import TimersState
from kiosk import tiles
from kiosk.settings import KioskSettings
from kiosk.texts import Texts
from kiosk.view_model import Screen, countdowns, fold
from kiosk.window import KioskWindow
from tests.kiosk.helpers import SILENT_S, T0, env, raw


def _state(at: dt.datetime) -> TimersState:
    return TimersState(at=at.isoformat(), timers=[
        {"id": "a", "kind": "timer", "name": "pâtes", "message": "", "room": "cuisine",
         "due": (at + dt.timedelta(seconds=600)).isoformat(), "seconds": 600, "left_s": 600.0,
         "paused": False},
        {"id": "b", "kind": "timer", "name": "", "message": "", "room": "salon",
         "due": (at + dt.timedelta(seconds=300)).isoformat(), "seconds": 900, "left_s": 300.0,
         "paused": True},
        {"id": "c", "kind": "reminder", "name": "", "message": "sortir les poubelles",
         "room": "salon", "due": (at + dt.timedelta(hours=5)).isoformat(), "seconds": 0,
         "left_s": 18000.0, "paused": False}])


def test_countdowns_follow_the_house_clock_not_the_message() -> None:
    screen = fold(Screen(), env(_state(T0)), T0)
    later = T0 + dt.timedelta(seconds=125)
    shown = countdowns(screen, later)
    assert [(c.label, c.left_s, c.paused) for c in shown] == [
        ("", 300.0, True), ("pâtes", 475.0, False), ("sortir les poubelles", 17875.0, False)]
    view = tiles.timers_tile(screen, tiles.Context(later, KioskSettings(), Texts("fr"), SILENT_S))
    assert view is not None and view.title == "3 minuteurs et rappels"
    assert view.value == "5:00"  # the soonest: paused, it does not move
    assert view.detail.startswith("minuteur 5:00 (en pause) · pâtes 7:55 · sortir les poubelles")


def test_no_timer_no_tile_and_a_bad_message_is_a_fault() -> None:
    c = tiles.Context(T0, KioskSettings(), Texts("fr"), SILENT_S)
    assert tiles.timers_tile(Screen(), c) is None
    bad = fold(Screen(), raw(TimersState.TOPIC, {"at": "hier", "timers": []}), T0)
    assert bad.timers is None and "timers" in bad.faults


def test_the_window_counts_down(qtbot) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(T0)
    window = KioskWindow(KioskSettings(), Texts("fr"), clock.now, silent_after_s=SILENT_S)
    qtbot.addWidget(window)
    window.fit_to(1024, 600)
    window.show()
    tile = window.home.tiles["timers"]
    assert not tile.isVisible()
    window.apply([env(TimersState(at=T0.isoformat(), timers=_state(T0).timers[:1]))])
    assert tile.isVisible() and (tile.view.title, tile.view.value) == ("Minuteur", "10:00")
    first = tile.value.text()
    clock.advance(61)
    window.tick()  # the kiosk's every-second redraw
    assert tile.view.value == "8:59" and tile.value.text() != first
    clock.advance(600)
    window.tick()
    assert tile.view.value == "0:00" and tile.view.state == "warn"
    window.apply([env(TimersState(at=clock.now().isoformat(), timers=[]))])  # it rang
    assert not tile.isVisible()
