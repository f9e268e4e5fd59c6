"""What the report says of the family's messages nobody has heard yet (pure fold + render)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core.messages.dialogs import FamilyMessage
from core.messages.presence import ModeChanged
from dialogs.replies import Style
from dialogs.report import Snapshot, render_report
from dialogs.state import fold

NOW = dt.datetime(2026, 3, 10, 18, 0, tzinfo=ZoneInfo("Europe/Paris"))
CLAIRE = "+33600000002"


def test_messages_received_away_are_listed_until_someone_is_home() -> None:
    snap = fold(Snapshot(), ModeChanged("lockout", NOW.isoformat(), "sms"), NOW)
    snap = fold(snap, FamilyMessage(CLAIRE, "Claire", "je rentre tard"), NOW)
    assert "1 message(s) en attente : Claire : « je rentre tard »." in render_report(
        snap, NOW, "fr", Style.SMS)
    assert 'Claire: "je rentre tard"' in render_report(snap, NOW, "en")
    snap = fold(snap, ModeChanged("cocoon", NOW.isoformat(), "voice"), NOW)  # read out now
    assert snap.notes == () and "en attente" not in render_report(snap, NOW, "fr")


def test_messages_heard_at_once_are_not_listed() -> None:
    snap = fold(Snapshot(), ModeChanged("cocoon", NOW.isoformat(), "voice"), NOW)
    snap = fold(snap, FamilyMessage(CLAIRE, "Claire", "je rentre tard"), NOW)
    assert snap.notes == ()


def test_a_silenced_night_keeps_them() -> None:
    snap = fold(Snapshot(), ModeChanged("asleep", NOW.isoformat(), "voice", silence=True), NOW)
    snap = fold(snap, FamilyMessage(CLAIRE, "Claire", "bonne nuit"), NOW)
    assert [n.text for n in snap.notes] == ["bonne nuit"]
    snap = fold(snap, ModeChanged("asleep", NOW.isoformat(), "voice", silence=False), NOW)
    assert snap.notes == ()
