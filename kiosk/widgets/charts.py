"""The charts page: temperatures, power and water over 24 h or 7 days (pyqtgraph), on the
house clock: its time zone and UTC offset are those of the house's now (an accelerated demo's
simulated date, not the machine's), like the range the curves are queried for (kiosk.feeds)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import pyqtgraph as pg
from babel.dates import format_datetime
from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.texts import Texts
from kiosk.widgets.style import make_label

CHARTS = ("temperature", "power", "water")
RANGES = {"24h": 86400.0, "7d": 7 * 86400.0}
PENS = ("#f4b860", "#4a78d0", "#3fb950", "#e0533d", "#c080ff", "#60d0d0")

Curve = tuple[str, Sequence[float], Sequence[float]]
"""(label, epoch seconds, values)."""


class HouseDateAxis(pg.DateAxisItem):  # type: ignore[misc]
    """Time axis on the house's clock and in the screen's language (pyqtgraph's own speaks
    English on the machine's time zone: "Sat 21" in UTC on a kiosk showing 14:05 in Paris)."""

    PATTERNS: ClassVar[dict[str, str]] = {
        "%Y": "y", "%b": "MMM", "%d": "d", "%a %d": "EEE d", "%H:%M": "HH:mm",
        "%H:%M:%S": "HH:mm:ss"}
    """pyqtgraph's strftime formats per zoom level -> CLDR patterns (babel)."""

    def __init__(self, now: dt.datetime, lang: str) -> None:
        super().__init__(orientation="bottom")
        self.tz, self.lang = now.tzinfo or dt.UTC, lang
        self.follow(now)

    def follow(self, now: dt.datetime) -> None:
        """Day and hour ticks on the house's midnight and hours (its UTC offset now)."""
        offset = now.astimezone(self.tz).utcoffset() or dt.timedelta(0)
        self.utcOffset = -offset.total_seconds()  # pyqtgraph counts seconds west of UTC

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """Tick labels in the house's time zone and language."""
        spec = next((s for s in self.zoomLevel.tickSpecs if s.spacing == spacing), None)
        pattern = self.PATTERNS.get(spec.format) if spec is not None else None
        if pattern is None:
            return list(super().tickStrings(values, scale, spacing))
        return [format_datetime(dt.datetime.fromtimestamp(v, self.tz), pattern,
                                locale=self.lang) for v in values]


class ChartsPage(QWidget):
    """Three plots and a range switch."""

    range_changed = pyqtSignal(float)

    def __init__(self, t: Texts, now: Callable[[], dt.datetime],
                 parent: QWidget | None = None) -> None:
        """`now` is the house clock (timezone-aware)."""
        super().__init__(parent)
        self._t, self._now = t, now
        pg.setConfigOptions(antialias=True, background="#101418", foreground="#c0c8d0")
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.range_s = RANGES["24h"]
        group = QButtonGroup(self)
        self.range_buttons: dict[str, QPushButton] = {}
        for key, seconds in RANGES.items():
            button = QPushButton(t(f"charts.{key}"), self)
            button.setCheckable(True)
            button.setChecked(key == "24h")
            group.addButton(button)
            button.clicked.connect(lambda _=False, s=seconds: self._set_range(s))
            bar.addWidget(button)
            self.range_buttons[key] = button
        self.notice = make_label("", self, "detail")
        bar.addWidget(self.notice, 3)
        layout.addLayout(bar)
        self.plots: dict[str, pg.PlotWidget] = {}
        for chart in CHARTS:
            plot = pg.PlotWidget(axisItems={"bottom": HouseDateAxis(now(), t.lang)},
                                 title=t(f"charts.{chart}"))
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.addLegend(offset=(10, 5))
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            layout.addWidget(plot)
            self.plots[chart] = plot

    def _set_range(self, seconds: float) -> None:
        self.range_s = seconds
        self.range_changed.emit(seconds)

    def show_series(self, data: Mapping[str, Sequence[Curve]], error: str = "") -> None:
        """Replace the curves (an empty chart shows nothing; `error` says why)."""
        self.notice.setText(error)
        for chart, plot in self.plots.items():
            axis: Any = plot.getAxis("bottom")
            axis.follow(self._now())  # a DST change moves the house's midnight
            curves = data.get(chart, ())
            plot.clear()
            for i, (label, xs, ys) in enumerate(curves):
                if len(xs):
                    plot.plot(list(xs), list(ys), name=label,
                              pen=pg.mkPen(PENS[i % len(PENS)], width=3))
