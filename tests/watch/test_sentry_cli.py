"""Sentries reboot (dry run) after the sentinel's silence; `basecamp watch once` and `status`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from core.bus import Publisher
from core.config import Config
from core.messages import Source
from core.messages.watch import SentinelOk
from core.service import running
from tests.helpers import demo_data, free_port
from tests.watch.conftest import small_house
from tests.watch.test_push import wait_for
from watch import cli, sentry
from watch.sentry import should_reboot

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("last_ok", "rebooted", "now", "expected"), [
    (0.0, False, 10.0, True), (0.0, False, 5.0, False), (0.0, True, 100.0, False)])
def test_should_reboot(last_ok: float, rebooted: bool, now: float, expected: bool) -> None:
    assert should_reboot(last_ok, rebooted, now, 6.0) is expected


async def test_sentry_runs_reboot_command_once_after_silence(tmp_path: Path, config: Config,
                                                             bus: Any) -> None:
    marker = tmp_path / "rebooted"
    cfg = small_house(tmp_path, services={"sentry": {"machines": ["bc-hq"], "port": free_port()}},
                      watch={"sentry": {"ok_interval_s": 0.1, "silence_s": 0.6,
                                        "reboot_command": ["touch", str(marker)]}}, bus=config)
    pub = Publisher(cfg.bus_endpoints()[0], Source("bc-watch", "watch"))
    async with running("sentry", sentry.serve, cfg) as rt:
        await rt.settle()
        for i in range(10):  # the sentinel speaks: no reboot
            pub.publish(SentinelOk(i))
            await asyncio.sleep(0.1)
        assert not marker.exists()
        await wait_for(marker.exists, 5)  # silence: the (dry-run) reboot command ran
        await asyncio.sleep(1.0)
        assert rt.counters["reboots"] == 1  # once per silence
        pub.publish(SentinelOk(99))
        await wait_for(lambda: rt.status["sentry"]()["cycle"] == 99)
        await wait_for(lambda: rt.counters["reboots"] == 2, 5)  # a new silence, a new reboot
    pub.close()


def test_watch_once_prints_findings_as_json_lines(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    data = demo_data(tmp_path)
    data["machines"] = {"bc-hq": {}, "bc-watch": {}}
    data.pop("relays", None)  # wired on machines this house has not
    data["bus"]["machine"] = "bc-hq"
    data["services"] = {"logbook": {"machine": "bc-hq", "port": free_port()}}
    data["watch"] = {"service_checks": ["http"], "timeout_s": 1.0, "disk_paths": [],
                     "sensors": {"units": []}, "temperatures": []}
    path = tmp_path / "basecamp.toml"
    path.write_text(tomli_w.dumps(data))
    code = cli.main(["once", "--config", str(path)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_subject = {line["subject"]: line for line in lines}
    assert code == 1  # something is down
    assert by_subject["service:bc-hq/logbook"]["state"] == "problem"
    assert "refusée" in by_subject["service:bc-hq/logbook"]["detail"]
    assert by_subject["machine:bc-hq"]["state"] == "ok"
    assert by_subject["power:mains"]["state"] == "ok"


def test_status_table_is_readable() -> None:
    report = {"host": "bc-watch", "cycle": 7, "power": {"state": "POWER_OK"},
              "incidents": ["service:bc-hq/logbook"], "queued": 0,
              "machines": {"bc-hq": {"state": "ok", "since": "2024-03-01T08:00:00+00:00",
                                     "last_check": "2024-03-01T09:00:00+00:00",
                                     "last_error": "", "services": {"logbook": {
                                         "state": "problem", "since": "2024-03-01T08:59:00",
                                         "last_check": "2024-03-01T09:00:00",
                                         "last_error": "connexion refusée"}}}},
              "checks": {}}
    table = cli.format_table(report)
    assert "open incidents: service:bc-hq/logbook" in table
    row = next(line for line in table.splitlines()[1:] if "logbook" in line)
    assert "problem" in row and "connexion refusée" in row and "2024-03-01 08:59:00" in row


def test_status_marks_past_errors_and_puts_house_checks_under_the_sentinel() -> None:
    def entry(state: str, error: str = "") -> dict[str, Any]:
        return {"state": state, "since": "2024-03-01T08:59:00", "last_check":
                "2024-03-01T09:00:00", "last_error": error}
    report = {"host": "bc-watch", "cycle": 7, "power": {"state": "POWER_OK"}, "incidents": [],
              "queued": 0, "checks": {"disk:/": entry("ok"), "power:mains": entry("ok")},
              "machines": {"bc-watch": {**entry("ok"), "services": {"sms": entry("ok")}},
                           "bc-hq": {**entry("ok"), "services": {
                               "logbook": entry("ok", "connexion refusée")}}}}
    lines = cli.format_table(report).splitlines()[2:]
    logbook = next(line for line in lines if "logbook" in line)
    assert "(before 08:59) connexion refusée" in logbook  # fine now: the error is past
    names = [line.split()[0] for line in lines]
    assert names.index("disk:/") < names.index("bc-hq")  # under bc-watch, the sentinel's


def test_a_closed_pipe_ends_quietly() -> None:
    """`basecamp … | head -1`: no BrokenPipeError when the reader stops early (the output is
    longer than a pipe holds, as `status` of a big house is)."""
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "intent", "--lang", "fr"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(b"bonjour\n" * 5000)  # 40 kB in, 400 kB out
    proc.stdin.close()
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 0 and "Error" not in err, err


def test_status_command_when_sentinel_is_down(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    data = demo_data(tmp_path)
    path = tmp_path / "basecamp.toml"
    path.write_text(tomli_w.dumps(data))
    assert cli.status_command(["--config", str(path)]) == 1
    assert "does not answer" in capsys.readouterr().err
