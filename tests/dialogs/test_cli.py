"""`basecamp intent` and `basecamp chat` as real processes (stdin/stdout contract)."""

from __future__ import annotations

import json
import subprocess
import sys

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
                                         "slots": {"return_at": "2024-03-05T19:00:00+01:00"}}


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
