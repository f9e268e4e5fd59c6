"""The kiosk's I/O thread: an asyncio loop beside Qt's, for everything that may block.

It runs the usual service runtime (`/alive`, `/status`, heartbeat, "started" logbook entry),
reads the sentinel's status report and the logbook's day every `status_refresh_s`, queries the
metrics store for the charts, and reads supervisord on request. Results reach the GUI thread
as Qt signals (queued across threads). Every request has a timeout; a failure becomes a
`Health` with an error or an empty chart with a notice — the screen says "no data since ...".
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
import xmlrpc.client
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import aiohttp
from PyQt5.QtCore import QObject, pyqtSignal

from core.config import Config
from kiosk.chartdata import Series, query_charts
from kiosk.health import Health, parse_logbook, parse_status_report
from kiosk.remote import RemoteAccess, add_routes, answer_intents
from kiosk.settings import KioskSettings

_LOGGER = logging.getLogger(__name__)


class Feeds(QObject):
    """Background reads for the window; call `start()` once, `stop()` at the end."""

    health = pyqtSignal(object)
    """Health."""
    log = pyqtSignal(object)
    """tuple[LogLine, ...]."""
    charts = pyqtSignal(object, str)
    """({chart: [(label, xs, ys)]}, error)."""
    supervisor = pyqtSignal(str, object)
    """(machine, list of process dicts or an error string)."""
    grab_wanted = pyqtSignal(object)
    """The I/O thread asks the Qt thread for a PNG of the window (fulfils the Future)."""

    def __init__(self, config: Config, settings: KioskSettings, host: str, *,
                 now: Callable[[], dt.datetime], run_service: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config, self.settings, self.host = config, settings, host
        self._clock_now = now
        """House time: the charts' window and the health's age are read on it."""
        self.run_service = run_service
        self.screen: Callable[[], dict[str, Any]] | None = None
        """What the screen shows, for the service's /status (set by the kiosk)."""
        self.range_s = 86400.0
        self.remote = RemoteAccess(settings.remote_max_minutes * 60)
        """Temporary outside access (kiosk.remote), served by the kiosk's service."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._wake_charts: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="kiosk-io", daemon=True)
        self._stopping = threading.Event()
        """Set by `stop`: seen by a loop that had not started yet when it was called."""
        self._last_health = Health()
        self._store: Any = None
        # one thread owns the store: a query still running when the kiosk stops must finish
        # before the connection is closed (closing SQLite under a query crashes the process)
        self._store_thread = ThreadPoolExecutor(1, thread_name_prefix="kiosk-metrics")

    def start(self) -> None:
        """Start the I/O thread."""
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop and wait for the thread (also when the loop has not started yet)."""
        self._stopping.set()
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                loop.call_soon_threadsafe(stop.set)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def want_charts(self, range_s: float) -> None:
        """Query the charts now for this range (thread-safe)."""
        self.range_s = range_s
        if self._loop is not None and self._wake_charts is not None:
            self._loop.call_soon_threadsafe(self._wake_charts.set)

    def want_supervisor(self, machine: str) -> None:
        """Read a machine's supervisord processes (thread-safe)."""
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._supervisor(machine), self._loop)

    async def _screen_png(self) -> bytes:
        """A PNG of the window, drawn by the Qt thread."""
        future: Future[bytes] = Future()
        self.grab_wanted.emit(future)
        return await asyncio.wait_for(asyncio.wrap_future(future),
                                      self.settings.request_timeout_s)

    # ---- the loop ------------------------------------------------------------------------
    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except Exception:
            _LOGGER.exception("kiosk: I/O thread failed")

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._wake_charts = asyncio.Event()
        if self._stopping.is_set():  # stopped before the loop ran: end at once
            self._stop.set()
        timeout = aiohttp.ClientTimeout(total=self.settings.request_timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            tasks = [asyncio.create_task(self._every(self.settings.status_refresh_s,
                                                     lambda: self._status(http))),
                     asyncio.create_task(self._charts_loop())]
            if self.run_service:
                tasks.append(asyncio.create_task(self._service()))
            await self._stop.wait()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._store is not None:
            await self._loop.run_in_executor(self._store_thread, self._store.close)
        self._store_thread.shutdown(wait=False)

    async def _service(self) -> None:
        from core.service import ServiceError, running

        async def serve(rt: Any) -> None:
            rt.status["kiosk"] = lambda: {"charts_range_s": self.range_s,
                                          "health_error": self._last_health.error}
            if self.screen is not None:
                rt.status["screen"] = self.screen
            add_routes(rt, self.remote, screen=self.screen, png=self._screen_png,
                       lang=self.settings.lang or self.config.house.lang,
                       default_s=self.settings.remote_minutes * 60)
            answer_intents(rt, self.remote, default_s=self.settings.remote_minutes * 60,
                           base_url=(self.settings.remote_url.rstrip("/")
                                     or self.config.service_url("kiosk", self.host)))
        try:
            async with running("kiosk", serve, self.config, host=self.host):
                await asyncio.Event().wait()
        except ServiceError as err:
            _LOGGER.error("kiosk: no /alive endpoint: %s", err)

    async def _every(self, seconds: float, job: Any) -> None:
        while True:
            try:
                await job()
            except Exception:
                _LOGGER.exception("kiosk: periodic read failed")
            await asyncio.sleep(seconds)

    def _now(self) -> dt.datetime:
        return self._clock_now()

    # ---- reads ---------------------------------------------------------------------------
    async def _get_json(self, http: aiohttp.ClientSession, url: str) -> Any:
        async with http.get(url) as resp:
            if resp.status != 200:
                raise ValueError(f"HTTP {resp.status}")
            return await resp.json(content_type=None)

    async def _status(self, http: aiohttp.ClientSession) -> None:
        now = self._now()
        try:
            data = await self._get_json(http, self.config.service_url("watch") + "/status_report")
            health = Health(parse_status_report(data), at=now)
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, OSError) as err:
            reason = str(err) or type(err).__name__
            health = Health(self._last_health.machines, self._last_health.at, reason, now)
        self._last_health = health
        self.health.emit(health)
        try:
            data = await self._get_json(http, self.config.service_url("logbook")
                                        + "/log?format=json")
            self.log.emit(parse_logbook(data))
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, OSError) as err:
            _LOGGER.info("kiosk: logbook unreadable: %s", err or type(err).__name__)

    async def _charts_loop(self) -> None:
        assert self._wake_charts is not None
        assert self._stop is not None
        while not self._stop.is_set():
            await self._charts()
            self._wake_charts.clear()
            # asyncio.wait, not wait_for: in 3.11 wait_for may swallow a cancellation that
            # arrives as the event is set, and the kiosk would not stop
            waiter = asyncio.ensure_future(self._wake_charts.wait())
            try:
                await asyncio.wait({waiter}, timeout=self.settings.charts_refresh_s)
            finally:
                waiter.cancel()

    async def _charts(self) -> None:
        end = self._now()
        start = end - dt.timedelta(seconds=self.range_s)
        try:
            loop = asyncio.get_running_loop()
            if self._store is None:
                from core.metrics import open_store
                self._store = await loop.run_in_executor(self._store_thread, open_store,
                                                         self.config)
            data: dict[str, list[Series]] = await asyncio.wait_for(
                loop.run_in_executor(self._store_thread, query_charts, self._store,
                                     self.settings.series, start, end),
                self.settings.request_timeout_s * 2)
            self.charts.emit(data, "")
        except Exception as err:  # any store failure: an empty chart that says why
            _LOGGER.warning("kiosk: metrics store unreadable: %s", err)
            self.charts.emit({}, f"{type(err).__name__}: {err}"[:200])

    async def _supervisor(self, machine: str) -> None:
        spec = self.config.machines.get(machine)
        if spec is None:
            self.supervisor.emit(machine, "unknown machine")
            return
        password = self.config.reveal(spec.supervisor_password) or ""
        url = f"http://{spec.address}:{spec.supervisor_port}/RPC2"
        timeout = self.settings.request_timeout_s

        def read() -> Any:
            transport = _TimeoutTransport(timeout)
            proxy = xmlrpc.client.ServerProxy(url, transport=transport)
            if password:
                proxy = xmlrpc.client.ServerProxy(
                    url.replace("http://", f"http://{spec.supervisor_user}:{password}@"),
                    transport=transport)
            return proxy.supervisor.getAllProcessInfo()
        try:
            self.supervisor.emit(machine, await asyncio.to_thread(read))
        except xmlrpc.client.ProtocolError as err:  # its text would carry the credentials
            self.supervisor.emit(machine, f"{url}: HTTP {err.errcode} {err.errmsg}")
        except (OSError, xmlrpc.client.Error) as err:
            self.supervisor.emit(machine, f"{url}: {err}")


class _TimeoutTransport(xmlrpc.client.Transport):
    """An XML-RPC transport whose connections time out."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> Any:
        """The HTTP connection, with a timeout."""
        conn = super().make_connection(host)
        conn.timeout = self._timeout
        return conn
