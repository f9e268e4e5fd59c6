"""HTTP as a stranger on the network uses it: the token only from the header, no state change
on a GET, slow and idle clients closed, a connection flood capped — and the service answering
its owner throughout."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from core.bus import Forwarder
from core.config import Config
from core.service import Runtime, running
from tests.helpers import demo_config

TOKEN = "t0k3n-s3cret"


async def _serve(rt: Runtime) -> None:
    async def change(request: web.Request) -> web.Response:
        rt.check_token(request)
        return web.Response(text="changed")
    rt.app.router.add_post("/change", change)


@pytest.fixture
def tight(tmp_path: Path) -> Config:
    return demo_config(tmp_path / "var", {"http": {"idle_s": 1.0, "max_connections": 20}})


async def test_the_token_comes_from_the_header_only(tight: Config,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", TOKEN)
    async with running("heater", _serve, tight):
        url = tight.service_url("heater") + "/change"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, params={"token": TOKEN}) as resp:
                assert resp.status == 401  # in the URL it would end up in logs and histories
            async with http.get(url, headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                assert resp.status == 405  # a GET changes nothing
            async with http.post(url, headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                assert resp.status == 200


async def test_idle_and_flooding_connections_are_closed(tight: Config) -> None:
    async with running("heater", _serve, tight) as rt:
        port = tight.service_port("heater")
        loop = asyncio.get_running_loop()
        socks = []
        for i in range(60):  # 3x the cap, half of them sending half a request
            s = socket.socket()
            s.setblocking(False)
            await loop.sock_connect(s, ("127.0.0.1", port))
            if i % 2:
                await loop.sock_sendall(s, b"GET /alive HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        await asyncio.sleep(0.3)
        assert rt.counters["http_refused_connections"] >= 60 - 20
        await asyncio.sleep(2.0)  # past idle_s: every one of them is closed

        def closed(s: socket.socket) -> bool:
            try:
                return s.recv(64) == b""
            except BlockingIOError:
                return False
            except ConnectionResetError:
                return True
        assert all(closed(s) for s in socks)
        for s in socks:
            s.close()
        async with aiohttp.ClientSession() as http, \
                http.get(tight.service_url("heater") + "/alive") as resp:
            assert resp.status == 200  # the owner still gets in


async def test_the_five_routes_that_changed_state_on_get_are_post_only(
        config: Config, bus: Forwarder, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant import interphone
    from modes import heater_service
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", TOKEN)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with running("heater", heater_service.serve, config), \
            running("interphone", interphone.serve, config), \
            aiohttp.ClientSession(headers=headers) as http:
        for service, path in (("heater", "/set_profile?profile=force_comfort"),
                              ("interphone", "/announce?text=bonjour"),
                              ("interphone", "/lock?service=x"),
                              ("interphone", "/release?key=x")):
            async with http.get(config.service_url(service) + path) as resp:
                assert resp.status == 405, (service, path)


async def test_bad_input_is_a_4xx_never_a_500(config: Config, bus: Forwarder,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from core import logbook
    from dialogs import service as dialogs_service
    from modes import lightpack_service
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", TOKEN)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    deep = b"[" * 100_000 + b"]" * 100_000
    async with running("lightpack", lightpack_service.serve, config), \
            running("logbook", logbook.serve, config), \
            running("dialogs", dialogs_service.serve, config) as rt, \
            aiohttp.ClientSession(headers=headers) as http:
        lock = config.service_url("lightpack") + "/lock?owner=x&seconds="
        for seconds in ("inf", "nan", "-5", "1e300", "abc"):
            async with http.post(lock + seconds) as resp:
                assert resp.status == 400, seconds
        command = config.service_url("dialogs") + "/command"
        for body in (deep, b'{"text": null}', b'{"text": ""}', b'[1, 2]', b"\xff\xfe",
                     b'{"text": "bonjour", "channel": ["sms"]}'):
            async with http.post(command, data=body) as resp:
                assert resp.status == 400, body[:30]
        async with http.post(config.service_url("logbook") + "/log", data=deep) as resp:
            assert resp.status == 400
        assert rt.counters["bad_request"] >= 5
