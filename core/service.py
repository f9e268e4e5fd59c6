"""The daemon runtime every Basecamp service uses.

A service is a module with `async def serve(rt: Runtime) -> None`: it subscribes, adds HTTP
routes and starts its tasks through `rt`, then returns (or runs forever). The runtime adds what
every daemon needs: aiohttp `/alive` and `/status`, the bus heartbeat
`basecamp.alive.<host>.<service>`, a "started <service> <version>" logbook entry, a metrics
writer, timeouts on outbound HTTP, and a graceful stop on SIGTERM/SIGINT. When the bus or the
logbook is unreachable the service keeps running: messages wait in the publisher's buffer and
everything is logged locally too.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hmac
import json
import logging
import math
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

import core
from core.bus import Handler, Publisher, Subscriber, dispatch
from core.clock import Clock, SystemClock
from core.clock import from_environment as clock_from_environment
from core.config import Config
from core.messages import Envelope, Message, Source
from core.messages.alive import Heartbeat, StateRequest
from core.messages.log import Level, LogEntry
from core.redact import redact, remember

_LOGGER = logging.getLogger(__name__)

Serve = Callable[["Runtime"], Awaitable[None]]


QUEUE_CHECK_S = 5.0
"""How often a service looks whether its metrics queue disk refuses writes (machine time)."""
STATE_ANSWER_GAP_S = 0.5
"""A service answers state requests at most this often (machine time)."""


class ServiceError(RuntimeError):
    """A service cannot start (e.g. its port is taken)."""


@dataclass
class Runtime:
    """What a running service gets: identity, config, clocks, bus, HTTP app, metrics."""

    config: Config
    name: str
    host: str
    clock: Clock
    """House time (accelerated in demos and soaks): what the house's rules live by."""
    publisher: Publisher
    app: web.Application
    version: str = core.__version__
    keys: Any = None
    """This machine's bus keys (core.buskeys.BusKeys; None: a plain bus)."""
    machine: Clock = field(default_factory=SystemClock)
    """Machine time, always wall time: heartbeats and supervision (see core.clock)."""
    started: float = field(default_factory=time.monotonic)
    counters: collections.Counter[str] = field(default_factory=collections.Counter)
    """Counted events (rejected messages, errors...), shown on /status."""
    status: dict[str, Callable[[], Any]] = field(default_factory=dict)
    """Extra /status entries: name -> function returning JSON-friendly data."""
    crashed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a background task died: `run` then stops the service with an error."""
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _subscribers: list[Subscriber] = field(default_factory=list)
    _on_stop: list[Callable[[], Any]] = field(default_factory=list)
    _http: aiohttp.ClientSession | None = None
    _metrics: Any = None
    _queue_told: bool = False
    _states: list[Callable[[], Message | None]] = field(default_factory=list)
    _answered: float = float("-inf")

    # ---- bus ---------------------------------------------------------------------------
    def publish(self, message: Message) -> None:
        """Publish a typed message (buffered while the bus is unreachable)."""
        self.publisher.publish(message, ts=self.clock.now().timestamp())

    def subscribe(self, topics: Iterable[str], handler: Handler) -> Subscriber:
        """Call `handler` for every envelope on these topic prefixes; errors are counted."""
        subscriber = Subscriber(self.config.bus_endpoints()[1], topics, keys=self.keys)
        self._subscribers.append(subscriber)
        self.spawn(dispatch(subscriber, handler, self.counters), name="subscriber")
        return subscriber

    async def settle(self, timeout: float = 5.0) -> bool:
        """Wait until this service's subscriptions are active at the forwarder."""
        results = [await sub.settle(self.publisher, timeout) for sub in self._subscribers]
        return all(results)

    def answer_state(self, current: Callable[[], Message | None]) -> None:
        """Publish `current()` — this service's state now — whenever a newcomer asks
        (`StateRequest`): the bus keeps no last values, and a kiosk that starts should not
        wait for the next periodic republish to show the mode. Only for state its consumers
        already get again periodically (mode, heating, lights): never a reading, which
        replayed would look fresh (the heater's failsafe judges the reference's age)."""
        if not self._states:
            self.subscribe([StateRequest.TOPIC], self._state_requested)
        self._states.append(current)

    def _state_requested(self, envelope: Envelope) -> None:
        now = time.monotonic()
        if now - self._answered < STATE_ANSWER_GAP_S:
            return  # several newcomers at once (or a loop): one answer is enough
        self._answered = now
        prefix = StateRequest.from_envelope(envelope).prefix
        for current in self._states:
            message = current()
            if message is not None and message.topic().startswith(prefix):
                self.publish(message)

    # ---- logbook -----------------------------------------------------------------------
    def log(self, level: Level | str, message: str) -> None:
        """Log locally and send the entry to the logbook over the bus (secrets masked)."""
        level = Level(level)
        message = redact(message)
        _LOGGER.log(logging.getLevelName(level.upper()), "%s", message)
        self.publish(LogEntry(self.host, self.name, level.value, message))

    # ---- tasks -------------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str = "") -> asyncio.Task[Any]:
        """Run a background task for the life of the service; a crash is logged, counted."""
        task = asyncio.get_running_loop().create_task(coro, name=f"{self.name}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.counters["task_crashed"] += 1
            _LOGGER.error("task %s crashed", task.get_name(), exc_info=task.exception())
            # a service whose reader died would answer /alive and do nothing: let it stop,
            # supervisord starts it again (per-message errors never get here: dispatch and
            # `every` catch them)
            self.crashed.set()

    def every(self, seconds: float, job: Callable[[], Awaitable[None] | None], *,
              name: str = "periodic", machine_time: bool = False) -> asyncio.Task[Any]:
        """Run `job` every `seconds` of house time (of machine time with `machine_time`);
        one failure does not stop it."""
        clock = self.machine if machine_time else self.clock

        async def loop() -> None:
            while True:
                try:
                    result = job()
                    if asyncio.iscoroutine(result):
                        await result
                except Exception:
                    self.counters[f"{name}_failed"] += 1
                    _LOGGER.exception("periodic job %s failed", name)
                await clock.sleep(seconds)
        return self.spawn(loop(), name=name)

    def on_stop(self, callback: Callable[[], Any]) -> None:
        """Call `callback` (sync or async) when the service stops."""
        self._on_stop.append(callback)

    # ---- resources ---------------------------------------------------------------------
    @property
    def http(self) -> aiohttp.ClientSession:
        """A client session whose every call times out (config `http.timeout_s`)."""
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.http.timeout_s))
        return self._http

    @property
    def metrics(self) -> Any:
        """This service's metrics writer (core.metrics.MetricsWriter), started on first use."""
        if self._metrics is None:
            from core.metrics import open_writer
            self._metrics = open_writer(self.config, self.name)
            self.spawn(self._metrics.run(), name="metrics")
            self.every(QUEUE_CHECK_S, self._queue_alert, name="metrics-queue",
                       machine_time=True)
        return self._metrics

    def _queue_alert(self) -> None:
        """A metrics queue disk that refuses writes is a major problem, told once, and its
        end too (the readings wait in memory meanwhile)."""
        full = bool(self._metrics is not None and self._metrics.queue_full)
        if full == self._queue_told:
            return
        self._queue_told = full
        from core.messages.watch import Alert, Notice, Severity
        key = f"metrics:{self.host}/{self.name}"
        if full:
            self.counters["metrics_queue_full"] += 1
            self.publish(Alert(key, Severity.MAJOR, Notice.PROBLEM,
                               f"Disque plein sur {self.host} : les mesures de {self.name} "
                               f"attendent en mémoire", self.name))
        else:
            self.publish(Alert(key, Severity.MAJOR, Notice.RECOVERY,
                               f"Disque de {self.host} de nouveau inscriptible : mesures de "
                               f"{self.name} en file", self.name))

    def data_dir(self) -> Path:
        """This service's own folder under the house data dir (created)."""
        if self.name in self.config.services:
            path = self.config.service_dir(self.name, self.host)
        else:
            path = self.config.path(self.name)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def check_token(self, request: web.Request) -> None:
        """Refuse a house-changing request without the configured token (401/403)."""
        token = self.config.reveal(self.config.http.token)
        if not token:
            raise web.HTTPForbidden(text="no HTTP token configured: house changes are disabled")
        # the header only: a token in a URL ends up in logs, histories and proxies
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            self.counters["unauthorized"] += 1
            raise web.HTTPUnauthorized(text="missing or wrong token")

    def uptime(self) -> float:
        """Seconds since the service started."""
        return round(time.monotonic() - self.started, 3)

    def heartbeat(self) -> Heartbeat:
        """This service's alive message."""
        return Heartbeat(self.name, self.host, self.version, self.uptime())

    async def _close(self) -> None:
        for callback in reversed(self._on_stop):
            try:
                result = callback()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                _LOGGER.exception("stop callback failed")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._metrics is not None:
            await self._metrics.close()
        for sub in self._subscribers:
            sub.close()
        if self._http is not None:
            await self._http.close()
        self.publisher.close()


def _alive_routes(rt: Runtime) -> None:
    async def alive(_: web.Request) -> web.Response:
        return web.json_response({"service": rt.name, "version": rt.version, "host": rt.host,
                                  "uptime_s": rt.uptime()})

    async def status(request: web.Request) -> web.Response:
        rt.check_token(request)  # it tells who is home, until when, what the screen shows
        body: dict[str, Any] = {"service": rt.name, "version": rt.version, "host": rt.host,
                                "uptime_s": rt.uptime(), "bus": {
                                    "connected": rt.publisher.ready, "sent": rt.publisher.sent,
                                    "dropped": rt.publisher.dropped,
                                    "received": sum(s.received for s in rt._subscribers),
                                    "malformed": sum(s.malformed for s in rt._subscribers)},
                                "counters": dict(rt.counters)}
        for key, provider in rt.status.items():
            try:
                body[key] = provider()
            except Exception as err:  # a broken provider must not break /status
                body[key] = {"error": str(err)}
        return web.json_response(body, dumps=_dumps)

    async def metrics(request: web.Request) -> web.Response:
        rt.check_token(request)  # counters tell what the house does, as /status does
        from core.prometheus import CONTENT_TYPE, exposition
        response = web.Response(body=exposition(rt))
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    rt.app.router.add_get("/alive", alive)
    rt.app.router.add_get("/status", status)
    rt.app.router.add_get("/metrics", metrics)


def _dumps(obj: Any) -> str:
    import orjson
    return orjson.dumps(obj, default=str).decode()


@web.middleware
async def _bad_input(request: web.Request, handler: Any) -> web.StreamResponse:
    """A body no parser can read (too deep, not UTF-8, not JSON) is the client's fault: 400,
    never a 500 and a traceback in the service's log."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except (RecursionError, UnicodeDecodeError, json.JSONDecodeError):
        raise web.HTTPBadRequest(text="malformed request body") from None


def query_number(request: web.Request, name: str, default: float | None = None, *,
                 lo: float | None = None, hi: float | None = None) -> float | None:
    """A number from the query string, finite and within [lo, hi]; else 400 naming it."""
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name}: expected a number") from None
    if not math.isfinite(value) or (lo is not None and value < lo) or (
            hi is not None and value > hi):
        raise web.HTTPBadRequest(text=f"{name}: expected a finite number"
                                      + (f" between {lo:g} and {hi:g}"
                                         if lo is not None and hi is not None else ""))
    return value


class _Refused(asyncio.Protocol):
    """A connection over the cap: closed as soon as it is made."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


async def listen(runner: web.AppRunner, address: str, port: int, cap: int,
                 counters: Any) -> asyncio.Server:
    """Serve the app on address:port with at most `cap` connections at once (20 000 idle
    sockets must not exhaust the file descriptors); idle ones close after the runner's
    keepalive timeout."""
    server = runner.server
    assert server is not None, "runner.setup() first"

    def connection() -> asyncio.Protocol:
        if len(server.connections) >= cap:
            counters["http_refused_connections"] += 1
            return _Refused()
        return server()
    return await asyncio.get_running_loop().create_server(connection, address, port,
                                                          reuse_address=True)


def bind_address(address: str) -> str:
    """The address to listen on for a machine address (`localhost` -> 127.0.0.1)."""
    return "127.0.0.1" if address == "localhost" else address


def resolve_host(config: Config, name: str, host: str | None = None) -> str:
    """Which machine this instance is: explicit, else $BASECAMP_HOST, else its only machine."""
    host = host or os.environ.get("BASECAMP_HOST")
    hosts = config.hosts(name) if name in config.services else tuple(config.machines)
    if host:
        if host not in config.machines:
            raise ServiceError(f"unknown machine {host!r} (machines: {', '.join(config.machines)})")
        return host
    return hosts[0]


@contextlib.asynccontextmanager
async def running(name: str, serve: Serve, config: Config, *, host: str | None = None,
                  clock: Clock | None = None) -> AsyncIterator[Runtime]:
    """Start a service (HTTP, heartbeat, `serve`) and stop it cleanly when the block exits."""
    host = resolve_host(config, name, host)
    remember(config.secret_values())  # masked in every text this process writes
    keys = None
    if config.bus.curve:  # this machine's bus keys (the demo makes the house's keys once)
        from core import buskeys
        keys = buskeys.load(buskeys.ensure(config), host)
    clock = clock or clock_from_environment(config.house.timezone)
    publisher = Publisher(config.bus_endpoints()[0], Source(host, name),
                          buffer=config.bus.buffer, keys=keys)
    rt = Runtime(config=config, name=name, host=host, clock=clock, publisher=publisher,
                 app=web.Application(middlewares=[_bad_input]), keys=keys)
    _alive_routes(rt)
    runner: web.AppRunner | None = None
    listener: asyncio.Server | None = None
    try:
        await serve(rt)
        port = config.service_port(name, host) if name in config.services else 0
        if port:
            runner = web.AppRunner(rt.app, access_log=None, keepalive_timeout=config.http.idle_s)
            await runner.setup()
            try:
                listener = await listen(runner, bind_address(config.machines[host].address),
                                        port, config.http.max_connections, rt.counters)
            except OSError as err:
                raise ServiceError(f"{name}: cannot listen on port {port}: {err.strerror}") \
                    from err
        rt.every(config.bus.heartbeat_s, lambda: rt.publish(rt.heartbeat()), name="heartbeat",
                 machine_time=True)
        rt.log(Level.INFO, f"started {name} {rt.version} on {host}")
        yield rt
    finally:
        if listener is not None:
            listener.close()
        if runner is not None:
            await runner.cleanup()
        await rt._close()


async def run(name: str, serve: Serve, config: Config, *, host: str | None = None) -> None:
    """Run a service until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running(name, serve, config, host=host) as rt:
        _LOGGER.info("%s %s running on %s", name, rt.version, rt.host)
        stopped = asyncio.ensure_future(stop.wait())
        crashed = asyncio.ensure_future(rt.crashed.wait())
        await asyncio.wait([stopped, crashed], return_when=asyncio.FIRST_COMPLETED)
        for waiter in (stopped, crashed):
            waiter.cancel()
        if rt.crashed.is_set():
            rt.log(Level.ERROR, f"{name}: a background task crashed; stopping to be restarted")
            await rt.publisher.wait_ready(0.5)
            raise ServiceError(f"{name}: a background task crashed (see the log above)")
        _LOGGER.info("%s stopping", name)
        rt.log(Level.INFO, f"stopping {name}")
        await rt.publisher.wait_ready(0.5)
