"""Deployment files from the config: supervisord files, boot hooks, roles, checks, the Makefile."""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

import pytest

from core.config import Config
from deploy.fleet import (
    placements,
    problems,
    render_boot_hook,
    render_boot_unit,
    render_supervisor,
    role,
    warnings,
)
from tests.helpers import demo_config, demo_data


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


def test_check_names_what_the_sentinel_lacks(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
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
