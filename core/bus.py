"""The ZeroMQ bus: an XSUB/XPUB forwarder, and async publisher/subscriber helpers.

Publishers connect to the forwarder's XSUB side, subscribers to its XPUB side, so any service
can move to another machine by changing the config. What the helpers add to raw pyzmq:

- no loss at start: a PUB socket drops what it sends before the forwarder's subscription
  reaches it. Our publisher is an XPUB socket: the forwarder subscribes to everything, and the
  publisher buffers locally until that subscription arrives, then flushes in order;
- no loss in bursts: high-water marks are unlimited on every socket of the path;
- reconnection: ZeroMQ reconnects by itself; a connecting socket keeps its queue while the
  forwarder restarts, so messages published meanwhile are delivered when it is back;
- a subscriber can `settle()`: it waits until a probe published after its subscriptions comes
  back, which proves its subscriptions have reached the forwarder;
- malformed messages are counted and logged, never raised into a service loop;
- security: with keys (`secure`, core.buskeys) every socket is a CURVE client of the
  forwarder, which admits only the house's machines (its ZAP handler) and, given an
  `authorize` (core.trust), lets through only the topics each machine may publish; what it
  refuses is counted and handed to `on_refused`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import zmq
import zmq.asyncio
from zmq.utils.monitor import recv_monitor_message

from core import buskeys
from core.buskeys import BusKeys
from core.messages import Envelope, Message, MessageError, Source, decode, encode_message
from core.messages.alive import Probe
from core.messages.envelope import source_host

_LOGGER = logging.getLogger(__name__)

_PROBE_PREFIX = Probe.TOPIC.encode() + b"."
REFUSAL_LOG_S = 60.0
"""A refusal is logged at most this often per machine and topic (always counted)."""
Handler = Callable[[Envelope], Awaitable[None] | None]


def bind_endpoint(endpoint: str) -> str:
    """The address to bind for a configured endpoint (`localhost` becomes 127.0.0.1)."""
    return endpoint.replace("//localhost:", "//127.0.0.1:")


def _context(ctx: zmq.asyncio.Context | None) -> zmq.asyncio.Context:
    return ctx or zmq.asyncio.Context.instance()


_KEYS: dict[str, BusKeys | None] = {"client": None, "server": None}


def secure(client: BusKeys | None, server: BusKeys | None = None) -> None:
    """The keys this process's bus sockets use from now on (None: plain, for a bench)."""
    _KEYS["client"], _KEYS["server"] = client, server


def secure_from(where: Any, name: str) -> None:
    """Use the key pair `name` (a machine) from the keys folder `where`, and the forwarder's
    pair when the folder holds it (a forwarder started in this process uses it)."""
    from pathlib import Path
    folder = Path(where)
    holds_server = (folder / f"{buskeys.SERVER}.key_secret").exists()
    server = buskeys.load(folder, buskeys.SERVER) if holds_server else None
    secure(buskeys.load(folder, name), server)


def client_keys() -> BusKeys | None:
    """The keys new client sockets use (None: plain)."""
    return _KEYS["client"]


ZAP_ENDPOINT = "inproc://zeromq.zap.01"
_HANDSHAKE_FAILED = (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
                     | zmq.EVENT_HANDSHAKE_FAILED_AUTH)


class Forwarder:
    """The XSUB/XPUB proxy, run in a thread: ZeroMQ's own C loop when every message may
    pass, a checking loop when `authorize(topic, machine)` decides (the machine is the one
    CURVE authenticated)."""

    def __init__(self, pub_endpoint: str, sub_endpoint: str, *, grace_s: float = 0.5,
                 keys: BusKeys | None = None,
                 authorize: Callable[[str, str], bool] | None = None,
                 on_refused: Callable[[str, str], None] | None = None) -> None:
        self._grace_s = grace_s
        self._ctx = zmq.Context()
        self.keys = keys or _KEYS["server"]
        self.authorize = authorize
        self.on_refused = on_refused
        self.refused = collections.Counter[str]()
        """Refusals: "connection" (no key or not the house's), "topic:<topic>" (a machine
        sending what none of its services may) and "source:<topic>" (a message claiming to
        come from another machine)."""
        self._zap: zmq.Socket[bytes] | None = None
        self._zap_thread: threading.Thread | None = None
        if self.keys is not None:
            self._start_zap()
        self.xsub = self._ctx.socket(zmq.XSUB)
        self.xpub = self._ctx.socket(zmq.XPUB)
        for sock in (self.xsub, self.xpub):
            sock.setsockopt(zmq.SNDHWM, 0)
            sock.setsockopt(zmq.RCVHWM, 0)
            sock.setsockopt(zmq.LINGER, 0)
            if self.keys is not None:
                assert self.keys.server_secret is not None, "the forwarder's own key pair"
                sock.zap_domain = b"basecamp"
                sock.curve_server = True
                sock.curve_secretkey = self.keys.server_secret
        # a checking forwarder watches its handshakes: a stranger (no key, or a key that is
        # not the house's) is refused by CURVE or by the ZAP handler, and counted here
        self._monitors = [sock.get_monitor_socket(_HANDSHAKE_FAILED)
                          for sock in (self.xsub, self.xpub)] \
            if self.keys is not None and authorize is not None else []
        self.xsub.bind(bind_endpoint(pub_endpoint))
        self.xpub.bind(bind_endpoint(sub_endpoint))
        self._control = f"inproc://forwarder-control-{uuid.uuid4().hex}"
        self._ctrl_in = self._ctx.socket(zmq.PAIR)
        self._ctrl_in.bind(self._control)
        self._ctrl_out = self._ctx.socket(zmq.PAIR)
        self._ctrl_out.connect(self._control)
        self._thread: threading.Thread | None = None

    def start(self) -> Forwarder:
        """Start proxying in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="bus-forwarder", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        # Subscribe upstream to everything, after a grace period that lets subscribers
        # (re)connect first: each publisher buffers until this subscription reaches it, so
        # what it published while the forwarder was away is not delivered to an empty room.
        time.sleep(self._grace_s)
        self.xsub.send(b"\x01")
        with contextlib.suppress(zmq.ContextTerminated):
            if self.authorize is None:
                zmq.proxy_steerable(self.xsub, self.xpub, None, self._ctrl_in)
            else:
                self._checked()

    def _checked(self) -> None:
        """The proxy loop with a look at each message's topic and machine."""
        poller = zmq.Poller()
        for sock in (self.xsub, self.xpub, self._ctrl_in, *self._monitors):
            poller.register(sock, zmq.POLLIN)
        authorize = self.authorize
        assert authorize is not None
        verdicts: dict[tuple[bytes, str], bytes] = {}
        while True:
            ready = dict(poller.poll())
            if self._ctrl_in in ready:
                return
            if self.xsub in ready:
                self._check_batch(authorize, verdicts)
            for monitor in self._monitors:
                if monitor in ready:
                    recv_monitor_message(monitor)
                    self._refuse("connection", "", "connexion sans clé de la maison")
            if self.xpub in ready:  # subscriptions travelling upstream
                for _ in range(1000):
                    try:
                        self.xsub.send_multipart(self.xpub.recv_multipart(zmq.NOBLOCK))
                    except zmq.Again:
                        break

    def _check_batch(self, authorize: Callable[[str, str], bool],
                     verdicts: dict[tuple[bytes, str], bytes]) -> None:
        """Forward what is waiting (up to 1000 messages): a frame passes when its machine may
        publish its topic and it says it comes from that machine. `verdicts` caches, per
        topic and machine, the source the frame must claim (b"": the topic is refused)."""
        recv, send, noblock = self.xsub.recv, self.xpub.send, zmq.NOBLOCK
        secured = self.keys is not None
        for _ in range(1000):
            try:
                frame = recv(noblock, copy=False)
            except zmq.Again:
                return
            raw = frame.bytes
            space = raw.find(b" ", 0, 256)
            head = raw[:space] if space >= 0 else raw[:256]
            machine = str(frame.get("User-Id")) if secured else ""
            if frame.more:  # the house sends one frame per message
                while self.xsub.getsockopt(zmq.RCVMORE):
                    recv(noblock)
                self._refuse("frames", machine, "message en plusieurs parties")
                continue
            expected = verdicts.get((head, machine))
            if expected is None:
                if len(verdicts) > 10_000:  # topics invented by a misbehaving machine
                    verdicts.clear()
                expected = verdicts[(head, machine)] = (machine.encode() or b"-") \
                    if authorize(head.decode("utf-8", "replace"), machine) else b""
            if not expected:
                topic = head.decode("utf-8", "replace")
                self._refuse(f"topic:{topic}", machine, topic)
            elif secured and source_host(raw) != expected:
                topic = head.decode("utf-8", "replace")
                self._refuse(f"source:{topic}", machine, f"{topic} (se dit d'une autre machine)")
            else:
                send(raw)  # a copy: zero-copy costs more than it saves on small frames

    def _refuse(self, key: str, machine: str, what: str) -> None:
        self.refused[key] += 1
        if self.on_refused is not None:
            try:
                self.on_refused(machine, what)
            except Exception:  # a failing reporter must not stop the bus
                _LOGGER.exception("refusal report failed")

    def _start_zap(self) -> None:
        """The ZAP handler: a connection is let in only with a key of the house; its
        machine name becomes the User-Id of every message it sends."""
        assert self.keys is not None
        clients = dict(self.keys.clients)
        self._zap = self._ctx.socket(zmq.REP)
        self._zap.bind(ZAP_ENDPOINT)
        self._zap.setsockopt(zmq.LINGER, 0)
        self._zap_stop = threading.Event()

        def run() -> None:
            assert self._zap is not None
            with contextlib.suppress(zmq.ContextTerminated, zmq.ZMQError):
                while not self._zap_stop.is_set():
                    if not self._zap.poll(200):
                        continue
                    request = self._zap.recv_multipart()
                    version, request_id = request[0], request[1]
                    mechanism, credentials = request[5], request[6:]
                    name = clients.get(credentials[0]) if mechanism == b"CURVE" \
                        and credentials else None
                    if name is None:  # counted with the failed handshake that follows
                        self._zap.send_multipart([version, request_id, b"400",
                                                  b"not a key of the house", b"", b""])
                    else:
                        self._zap.send_multipart([version, request_id, b"200", b"OK",
                                                  name.encode(), b""])
        self._zap_thread = threading.Thread(target=run, name="bus-zap", daemon=True)
        self._zap_thread.start()

    def stop(self) -> None:
        """Stop the proxy and close its sockets."""
        if self._thread is not None:
            self._ctrl_out.send(b"TERMINATE")
            self._thread.join(timeout=5)
            self._thread = None
        if self._zap_thread is not None:
            self._zap_stop.set()
            self._zap_thread.join(timeout=5)
        for sock in (*self._monitors, self.xsub, self.xpub, self._ctrl_in, self._ctrl_out,
                     self._zap):
            if sock is not None:
                sock.close(linger=0)
        self._ctx.term()


class Publisher:
    """Publishes messages to the forwarder; buffers until the forwarder is there."""

    def __init__(self, endpoint: str, source: Source, *, buffer: int = 200_000,
                 ctx: zmq.asyncio.Context | None = None, keys: BusKeys | None = None) -> None:
        """`keys`: this socket's machine keys (default: the process's, see `secure`)."""
        self.source = source
        self.endpoint = endpoint
        self._sock = _context(ctx).socket(zmq.XPUB)
        self._sock.setsockopt(zmq.SNDHWM, 0)
        self._sock.setsockopt(zmq.RCVHWM, 0)
        self._sock.setsockopt(zmq.XPUB_VERBOSE, 1)  # see every (re)subscription
        self._sock.setsockopt(zmq.LINGER, 2000)
        self._sync: zmq.Socket[bytes] = zmq.Socket.shadow(self._sock.underlying)
        self._pending: collections.deque[bytes] = collections.deque(maxlen=buffer)
        self._ready = asyncio.Event()
        self.dropped = 0
        self.sent = 0
        self._monitor = self._sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        if (keys := keys or client_keys()) is not None:
            buskeys.client(self._sock, keys)
        self._sock.connect(endpoint)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._watch_subscriptions()),
                       loop.create_task(self._watch_disconnects())]

    @property
    def ready(self) -> bool:
        """True once the forwarder's subscription has arrived."""
        return self._ready.is_set()

    async def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until the forwarder is reached; False on timeout (messages stay buffered)."""
        try:
            async with asyncio.timeout(timeout):  # unlike wait_for, never swallows a cancel
                await self._ready.wait()
        except TimeoutError:
            return False
        return True

    async def _watch_subscriptions(self) -> None:
        while True:
            try:
                frame = await self._sock.recv()
            except (zmq.ContextTerminated, zmq.ZMQError, asyncio.CancelledError):
                return
            if frame[:1] == b"\x01" and not self._ready.is_set():
                _LOGGER.info("bus forwarder reached at %s", self.endpoint)
                self._flush_pending()
                self._ready.set()

    async def _watch_disconnects(self) -> None:
        while True:
            try:
                await self._monitor.recv_multipart()
            except (zmq.ContextTerminated, zmq.ZMQError, asyncio.CancelledError):
                return
            if self._ready.is_set():
                _LOGGER.warning("bus forwarder at %s went away; buffering", self.endpoint)
            self._ready.clear()

    def _flush_pending(self) -> None:
        while self._pending:
            self._sync.send(self._pending.popleft())
            self.sent += 1

    def publish(self, message: Message | Envelope, *, ts: float | None = None) -> None:
        """Publish now, or buffer until the forwarder is reached (never blocks)."""
        if isinstance(message, Envelope):
            self.send_frame(message.encode())
        else:
            self.send_frame(encode_message(message, self.source,
                                           time.time() if ts is None else ts))

    def send_frame(self, frame: bytes) -> None:
        """Send an already-encoded frame (hot path of `publish`)."""
        if self._ready.is_set():
            self._sync.send(frame)
            self.sent += 1
            return
        if len(self._pending) == self._pending.maxlen:
            self.dropped += 1
            if self.dropped in (1, 10, 100) or self.dropped % 10_000 == 0:
                _LOGGER.warning("bus unreachable at %s: dropped %d oldest buffered messages",
                                self.endpoint, self.dropped)
        self._pending.append(frame)

    def close(self) -> None:
        """Stop watching and close the socket (lingers up to 2 s to deliver what is queued)."""
        for task in self._tasks:
            task.cancel()
        self._sock.disable_monitor()
        self._monitor.close(linger=0)
        self._sock.close()


class Subscriber:
    """Receives envelopes for topic prefixes; malformed messages are counted and skipped."""

    def __init__(self, endpoint: str, topics: Iterable[str] = ("",), *,
                 ctx: zmq.asyncio.Context | None = None, keys: BusKeys | None = None) -> None:
        self.endpoint = endpoint
        self._sock = _context(ctx).socket(zmq.SUB)
        self._sock.setsockopt(zmq.RCVHWM, 0)
        self._sock.setsockopt(zmq.LINGER, 0)
        for topic in topics:
            self._sock.setsockopt(zmq.SUBSCRIBE, topic.encode())
        self._sync: zmq.Socket[bytes] = zmq.Socket.shadow(self._sock.underlying)
        if (keys := keys or client_keys()) is not None:
            buskeys.client(self._sock, keys)
        self._sock.connect(endpoint)
        self.received = 0
        self.malformed = 0
        self._batch: collections.deque[Envelope] = collections.deque()
        self._probes: dict[bytes, asyncio.Event] = {}
        self._reading = False

    def subscribe(self, topic: str) -> None:
        """Add a topic prefix."""
        self._sock.setsockopt(zmq.SUBSCRIBE, topic.encode())

    async def settle(self, publisher: Publisher, timeout: float = 10.0) -> bool:
        """Wait until our subscriptions are active at the forwarder (False on timeout).

        Works whether or not another task is reading this subscriber: probe frames are
        recognised wherever they are received and never delivered as messages.
        """
        probe = Probe(uuid.uuid4().hex)
        topic = probe.topic().encode()
        seen = asyncio.Event()
        self._probes[topic + b" "] = seen
        self.subscribe(probe.topic())
        deadline = time.monotonic() + timeout
        try:
            while not seen.is_set() and time.monotonic() < deadline:
                publisher.publish(probe)
                if self._reading:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(0.05):
                            await seen.wait()
                    continue
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        self._batch.extend(await self._read())
            return seen.is_set()
        finally:
            self._sock.setsockopt(zmq.UNSUBSCRIBE, topic)
            # late copies of the probe may still arrive: keep recognising them for a while
            asyncio.get_running_loop().call_later(2.0, self._probes.pop, topic + b" ", None)

    def _accept(self, frame: bytes) -> None:
        if self._probes and frame.startswith(_PROBE_PREFIX):
            event = self._probes.get(frame[:frame.find(b" ") + 1])
            if event is not None:
                event.set()
            return
        try:
            envelope = decode(frame)
        except MessageError as err:
            self.malformed += 1
            _LOGGER.warning("malformed bus message #%d skipped (%s)", self.malformed, err)
            return
        self.received += 1
        self._batch.append(envelope)

    async def _read(self, max_items: int = 10_000) -> list[Envelope]:
        """Read at least one frame, then whatever else is queued; return valid envelopes."""
        self._reading = True
        try:
            self._accept(await self._sock.recv())
        finally:
            self._reading = False
        for _ in range(max_items):
            try:
                frame = self._sync.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            self._accept(frame)
        out = list(self._batch)
        self._batch.clear()
        return out

    async def recv_batch(self, max_items: int = 10_000) -> list[Envelope]:
        """Wait for at least one valid envelope; return it with whatever else is queued."""
        if self._batch:
            out = list(self._batch)
            self._batch.clear()
            return out
        while True:
            out = await self._read(max_items)
            if out:
                return out

    async def recv(self) -> Envelope:
        """The next valid envelope."""
        if not self._batch:
            self._batch.extend(await self.recv_batch())
        return self._batch.popleft()

    def close(self) -> None:
        """Close the socket."""
        self._sock.close(linger=0)


async def dispatch(subscriber: Subscriber, handler: Handler,
                   errors: collections.Counter[str] | None = None) -> None:
    """Feed every envelope to `handler` forever; a failing handler is logged and counted."""
    while True:
        for envelope in await subscriber.recv_batch():
            try:
                result = handler(envelope)
                if asyncio.iscoroutine(result):
                    await result
            except (MessageError, ValueError, KeyError, TypeError) as err:
                if errors is not None:
                    errors[type(err).__name__] += 1
                _LOGGER.warning("message on %s rejected: %s", envelope.topic, err)
            except Exception:
                if errors is not None:
                    errors["handler"] += 1
                _LOGGER.exception("handler failed on %s", envelope.topic)


def parse(envelope: Envelope, cls: type[Any]) -> Any:
    """The typed message in an envelope (raises MessageError)."""
    return cls.from_envelope(envelope)


async def serve(rt: Any) -> None:
    """`basecamp run bus`: the forwarder — the house's keys only, each machine's topics only
    (core.trust) when `bus.curve` — with the usual /alive and heartbeat."""
    from core.trust import Authorizer
    pub, sub = rt.config.bus_endpoints()
    loop = asyncio.get_running_loop()
    told: dict[tuple[str, str], float] = {}

    def refused(machine: str, what: str) -> None:  # in the forwarder's thread
        now = time.monotonic()
        if now - told.get((machine, what), float("-inf")) < REFUSAL_LOG_S:
            return  # said once a minute per machine and topic: a flood is counted, not logged
        told[(machine, what)] = now
        message = f"bus : refusé {what} de {machine}" if machine else f"bus : {what} refusée"
        loop.call_soon_threadsafe(rt.log, "warning", message)

    secured = rt.config.bus.curve
    keys = buskeys.load(buskeys.ensure(rt.config), buskeys.SERVER) if secured else None
    forwarder = Forwarder(pub, sub, keys=keys,
                          authorize=Authorizer(rt.config) if secured else None,
                          on_refused=refused).start()
    rt.on_stop(forwarder.stop)
    rt.status["endpoints"] = lambda: {"publishers": pub, "subscribers": sub,
                                      "curve": secured, "refused": dict(forwarder.refused)}
