"""The presence machine as tables: transitions, guards, entry/exit effects, bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from core.messages.dialogs import Intent
from core.messages.presence import (
    BluetoothPresence,
    BluetoothScanRequest,
    Mode,
    ModeChanged,
    PirMotion,
)
from core.messages.voice import Say
from core.messages.watch import Alert
from modes import presence
from modes.effects import EventRejected, ForceMode, Tick
from modes.presence import Presence, PresenceRules

CET = dt.timezone(dt.timedelta(hours=1))
T0 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=CET)
RULES = PresenceRules(lights=frozenset({"veilleuse", "lumière du salon"}))


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def state(mode: Mode = Mode.COCOON, **kw: object) -> Presence:
    return Presence(RULES, mode=mode, since=T0, **kw)  # type: ignore[arg-type]


def kinds(effects: list[object]) -> list[str]:
    return [type(e).__name__ for e in effects]


@pytest.mark.parametrize(("mode", "intent", "expected"), [
    (Mode.COCOON, "BasecampLeave", Mode.LOCKOUT),
    (Mode.ASLEEP, "BasecampLeave", Mode.LOCKOUT),
    (Mode.LOCKOUT, "BasecampReturn", Mode.COCOON),
    (Mode.ASLEEP, "BasecampReturn", Mode.COCOON),
    (Mode.ASLEEP, "BasecampWake", Mode.COCOON),
    (Mode.LOCKOUT, "BasecampWake", Mode.COCOON),
    (Mode.COCOON, "BasecampSleep", Mode.ASLEEP),
    (Mode.LOCKOUT, "BasecampSleep", Mode.ASLEEP),
])
def test_transition_table(mode: Mode, intent: str, expected: Mode) -> None:
    new, effects = presence.step(state(mode), Intent(intent, {}, "kiosk"), at(1))
    assert new.mode == expected and new.since == at(1) and new.changed_by == "kiosk"
    changed = [e for e in effects if isinstance(e, ModeChanged)]
    assert len(changed) == 1 and changed[0].mode == expected.value


@pytest.mark.parametrize(("mode", "intent"), [
    (Mode.COCOON, "BasecampReturn"), (Mode.COCOON, "BasecampWake"),
    (Mode.ASLEEP, "BasecampSleep")])
def test_impossible_transitions_are_refused_by_name(mode: Mode, intent: str) -> None:
    old = state(mode)
    new, effects = presence.step(old, Intent(intent, {}, "voice"), at(1))
    assert new is old
    assert len(effects) == 1 and isinstance(effects[0], EventRejected)
    assert effects[0].reason == f"can't {intent} when in {mode}"


def test_leave_keeps_a_future_return_and_rejects_a_past_one() -> None:
    back = at(600).isoformat()
    new, effects = presence.step(state(), Intent("BasecampLeave", {"return_at": back}, "voice"),
                                 at(1))
    assert new.return_at == at(600) and effects[-1].return_at == back  # type: ignore[union-attr]
    new, effects = presence.step(state(), Intent("BasecampLeave",
                                                 {"return_at": at(-5).isoformat()}, "voice"), at(1))
    assert new.mode == Mode.LOCKOUT and new.return_at is None
    assert "EventRejected" in kinds(effects)
    new, effects = presence.step(state(), Intent("BasecampLeave", {"return_at": "tonight"}, "sms"),
                                 at(1))
    assert new.return_at is None and new.changed_by == "sms" and "EventRejected" in kinds(effects)


def test_asleep_silences_and_waking_restores_the_previous_silence() -> None:
    s, _ = presence.step(state(), Intent("BasecampSleep", {}, "voice"), at(1))
    assert s.silence is True
    s, _ = presence.step(s, Intent("BasecampWake", {}, "voice"), at(400))
    assert s.silence is False
    s = state(silence=True)
    s, _ = presence.step(s, Intent("BasecampSleep", {}, "voice"), at(1))
    s, _ = presence.step(s, Intent("BasecampWake", {}, "voice"), at(400))
    assert s.silence is True


def test_silence_intent() -> None:
    s, effects = presence.step(state(), Intent("BasecampSilence", {"state": "on"}, "push"), at(1))
    assert s.silence and s.mode == Mode.COCOON and effects[0].silence  # type: ignore[union-attr]
    s2, effects = presence.step(s, Intent("BasecampSilence", {"state": "loud"}, "push"), at(2))
    assert s2 is s and kinds(effects) == ["EventRejected"]


def test_entry_motion_scan_then_known_phone_greets() -> None:
    s = state(Mode.LOCKOUT)
    s, effects = presence.step(s, PirMotion("entry", 1), at(2))  # within the exit delay
    assert effects == [] and s.scan_until is None
    s, effects = presence.step(s, PirMotion("entry", 1), at(60))
    assert kinds(effects) == ["BluetoothScanRequest"] and s.scan_until == at(62)
    s, effects = presence.step(s, PirMotion("indoor", 1), at(60.5))  # scan already asked
    assert effects == []
    s, effects = presence.step(s, BluetoothPresence("phone-owner", True), at(61))
    assert s.mode == Mode.COCOON and s.changed_by == "sensor" and s.scan_until is None
    assert any(isinstance(e, Say) for e in effects)


def test_entry_motion_without_a_phone_is_one_intrusion_alert() -> None:
    s = state(Mode.LOCKOUT)
    s, _ = presence.step(s, PirMotion("entry", 1), at(60))
    s, effects = presence.step(s, Tick(), at(61.9))
    assert effects == []
    s, effects = presence.step(s, Tick(), at(62.1))
    alerts = [e for e in effects if isinstance(e, Alert)]
    assert [(a.key, a.severity, a.state) for a in alerts] == [("modes:intrusion", "major",
                                                               "problem")]
    s, effects = presence.step(s, Tick(), at(63))
    assert effects == [] and s.intrusion
    s, effects = presence.step(s, Intent("BasecampReturn", {}, "sms"), at(90))
    assert [(a.key, a.state) for a in effects if isinstance(a, Alert)] == \
        [("modes:intrusion", "recovery")]
    assert not s.intrusion


def test_phone_seen_just_before_the_motion_counts() -> None:
    s = state(Mode.LOCKOUT)
    s, _ = presence.step(s, BluetoothPresence("phone-owner", True), at(30))
    s, effects = presence.step(s, PirMotion("entry", 1), at(31))
    assert s.mode == Mode.COCOON
    assert not any(isinstance(e, BluetoothScanRequest) for e in effects)


@pytest.mark.parametrize(("event", "reason"), [
    (PirMotion("garage", 1), "unknown PIR sensor"),
    (BluetoothPresence("phone-stranger", True), "unknown Bluetooth device"),
    (ForceMode("party"), "unknown mode"),
])
def test_bad_input_is_rejected_not_raised(event: object, reason: str) -> None:
    old = state(Mode.LOCKOUT)
    new, effects = presence.step(old, event, at(60))
    assert new.mode == Mode.LOCKOUT and kinds(effects) == ["EventRejected"]
    assert reason in effects[0].reason  # type: ignore[attr-defined]


@pytest.mark.parametrize(("mode", "channel", "hour", "alert"), [
    (Mode.LOCKOUT, "voice", 22, True),
    (Mode.LOCKOUT, "kiosk", 3, True),
    (Mode.LOCKOUT, "sms", 22, False),    # the owner, remotely
    (Mode.LOCKOUT, "voice", 12, False),  # daytime
    (Mode.COCOON, "voice", 22, False),   # someone is home
])
def test_light_at_night_in_lockout(mode: Mode, channel: str, hour: int, alert: bool) -> None:
    now = T0.replace(hour=hour)
    s = Presence(RULES, mode=mode, since=now - dt.timedelta(hours=2))
    _, effects = presence.step(s, Intent("HassTurnOn", {"name": "Lumière du salon"}, channel),
                               now)
    assert any(isinstance(e, Alert) and e.key == "modes:light_at_night" for e in effects) == alert


def test_persisted_form_round_trips() -> None:
    s, _ = presence.step(state(), Intent("BasecampLeave", {"return_at": at(600).isoformat()},
                                         "voice"), at(1))
    s, _ = presence.step(s, PirMotion("entry", 1), at(60))
    back = presence.from_plain(RULES, presence.to_plain(s))
    assert presence.to_plain(back) == presence.to_plain(s)
    assert back.mode == Mode.LOCKOUT and back.scan_until == s.scan_until
    with pytest.raises(ValueError):
        presence.from_plain(RULES, {"mode": "party"})
