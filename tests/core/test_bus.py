"""The bus over real ZeroMQ sockets on loopback: no loss in bursts, at start, or across a
forwarder restart; malformed frames are counted, never raised."""

from __future__ import annotations

import asyncio
import collections

import pytest

from core.bus import Forwarder, Publisher, Subscriber, dispatch
from core.config import Config
from core.messages import Envelope, Source
from core.messages.presence import PirMotion
from core.messages.sensors import MutaUpdate

SRC = Source("bc-hq", "test")


async def _collect(sub: Subscriber, count: int, timeout: float = 10.0) -> list[Envelope]:
    got: list[Envelope] = []
    while len(got) < count:
        got.extend(await asyncio.wait_for(sub.recv_batch(), timeout))
    return got


async def test_burst_of_200k_loses_nothing_and_keeps_order(config: Config,
                                                           bus: Forwarder) -> None:
    pub_ep, sub_ep = config.bus_endpoints()
    sub = Subscriber(sub_ep, ["basecamp.muta."])
    pub = Publisher(pub_ep, SRC)
    assert await sub.settle(pub)
    count = 200_000
    for seq in range(count):  # published without yielding: the worst case for buffers
        pub.publish(MutaUpdate("salon", seq, temperature=19.0))
    got = await _collect(sub, count)
    assert [e.data["seq"] for e in got] == list(range(count))
    pub.close()
    sub.close()


async def test_messages_published_before_the_forwarder_is_reached_are_kept(
        config: Config, bus: Forwarder) -> None:
    pub_ep, sub_ep = config.bus_endpoints()
    sub = Subscriber(sub_ep, ["basecamp.muta."])
    prober = Publisher(pub_ep, Source("bc-hq", "prober"))
    assert await sub.settle(prober)
    pub = Publisher(pub_ep, SRC)
    assert not pub.ready  # connect is asynchronous: a raw PUB would drop these
    for seq in range(50):
        pub.publish(MutaUpdate("salon", seq))
    got = await _collect(sub, 50)
    assert [e.data["seq"] for e in got] == list(range(50))
    assert pub.ready and pub.dropped == 0
    for p in (pub, prober):
        p.close()
    sub.close()


async def test_reconnects_by_itself_when_the_forwarder_restarts(config: Config) -> None:
    pub_ep, sub_ep = config.bus_endpoints()
    forwarder = Forwarder(pub_ep, sub_ep, grace_s=0.3).start()
    sub = Subscriber(sub_ep, ["basecamp.muta."])
    pub = Publisher(pub_ep, SRC)
    assert await sub.settle(pub)
    forwarder.stop()
    await asyncio.sleep(0.3)
    for seq in range(100):  # published while the forwarder is down
        pub.publish(MutaUpdate("salon", seq))
    forwarder = Forwarder(pub_ep, sub_ep, grace_s=0.3).start()
    try:
        got = await _collect(sub, 100)
        assert sorted(e.data["seq"] for e in got) == list(range(100))
        pub.publish(MutaUpdate("salon", 100))
        assert (await _collect(sub, 1))[0].data["seq"] == 100
    finally:
        pub.close()
        sub.close()
        forwarder.stop()


async def test_malformed_frames_are_counted_and_skipped(config: Config, bus: Forwarder) -> None:
    pub_ep, sub_ep = config.bus_endpoints()
    sub = Subscriber(sub_ep, ["basecamp."])
    pub = Publisher(pub_ep, SRC)
    assert await sub.settle(pub)
    for junk in (b"basecamp.junk", b"basecamp.junk {oops", b"basecamp.junk \xff\xfe"):
        pub.send_frame(junk)
    pub.publish(MutaUpdate("salon", 1))
    got = await _collect(sub, 1)
    assert [e.topic for e in got] == ["basecamp.muta.update"]
    assert sub.malformed == 3
    pub.close()
    sub.close()


async def test_dispatch_survives_a_failing_handler(config: Config, bus: Forwarder) -> None:
    pub_ep, sub_ep = config.bus_endpoints()
    sub = Subscriber(sub_ep, ["basecamp.muta."])
    pub = Publisher(pub_ep, SRC)
    assert await sub.settle(pub)
    seen: list[int] = []
    errors: collections.Counter[str] = collections.Counter()

    def handler(envelope: Envelope) -> None:
        msg = MutaUpdate.from_envelope(envelope)
        if msg.seq == 1:
            raise RuntimeError("boom")
        seen.append(msg.seq)

    task = asyncio.create_task(dispatch(sub, handler, errors))
    pub.publish(MutaUpdate("salon", 0))
    pub.publish(MutaUpdate("salon", 1))
    pub.send_frame(b'basecamp.muta.update {"topic":"basecamp.muta.update","ts":1,'
                   b'"src":{"host":"bc-hq","service":"t"},"data":{"unit":3,"seq":2}}')
    pub.publish(MutaUpdate("salon", 3))
    for _ in range(100):
        if seen == [0, 3]:
            break
        await asyncio.sleep(0.02)
    task.cancel()
    assert seen == [0, 3]
    assert errors == {"handler": 1, "MessageError": 1}
    pub.close()
    sub.close()


@pytest.mark.parametrize("prefix", ["basecamp.muta.", "basecamp.muta.update"])
async def test_prefix_subscriptions_filter(config: Config, bus: Forwarder, prefix: str) -> None:
    pub_ep, sub_ep = config.bus_endpoints()
    sub = Subscriber(sub_ep, [prefix])
    pub = Publisher(pub_ep, SRC)
    assert await sub.settle(pub)
    pub.publish(PirMotion("entry", 1))
    pub.publish(MutaUpdate("chambre", 5))
    got = await _collect(sub, 1)
    assert [e.topic for e in got] == ["basecamp.muta.update"]
    pub.close()
    sub.close()
