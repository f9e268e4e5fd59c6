"""Deployment files from the config, and the demo house under real supervisord processes."""

from __future__ import annotations

import configparser
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
from core.deploy import (
    placements,
    problems,
    render_boot_hook,
    render_boot_unit,
    render_supervisor,
    role,
)
from core.house import rpc
from core.testing import demo_config, demo_data


def test_start_order_and_delays(config: Config) -> None:
    hq = placements(config, "bc-hq")
    assert [p.service for p in hq][:2] == ["bus", "logbook"]
    assert {p.service: p.delay_s for p in placements(config, "bc-watch")} == \
        {"push": 15, "sms": 60, "watch": 90, "sysmetrics": 90}
    assert [p.delay_s for p in placements(config, "bc-ui", speed=15)] == sorted(
        p.delay_s for p in placements(config, "bc-ui", speed=15))


def test_supervisor_conf_has_programs_and_rpc(config: Config) -> None:
    text = render_supervisor(config, "bc-power", basecamp="/opt/bc/bin/basecamp",
                             workdir="/opt/bc", config_file="/etc/basecamp.toml",
                             password="pw")
    assert f"port=127.0.0.1:{config.machines['bc-power'].supervisor_port}" in text
    assert "[program:heater]" in text and "[program:power]" in text
    assert "[program:logbook]" not in text
    assert ("command=/opt/bc/bin/basecamp run heater --host bc-power --config "
            "/etc/basecamp.toml --delay 90") in text
    assert "startsecs=93" in text


def test_boot_hook_and_unit_tell_the_logbook_with_the_token(config: Config,
                                                            tmp_path: Path) -> None:
    hook = render_boot_hook(config, "bc-water", basecamp="/opt/bc/bin/basecamp")
    assert hook.startswith("#!/bin/sh") and "/etc/basecamp/secrets.env" in hook
    assert ("/opt/bc/bin/basecamp log --config /etc/basecamp/basecamp.toml --machine bc-water "
            "--service boot --retry 120 'bc-water booted'") in hook
    unit = render_boot_unit(config, "bc-water", basecamp="/opt/bc/bin/basecamp")
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.read_string(unit)
    assert parsed["Unit"]["After"] == parsed["Unit"]["Wants"] == "network-online.target"
    assert parsed["Service"]["Type"] == "oneshot"
    assert parsed["Service"]["ExecStart"].startswith("/opt/bc/bin/basecamp log ")
    assert parsed["Install"]["WantedBy"] == "multi-user.target"
    # systemd's own parser: the unit is valid (the command must exist where it points)
    path = tmp_path / "basecamp-boot.service"
    path.write_text(render_boot_unit(config, "bc-water", basecamp="/bin/true"))
    checked = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True,
                             text=True, timeout=60, check=False)
    assert "basecamp-boot.service" not in checked.stderr, checked.stderr


def test_each_machine_installs_what_its_services_need(config: Config) -> None:
    assert role(config, "bc-water").extras == ("sensors", "watch")  # the meter, the sentry
    assert role(config, "bc-water").apt == ()  # no Xvfb, no test tools, no InfluxDB
    watch = role(config, "bc-watch")
    assert "sms" in watch.extras and "gammu-smsd" in watch.apt
    ui = role(config, "bc-ui")
    assert {"kiosk", "voice"} <= set(ui.extras) and "espeak-ng" in ui.apt
    assert "xvfb" not in ui.apt and "rooms" not in ui.extras  # scikit-learn only on bc-hq
    assert "rooms" in role(config, "bc-hq").extras
    data = demo_data(Path(config.base_dir), {"metrics": {
        "backend": "influxdb", "influxdb": {"host": "bc-hq"}}})  # the store on bc-hq
    with_store = Config.from_dict(data)
    assert "influxdb" in role(with_store, "bc-hq").apt
    assert "influxdb" not in role(with_store, "bc-water").apt


def test_port_collisions_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECAMP_SUPERVISOR_PASSWORD", "pw")
    assert problems(demo_config(tmp_path)) == []
    data = demo_data(tmp_path)
    data["services"]["heater"]["port"] = data["services"]["logbook"]["port"]
    collide = Config.from_dict(data)
    assert any("heater" in p or "logbook" in p for p in problems(collide))


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
    from core.house import listening
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
    from core.house import listening
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


def test_check_names_what_the_sentinel_lacks(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from core.deploy import warnings
    data = demo_data(tmp_path)
    del data["services"]["sms"]
    data["contacts"] = [{"name": "owner", "role": "owner"}]
    found = problems(Config.from_dict(data))
    assert any("no supervisord password" in p for p in found)
    assert "alerts go to sms but no sms service is placed" in found
    assert "alerts go by SMS but no contact has a phone number" in found
    monkeypatch.setenv("BASECAMP_SUPERVISOR_PASSWORD", "pw")
    assert not [p for p in problems(Config.from_dict(data)) if "password" in p]
    assert any("Pushover secrets are unset" in w for w in warnings(Config.from_dict(data)))
    monkeypatch.setenv("BASECAMP_PUSHOVER_TOKEN", "t")
    monkeypatch.setenv("BASECAMP_PUSHOVER_USER", "u")
    assert warnings(Config.from_dict(data)) == []


def test_fleet_makefile_renders_the_steps_of_a_machine(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(["make", "-n", "-f", "deploy/Makefile", "machine", "HOST=bc-hq",
                             "SSH=pi@bc-hq.example", f"CONFIG={tmp_path}/house.toml"],
                            cwd=root, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    steps = result.stdout
    assert "deploy check --config" in steps
    assert "deploy supervisor --host bc-hq" in steps and "deploy boot-unit --host bc-hq" in steps
    assert "make install-role EXTRAS=$extras" in steps and "deploy extras --apt" in steps
    assert "systemctl enable --now basecamp" in steps


def test_demo_configs_never_share_a_port(tmp_path: Path) -> None:
    for i in range(20):  # dozens of ports each: a repeated pick would show up here
        collisions = [p for p in problems(demo_config(tmp_path / str(i))) if "port" in p]
        assert collisions == []
