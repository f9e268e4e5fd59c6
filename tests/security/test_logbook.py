"""The logbook as an abuser writes to it: no token, huge names, forged lines, separators that
hid an entry, a flood — refused, escaped, limited; the day still reads one line an entry."""

from __future__ import annotations

import time

import aiohttp
import pytest

from core import logbook
from core.bus import Forwarder
from core.config import Config
from core.service import running

TOKEN = "l0gb00k-t0k3n"


async def test_the_logbook_keeps_its_integrity(config: Config, bus: Forwarder,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", TOKEN)
    async with running("logbook", logbook.serve, config) as rt:
        url = config.service_url("logbook") + "/log"
        async with aiohttp.ClientSession() as stranger, stranger.post(url, json={
                "machine": "bc-hq", "service": "watch", "message": "tout va bien"}) as resp:
            assert resp.status == 401
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            big = "m" * 1_000_000
            async with http.post(url, json={"machine": big, "service": "s",
                                            "message": "x"}) as resp:
                assert resp.status == 400  # a name is a short word
            forged = "ok\n10:00:00 CRITICAL bc-watch/watch: secteur coupé"
            for message in (forged, "caché\u2028derrière", "fin\x85de ligne", "z" * 100_000):
                async with http.post(url, json={"machine": "bc-hq", "service": "cli",
                                                "message": message}) as resp:
                    assert resp.status == 201
            async with http.get(url) as resp:
                text = await resp.text()
            async with http.get(url, params={"format": "json"}) as resp:
                entries = (await resp.json())["entries"]
            assert len(text.splitlines()) == len(entries)  # one line an entry
            assert sum(e["service"] == "cli" for e in entries) == 4
            assert not [line for line in text.splitlines() if line.startswith("10:00:00")]
            assert "ok\\n10:00:00 CRITICAL" in text and "caché\\u2028derrière" in text
            mine = [e["message"] for e in entries if e["service"] == "cli"]
            assert mine[1] == "caché\u2028derrière"  # kept, and shown
            assert len(mine[3]) == logbook.MAX_MESSAGE
            statuses = []
            flood_started = time.monotonic()
            for i in range(logbook.BURST + 200):  # a flood from one source
                async with http.post(url, json={"machine": "bc-hq", "service": "flood",
                                                "message": f"{i}"}) as resp:
                    statuses.append(resp.status)
            took = time.monotonic() - flood_started
            # a burst, then the refill rate for as long as the flood lasted (a loaded machine
            # posts slower: the bound follows it)
            assert statuses.count(201) <= logbook.BURST + took * logbook.RATE_PER_S + 1
            assert statuses.count(429) == rt.counters["rate_limited"] > 0
            async with http.post(url, json={"machine": "bc-hq", "service": "calm",
                                            "message": "another source still writes"}) as resp:
                assert resp.status == 201
            started = time.monotonic()
            async with http.get(config.service_url("logbook") + "/status") as resp:
                today = (await resp.json())["today"]
            assert time.monotonic() - started < 2.0  # counted, not re-read
            async with http.get(url, params={"format": "json"}) as resp:
                assert today == len((await resp.json())["entries"]) >= 4 + statuses.count(201)
