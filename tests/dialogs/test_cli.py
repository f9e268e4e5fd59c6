"""`basecamp intent` and `basecamp chat` as real processes (stdin/stdout contract)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from core.bus import Publisher, Subscriber
from core.config import Config
from core.messages import Source
from core.messages.presence import ModeChanged
from core.service import running
from dialogs import service as dialogs_service
from modes import service as modes_service

BASECAMP = [sys.executable, "-m", "core.cli"]


def run(args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BASECAMP, *args], input=stdin, capture_output=True, text=True,
                          timeout=60, check=False)


def test_intent_one_json_per_line() -> None:
    lines = "Je pars\nrègle le chauffage sur vingt et un degrés\nblabla\n\nI'm back\n"
    result = run(["intent", "--now", "2024-03-05T09:00:00+01:00"], lines)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["intent"], o["slots"]) for o in out] == [
        ("BasecampLeave", {}),
        ("HassClimateSetTemperature", {"area": "salon", "temperature": 21}),
        (None, {}), (None, {}), ("BasecampReturn", {})]
    assert out[0]["text"] == "Je pars"


def test_intent_text_argument_and_lang() -> None:
    result = run(["intent", "--lang", "en", "--now", "2024-03-05T09:00:00+01:00",
                  "I'm leaving until tonight"], "")
    assert json.loads(result.stdout) == {"text": "I'm leaving until tonight",
                                         "intent": "BasecampLeave",
                                         "slots": {"return_at": "2024-03-05T19:00:00+01:00"},
                                         "score": 1.0, "match": "exact"}


def test_chat_je_pars_dialog_over_sms() -> None:
    result = run(["chat", "--channel", "sms", "--from", "+33600000001", "--json",
                  "--now", "2024-03-05T09:00:00+01:00"], "je pars\ndemain midi\n")
    assert result.returncode == 0, result.stderr
    ask, done = (json.loads(line) for line in result.stdout.splitlines())
    assert ask["expects_answer"] and ask["intent"] is None
    assert done == {"reply": "OK, mode absence. Retour : demain à 12:00.",
                    "expects_answer": False, "conversation": ask["conversation"],
                    "intent": "BasecampLeave",
                    "slots": {"return_at": "2024-03-06T12:00:00+01:00"}}


def test_chat_plain_text_terminal() -> None:
    result = run(["chat", "--now", "2024-03-05T20:00:00+01:00"], "je m'absente\nce soir\n")
    assert result.stdout.splitlines() == ["Tu reviens quand ?",
                                          "OK, je surveille en ton absence. Bonne soirée."]


def test_chat_refuses_unknown_sms_sender() -> None:
    result = run(["chat", "--channel", "sms", "--from", "+33600000002"], "je pars\n")
    assert result.returncode == 1 and result.stdout == ""
    assert "may not command" in result.stderr


def _house_file(tmp_path: Path, config: Config) -> Path:
    import tomli_w

    from tests.helpers import demo_data
    data = demo_data(tmp_path / "var")
    data["bus"]["pub_port"], data["bus"]["sub_port"] = config.bus.pub_port, config.bus.sub_port
    path = tmp_path / "house.toml"
    path.write_bytes(tomli_w.dumps(data).encode())
    return path


async def test_chat_talks_to_the_running_house(tmp_path: Path, config: Config, bus: Any,
                                               monkeypatch: Any) -> None:
    """The terminal is a window on the house: the running dialogs service answers (its
    conversation, its state) and the house carries the command out (the mode changes)."""
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", "t0k")
    house = _house_file(tmp_path, config)
    from core.config import load
    running_config = load(house)
    sub = Subscriber(config.bus_endpoints()[1], [ModeChanged.TOPIC])
    pub = Publisher(config.bus_endpoints()[0], Source("bc-hq", "test"))
    assert await sub.settle(pub, 5)
    async with running("modes", modes_service.serve, running_config), \
            running("dialogs", dialogs_service.serve, running_config) as dialogs:
        assert await dialogs.settle()
        proc = await asyncio.create_subprocess_exec(
            *BASECAMP, "chat", "--config", str(house), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(
            proc.communicate(b"je pars\nce soir\nrapport complet\n"), 60)
        assert proc.returncode == 0 and err == b"", err.decode()
        ask, done, report = out.decode().splitlines()
        assert ask == "Tu reviens quand ?"
        assert done.startswith("OK, je surveille en ton absence.")
        assert report.startswith("Mode absence")  # the house's state, not "Mode inconnu"
        async with asyncio.timeout(10):
            while True:
                modes = [ModeChanged.from_envelope(e) for e in await sub.recv_batch()]
                if any(m.mode == "lockout" and m.changed_by == "terminal" for m in modes):
                    break
    pub.close()
    sub.close()


def test_chat_offline_says_so_and_answers_only_what_needs_no_state(tmp_path: Path,
                                                                   config: Config) -> None:
    house = _house_file(tmp_path, config)  # nothing runs: the house does not answer
    result = run(["chat", "--config", str(house)], "je pars\nquelle heure est-il\n")
    assert result.returncode == 0
    assert "offline" in result.stderr
    refused, time_said = result.stdout.splitlines()
    assert refused == "La maison ne répond pas : je ne peux pas le faire d'ici."
    assert time_said.startswith("Il est ")


def test_chat_local_answers_here_and_carries_nothing_out(tmp_path: Path,
                                                         config: Config) -> None:
    house = _house_file(tmp_path, config)
    result = run(["chat", "--config", str(house), "--local"], "je suis revenu\n")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.strip() == "Bon retour à la maison !"
