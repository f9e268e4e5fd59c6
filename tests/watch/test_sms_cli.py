"""`basecamp sms receive` writes an SMS the Gammu dummy phone really reads back."""

from __future__ import annotations

from pathlib import Path

import gammu

from watch.sms_cli import deliver_to_dummy


def test_delivered_sms_is_read_by_gammu(tmp_path: Path) -> None:
    first = deliver_to_dummy(tmp_path, "+33600000001", "je pars, je reviens demain soir")
    second = deliver_to_dummy(tmp_path, "+33600000002", "rapport complet")
    assert first.name == "1" and second.name == "2"
    backup = gammu.ReadSMSBackup(str(first))
    assert backup[0]["Number"] == "+33600000001"
    assert backup[0]["Text"] == "je pars, je reviens demain soir"
