"""Three machines for real: bc-ui, bc-hq and bc-watch in their own network namespaces, each with
its own supervisord written by `deploy.fleet`, talking over a private bridge.

Checks: messages cross the bus between hosts; unplugging bc-hq makes the sentinel report that
machine down (not each of its services); plugging it back recovers; the sentry on bc-ui runs
its (dry-run) reboot command when the sentinel goes silent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from core.config import Config
from deploy.fleet import make_dirs, render_supervisor
from deploy.launcher import ensure_secret
from tests.helpers import NetnsLab, demo_data

pytestmark = pytest.mark.slow

HOSTS = ["bc-ui", "bc-hq", "bc-watch"]
PLACES = {"bus": "bc-hq", "logbook": "bc-hq", "modes": "bc-ui", "watch": "bc-watch"}
BASECAMP = str(Path(sys.executable).parent / "basecamp")


def _house(lab: NetnsLab, var: Path, marks: Path) -> dict[str, Any]:
    data = demo_data(var)
    data["machines"] = {h: {"address": lab.address[h], "supervisor_port": 9001}
                        for h in HOSTS}
    data.pop("relays", None)  # wired on machines this lab has not
    ports = {name: 8700 + i for i, name in enumerate(PLACES)}
    data["services"] = {name: {"machine": host, "port": ports[name]}
                        for name, host in PLACES.items()}
    data["services"]["sentry"] = {"machines": ["bc-ui"], "port": 8750}
    data["bus"].update(pub_port=5550, sub_port=5551, heartbeat_s=0.5)
    data["watch"] = {
        "interval_s": 1.0, "timeout_s": 2.0, "fail_n": 2, "fail_m": 3,
        "heartbeat_max_age_s": 3.0, "machine_check": "icmp", "start_grace_s": 3.0,
        "sensors": {"units": []}, "temperatures": [],
        "channels": {"major": ["log"], "minor": ["log"], "water:leak": ["log"],
                     "power:mains": ["log"]},
        "sentry": {"ok_interval_s": 0.5, "silence_s": 4.0,
                   "reboot_command": ["sh", "-c", f"touch {marks}/rebooted-$BASECAMP_HOST"]},
    }
    return data


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[tuple[NetnsLab, Path, Config, Path]]:
    reason = NetnsLab.available()
    if reason:
        pytest.skip(reason)
    var, marks = tmp_path / "var", tmp_path / "marks"
    marks.mkdir()
    with NetnsLab(HOSTS) as lab:
        data = _house(lab, var, marks)
        conf = tmp_path / "house.toml"
        conf.write_text(tomli_w.dumps(data))
        config = Config.from_dict(data, base_dir=str(tmp_path), source=str(conf))
        procs = []
        for host in HOSTS:
            make_dirs(config, host)
            text = render_supervisor(
                config, host, basecamp=BASECAMP, workdir=str(tmp_path), config_file=str(conf),
                password=ensure_secret(config, config.machines[host].supervisor_password),
                speed=100)
            path = var / "supervisor" / f"{host}.conf"
            path.write_text(text)
            procs.append(subprocess.Popen(lab.command(host, [
                str(Path(sys.executable).parent / "supervisord"), "-n", "-c", str(path)]),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        try:
            yield lab, conf, config, marks
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _in(lab: NetnsLab, host: str, conf: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(lab.command(host, [BASECAMP, *args, "--config", str(conf)]),
                          capture_output=True, text=True, timeout=30, env=env)


def _report(lab: NetnsLab, conf: Path) -> dict[str, Any]:
    result = _in(lab, "bc-watch", conf, "status", "--json")
    try:
        return json.loads(result.stdout)  # type: ignore[no-any-return]
    except ValueError:
        return {}


def _until(what: str, check: Callable[[], bool], timeout: float = 60.0,
           show: Callable[[], object] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"never happened: {what}; last seen: {show() if show else ''}")


def _state(report: dict[str, Any], machine: str, service: str | None = None) -> str:
    entry = report.get("machines", {}).get(machine, {})
    if service is not None:
        entry = entry.get("services", {}).get(service, {})
    return str(entry.get("state", ""))


def test_three_machines_over_a_real_network(
        fleet: tuple[NetnsLab, Path, Config, Path]) -> None:
    lab, conf, _, marks = fleet

    def all_ok() -> bool:
        report = _report(lab, conf)
        return all(_state(report, host) == "ok" for host in HOSTS) and all(
            _state(report, host, name) == "ok" for name, host in PLACES.items())
    _until("every machine and service ok", all_ok, timeout=90,
           show=lambda: _report(lab, conf))

    # messages crossed the bus: bc-ui's and bc-watch's start entries reached bc-hq's logbook
    log = _in(lab, "bc-ui", conf, "log", "--show").stdout
    assert "bc-ui/modes: started modes" in log and "bc-watch/watch: started watch" in log

    lab.cut("bc-hq")
    _until("bc-hq reported down", lambda: _state(_report(lab, conf), "bc-hq") == "problem")
    report = _report(lab, conf)
    assert "machine:bc-hq" in report["incidents"]
    assert not [i for i in report["incidents"] if i.startswith("service:bc-hq/")], \
        report["incidents"]
    assert {_state(report, "bc-hq", s) for s in ("bus", "logbook")} == {"unreachable"}
    assert _state(report, "bc-ui") == "ok" and _state(report, "bc-watch") == "ok"

    # bc-ui no longer hears the sentinel (the bus lives on bc-hq): its sentry reboots
    _until("sentry on bc-ui ran its reboot command",
           lambda: (marks / "rebooted-bc-ui").exists(), timeout=30)

    lab.restore("bc-hq")
    _until("bc-hq recovered", lambda: not _report(lab, conf).get("incidents", ["?"]),
           timeout=90)
    assert all_ok()
