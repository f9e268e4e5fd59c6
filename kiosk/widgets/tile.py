"""One tile of the home grid: title, big value, detail line; its border shows the state."""

from __future__ import annotations

import logging

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from kiosk.tiles import TileView

_LOGGER = logging.getLogger(__name__)


class TileWidget(QFrame):
    """Draws a `TileView`."""

    def __init__(self, name: str, big: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.setObjectName("tile")
        self.title = QLabel(self, objectName="title")
        self.value = QLabel(self, objectName="big" if big else "value")
        self.detail = QLabel(self, objectName="detail")
        self.detail.setWordWrap(True)
        self.swatch = QFrame(self)
        self.swatch.setFixedHeight(12)
        self.swatch.hide()
        layout = QVBoxLayout(self)
        for label in (self.title, self.value, self.detail):
            label.setAlignment(Qt.AlignCenter)
            layout.addWidget(label)
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
            self.style().unpolish(self)
            self.style().polish(self)
            for child in self.findChildren(QLabel):
                self.style().unpolish(child)
                self.style().polish(child)

    @property
    def view(self) -> TileView | None:
        """What it shows."""
        return self._view
