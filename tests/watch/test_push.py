"""The push notifier: apprise's Pushover plugin against a loopback Pushover endpoint."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from aiohttp import web

from core.bus import Publisher, Subscriber
from core.clock import ManualClock
from core.config import Config
from core.messages import Source
from core.messages.dialogs import SmsSend
from core.messages.watch import PushSend
from core.service import running
from tests.helpers import free_port
from tests.watch.conftest import small_house
from watch import push

USER, TOKEN = "u" * 30, "a" * 30


class FakePushover:
    """A loopback HTTP endpoint speaking Pushover's messages API (can be told to fail)."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.failing = False
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/1/messages.json"

    async def handler(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        if self.failing:
            return web.json_response({"status": 0, "errors": ["down"]}, status=500)
        if form.get("token") != TOKEN or form.get("user") != USER:
            return web.json_response({"status": 0}, status=400)
        self.received.append({k: str(v) for k, v in form.items()})
        return web.json_response({"status": 1, "request": "r"})

    async def __aenter__(self) -> FakePushover:
        app = web.Application()
        app.router.add_post("/1/messages.json", self.handler)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()


def house(tmp_path: Path, bus: Config, api_url: str, **push_settings: Any) -> Config:
    (tmp_path / "secrets").mkdir(exist_ok=True)
    (tmp_path / "secrets" / "pushover_user").write_text(USER)
    (tmp_path / "secrets" / "pushover_token").write_text(TOKEN)
    return small_house(tmp_path, services={"push": {"machine": "bc-watch", "port": free_port()}},
                       push={"api_url": api_url, "retry_s": 0.1, **push_settings}, bus=bus)


async def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


async def test_push_delivered_then_queued_during_outage_in_order(
        tmp_path: Path, config: Config, bus: Any) -> None:
    async with FakePushover() as api:
        config = house(tmp_path, config, api.url)
        pub = Publisher(config.bus_endpoints()[0], Source("bc-watch", "watch"))
        sub = Subscriber(config.bus_endpoints()[1], [SmsSend.TOPIC])
        assert await sub.settle(pub, 5)
        async with running("push", push.serve, config) as rt:
            await rt.settle()
            pub.publish(PushSend("Basecamp", "PROBLÈME: logbook sur bc-hq", 1))
            await wait_for(lambda: len(api.received) == 1)
            assert api.received[0]["message"] == "PROBLÈME: logbook sur bc-hq"
            assert api.received[0]["priority"] == "1"
            api.failing = True
            for i in range(3):
                pub.publish(PushSend("Basecamp", f"message {i}"))
            await wait_for(lambda: rt.counters["queued"] == 4)
            await asyncio.sleep(0.5)
            assert len(api.received) == 1
            api.failing = False
            await wait_for(lambda: len(api.received) == 4)
        reports = [SmsSend.from_envelope(e) for e in await asyncio.wait_for(sub.recv_batch(), 5)]
    assert [r["message"] for r in api.received[1:]] == ["message 0", "message 1", "message 2"]
    # the outage was reported once by SMS to the owner, marked so it is never reported back
    assert len(reports) == 1 and reports[0].kind == "error_report"
    assert reports[0].number == "+33600000001"
    pub.close()
    sub.close()


async def test_flood_is_throttled_not_dropped(tmp_path: Path, config: Config, bus: Any) -> None:
    """At most `max_per_hour` an hour of the house's clock: the next five go out once the
    runtime's clock has moved an hour (and no wall time has passed)."""
    async with FakePushover() as api:
        config = house(tmp_path, config, api.url, max_per_hour=5)
        clock = ManualClock(dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC))
        pub = Publisher(config.bus_endpoints()[0], Source("bc-watch", "watch"))
        async with running("push", push.serve, config, clock=clock) as rt:
            await rt.settle()
            for i in range(50):
                pub.publish(PushSend("Basecamp", f"boucle {i}"))
            await wait_for(lambda: rt.counters["queued"] == 50)
            await asyncio.sleep(0.5)
            assert len(api.received) == 5
            assert rt.status["push"]()["queued"] == 45
            clock.advance(3601)
            await wait_for(lambda: len(api.received) == 10)
            await asyncio.sleep(0.5)
            assert len(api.received) == 10 and rt.status["push"]()["queued"] == 40
        pub.close()


async def test_missing_secrets_queue_messages(tmp_path: Path, config: Config, bus: Any) -> None:
    config = small_house(tmp_path, services={"push": {"machine": "bc-watch", "port": free_port()}},
                         push={"retry_s": 0.1,
                               "user_key": {"env": "BASECAMP_TEST_NO_SUCH_VAR"},
                               "token": {"env": "BASECAMP_TEST_NO_SUCH_VAR"}}, bus=config)
    pub = Publisher(config.bus_endpoints()[0], Source("bc-watch", "watch"))
    async with running("push", push.serve, config) as rt:
        await rt.settle()
        pub.publish(PushSend("Basecamp", "x"))
        await wait_for(lambda: rt.counters["queued"] == 1)
        status = rt.status["push"]()
        assert status["configured"] is False and status["queued"] == 1
    pub.close()


async def test_unconfigured_push_queues_and_never_reports_by_sms(tmp_path: Path, config: Config,
                                                                 bus: Any) -> None:
    conf = small_house(tmp_path, services={"push": {"machine": "bc-watch", "port": free_port()}},
                       push={"retry_s": 0.05}, bus=config)  # no secrets: not configured
    listener = Subscriber(config.bus_endpoints()[1], [SmsSend.TOPIC])
    publisher = Publisher(config.bus_endpoints()[0], Source("bc-watch", "watch"))
    assert await listener.settle(publisher)
    async with running("push", push.serve, conf) as rt:
        await rt.settle()
        for i in range(3):
            publisher.publish(PushSend("Basecamp", f"alerte {i}"))
        for _ in range(100):
            if rt.status["push"]()["queued"] == 3:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # a few delivery attempts
        status = rt.status["push"]()
        assert status == {"configured": False, "up": False, "queued": 3,
                          "error": push.NOT_CONFIGURED}
    with_sms = []
    while True:
        try:
            async with asyncio.timeout(0.3):
                with_sms.append(await listener.recv())
        except TimeoutError:
            break
    assert with_sms == []
    listener.close()
    publisher.close()
