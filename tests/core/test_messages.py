"""Messages: typed round trips through the envelope; malformed frames are refused clearly."""

from __future__ import annotations

import pytest

from core.messages import Envelope, MessageError, Source, decode, encode_message
from core.messages.alive import Heartbeat
from core.messages.dialogs import Intent
from core.messages.log import LogEntry
from core.messages.presence import Mode, ModeChanged
from core.messages.sensors import MutaUpdate
from core.messages.watch import Alert, Notice, Severity

SRC = Source("bc-hq", "muta")


@pytest.mark.parametrize("message", [
    MutaUpdate("salon", 7, temperature=19.5, battery=2.9),
    ModeChanged("lockout", "2026-11-21T08:00:00+01:00", "voice", return_at=None),
    Intent("BasecampLeave", {"return_at": "2026-11-21T19:00:00+01:00"}, channel="sms"),
    Heartbeat("heater", "bc-power", "0.1.0", 12.5),
    LogEntry("bc-ui", "kiosk", "warning", "écran ré-allumé ✓"),
])
def test_round_trip(message: object) -> None:
    frame = encode_message(message, SRC, 1.5)  # type: ignore[arg-type]
    envelope = decode(frame)
    assert envelope.topic == message.topic()  # type: ignore[attr-defined]
    assert envelope.src == SRC and envelope.ts == 1.5 and envelope.v == 1
    assert type(message).from_envelope(envelope) == message
    assert decode(envelope.encode()) == envelope


def test_topics_carry_their_detail() -> None:
    assert Heartbeat("heater", "bc-power", "1", 0).topic() == "basecamp.alive.bc-power.heater"
    assert Intent("BasecampSleep").topic() == "basecamp.intent.BasecampSleep"
    assert LogEntry("m", "s", "error", "x").topic() == "basecamp.log.error"


@pytest.mark.parametrize(("frame", "reason"), [
    (b"basecamp.x", "separator"),
    (b"basecamp.x {not json", "not JSON"),
    (b"basecamp.x [1, 2]", "not a JSON object"),
    (b'basecamp.x {"topic": "basecamp.x", "ts": 1, "src": {}}', "lacks 'data'"),
    (b'basecamp.x {"topic": "basecamp.y", "ts": 1, "src": {}, "data": {}}', "does not match"),
    (b'basecamp.x {"topic": "basecamp.x", "ts": "now", "src": {}, "data": {}}', "wrong types"),
    (b'basecamp.x {"topic": "basecamp.x", "ts": 1, "src": {}, "data": {}, "v": 9}', "newer"),
    (b"\xff\xfe \x00\x01", "not JSON"),
    # the source the forwarder checked is the first one; a second, or one spelt otherwise, is
    # what a liar would add after it
    (b'basecamp.x {"topic":"basecamp.x","ts":1,"src":{"host":"bc-water","service":"w"},'
     b'"data":{},"src":{"host":"bc-hq","service":"dialogs"}}', "where the wire format"),
    (b'basecamp.x {"topic":"basecamp.x","ts":1,"src":{"host":"bc-water"},'
     b'"\\u0073rc":{"host":"bc-hq"},"data":{}}', "where the wire format"),
    (b'basecamp.x {"topic": "basecamp.x", "ts": 1, "src": {"host": "bc-hq"}, "data": {}}',
     "where the wire format"),
])
def test_malformed_frames(frame: bytes, reason: str) -> None:
    with pytest.raises(MessageError, match=reason):
        decode(frame)


@pytest.mark.parametrize(("data", "reason"), [
    ({"seq": 1}, "lacks unit"),
    ({"unit": "salon", "seq": "one"}, "seq: unexpected str"),
    ({"unit": "salon", "seq": 1, "temperature": "hot"}, "temperature: unexpected str"),
    ({"unit": "salon", "seq": True}, "seq: unexpected bool"),
])
def test_typed_messages_refuse_wrong_data(data: dict[str, object], reason: str) -> None:
    with pytest.raises(MessageError, match=reason):
        MutaUpdate.from_dict(data)


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    msg = MutaUpdate.from_dict({"unit": "salon", "seq": 1, "colour": "blue"})
    assert msg == MutaUpdate("salon", 1)


def test_int_accepted_where_float_expected_and_log_level_checked() -> None:
    assert MutaUpdate.from_dict({"unit": "a", "seq": 1, "temperature": 20}).temperature == 20
    with pytest.raises(MessageError):
        LogEntry.from_dict({"machine": "m", "service": "s", "level": "loud", "message": "x"})
    assert Envelope("t", {}, SRC, 0.0).to_dict()["src"] == {"host": "bc-hq", "service": "muta"}


def test_states_arrive_as_their_enums_and_unknown_ones_as_text() -> None:
    mode = ModeChanged.from_dict({"mode": "lockout", "since": "", "changed_by": "voice"})
    assert mode.mode is Mode.LOCKOUT
    alert = Alert.from_dict({"key": "k", "severity": "major", "state": "recovery", "message": ""})
    assert (alert.severity, alert.state) == (Severity.MAJOR, Notice.RECOVERY)
    assert type(alert.severity) is Severity and type(alert.state) is Notice
    assert Alert.from_envelope(decode(encode_message(alert, SRC, 0.0))) == alert
    party = ModeChanged.from_dict({"mode": "party", "since": "", "changed_by": "voice"}).mode
    assert party == "party" and type(party) is str  # the receivers judge it, as before
    with pytest.raises(MessageError, match="severity: unexpected int"):
        Alert.from_dict({"key": "k", "severity": 2, "state": "problem", "message": ""})
