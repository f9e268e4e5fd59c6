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
from core.messages.dialogs import Intent

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

    from core.testing import demo_data
    data = demo_data(tmp_path / "var")
    data["bus"]["pub_port"], data["bus"]["sub_port"] = config.bus.pub_port, config.bus.sub_port
    path = tmp_path / "house.toml"
    path.write_bytes(tomli_w.dumps(data).encode())
    return path


async def test_chat_publishes_its_intents_on_the_bus(tmp_path: Path, config: Config,
                                                     bus: Any) -> None:
    house = _house_file(tmp_path, config)
    pub = Publisher(config.bus_endpoints()[0], Source("bc-hq", "test"))
    sub = Subscriber(config.bus_endpoints()[1], ["basecamp.intent."])
    assert await sub.settle(pub, 5)
    proc = await asyncio.create_subprocess_exec(
        *BASECAMP, "chat", "--config", str(house), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(b"je pars\nce soir\n"), 60)
    assert proc.returncode == 0, err.decode()
    assert out.decode().splitlines()[0] == "Tu reviens quand ?"
    got = await asyncio.wait_for(sub.recv_batch(), 10)
    intents = [Intent.from_envelope(e) for e in got]
    assert [(i.intent, i.channel, i.sender) for i in intents] == [
        ("BasecampLeave", "terminal", "owner")]
    assert intents[0].slots["return_at"].endswith(("19:00:00+01:00", "19:00:00+02:00"))
    assert got[0].src.service == "chat"
    pub.close()
    sub.close()


def test_chat_bus_required_but_absent_fails(tmp_path: Path, config: Config) -> None:
    house = _house_file(tmp_path, config)  # nothing listens on its bus ports
    result = run(["chat", "--config", str(house), "--bus"], "je suis revenu\n")
    assert result.returncode == 1
    assert result.stdout.strip() and "not published" in result.stderr


def test_chat_with_now_does_not_publish_by_default(tmp_path: Path, config: Config) -> None:
    house = _house_file(tmp_path, config)
    result = run(["chat", "--config", str(house), "--now", "2024-03-05T09:00:00+01:00"],
                 "je suis revenu\n")
    assert result.returncode == 0 and result.stderr == ""
