"""No secret in any text: a supervisord refusing the sentinel's (wrong) password used to put
the URL with its credentials into the logbook, the alerts (SMS, push), the sentinel's state
file and `basecamp up --status`. Known secret values are grepped for in all of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from core.clock import SystemClock
from core.redact import redact, remember
from tests.helpers import free_port
from tests.watch.conftest import small_house
from watch.outbox import Outbox
from watch.probes import ProbeContext
from watch.sentinel import Sentinel

WRONG = "wr0ng-Sup3rvisor-pw"
TOKEN = "t0k3n-S3cret-for-http"


def test_redact_cuts_credentials_and_known_values() -> None:
    remember(["another-K3y-value"])
    said = redact("<ProtocolError for basecamp:p%40ss@127.0.0.1:9001/RPC2: 401 Unauthorized> "
                  "http://u:pw@host/x and key another-K3y-value")
    assert "p%40ss" not in said and ":pw@" not in said and "another-K3y-value" not in said
    assert "401 Unauthorized" in said and "http://***@host/x" in said


async def test_a_refused_password_stays_out_of_every_text(
        tmp_path: Path, supervisord_factory: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    sd = supervisord_factory({"logbook": ["sleep", "60"]}, auth=("basecamp", "the-right-one"))
    monkeypatch.setenv("BASECAMP_SUPERVISOR_PASSWORD", WRONG)
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", TOKEN)
    cfg = small_house(tmp_path, services={"logbook": {"machine": "bc-hq", "port": free_port()}},
                      supervisor_ports={"bc-hq": sd.port},
                      watch={"service_checks": ["supervisor"], "machine_check": "none",
                             "fail_n": 1, "fail_m": 1, "restart": True})
    remember(cfg.secret_values())
    logged: list[str] = []
    state_path, outbox_path = tmp_path / "state.json", tmp_path / "outbox.sqlite"
    outbox = Outbox(outbox_path)
    clock = SystemClock("UTC")
    async with aiohttp.ClientSession() as http:
        sentinel = Sentinel(cfg, ProbeContext(cfg, clock.now, http), clock, host="bc-watch",
                            notifiers={}, outbox=outbox, state_path=state_path,
                            publish=lambda _: None, log=lambda _lv, text: logged.append(text))
        for _ in range(3):
            await sentinel.cycle()
        report = json.dumps(sentinel.report(), ensure_ascii=False)
    told = [json.dumps(p, ensure_ascii=False) for _, p in outbox.pending("sms")] + \
        [json.dumps(p, ensure_ascii=False) for _, p in outbox.journal()]
    outbox.close()
    from deploy.launcher import status_lines
    up_status = "\n".join(status_lines(cfg))
    texts = {"logbook": "\n".join(logged), "alerts": "\n".join(told),
             "state file": state_path.read_text(), "status report": report,
             "up --status": up_status, "stdout/stderr": "".join(capsys.readouterr())}
    assert "401" in texts["status report"] or "Unauthorized" in texts["status report"]
    assert told, "the refusal was told (without the password)"
    for where, text in texts.items():
        for secret in (WRONG, TOKEN, "the-right-one"):
            assert secret not in text, f"{secret!r} in the {where}"
    assert outbox_path.stat().st_mode & 0o077 == 0  # the journal is its owner's only
