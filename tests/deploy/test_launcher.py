"""`basecamp up` / `basecamp down`: the demo house under real supervisord processes."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tomli_w

from core.config import Config
from deploy.launcher import listening, rpc
from tests.helpers import demo_data


def demo_house(tmp_path: Path) -> tuple[Path, Config, dict[str, str]]:
    """The demo house written to a file, its config, and the environment `basecamp` runs in
    (this checkout on the path; no display: the kiosk is skipped or under xvfb-run)."""
    data = demo_data(tmp_path / "var")
    conf = tmp_path / "house.toml"
    conf.write_text(tomli_w.dumps(data))
    config = Config.from_dict(data, base_dir=str(tmp_path), source=str(conf))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    env.pop("DISPLAY", None)
    return conf, config, env


@pytest.mark.slow
def test_up_starts_supervisord_per_machine_and_stops_on_sigterm(tmp_path: Path) -> None:
    conf, config, env = demo_house(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "up", "--config", str(conf),
                             "--speed", "1000"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        running: dict[str, str] = {}
        for _ in range(150):
            with contextlib.suppress(OSError):
                running = {i["name"]: i["statename"]
                           for i in rpc(config, "bc-hq").supervisor.getAllProcessInfo()}
            if running.get("logbook") == "RUNNING" and running.get("bus") == "RUNNING":
                break
            time.sleep(0.2)
        assert running.get("logbook") == "RUNNING", running
        assert rpc(config, "bc-watch").supervisor.getState()["statename"] == "RUNNING"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "stopping the house" in out


def test_up_checks_its_options_before_starting_anything(tmp_path: Path) -> None:
    conf, config, env = demo_house(tmp_path)
    for options, said in ((["--start", "lundi matin"], "--start: 'lundi matin' is not an ISO"),
                          (["--clock", "0"], "--clock must be more than 0"),
                          (["--speed", "-1"], "--speed must be more than 0")):
        out = subprocess.run([sys.executable, "-m", "core.cli", "up", "--config", str(conf),
                              *options], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 2 and said in out.stderr, out.stderr
        assert listening(config) == []  # nothing was started


@pytest.mark.slow
def test_a_start_without_zone_is_house_time_and_the_house_says_when_ready(
        tmp_path: Path) -> None:
    """`--clock 60 --start 2026-11-30T07:45:00` once crash-looped every service; now the start
    is in the house's zone, and one line says when every service answers."""
    conf, config, env = demo_house(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "up", "--config", str(conf),
                             "--speed", "1000", "--clock", "60", "--start",
                             "2026-11-30T07:45:00"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall0 = time.monotonic()
    lines: list[str] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 240
        while not any("house ready" in line for line in lines):
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines[-30:])
            time.sleep(0.5)
        [ready] = [line for line in lines if "house ready" in line]
        assert f"logbook {config.service_url('logbook')}/log" in ready
        token = config.reveal(config.http.token)
        request = urllib.request.Request(f"{config.service_url('modes')}/status",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=5) as r:
            since = json.load(r)["presence"]["since"]
        started = dt.datetime(2026, 11, 30, 7, 45, tzinfo=ZoneInfo("Europe/Paris"))
        at = dt.datetime.fromisoformat(since)  # the modes service's start, in house time
        assert at.utcoffset() == dt.timedelta(hours=1), since
        assert started <= at <= started + dt.timedelta(minutes=time.monotonic() - wall0), since
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        reader.join(5)
    assert proc.returncode == 0, "".join(lines[-30:])


@pytest.mark.slow
def test_detach_refuses_a_second_house_and_down_waits_for_the_end(tmp_path: Path) -> None:
    conf, config, env = demo_house(tmp_path)

    def basecamp(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "core.cli", *args, "--config", str(conf)],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    try:
        first = basecamp("up", "--detach", "--speed", "1000")
        assert first.returncode == 0, first.stdout + first.stderr
        assert sorted(listening(config)) == sorted(config.machines)
        second = basecamp("up", "--detach", "--speed", "1000")
        assert second.returncode == 1 and "already running" in second.stderr
    finally:
        down = basecamp("down")
    assert down.returncode == 0, down.stderr
    assert f"{len(config.machines)} supervisord stopped" in down.stdout
    assert listening(config) == []  # gone when `down` returns: `up` may follow at once
    assert basecamp("down").stdout.strip() == "basecamp down: no house is running"
