"""The charts page: temperatures, power and water over 24 h or 7 days (pyqtgraph)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import pyqtgraph as pg
from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.texts import Texts
from kiosk.widgets.style import make_label

_LOGGER = logging.getLogger(__name__)
CHARTS = ("temperature", "power", "water")
RANGES = {"24h": 86400.0, "7d": 7 * 86400.0}
PENS = ("#f4b860", "#4a78d0", "#3fb950", "#e0533d", "#c080ff", "#60d0d0")

Curve = tuple[str, Sequence[float], Sequence[float]]
"""(label, epoch seconds, values)."""


class ChartsPage(QWidget):
    """Three plots and a range switch."""

    range_changed = pyqtSignal(float)

    def __init__(self, t: Texts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._t = t
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
            plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()},
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
            curves = data.get(chart, ())
            plot.clear()
            for i, (label, xs, ys) in enumerate(curves):
                if len(xs):
                    plot.plot(list(xs), list(ys), name=label,
                              pen=pg.mkPen(PENS[i % len(PENS)], width=3))
