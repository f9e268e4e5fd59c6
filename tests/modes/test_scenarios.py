"""The scenario tables (modes/scenarios/*.jsonl) replayed through the pure machine and the CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import Config
from modes.cli import replay
from modes.replay import matches

SCENARIOS = sorted((Path(__file__).parents[2] / "modes" / "scenarios").glob("*.jsonl"))
KEYS = {"at", "mode", "heating", "night_light", "lightpack", "say", "reports", "alerts"}


def test_the_required_scenarios_exist() -> None:
    names = {p.stem for p in SCENARIOS}
    assert {"weekday", "weekend_away", "intrusion", "stale_temperature", "forgotten_comfort",
            "dark_before_sunset"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario(path: Path, config: Config) -> None:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out, err = io.StringIO(), io.StringIO()
    assert replay(config, lines, out, err, str(path)) == 0, err.getvalue()
    snapshots = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(snapshots) == len(lines)
    checked = 0
    for number, (line, snap) in enumerate(zip(lines, snapshots, strict=True), 1):
        event = json.loads(line)
        assert set(snap) == KEYS
        assert snap["at"] == event["at"]
        if "expect" in event:
            checked += 1
            assert matches(event["expect"], snap), f"{path.name}:{number}: expected " \
                f"{event['expect']}, got {snap}"
    assert checked == len(lines)  # every line of a scenario states what it expects


def test_cli_reports_bad_lines_with_their_number(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"at": "2026-11-21T22:40:00+01:00", "type": "intent", "intent": "BasecampSleep",'
        ' "slots": {}}\n'
        'not json\n'
        '{"at": "2026-11-21T22:41:00+01:00", "type": "teleport"}\n'
        '{"at": "2026-11-21T22:42:00", "type": "tick"}\n'
        '{"at": "2026-11-21T22:43:00+01:00", "type": "temperature", "sensor": "salon",'
        ' "value": "hot"}\n'
        '{"at": "2026-11-21T22:44:00+01:00", "type": "tick"}\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "core.cli", "modes", "replay", str(events)],
                          capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).parents[2])
    assert proc.returncode == 1
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["at"] for o in out] == ["2026-11-21T22:40:00+01:00", "2026-11-21T22:44:00+01:00"]
    assert out[0]["mode"] == "asleep" and out[0]["lightpack"] == "blue"
    errors = proc.stderr.splitlines()
    assert [e.split(":")[1] for e in errors] == ["2", "3", "4", "5"]
    assert "teleport" in errors[1] and "offset" in errors[2] and "number" in errors[3]


def test_cli_clean_file_exits_zero_and_first_event_may_set_the_mode(config: Config) -> None:
    lines = ['{"at": "2026-11-24T10:00:00+01:00", "type": "tick", "mode": "lockout"}',
             '{"at": "2026-11-24T10:01:00+01:00", "type": "intent", "intent": "BasecampReturn"}']
    out, err = io.StringIO(), io.StringIO()
    assert replay(config, lines, out, err) == 0
    modes = [json.loads(line)["mode"] for line in out.getvalue().splitlines()]
    assert modes == ["lockout", "cocoon"]
    assert err.getvalue() == ""
