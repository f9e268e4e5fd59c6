"""The home page: mode and clock large, then temperatures, heating, lights, consumption, the
latest spoken exchange while the assistant is active, and the timers and reminders set."""

from __future__ import annotations

from PyQt5.QtWidgets import QGridLayout, QWidget

from kiosk.tiles import TileView
from kiosk.widgets.tile import TileWidget

# tile name -> (row, column, row span, column span, big value)
LAYOUT: dict[str, tuple[int, int, int, int, bool]] = {
    "mode": (0, 0, 1, 2, True), "clock": (0, 2, 1, 2, True),
    "indoor": (1, 0, 1, 1, False), "outdoor": (1, 1, 1, 1, False),
    "bedroom": (1, 2, 1, 1, False), "heating": (1, 3, 1, 1, False),
    "night_light": (2, 0, 1, 1, False), "lightpack": (2, 1, 1, 1, False),
    "power": (2, 2, 1, 1, False), "water": (2, 3, 1, 1, False),
    "exchange": (3, 0, 1, 4, False),
    "timers": (4, 0, 1, 4, False),
}


class HomePage(QWidget):
    """The grid of tiles."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setSpacing(8)
        self.tiles: dict[str, TileWidget] = {}
        for name, (row, col, rows, cols, big) in LAYOUT.items():
            tile = TileWidget(name, big, self)
            grid.addWidget(tile, row, col, rows, cols)
            self.tiles[name] = tile
        grid.setRowStretch(0, 3)
        for row in (1, 2):
            grid.setRowStretch(row, 2)
        for col in range(4):
            grid.setColumnStretch(col, 1)
        self.tiles["exchange"].hide()
        self.tiles["timers"].hide()

    def set_scale(self, window_height: int) -> None:
        """Font sizes follow the window height."""
        for tile in self.tiles.values():
            tile.set_scale(window_height)

    def show_tiles(self, views: dict[str, TileView], exchange: TileView | None,
                   timers: TileView | None = None) -> None:
        """Draw the tiles; the exchange and timers tiles only while there is one."""
        for name, view in views.items():
            self.tiles[name].set_view(view)
        for name, shown in (("exchange", exchange), ("timers", timers)):
            tile = self.tiles[name]
            if shown is None:
                tile.hide()
            else:
                tile.set_view(shown)
                tile.show()
