"""Night lights, lightpack and scheduler rules as tables."""

from __future__ import annotations

import datetime as dt

import pytest

from core.messages.dialogs import Intent
from core.messages.lightpack import LightpackLock
from core.messages.nightlight import NightLightMode
from core.messages.presence import ModeChanged
from core.messages.relays import RelayCommand
from core.messages.sensors import MutaUpdate
from core.messages.voice import Say
from core.messages.watch import Alert
from modes import lightpack, nightlight, scheduler
from modes.effects import EventRejected, Prune, Report, Tick
from modes.lightpack import Lightpack, LightpackRules
from modes.nightlight import NightLight, NightLightRules
from modes.scheduler import Scheduler, SchedulerRules

CET = dt.timezone(dt.timedelta(hours=1))
DAY = dt.datetime(2026, 11, 24, 0, 0, tzinfo=CET)  # Tuesday; sun 08:10-17:03 in Paris


def at(hour: float) -> dt.datetime:
    return DAY + dt.timedelta(hours=hour)


def lux(value: float) -> MutaUpdate:
    return MutaUpdate("exterieur", 0, light=value)


# ---- night lights ---------------------------------------------------------------------------
@pytest.mark.parametrize(("readings", "lit"), [
    ([5.0], True), ([20.0], False), ([5.0, 20.0], True), ([5.0, 40.0], False),
    ([40.0, 20.0], False), ([40.0, 9.0], True)])
def test_auto_hysteresis(readings: list[float], lit: bool) -> None:
    state = NightLight(NightLightRules())
    for i, value in enumerate(readings):  # 20 min apart: beyond the hold time
        state, _ = nightlight.step(state, lux(value), at(17.5) + dt.timedelta(minutes=20 * i))
    assert state.lit is lit


def test_hold_time_and_relay_commands() -> None:
    state, effects = nightlight.step(NightLight(NightLightRules()), lux(2.0), at(18))
    assert RelayCommand("veilleuse", True) in effects
    state, effects = nightlight.step(state, lux(100.0), at(18.1))
    assert state.lit and not any(isinstance(e, RelayCommand) for e in effects)
    state, effects = nightlight.step(state, Tick(), at(18 + 10 / 60))
    assert not state.lit and RelayCommand("veilleuse", False) in effects


def test_without_a_sensor_it_follows_the_sun() -> None:
    state, _ = nightlight.step(NightLight(NightLightRules()), Tick(), at(12))
    assert not state.lit and state.daylight
    state, _ = nightlight.step(state, Tick(), at(17.5))
    assert state.lit and not state.daylight


def test_the_suns_guess_at_start_is_no_switch_to_hold() -> None:
    """Started after sunset with no reading yet, the lights guess dark and go on; the first
    real reading (bright: a lit street, a full moon) switches them off at once, not after
    the hold time a real switch would impose."""
    state, effects = nightlight.step(NightLight(NightLightRules()), Tick(), at(17.5))
    assert state.lit and RelayCommand("veilleuse", True) in effects
    state, effects = nightlight.step(state, lux(100.0), at(17.5 + 1 / 60))
    assert not state.lit and RelayCommand("veilleuse", False) in effects
    state, effects = nightlight.step(state, lux(2.0), at(17.5 + 2 / 60))
    assert not state.lit  # a measured switch is held, as before


@pytest.mark.parametrize(("intent", "name", "mode"), [
    ("HassTurnOn", "veilleuse", "on"), ("HassTurnOff", "Veilleuse", "off")])
def test_intents_choose_the_mode(intent: str, name: str, mode: str) -> None:
    state, _ = nightlight.step(NightLight(NightLightRules()), Intent(intent, {"name": name}),
                               at(12))
    assert state.mode == mode and state.lit is (mode == "on")


def test_other_devices_and_bad_values_are_ignored() -> None:
    base, _ = nightlight.step(NightLight(NightLightRules()), Tick(), at(12))
    state, effects = nightlight.step(base, Intent("HassTurnOn", {"name": "lumière du salon"}),
                                     at(12))
    assert state is base and effects == []
    for event in (lux(-3.0), lux(1e9), NightLightMode("disco")):
        state, effects = nightlight.step(base, event, at(12))
        assert [type(e) for e in effects] == [EventRejected] and state.lit == base.lit


@pytest.mark.parametrize(("hour", "value", "warning"), [
    (12, 2.0, "dark_before_sunset"), (12, 500.0, ""), (8.2, 1.0, ""),  # twilight: no verdict
    (23, 800.0, "light_before_sunrise"), (23, 0.0, ""), (6.5, 800.0, "light_before_sunrise")])
def test_sun_sanity_warnings(hour: float, value: float, warning: str) -> None:
    state, effects = nightlight.step(NightLight(NightLightRules()), lux(value), at(hour))
    assert state.warning == warning
    keys = [e.key for e in effects if isinstance(e, Alert)]
    assert keys == ([f"nightlight:{warning}"] if warning else [])


# ---- lightpack ------------------------------------------------------------------------------
def _alert(key: str, severity: str, state: str) -> Alert:
    return Alert(key, severity, state, "", "watch")


def test_colours_overlay_and_cleared_hint() -> None:
    state, effects = lightpack.step(Lightpack(LightpackRules()), Tick(), at(12))
    assert (state.colour, state.overlay) == ("warm_white", "")
    state, _ = lightpack.step(state, ModeChanged("asleep", "", "voice"), at(12))
    assert state.colour == "blue"
    state, _ = lightpack.step(state, _alert("a", "minor", "problem"), at(12))
    assert state.overlay == "orange"
    state, _ = lightpack.step(state, _alert("b", "major", "problem"), at(12))
    assert state.overlay == "red"
    state, _ = lightpack.step(state, _alert("b", "major", "recovery"), at(13))
    assert state.overlay == "orange"
    state, _ = lightpack.step(state, _alert("a", "minor", "recovery"), at(14))
    assert state.overlay == "orange"  # cleared, still hinted
    state, effects = lightpack.step(state, Tick(), at(26.1))
    assert state.overlay == "" and effects[-1].overlay == ""  # type: ignore[attr-defined]


def test_lock_shows_its_colour_until_expiry_and_refuses_others() -> None:
    state, _ = lightpack.step(Lightpack(LightpackRules()), LightpackLock("dialog", 60, "orange"),
                              at(12))
    assert (state.colour, state.locked_by) == ("orange", "dialog")
    same, effects = lightpack.step(state, LightpackLock("kiosk", 60, "blue"), at(12))
    assert same.locked_by == "dialog" and [type(e) for e in effects] == [EventRejected]
    state, _ = lightpack.step(state, Tick(), at(12) + dt.timedelta(seconds=61))
    assert (state.colour, state.locked_by) == ("warm_white", "")
    state, _ = lightpack.step(state, LightpackLock("kiosk", 99999, "blue"), at(13))
    assert state.lock_until == at(13) + dt.timedelta(minutes=10)  # capped


def test_unknown_alert_state_is_rejected() -> None:
    state, effects = lightpack.step(Lightpack(LightpackRules()), _alert("x", "huge", "problem"),
                                    at(12))
    assert state.problems == () and EventRejected in [type(e) for e in effects]


# ---- scheduler ------------------------------------------------------------------------------
def _sched(mode: str = "cocoon", silence: bool = False) -> Scheduler:
    return Scheduler(SchedulerRules(), mode=mode, silence=silence)


@pytest.mark.parametrize(("mode", "silence", "spoken"), [
    ("cocoon", False, True), ("cocoon", True, False), ("lockout", False, False),
    ("asleep", False, False)])
def test_half_hourly_time(mode: str, silence: bool, spoken: bool) -> None:
    state, effects = scheduler.step(_sched(mode, silence), Tick(), at(14.5))
    assert ([e.text for e in effects if isinstance(e, Say)] == ["Il est 14 h 30."]) is spoken
    state, effects = scheduler.step(state, Tick(), at(14.6))
    assert effects == []


def test_late_or_out_of_hours_slots_are_skipped() -> None:
    _, effects = scheduler.step(_sched(), Tick(), at(14.5 + 6 / 60))  # 6 min late
    assert effects == []
    _, effects = scheduler.step(_sched(), Tick(), at(23.0))
    assert effects == []


@pytest.mark.parametrize(("mode", "expected"), [
    ("cocoon", [Report(at(19.0), True, ("sms",))]),
    ("lockout", [Report(at(19.0), False, ("sms",))]),  # away: sent, not spoken
])
def test_a_report_sent_on_schedule_whoever_is_home(mode: str, expected: list[Report]) -> None:
    rules = SchedulerRules(reports=(19 * 60,), sent_reports=(19 * 60,))
    _, effects = scheduler.step(Scheduler(rules, mode=mode), Tick(), at(19.0))
    assert [e for e in effects if isinstance(e, Report)] == expected
    _, effects = scheduler.step(Scheduler(SchedulerRules(), mode="lockout"), Tick(), at(19.0))
    assert not [e for e in effects if isinstance(e, Report)]  # spoken only: nobody to hear


def test_reports_and_weekly_pruning() -> None:
    state, effects = scheduler.step(_sched(), Tick(), at(19.0))
    assert any(isinstance(e, Report) for e in effects)
    sunday = DAY + dt.timedelta(days=5, hours=3, minutes=31)
    state, effects = scheduler.step(state, Tick(), sunday)
    prunes = [e for e in effects if isinstance(e, Prune)]
    assert len(prunes) == 1 and prunes[0].before == sunday - dt.timedelta(days=400)
    state, effects = scheduler.step(state, Tick(), sunday + dt.timedelta(hours=1))
    assert not any(isinstance(e, Prune) for e in effects)
