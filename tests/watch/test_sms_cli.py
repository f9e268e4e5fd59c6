"""`basecamp sms receive` writes an SMS the Gammu dummy phone really reads back; `sent` lists
the gateway's journal in house time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import gammu
import pytest
import tomli_w

from core.config import Config
from tests.helpers import demo_data
from watch.outbox import Outbox
from watch.sms_cli import deliver_to_dummy, main


def test_delivered_sms_is_read_by_gammu(tmp_path: Path) -> None:
    first = deliver_to_dummy(tmp_path, "+33600000001", "je pars, je reviens demain soir")
    second = deliver_to_dummy(tmp_path, "+33600000002", "rapport complet")
    assert first.name == "1" and second.name == "2"
    backup = gammu.ReadSMSBackup(str(first))
    assert backup[0]["Number"] == "+33600000001"
    assert backup[0]["Text"] == "je pars, je reviens demain soir"


def test_sent_lists_in_house_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The journal's instants are shown in the house's time zone, not the machine's (UTC)."""
    data = demo_data(tmp_path / "var")
    conf = tmp_path / "house.toml"
    conf.write_text(tomli_w.dumps(data))
    config = Config.from_dict(data, base_dir=str(tmp_path), source=str(conf))
    outbox = Outbox(config.service_dir("sms", config.hosts("sms")[0]) / "sms.sqlite")
    outbox.put("sms", {"number": "+33600000001", "text": "OK, mode absence."})
    [(ident, payload)] = outbox.pending("sms")
    outbox.done("sms", ident, payload)
    [(when, _)] = outbox.journal("sms")
    outbox.close()
    assert main(["sent", "--config", str(conf)]) == 0
    house = dt.datetime.fromtimestamp(when, ZoneInfo(config.house.timezone))
    assert capsys.readouterr().out == \
        f"{house:%Y-%m-%d %H:%M:%S} → +33600000001: OK, mode absence.\n"
    assert config.house.timezone == "Europe/Paris" and house.utcoffset() != dt.timedelta(0)


def test_receive_refuses_a_text_the_dummy_phone_cannot_hold(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = demo_data(tmp_path / "var")
    conf = tmp_path / "house.toml"
    conf.write_text(tomli_w.dumps(data))
    assert main(["receive", "--from", "+33600000001", "a" * 2000, "--config", str(conf)]) == 2
    assert "too long" in capsys.readouterr().err
