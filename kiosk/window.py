"""The kiosk window: banner, four pages, navigation, blanking overlay and the exit gesture.

It keeps the `Screen`, folds what the bus brings (`apply`), and redraws the visible page.
It never talks to the bus or the network itself: controls become `intent` signals, and data
from HTTP and metrics arrives through `set_health`, `set_log` and `set_charts`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from typing import cast

from PyQt5.QtCore import QEvent, QObject, QPoint, QTimer, pyqtSignal
from PyQt5.QtGui import QKeySequence, QMouseEvent
from PyQt5.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QPushButton,
    QShortcut,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.messages import Envelope, Message
from kiosk import blanking, tiles
from kiosk.display import NoPower, ScreenPower
from kiosk.health import Health, LogLine
from kiosk.settings import KioskSettings
from kiosk.texts import Texts
from kiosk.view_model import Screen, fold_all, request, with_health, with_log
from kiosk.widgets.charts import ChartsPage, Curve
from kiosk.widgets.controls import ControlsPage
from kiosk.widgets.enroll_page import Enroller, EnrollPage
from kiosk.widgets.health_page import HealthPage
from kiosk.widgets.home import HomePage
from kiosk.widgets.style import make_label, repolish, stylesheet

PAGES = ("home", "controls", "health", "charts")
CORNER_PX = 80


class KioskWindow(QWidget):
    """The whole kiosk screen."""

    intent = pyqtSignal(object)
    """A message a control asks to publish."""
    exit_requested = pyqtSignal()
    charts_wanted = pyqtSignal(float)
    """The charts page needs data for this many seconds back."""
    supervisor_wanted = pyqtSignal(str)

    def __init__(self, settings: KioskSettings, t: Texts, now: Callable[[], dt.datetime], *,
                 silent_after_s: float, power: ScreenPower | None = None,
                 supervisor_urls: Mapping[str, str] = {}, enroller: Enroller | None = None,
                 enroll_word: str = "Basecamp", enroll_count: int = 3,
                 parent: QWidget | None = None) -> None:
        """`now` is the house clock; `silent_after_s` (`kiosk.health.silent_after_s`) how
        long without news a service or the bus is shown silent, in its seconds."""
        super().__init__(parent)
        self.settings, self.t, self.now = settings, t, now
        self.silent_after_s = silent_after_s
        self.state = Screen(log_limit=settings.log_lines)
        self._power = power or NoPower()
        self._touched = now()
        self._taps: list[float] = []
        self._charts_at: dt.datetime | None = None
        self.blanked = False
        self.setWindowTitle("Basecamp")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.banner = make_label("", self, "banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        layout.addWidget(self.banner)
        self.stack = QStackedWidget(self)
        self.home = HomePage(self)
        self.controls = ControlsPage(settings, t, now, self)
        self.health = HealthPage(settings, t, now, supervisor_urls, self,
                                 silent_after_s=silent_after_s)
        self.charts = ChartsPage(t, now, self)
        self.pages = list(PAGES)
        for page in (self.home, self.controls, self.health, self.charts):
            self.stack.addWidget(page)
        self.enroll: EnrollPage | None = None
        if enroller is not None:  # the personal wake word's guided page
            self.enroll = EnrollPage(enroller, t, enroll_word, enroll_count, parent=self)
            self.stack.addWidget(self.enroll)
            self.pages.append("voice")
        layout.addWidget(self.stack, 1)
        nav = QHBoxLayout()
        self.nav: dict[str, QPushButton] = {}
        for i, name in enumerate(self.pages):
            button = QPushButton(t(name), self)
            button.setObjectName("nav")
            button.setCheckable(True)
            button.setChecked(i == 0)
            button.clicked.connect(lambda _=False, n=name: self.show_page(n))
            nav.addWidget(button)
            self.nav[name] = button
        layout.addLayout(nav)
        self.overlay = QWidget(self)
        self.overlay.setStyleSheet("background: black;")
        self.overlay.hide()
        self.controls.requested.connect(self._requested)
        self.charts.range_changed.connect(self.charts_wanted)
        self.health.machine_clicked.connect(self.supervisor_wanted)
        self._shortcut = QShortcut(QKeySequence(settings.exit_key), self)
        self._shortcut.activated.connect(self.exit_requested.emit)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.setStyleSheet(stylesheet(settings.height))
        self.refresh()

    # ---- data in -------------------------------------------------------------------------
    def apply(self, envelopes: Sequence[Envelope]) -> None:
        """Fold bus messages and redraw."""
        self.state = fold_all(self.state, list(envelopes), self.now())
        self.refresh()

    def set_health(self, health: Health) -> None:
        """A new status-report reading."""
        self.state = with_health(self.state, health)
        if self.stack.currentWidget() is self.health:
            self.refresh()

    def set_log(self, lines: tuple[LogLine, ...]) -> None:
        """The logbook's day."""
        self.state = with_log(self.state, lines)
        if self.stack.currentWidget() is self.health:
            self.refresh()

    def set_charts(self, data: Mapping[str, Sequence[Curve]], error: str = "") -> None:
        """New chart curves; on an error the old curves stay, marked with their age."""
        now = self.now()
        if not error:
            self._charts_at = now
            self.charts.show_series(data)
            return
        since = self.t("no_data_since", time=self.t.moment(self._charts_at, now)) \
            if self._charts_at else self.t("no_data")
        self.charts.notice.setText(f"{since} — {error}")

    def _requested(self, control: str, value: str, message: Message) -> None:
        self.state = request(self.state, control, value, self.now())
        self.intent.emit(message)
        self.refresh()

    # ---- drawing -------------------------------------------------------------------------
    def context(self) -> tiles.Context:
        """What tile functions need now."""
        return tiles.Context(self.now(), self.settings, self.t, self.silent_after_s)

    def refresh(self) -> None:
        """Redraw the banner and the visible page."""
        c = self.context()
        banner = tiles.banner(self.state, c)
        if banner is None:
            self.banner.hide()
        else:
            self.banner.setText(banner.value)
            if self.banner.property("state") != banner.state:
                self.banner.setProperty("state", banner.state)
                repolish(self.banner)
            self.banner.show()
        page = self.stack.currentWidget()
        if page is self.home:
            self.home.show_tiles(tiles.home(self.state, c),
                                 tiles.exchange_tile(self.state, c),
                                 tiles.timers_tile(self.state, c))
        elif page is self.controls:
            self.controls.show_screen(self.state)
        elif page is self.health:
            self.health.show_screen(self.state)

    def show_page(self, name: str) -> None:
        """Switch to a page."""
        self.stack.setCurrentIndex(self.pages.index(name))
        for key, button in self.nav.items():
            button.setChecked(key == name)
        if name == "charts":
            self.charts_wanted.emit(self.charts.range_s)
        self.refresh()

    def tick(self) -> None:
        """Every second: the clock, ages, pending requests, blanking."""
        self.refresh()
        blank = blanking.should_blank(self.state, self.now(), self._touched, self.settings)
        if blank != self.blanked:
            self.set_blank(blank)

    def set_blank(self, blank: bool) -> None:
        """Blank or wake the screen."""
        self.blanked = blank
        self._power.set_on(not blank)
        if blank:
            self.overlay.setGeometry(self.rect())
            self.overlay.raise_()
            self.overlay.show()
            self.show_page("home")
        else:
            self.overlay.hide()

    def wake(self) -> None:
        """A touch: note the activity and light the screen."""
        self._touched = self.now()
        if self.blanked:
            self.set_blank(False)

    # ---- events --------------------------------------------------------------------------
    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        """Touches wake the screen (and are swallowed while blank); corner taps exit."""
        if event is None:
            return False
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress):
            was_blank = self.blanked
            self.wake()
            if kind == QEvent.Type.MouseButtonPress and self.isVisible():
                self._corner_tap(cast(QMouseEvent, event).globalPos())
            if was_blank:
                return True
        return False

    def _corner_tap(self, pos: QPoint) -> None:
        local = self.mapFromGlobal(pos)
        if local.x() > CORNER_PX or local.y() > CORNER_PX or local.x() < 0 or local.y() < 0:
            self._taps.clear()
            return
        stamp = time.monotonic()  # a gesture: machine time, whatever the house clock
        self._taps = [t for t in self._taps if stamp - t <= self.settings.exit_taps_s] + [stamp]
        if len(self._taps) >= self.settings.exit_taps:
            self._taps.clear()
            self.exit_requested.emit()

    def fit_to(self, width: int, height: int) -> None:
        """Resize, with the fonts of the new height applied first (they set minimum sizes)."""
        self.setStyleSheet(stylesheet(height))
        self.home.set_scale(height)
        self.resize(width, height)

    def resizeEvent(self, event: object) -> None:
        """Fonts follow the window height; the overlay covers everything."""
        self.setStyleSheet(stylesheet(self.height()))
        self.home.set_scale(self.height())
        self.overlay.setGeometry(self.rect())
        super().resizeEvent(event)  # type: ignore[arg-type]

    def closeEvent(self, event: object) -> None:
        """Stop the timer and the event filter."""
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        super().closeEvent(event)  # type: ignore[arg-type]

