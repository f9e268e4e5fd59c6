"""Heating as tables: profile resolution, hysteresis, failsafe, absences, bad requests."""

from __future__ import annotations

import datetime as dt

import pytest

from core.config import Config
from core.messages.dialogs import Intent
from core.messages.heating import HeatingState, SetProfile
from core.messages.presence import ModeChanged
from core.messages.relays import RelayCommand
from core.messages.sensors import MutaUpdate
from core.messages.watch import Alert
from modes import heating
from modes.effects import EventRejected, Tick
from modes.heating import Heating
from modes.house import rules_from_config
from modes.records import evolve

CET = dt.timezone(dt.timedelta(hours=1))
MONDAY = dt.datetime(2026, 11, 23, 0, 0, tzinfo=CET)


@pytest.fixture
def rules(config: Config) -> heating.HeatingRules:
    return rules_from_config(config).heating


def at(hour: float) -> dt.datetime:
    return MONDAY + dt.timedelta(hours=hour)


def temp(value: float, unit: str = "salon") -> MutaUpdate:
    return MutaUpdate(unit, 0, temperature=value)


@pytest.mark.parametrize(("mode", "regime", "hour", "profile", "setpoint"), [
    ("cocoon", "work_week", 7.0, "comfort", 20.0),     # 06:30-08:30
    ("cocoon", "work_week", 12.0, "eco", 17.0),
    ("cocoon", "work_week", 18.0, "comfort", 20.0),
    ("cocoon", "work_week", 23.0, "eco", 17.0),
    ("cocoon", "holiday_week", 12.0, "comfort", 20.0),
    ("cocoon", "eco", 18.0, "eco", 17.0),
    ("lockout", "work_week", 18.0, "comfort", 20.0),   # unknown return: untouched
    ("asleep", "work_week", 18.0, "night", 18.0),
    ("asleep", "comfort", 3.0, "night", 18.0),
])
def test_profile_resolution(rules: heating.HeatingRules, mode: str, regime: str, hour: float,
                            profile: str, setpoint: float) -> None:
    state = Heating(rules, mode=mode, regime=regime)
    assert heating.resolve(state, at(hour))[:2] == (profile, setpoint)


def test_saturday_schedule(rules: heating.HeatingRules) -> None:
    saturday = MONDAY + dt.timedelta(days=5, hours=12)
    assert heating.resolve(Heating(rules), saturday)[0] == "comfort"


@pytest.mark.parametrize(("readings", "relay"), [
    ([19.6], True),                 # below 20 - 0.3
    ([19.8], False),                # inside the band: stays off
    ([19.0, 20.2], True),           # inside the band: stays on
    ([19.0, 20.4], False),          # above 20 + 0.3
])
def test_thermostat_hysteresis(rules: heating.HeatingRules, readings: list[float],
                               relay: bool) -> None:
    state = Heating(rules)
    for i, value in enumerate(readings):
        state, _ = heating.step(state, temp(value), at(18) + dt.timedelta(minutes=i))
    assert state.relay is relay


def test_relay_commands_and_state_only_on_change(rules: heating.HeatingRules) -> None:
    state, effects = heating.step(Heating(rules), temp(19.0), at(18))
    assert [type(e) for e in effects] == [RelayCommand, HeatingState]
    state, effects = heating.step(state, temp(19.1), at(18.1))
    assert effects == []


def test_failsafe_turns_off_and_recovers(rules: heating.HeatingRules) -> None:
    state, _ = heating.step(Heating(rules), temp(18.0), at(18))
    state, effects = heating.step(state, Tick(), at(18.4))
    assert state.relay and effects == []
    state, effects = heating.step(state, Tick(), at(18.51))
    assert not state.relay and state.failsafe
    assert RelayCommand("heater", False) in effects
    assert [(e.key, e.state) for e in effects if isinstance(e, Alert)] == \
        [("heater:failsafe", "problem")]
    state, effects = heating.step(state, Tick(), at(18.6))
    assert effects == []
    state, effects = heating.step(state, temp(18.0), at(18.7))
    assert state.relay and not state.failsafe
    assert [(e.key, e.state) for e in effects if isinstance(e, Alert)] == \
        [("heater:failsafe", "recovery")]


def test_night_uses_the_bedroom_sensor_with_fallback(rules: heating.HeatingRules) -> None:
    state = Heating(rules, mode="asleep")
    state, _ = heating.step(state, temp(21.0), at(23))
    state, _ = heating.step(state, temp(17.0, "chambre"), at(23.1))
    assert state.relay and state.sensor == "chambre"
    state, _ = heating.step(state, temp(21.0), at(23.7))  # bedroom stale: primary
    assert not state.relay and state.sensor == "salon"


@pytest.mark.parametrize(("hours_away", "forced"), [(11, True), (2, False)])
def test_absence_forces_eco_until_return_minus_preheat(rules: heating.HeatingRules,
                                                       hours_away: float, forced: bool) -> None:
    back = at(8 + hours_away)
    state, _ = heating.step(Heating(rules), temp(19.0), at(8))
    state, _ = heating.step(state, ModeChanged("lockout", at(8).isoformat(), "voice",
                                               return_at=back.isoformat()), at(8))
    assert (state.force == "force_eco") is forced
    if forced:
        assert state.force_until == back - dt.timedelta(hours=1)
        assert state.profile == "force_eco"
        state, _ = heating.step(state, ModeChanged("cocoon", at(12).isoformat(), "voice"), at(12))
        assert state.force == "" and state.profile == "eco"


def test_forced_profile_expires(rules: heating.HeatingRules) -> None:
    state, _ = heating.step(Heating(rules), temp(19.0), at(12))
    state, _ = heating.step(state, Intent("BasecampHeatingProfile", {
        "profile": "force_comfort", "until": at(13).isoformat()}, "voice"), at(12))
    assert state.profile == "force_comfort" and state.relay
    state, _ = heating.step(state, temp(19.0), at(13))
    assert state.profile == "eco" and state.force == "" and not state.relay


@pytest.mark.parametrize(("profile", "until"), [
    ("tropical", None), ("force_eco", "tomorrow"), ("force_eco", "2026-11-23T13:00:00"),
    ("force_eco", "2026-11-20T13:00:00+01:00")])
def test_bad_profile_requests_are_rejected(rules: heating.HeatingRules, profile: str,
                                           until: str | None) -> None:
    before = Heating(rules, regime="work_week")
    state, effects = heating.step(before, SetProfile(profile, until), at(12))
    assert any(isinstance(e, EventRejected) for e in effects)
    assert state.force == "" and state.regime == "work_week"


@pytest.mark.parametrize("value", [300.0, -80.0])
def test_impossible_temperatures_are_ignored(rules: heating.HeatingRules, value: float) -> None:
    state, _ = heating.step(Heating(rules), temp(19.0), at(18))
    new, effects = heating.step(state, temp(value), at(18.1))
    assert new.primary == 19.0 and [type(e) for e in effects] == [EventRejected]


def test_an_exception_leaves_the_relay_off(rules: heating.HeatingRules) -> None:
    state, _ = heating.step(Heating(rules), temp(18.0), at(18))
    assert state.relay
    broken = evolve(state, regime="no_such_schedule")  # resolve() will fail
    new, effects = heating.step(broken, Tick(), at(18.1))
    assert not new.relay and RelayCommand("heater", False) in effects


def test_comfort_at_night_alert(rules: heating.HeatingRules) -> None:
    state, _ = heating.step(Heating(rules, regime="comfort"), temp(20.0), at(0.5))
    state, effects = heating.step(state, Tick(), at(1.0))
    assert [(e.key, e.severity, e.state) for e in effects if isinstance(e, Alert)] == \
        [("heater:comfort_at_night", "minor", "problem")]
    state, effects = heating.step(state, Tick(), at(2.0))
    assert not [e for e in effects if isinstance(e, Alert)]
    state, effects = heating.step(state, temp(20.0), at(5.0))
    assert [(e.key, e.state) for e in effects if isinstance(e, Alert)] == \
        [("heater:comfort_at_night", "recovery")]


def test_persisted_form_round_trips(rules: heating.HeatingRules) -> None:
    state, _ = heating.step(Heating(rules), SetProfile("force_comfort", at(20).isoformat()),
                            at(12))
    back = heating.from_plain(rules, heating.to_plain(state))
    assert (back.force, back.force_until, back.regime) == ("force_comfort", at(20), "work_week")
