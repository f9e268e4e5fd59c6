"""The pure fold of bus messages into a Screen, with plain messages."""

from __future__ import annotations

import pytest

from core.messages.dialogs import Reply
from core.messages.heating import HeatingState
from core.messages.lightpack import LightpackState
from core.messages.log import LogEntry
from core.messages.nightlight import NightLightState
from core.messages.presence import ModeChanged, PirMotion
from core.messages.sensors import MutaUpdate, PowerUpdate, WaterUpdate
from core.messages.voice import Spoken, Transcript, Wake
from core.messages.watch import Alert
from kiosk.view_model import Screen, fold, fold_all, request, to_plain
from tests.kiosk.helpers import T0, at, env, raw

MODE = ModeChanged("asleep", "2024-03-12T13:00:00+01:00", "voice", silence=True)


def test_mode_is_kept_with_its_arrival_time() -> None:
    s = fold(Screen(), env(MODE), T0)
    assert s.mode is not None and s.mode.message.mode == "asleep"
    assert s.mode.at == T0 and s.received == 1 and not s.faults


@pytest.mark.parametrize("topic,data,tile", [
    ("basecamp.presence.mode", {"mode": "party", "since": "x", "changed_by": "voice"}, "mode"),
    ("basecamp.presence.mode", {"mode": "cocoon"}, "mode"),
    ("basecamp.heating.state", {"profile": "eco", "setpoint": "warm", "relay": True}, "heating"),
    ("basecamp.nightlight.state", {"mode": "blink", "lit": True}, "night_light"),
    ("basecamp.lightpack.state", {"colour": "red", "rgb": [300, 0]}, "lightpack"),
    ("basecamp.muta.update", {"unit": "salon"}, "temperatures"),
    ("basecamp.water.update", {"litres": -3, "slot_s": 60, "total_litres": 1}, "water"),
    ("basecamp.watch.alert", {"key": "k", "severity": "major", "state": "??", "message": "m"},
     "incidents"),
    ("basecamp.log.info", {"machine": "bc-hq"}, "log"),
])
def test_a_bad_message_is_a_fault_and_keeps_the_last_good_value(topic, data, tile) -> None:
    s = fold(Screen(), env(MODE), T0)
    s2 = fold(s, raw(topic, data), at(1))
    assert s2.faults[tile].at == at(1) and s2.faults[tile].count == 1
    assert s2.mode == s.mode
    assert fold(s2, raw(topic, data), at(2)).faults[tile].count == 2


def test_unknown_topics_are_counted_but_change_nothing() -> None:
    s = fold(Screen(), raw("basecamp.something.else", {"x": 1}), T0)
    assert s.received == 1 and s.last_message == T0 and not s.faults


def test_temperatures_by_unit() -> None:
    s = fold_all(Screen(), [env(MutaUpdate("salon", 1, temperature=20.5)),
                            env(MutaUpdate("exterieur", 2, temperature=4.0, light=300.0)),
                            env(MutaUpdate("salon", 3, temperature=21.0))], T0)
    assert s.readings["salon"].message.temperature == 21.0
    assert s.readings["exterieur"].message.light == 300.0


def test_power_and_water_of_the_day_restart_at_midnight() -> None:
    s = Screen()
    s = fold(s, env(PowerUpdate(1200.0, index_wh={"HCHC": 1000, "HCHP": 5000})), at(0))
    s = fold(s, env(PowerUpdate(900.0, index_wh={"HCHC": 1000, "HCHP": 7500})), at(60))
    s = fold(s, env(WaterUpdate(10.0, 60, 100.0)), at(61))
    s = fold(s, env(WaterUpdate(2.5, 60, 102.5)), at(62))
    assert s.consumption.day_kwh == 2.5 and s.consumption.power_va == 900.0
    assert s.consumption.water_litres == 12.5
    s = fold(s, env(PowerUpdate(500.0, index_wh={"HCHC": 8600, "HCHP": 7500})), at(11 * 60))
    assert s.consumption.day_kwh == 7.6  # 01:00 next day: counted from the last index
    s = fold(s, env(WaterUpdate(1.0, 60, 103.5)), at(11 * 60))
    assert s.consumption.day == "2024-03-13" and s.consumption.water_litres == 1.0


def test_the_spoken_exchange_in_order() -> None:
    s = fold_all(Screen(), [env(Wake("ok maison")), env(Transcript("je pars"))], T0)
    assert (s.exchange.keyword, s.exchange.transcript, s.exchange.answer) == \
        ("ok maison", "je pars", "")
    s = fold(s, env(Reply("Tu reviens quand ?", "sms")), at(1))
    assert s.exchange.answer == ""
    s = fold(s, env(Reply("Tu reviens quand ?", "voice")), at(1))
    s = fold(s, env(Spoken("autre chose")), at(1))
    assert s.exchange.answer == "Tu reviens quand ?" and s.exchange.at == at(1)
    s = fold(s, env(Wake("ok maison")), at(2))
    assert s.exchange.transcript == "" and s.exchange.answer == ""


def test_incidents_open_remind_and_close() -> None:
    s = fold(Screen(), env(Alert("svc:a", "major", "problem", "logbook down")), at(0))
    s = fold(s, env(Alert("svc:a", "major", "reminder", "logbook down")), at(5))
    assert s.incidents["svc:a"].since == at(0) and s.incidents["svc:a"].reminders == 1
    s = fold(s, env(Alert("svc:a", "major", "recovery", "logbook back")), at(6))
    assert not s.incidents


def test_pending_requests_clear_on_their_state_message() -> None:
    s = request(request(Screen(), "mode", "lockout", T0), "heating", "force_eco", T0)
    s = fold(s, env(HeatingState("force_eco", 16.0, False)), at(1))
    assert set(s.pending) == {"mode"}
    s = fold(s, env(NightLightState("on", True)), at(1))
    assert set(s.pending) == {"mode"}
    s = fold(s, env(MODE), at(2))
    assert not s.pending


def test_motion_and_log_lines_and_plain_export() -> None:
    s = fold_all(Screen(log_limit=2), [env(PirMotion("kiosk", 1)), env(PirMotion("entry", 0)),
                                       env(LightpackState("blue", [0, 0, 255]))], T0)
    for i in range(3):
        s = fold(s, env(LogEntry("bc-hq", "modes", "info", f"line {i}")), at(i))
    assert s.motion == {"kiosk": T0}
    assert [line.message for line in s.log] == ["line 1", "line 2"]
    plain = to_plain(s)
    assert plain["lightpack"]["message"]["rgb"] == [0, 0, 255]
    assert plain["motion"]["kiosk"] == T0.isoformat()


@pytest.mark.parametrize("reading", [
    MutaUpdate("salon", 2, temperature=1e9), MutaUpdate("salon", 2, temperature=-1e9),
    MutaUpdate("salon", 2, light=-50.0), MutaUpdate("salon", 2, humidity=140.0)])
def test_an_impossible_reading_is_never_shown_as_one(reading: MutaUpdate) -> None:
    s = fold(Screen(), env(MutaUpdate("salon", 1, temperature=19.5)), at(0))
    after = fold(s, env(reading), at(1))
    assert after.readings["salon"].message.temperature == 19.5  # the last real one, aging
    assert fold(after, env(PowerUpdate(-3.0)), at(2)).consumption == after.consumption


def test_subscriptions_and_dispatch_follow_the_message_classes() -> None:
    """The kiosk subscribes to each shown class's TOPIC (a prefix with a dot for classes whose
    topics carry a suffix of their own) and folds what arrives on it with that class."""
    from core.messages.alive import Heartbeat
    from kiosk.view_model import HANDLERS, TOPICS, handler_for, subscription
    assert tuple(subscription(cls) for cls, *_ in HANDLERS) == TOPICS
    assert subscription(ModeChanged) == ModeChanged.TOPIC
    assert subscription(Heartbeat) == Heartbeat.TOPIC + "."
    assert subscription(LogEntry) == LogEntry.TOPIC + "."
    beat = Heartbeat("logbook", "bc-hq", "1", 1.0)
    for message in (MODE, beat, LogEntry("bc-hq", "modes", "info", "started")):
        assert sum(message.topic().startswith(t) for t in TOPICS) == 1, message
        found = handler_for(message.topic())
        assert found is not None and found[1] is type(message)
    assert handler_for(Heartbeat.TOPIC + "x.bc-hq.logbook") is None
    assert handler_for(ModeChanged.TOPIC + "_request") is None
