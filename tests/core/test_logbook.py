"""The logbook service over real HTTP and bus: entries in, days out, bad input refused."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import tomli_w

from core import logbook
from core.bus import Forwarder
from core.clock import ManualClock
from core.config import Config
from core.messages.log import LogEntry
from core.service import running
from tests.helpers import demo_data

PARIS = dt.timezone(dt.timedelta(hours=1))


def test_pure_helpers() -> None:
    today = dt.date(2026, 11, 21)
    assert logbook.parse_day("yesterday", today) == dt.date(2026, 11, 20)
    assert logbook.parse_day("2026-01-02", today) == dt.date(2026, 1, 2)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        logbook.parse_day("tomorrow-ish", today)
    days = [today - dt.timedelta(days=n) for n in (0, 89, 90, 200)]
    assert logbook.expired(days, today, 90) == days[2:]
    with pytest.raises(ValueError, match="level must be"):
        logbook.validate({"machine": "m", "service": "s", "message": "x", "level": "loud"})
    assert logbook.validate({"machine": "m", "service": "s", "message": "x" * 9000}) \
        .message == "x" * logbook.MAX_MESSAGE


async def test_http_and_bus_entries_by_day(config: Config, bus: Forwarder,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", "t0k3n")
    clock = ManualClock(dt.datetime(2026, 11, 21, 23, 59, 30, tzinfo=PARIS))
    async with running("logbook", logbook.serve, config, clock=clock) as rt:
        await rt.settle()
        url = config.service_url("logbook")
        async with aiohttp.ClientSession() as stranger, stranger.post(f"{url}/log", json={
                "machine": "bc-ui", "service": "kiosk", "message": "faux"}) as resp:
            assert resp.status == 401  # writing in the house's log needs its token
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer t0k3n"}) as http:
            async with http.post(f"{url}/log", json={
                    "machine": "bc-ui", "service": "kiosk", "level": "warning",
                    "message": "écran rallumé — 日本 ✓"}) as resp:
                assert resp.status == 201
            for bad in ({"machine": "bc-ui"}, ["not", "an", "object"],
                        {"machine": "m", "service": "s", "message": 3}):
                async with http.post(f"{url}/log", json=bad) as resp:
                    assert resp.status == 400 and "error" in await resp.json()
            async with http.post(f"{url}/log", data=b"\xff\xfe",
                                 headers={"Content-Type": "application/json"}) as resp:
                assert resp.status == 400
            rt.publish(LogEntry("bc-hq", "muta", "error", "radio débranchée"))
            await asyncio.sleep(0.2)
            clock.advance(60)  # past midnight: a new day, a new file
            rt.publish(LogEntry("bc-hq", "muta", "info", "radio rebranchée"))
            await asyncio.sleep(0.2)
            async with http.get(f"{url}/log", params={"day": "2026-11-21",
                                                      "format": "json"}) as resp:
                day = await resp.json()
            async with http.get(f"{url}/log") as resp:
                text = await resp.text()
            async with http.get(f"{url}/log", params={"day": "someday"}) as resp:
                assert resp.status == 400
    messages = [e["message"] for e in day["entries"]]
    assert "écran rallumé — 日本 ✓" in messages and "radio débranchée" in messages
    assert "radio rebranchée" not in messages
    assert "radio rebranchée" in text and "INFO" in text


async def test_retention_deletes_old_days(config: Config, tmp_path: Path) -> None:
    book = logbook.Book(tmp_path / "book")
    for days_ago in (0, 10, 100):
        when = dt.datetime(2026, 11, 21, 12, tzinfo=PARIS) - dt.timedelta(days=days_ago)
        book.append(LogEntry("m", "s", "info", f"{days_ago}"), when)
    assert book.rotate(dt.date(2026, 11, 21), 90) == [dt.date(2026, 8, 13)]
    assert len(book.days()) == 2


def _cli_house(tmp_path: Path) -> tuple[Path, dict[str, str], list[str]]:
    """The demo house in a file, the environment with its token, the `basecamp` command."""
    conf = tmp_path / "house.toml"
    conf.write_text(tomli_w.dumps(demo_data(tmp_path / "var")))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "BASECAMP_HTTP_TOKEN": "t0k3n"}
    return conf, env, [sys.executable, "-m", "core.cli"]


def test_cli_adds_and_shows(tmp_path: Path) -> None:
    conf, env, base = _cli_house(tmp_path)
    down = subprocess.run([*base, "log", "--config", str(conf), "hello"], capture_output=True,
                          text=True, env=env, timeout=30)
    assert down.returncode == 1 and "logbook unreachable" in down.stderr
    server = subprocess.Popen([*base, "run", "logbook", "--config", str(conf)], env=env,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            added = subprocess.run([*base, "log", "--config", str(conf), "--level", "warning",
                                    "porte", "ouverte"], capture_output=True, text=True,
                                   env=env, timeout=30)
            if added.returncode == 0:
                break
        assert added.returncode == 0, added.stderr
        shown = subprocess.run([*base, "log", "--config", str(conf), "--show"],
                               capture_output=True, text=True, env=env, timeout=30)
        assert "WARNING  bc-hq/cli: porte ouverte" in shown.stdout
    finally:
        server.terminate()
        server.wait(10)


def test_a_booting_machine_waits_for_the_logbook(tmp_path: Path) -> None:
    """`basecamp log --retry`, as the boot unit runs it: the logbook comes up after it started
    trying, and the entry still arrives (with the token, once)."""
    conf, env, base = _cli_house(tmp_path)
    booting = subprocess.Popen([*base, "log", "--config", str(conf), "--machine", "bc-water",
                                "--service", "boot", "--retry", "60", "bc-water booted"],
                               env=env, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # the network is up, the logbook not yet
    assert booting.poll() is None, booting.stderr.read() if booting.stderr else ""
    server = subprocess.Popen([*base, "run", "logbook", "--config", str(conf)], env=env,
                              stderr=subprocess.DEVNULL)
    try:
        assert booting.wait(60) == 0
        shown = subprocess.run([*base, "log", "--config", str(conf), "--show"],
                               capture_output=True, text=True, env=env, timeout=30)
        assert shown.stdout.count("bc-water/boot: bc-water booted") == 1, shown.stdout
    finally:
        server.terminate()
        server.wait(10)
        if booting.poll() is None:
            booting.kill()
