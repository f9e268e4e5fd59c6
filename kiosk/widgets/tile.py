"""One tile of the home grid: title, big value, detail line; its border shows the state."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QFontMetrics
from PyQt5.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from kiosk.tiles import TileView
from kiosk.widgets.style import make_label, repolish


class TileWidget(QFrame):
    """Draws a `TileView`."""

    def __init__(self, name: str, big: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.setObjectName("tile")
        self.title = make_label("", self, "title")
        self.value = make_label("", self, "big" if big else "value")
        self.detail = make_label("", self, "detail")
        self.detail.setWordWrap(True)
        self.swatch = QFrame(self)
        self.swatch.setFixedHeight(12)
        self.swatch.hide()
        self._big = big
        self._base_px = 40
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(0)
        for part in (self.title, self.value, self.detail):
            part.setAlignment(Qt.AlignmentFlag.AlignCenter)
            # a long value must shrink its font, not widen the grid
            part.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            layout.addWidget(part)
        layout.addWidget(self.swatch)
        self._view: TileView | None = None

    def set_view(self, view: TileView) -> None:
        """Show a tile view (does nothing when it did not change)."""
        if view == self._view:
            return
        old = self._view
        self._view = view
        self.title.setText(view.title)
        self.value.setText(view.value)
        if old is None or old.value != view.value:
            self._fit()
        self.detail.setText(view.detail)
        if view.colour and self.name != "mode":
            self.swatch.setStyleSheet(f"background: {view.colour}; border-radius: 6px;")
            self.swatch.show()
        else:
            self.swatch.hide()
        if self.name == "mode":
            self.value.setStyleSheet(f"color: {view.colour};" if view.colour else "")
        if old is None or old.state != view.state:
            self.setProperty("state", view.state)
            repolish(self)
            for child in self.findChildren(QLabel):
                repolish(child)

    def set_scale(self, window_height: int) -> None:
        """Size the value's font from the window height."""
        self._base_px = max(10, int(window_height * (0.10 if self._big else 0.058)))
        self._fit()

    def _fit(self) -> None:
        font = self.value.font()
        font.setBold(True)
        font.setPixelSize(self._base_px)
        lines = self.value.text().split("\n") or [""]
        widest = max(QFontMetrics(font).horizontalAdvance(line) for line in lines)
        room = self.width() - 24
        if widest > room > 0:
            font.setPixelSize(max(8, int(self._base_px * room / widest)))
        self.value.setFont(font)

    def resizeEvent(self, event: object) -> None:
        """Refit the value to the new width."""
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._fit()

    @property
    def view(self) -> TileView | None:
        """What it shows."""
        return self._view
