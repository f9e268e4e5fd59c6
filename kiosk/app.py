"""`basecamp run kiosk`: the fullscreen Qt application. Qt owns the main loop, so this is a
`main(config, host)` service: it wires the bus (QSocketNotifier), the I/O thread (status
report, logbook, metrics, /alive) and the window, then runs until the exit gesture or SIGTERM.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
from concurrent.futures import Future
from typing import Any, cast

from PyQt5.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSocketNotifier, Qt, QTimer
from PyQt5.QtWidgets import QApplication

from core.clock import from_environment as clock_from_environment
from core.config import Config
from core.messages import Message, Source
from core.messages.alive import StateRequest
from kiosk import tiles
from kiosk.display import screen_power
from kiosk.feeds import Feeds
from kiosk.health import silent_after_s
from kiosk.qtbus import BusReader, QtPublisher
from kiosk.settings import KioskSettings
from kiosk.texts import Texts
from kiosk.view_model import TOPICS
from kiosk.window import KioskWindow

_LOGGER = logging.getLogger(__name__)
STATE_REQUESTS_S = (1.0, 5.0, 15.0)
"""Seconds after start at which the kiosk asks for the services' state, while some is missing."""


class Kiosk(QObject):
    """The window, its bus sockets and its I/O thread, wired together."""

    def __init__(self, config: Config, host: str | None = None, *, run_service: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        from core.service import resolve_host
        self.config = config
        self.host = resolve_host(config, "kiosk", host)
        self.settings = config.section("kiosk", KioskSettings)
        # house time, shared with every service ($BASECAMP_CLOCK in an accelerated demo): the
        # screen's clock, ages, a forced profile's expiry and the charts' window live in it
        self.clock = clock_from_environment(config.house.timezone)
        urls = {name: f"http://{m.address}:{m.supervisor_port}"
                for name, m in config.machines.items()}
        self.window = KioskWindow(self.settings,
                                  Texts(self.settings.lang or config.house.lang),
                                  self.clock.now, power=screen_power(),
                                  supervisor_urls=urls,
                                  silent_after_s=silent_after_s(config.bus.heartbeat_s,
                                                                self.clock),
                                  **enrollment(config))
        pub, sub = config.bus_endpoints()
        self.reader = BusReader(sub, TOPICS, parent=self)
        self.publisher = QtPublisher(pub, Source(self.host, "kiosk"), parent=self)
        self.feeds = Feeds(config, self.settings, self.host, run_service=run_service,
                           now=self.clock.now, parent=self)
        self.reader.received.connect(self.window.apply)
        self.window.intent.connect(self.publish)
        self.window.charts_wanted.connect(self.feeds.want_charts)
        self.window.supervisor_wanted.connect(self.feeds.want_supervisor)
        self.feeds.health.connect(self.window.set_health)
        self.feeds.log.connect(self.window.set_log)
        self.feeds.charts.connect(self.window.set_charts)
        self.feeds.supervisor.connect(self.window.health.show_supervisor)
        self.feeds.screen = self.screen_status
        self.feeds.grab_wanted.connect(self._grab)
        # the bus keeps no last values: ask the services for their state instead of showing
        # dashes until their next periodic republish (again later: some start after us)
        self._asking: list[QTimer] = []
        for delay_s in STATE_REQUESTS_S:
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(self._ask_state)
            timer.start(int(delay_s * 1000))
            self._asking.append(timer)
        self.feeds.start()

    def screen_status(self) -> dict[str, Any]:
        """What the home screen shows now (the service's /status): mode and every tile."""
        state = self.window.state  # an immutable snapshot: safe to read from the I/O thread
        views = tiles.home(state, self.window.context())
        return {"mode": state.mode.message.mode if state.mode else None,
                "banner": (b.value if (b := tiles.banner(state, self.window.context()))
                           else ""),
                "tiles": {name: {"value": v.value, "detail": v.detail, "state": v.state}
                          for name, v in views.items()}}

    def publish(self, message: Message) -> None:
        """Publish a message stamped with house time, like every service's."""
        self.publisher.publish(message, ts=self.clock.now().timestamp())

    def _ask_state(self) -> None:
        s = self.window.state
        if None in (s.mode, s.heating, s.night_light, s.lightpack):
            self.publish(StateRequest())

    def _grab(self, future: Future[bytes]) -> None:
        """Draw the window into a PNG for the remote viewer (Qt thread)."""
        if future.done():
            return
        try:
            data = QByteArray()
            buffer = QBuffer(data)
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            if not self.window.grab().save(buffer, "PNG"):
                raise RuntimeError("Qt could not encode the screen")
            future.set_result(bytes(data))
        except Exception as err:  # the viewer gets a 503, the kiosk goes on
            future.set_exception(RuntimeError(str(err)))

    def show(self) -> None:
        """Fullscreen on the primary screen (geometry set by hand: no window manager), or a
        window of the configured size."""
        if self.settings.hide_cursor:
            QApplication.setOverrideCursor(Qt.CursorShape.BlankCursor)
        if self.settings.fullscreen:
            screen = QApplication.primaryScreen()
            if screen is None:
                raise RuntimeError("Qt sees no screen")
            geometry = screen.geometry()
            self.window.fit_to(geometry.width(), geometry.height())
            self.window.showFullScreen()
            self.window.setGeometry(geometry)
        else:
            self.window.fit_to(self.settings.width, self.settings.height)
            self.window.show()

    def close(self) -> None:
        """Stop the I/O thread, close the sockets and the window."""
        for timer in self._asking:
            timer.stop()
        self.feeds.stop()
        self.reader.close()
        self.publisher.close()
        self.window.close()


def _quit_on_signals(app: QApplication) -> QSocketNotifier:
    """SIGTERM/SIGINT quit the Qt loop: the handler writes to a socket Qt watches."""
    rsock, wsock = socket.socketpair()
    rsock.setblocking(False)
    wsock.setblocking(False)
    signal.set_wakeup_fd(wsock.fileno())
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)  # Python notes it; the wakeup fd wakes Qt
    notifier = QSocketNotifier(rsock.fileno(), QSocketNotifier.Type.Read,  # type: ignore[arg-type]
                               app)

    def readable() -> None:
        with contextlib.suppress(OSError):
            rsock.recv(64)
        _LOGGER.info("kiosk: signal received, quitting")
        app.quit()
    notifier.activated.connect(readable)
    # keep the sockets and the notifier alive as long as the application
    app._basecamp_signal_sockets = (rsock, wsock, notifier)  # type: ignore[attr-defined]
    return notifier


def enrollment(config: Config) -> dict[str, Any]:
    """The personal wake word's page, when the house has an assistant and an HTTP token."""
    if "assistant" not in config.services:
        return {}
    token = config.reveal(config.http.token)
    if not token:
        return {}
    from assistant.settings import VoiceSettings
    from kiosk.widgets.enroll_page import HttpEnroller
    voice = config.section("voice", VoiceSettings)
    return {"enroller": HttpEnroller(config.service_url("assistant"), token),
            "enroll_word": voice.personal.word.capitalize(),
            "enroll_count": voice.personal.enroll_count}


def main(config: Config, host: str | None = None) -> int:
    """Run the kiosk until the configured exit gesture/key or SIGTERM."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
            or os.environ.get("QT_QPA_PLATFORM")):
        print("basecamp: the kiosk needs a display: set DISPLAY, run it under xvfb-run, or "
              "set QT_QPA_PLATFORM=offscreen", file=sys.stderr)
        return 3
    app = cast(QApplication, QApplication.instance()) \
        or QApplication([sys.argv[0], "-name", "basecamp-kiosk"])
    if config.bus.curve:  # the bus sockets below are this machine's CURVE clients
        from core import bus, buskeys
        from core.service import resolve_host
        bus.secure_from(buskeys.ensure(config), resolve_host(config, "kiosk", host))
    kiosk = Kiosk(config, host)
    _quit_on_signals(app)
    kiosk.window.exit_requested.connect(app.quit)
    kiosk.show()
    _LOGGER.info("kiosk running on %s (%s)", kiosk.host, app.platformName())
    try:
        return int(app.exec_())
    finally:
        kiosk.close()
