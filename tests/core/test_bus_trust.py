"""The authenticated bus over real ZeroMQ sockets: CURVE keys of the house only (ZAP), each
machine's topics only (core.trust), each message's claimed source checked against the machine
it came from; everything refused is counted and reported, nothing refused is delivered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import zmq
import zmq.auth

from core import buskeys
from core.bus import Forwarder, Publisher, Subscriber
from core.config import Config
from core.messages import Envelope, Source, encode_message
from core.messages.alive import Heartbeat
from core.messages.dialogs import Intent, SmsSend
from core.messages.heating import SetProfile
from core.messages.sensors import MutaUpdate
from core.trust import Authorizer


@pytest.fixture
async def guarded(config: Config, bus_keys: Path) -> AsyncIterator[Forwarder]:
    """A forwarder that admits the session's house keys and checks topics by placement."""
    told: list[tuple[str, str]] = []
    pub, sub = config.bus_endpoints()
    forwarder = Forwarder(pub, sub, grace_s=0.05, keys=buskeys.load(bus_keys, buskeys.SERVER),
                          authorize=Authorizer(config),
                          on_refused=lambda machine, what: told.append((machine, what))).start()
    forwarder.told = told  # type: ignore[attr-defined]
    yield forwarder
    forwarder.stop()


async def _gather(sub: Subscriber, seconds: float) -> list[Envelope]:
    got: list[Envelope] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            got += await asyncio.wait_for(sub.recv_batch(), left)
        except TimeoutError:
            break
    return got


def _machine(bus_keys: Path, name: str) -> buskeys.BusKeys:
    return buskeys.load(bus_keys, name)


async def test_each_machine_publishes_only_what_its_services_may(
        config: Config, guarded: Forwarder, bus_keys: Path) -> None:
    pub_ep, sub_ep = config.bus_endpoints()
    sub = Subscriber(sub_ep, ["basecamp."], keys=_machine(bus_keys, "bc-hq"))
    water = Publisher(pub_ep, Source("bc-water", "water"), keys=_machine(bus_keys, "bc-water"))
    ui = Publisher(pub_ep, Source("bc-ui", "kiosk"), keys=_machine(bus_keys, "bc-ui"))
    assert await sub.settle(water) and await sub.settle(ui)
    # bc-water runs the water meter: it may not change the heating, the mode or send SMS
    water.publish(SetProfile("force_comfort"))
    water.publish(Intent("BasecampReturn", channel="kiosk"))
    water.publish(SmsSend("+33699999999", "forged"))
    water.publish(MutaUpdate("salon", 1, temperature=19.0))  # not its sensor either
    # the kiosk's machine may ask for a mode and a profile (its touchscreen does)
    ui.publish(Intent("BasecampLeave", channel="kiosk"))
    ui.publish(SetProfile("eco"))
    got = await _gather(sub, 1.5)
    topics = [e.topic for e in got if not e.topic.startswith("basecamp.bus.")]
    assert topics == ["basecamp.intent.BasecampLeave", SetProfile.TOPIC]
    assert [e.src for e in got if e.topic == SetProfile.TOPIC] == [Source("bc-ui", "kiosk")]
    assert guarded.refused == {f"topic:{SetProfile.TOPIC}": 1,
                               "topic:basecamp.intent.BasecampReturn": 1,
                               f"topic:{SmsSend.TOPIC}": 1,
                               f"topic:{MutaUpdate.TOPIC}": 1}
    assert ("bc-water", SetProfile.TOPIC) in guarded.told  # type: ignore[attr-defined]
    for sock in (water, ui, sub):
        sock.close()


async def test_a_message_claiming_another_machine_is_refused(
        config: Config, guarded: Forwarder, bus_keys: Path) -> None:
    """bc-ui may send intents, but not pretend they come from bc-hq's dialogs."""
    pub_ep, sub_ep = config.bus_endpoints()
    sub = Subscriber(sub_ep, [Intent.TOPIC], keys=_machine(bus_keys, "bc-hq"))
    liar = Publisher(pub_ep, Source("bc-hq", "dialogs"), keys=_machine(bus_keys, "bc-ui"))
    honest = Publisher(pub_ep, Source("bc-ui", "kiosk"), keys=_machine(bus_keys, "bc-ui"))
    assert await sub.settle(honest)
    liar.publish(Intent("BasecampLeave", channel="sms", sender="owner"))
    honest.publish(Intent("BasecampSleep", channel="kiosk"))
    got = await _gather(sub, 1.5)
    assert [e.topic for e in got] == ["basecamp.intent.BasecampSleep"]
    assert guarded.refused == {"source:basecamp.intent.BasecampLeave": 1}
    for sock in (liar, honest, sub):
        sock.close()


async def test_a_heartbeat_comes_from_its_own_machine(
        config: Config, guarded: Forwarder, bus_keys: Path) -> None:
    """A machine cannot keep another one looking alive to the sentinel."""
    pub_ep, sub_ep = config.bus_endpoints()
    sub = Subscriber(sub_ep, ["basecamp.alive."], keys=_machine(bus_keys, "bc-hq"))
    water = _machine(bus_keys, "bc-water")
    probe = Publisher(pub_ep, Source("bc-water", "water"), keys=water)
    assert await sub.settle(probe)
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    raw = ctx.socket(zmq.PUB)
    buskeys.client(raw, water)
    raw.connect(pub_ep)
    await asyncio.sleep(0.5)
    for host in ("bc-hq", "bc-water"):
        raw.send(encode_message(Heartbeat("bus", host, "1", 1.0), Source("bc-water", "water"),
                                time.time()))
    got = await _gather(sub, 1.5)
    assert [e.topic for e in got] == ["basecamp.alive.bc-water.bus"]
    assert guarded.refused == {"topic:basecamp.alive.bc-hq.bus": 1}
    raw.close(linger=0)
    probe.close()
    sub.close()


async def test_strangers_cannot_connect_publish_or_listen(
        config: Config, guarded: Forwarder, bus_keys: Path, tmp_path: Path) -> None:
    """No key, or a key of one's own (even knowing the forwarder's public key): refused at the
    handshake, counted, and nothing they send reaches the house."""
    pub_ep, sub_ep = config.bus_endpoints()
    sub = Subscriber(sub_ep, ["basecamp."], keys=_machine(bus_keys, "bc-hq"))
    ui = Publisher(pub_ep, Source("bc-ui", "kiosk"), keys=_machine(bus_keys, "bc-ui"))
    assert await sub.settle(ui)
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    plain = ctx.socket(zmq.PUB)
    plain.connect(pub_ep)
    _, secret = zmq.auth.create_certificates(str(tmp_path), "stranger")
    public, secret_key = zmq.auth.load_certificate(secret)
    assert secret_key is not None
    keyed = ctx.socket(zmq.PUB)
    keyed.curve_publickey, keyed.curve_secretkey = public, secret_key
    server_public = buskeys.load(bus_keys, "bc-hq").server_public
    keyed.curve_serverkey = server_public
    keyed.connect(pub_ep)
    eavesdropper = ctx.socket(zmq.SUB)
    eavesdropper.curve_publickey, eavesdropper.curve_secretkey = public, secret_key
    eavesdropper.curve_serverkey = server_public
    eavesdropper.setsockopt(zmq.SUBSCRIBE, b"")
    eavesdropper.connect(sub_ep)
    await asyncio.sleep(0.5)
    frame = encode_message(SetProfile("force_comfort"), Source("bc-ui", "kiosk"), time.time())
    for sock in (plain, keyed):
        for _ in range(3):
            sock.send(frame)
    ui.publish(SetProfile("eco"))
    got = await _gather(sub, 1.5)
    assert [e.data["profile"] for e in got if e.topic == SetProfile.TOPIC] == ["eco"]
    assert eavesdropper.poll(200) == 0  # the house's own SetProfile never reached it
    assert guarded.refused["connection"] >= 3  # the two publishers and the eavesdropper
    assert set(guarded.refused) == {"connection"}
    for raw in (plain, keyed, eavesdropper):
        raw.close(linger=0)
    ui.close()
    sub.close()
