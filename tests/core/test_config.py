"""Config: the demo house loads; broken files fail with the file, key path and expectation."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from core.config import Config, ConfigError, default_text, parse
from core.schema import Secret
from tests.helpers import demo_data

BASECAMP = [sys.executable, "-m", "core.cli"]


def test_builtin_demo_house_describes_every_machine() -> None:
    config = parse(default_text(), source="default")
    assert set(config.machines) == {"bc-ui", "bc-hq", "bc-watch", "bc-power", "bc-water",
                                    "bc-veilleuse", "bc-chambre"}
    assert config.hosts("assistant") == config.hosts("interphone") == ("bc-ui", "bc-chambre")
    assert [config.machines[h].room for h in config.hosts("assistant")] == ["salon", "chambre"]
    assert all(m.address == "localhost" for m in config.machines.values())
    ports = [config.service_port(s, h) for s in config.services for h in config.hosts(s)]
    ports += [config.bus.pub_port, config.bus.sub_port]
    ports += [m.supervisor_port for m in config.machines.values()]
    assert len(ports) == len(set(ports)), "every service has its own port"
    assert config.hosts("sysmetrics") == tuple(config.machines)
    assert config.service_url("logbook") == f"http://localhost:{config.services['logbook'].port}"


@pytest.mark.parametrize(("toml", "path", "expected"), [
    ('[house]\nlang = "de"\n', "house.lang", "'fr' or 'en'"),
    ('[house]\nlatitude = 123.0\n', "house.latitude", "between -90 and 90"),
    ('[metrics.influxdb]\nport = "eighty"\n', "metrics.influxdb.port", "an integer"),
    ('[metrics]\nbackend = "mysql"\n', "metrics.backend", "'sqlite' or 'influxdb'"),
    ('[metrics]\nbatch_sise = 3\n', "metrics.batch_sise", "unknown key"),
    ('colour = "red"\n', "colour", "unknown key"),
    ('[bus]\nheartbeat_s = true\n', "bus.heartbeat_s", "a number"),
    ('[services.x]\nmachine = "bc-nowhere"\n', "services.x.machine", "unknown machine"),
    ('[machines.bc-ui]\nroom = "grenier"\n', "machines.bc-ui.room", "unknown room 'grenier'"),
    ('[services.x]\nport = 3\n', "services.x", "exactly one of"),
    ('[[devices]]\nname = "lamp"\nkind = "light"\nroom = "attic"\n', "devices[12].room",
     "unknown room 'attic'"),
    ('[[devices]]\nname = "lamp"\nkind = "toaster"\nroom = "salon"\n', "devices[12].kind",
     "'light'"),
    ('[[contacts]]\nphone = "+33"\n', "contacts[2].name", "missing key"),
    ('[http]\ntoken = "hunter2"\n', "http.token", "never written in the config"),
])
def test_errors_name_the_key_path(tmp_path: Path, toml: str, path: str, expected: str) -> None:
    base = default_text()
    text = _merge_toml(base, toml)
    with pytest.raises(ConfigError) as info:
        parse(text, source="house.toml")
    err = info.value
    assert err.path == path
    assert expected in str(err)
    assert str(err).startswith("house.toml:")


def _merge_toml(base: str, extra: str) -> str:
    """Put `extra` tables in front of the base's (TOML forbids re-opening a table)."""
    import tomllib

    import tomli_w
    data = tomllib.loads(base)
    more = tomllib.loads(extra)
    for key, value in more.items():
        if isinstance(value, list) and isinstance(data.get(key), list):
            data[key] = data[key] + value
        elif isinstance(value, dict) and isinstance(data.get(key), dict):
            merged = dict(data[key])
            for k, v in value.items():
                merged[k] = {**merged[k], **v} if isinstance(v, dict) and \
                    isinstance(merged.get(k), dict) else v
            data[key] = merged
        else:
            data[key] = value
    return tomli_w.dumps(data)


def test_syntax_error_carries_the_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse('[house]\nname = "x"\nlang = \n', source="broken.toml")
    assert info.value.line == 3
    assert str(info.value).startswith("broken.toml:3:")


def test_secret_comes_from_env_or_file_and_is_never_shown(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config.from_dict(demo_data(tmp_path))
    assert config.reveal(config.http.token) is None
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "http_token").write_text("s3cret\n")
    assert config.reveal(config.http.token) == "s3cret"
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", "from-env")
    assert config.reveal(config.http.token) == "from-env"
    assert "from-env" not in repr(config) and "s3cret" not in str(config.to_plain())
    assert repr(Secret(env="X")) == "<secret from env X>"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[2]
    return subprocess.run([*BASECAMP, *args], capture_output=True, text=True, cwd=cwd,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=60)


def test_cli_check_ok_and_broken(tmp_path: Path) -> None:
    ok = _cli("config", "check", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "ok"
    bad = tmp_path / "bad.toml"
    bad.write_text('[heating]\n[house]\nlang = 3\n')
    result = _cli("config", "check", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{bad}: house.lang: expected 'fr' or 'en', got 3" in result.stderr
    assert "Traceback" not in result.stderr
    missing = _cli("config", "check", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_cli_show_masks_secrets_and_is_a_config_file(tmp_path: Path) -> None:
    result = _cli("config", "show", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[machines.bc-watch]" in result.stdout
    assert tomllib.loads(result.stdout)["http"]["token"] == {
        "env": "BASECAMP_HTTP_TOKEN", "file": "secrets/http_token"}  # where, never the value
    shown = tmp_path / "shown.toml"
    shown.write_text(result.stdout)
    checked = _cli("config", "check", str(shown), cwd=tmp_path)
    assert checked.returncode == 0 and checked.stdout.strip() == "ok", checked.stderr
    again = _cli("config", "show", "--config", str(shown), cwd=tmp_path)
    assert tomllib.loads(again.stdout) == tomllib.loads(result.stdout)  # the same house


def test_cli_init_writes_a_config_to_make_ones_own(tmp_path: Path) -> None:
    made = _cli("config", "init", "--name", "Chez Anne", "--lang", "en", "--timezone",
                "America/Montreal", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    path = tmp_path / "basecamp.toml"  # the default: every command then uses it
    text = path.read_text()
    assert text.startswith("# Basecamp: the config of Chez Anne") and "[[contacts]]" in text
    checked = _cli("config", "check", cwd=tmp_path)
    assert checked.returncode == 0 and checked.stdout.strip() == "ok", checked.stderr
    house = tomllib.loads(text)["house"]
    assert (house["name"], house["lang"], house["timezone"]) == (
        "Chez Anne", "en", "America/Montreal")
    again = _cli("config", "init", cwd=tmp_path)
    assert again.returncode == 1 and "exists" in again.stderr and path.read_text() == text
    zone = _cli("config", "init", "other.toml", "--timezone", "Mars/Base", cwd=tmp_path)
    assert zone.returncode == 2 and not (tmp_path / "other.toml").exists()


def test_cli_version_and_help(tmp_path: Path) -> None:
    assert _cli("--version", cwd=tmp_path).stdout.startswith("basecamp ")
    helped = _cli("--help", cwd=tmp_path).stdout
    assert "config" in helped and "run" in helped
    unknown = _cli("frobnicate", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown command" in unknown.stderr


def test_a_package_registers_its_section(monkeypatch: pytest.MonkeyPatch) -> None:
    """Core knows no settings class: a section exists once a package registers it, is then
    validated like any other, and is shown after the known packages' sections."""
    from dataclasses import dataclass

    from core import config as config_module
    from core.config import register_sections, registered_sections
    from core.schema import bounded

    packages = list(registered_sections())
    assert packages[:3] == ["heating", "presence", "nightlight"] and "sms" in packages
    monkeypatch.setattr(config_module, "_SECTIONS", dict(config_module._SECTIONS))
    demo = tomllib.loads(default_text())
    with pytest.raises(ConfigError, match="extra: unknown key"):
        Config.from_dict({**demo, "extra": {"level": 3}})

    @dataclass(frozen=True)
    class Extra:
        level: int = bounded(1, lo=0, hi=5)

    register_sections(extra=Extra)
    assert list(registered_sections()) == [*packages, "extra"]
    assert Config.from_dict({**demo, "extra": {"level": 3}}).section("extra", Extra) == Extra(3)
    assert Config.from_dict(demo).to_plain()["extra"] == {"level": 1}
    with pytest.raises(ConfigError, match=r"extra\.level: expected a value between 0 and 5"):
        Config.from_dict({**demo, "extra": {"level": 9}})
    with pytest.raises(ValueError, match=r"'sms' registered by watch\.settings and"):
        register_sections(sms=Extra)
