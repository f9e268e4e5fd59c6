"""The touch controls: mode, heating profile (with an expiry), night light, silence.

A button only emits `requested(control, value, message)`; the window publishes the message and
the buttons show the state that comes back on the bus, never the one that was asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.messages import Message
from kiosk import intents
from kiosk.settings import KioskSettings
from kiosk.texts import Texts
from kiosk.view_model import Screen
from kiosk.widgets.style import make_label


class ControlsPage(QWidget):
    """Rows of big buttons."""

    requested = pyqtSignal(str, str, object)
    """(control, value, message to publish)."""

    def __init__(self, settings: KioskSettings, t: Texts, now: Callable[[], dt.datetime],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings, self._t, self._now = settings, t, now
        self._current_mode: str | None = None
        self.buttons: dict[tuple[str, str], QPushButton] = {}
        self.status: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setSpacing(10)
        rows = [("mode", [("cocoon", t("ctl.cocoon")), ("lockout", t("ctl.lockout")),
                          ("asleep", t("ctl.asleep"))]),
                ("heating", [(p, t(f"profile.{p}")) for p in settings.profiles]),
                ("expiry", [(str(h), t("ctl.expiry.none") if h == 0
                             else t("ctl.expiry.hours", h=h)) for h in settings.expiry_hours]),
                ("night_light", [("on", t("ctl.on")), ("off", t("ctl.off")),
                                 ("auto", t("ctl.auto"))]),
                ("silence", [("on", t("ctl.silence_on")), ("off", t("ctl.silence_off"))])]
        titles = {"mode": t("ctl.mode"), "heating": t("ctl.heating"), "expiry": t("ctl.expiry"),
                  "night_light": t("ctl.night_light"), "silence": t("ctl.silence")}
        for row, (control, choices) in enumerate(rows):
            head = QVBoxLayout()
            head.addWidget(make_label(titles[control], self, "section"))
            self.status[control] = make_label("", self, "small")
            head.addWidget(self.status[control])
            grid.addLayout(head, row, 0)
            line = QHBoxLayout()
            group = QButtonGroup(self)
            group.setExclusive(control == "expiry")
            for value, label in choices:
                button = QPushButton(label, self)
                button.setCheckable(True)
                button.setMinimumHeight(48)
                button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
                group.addButton(button)
                line.addWidget(button)
                self.buttons[(control, value)] = button
                if control == "expiry":
                    button.setChecked(value == "0")
                else:
                    button.clicked.connect(lambda _=False, c=control, v=value: self._press(c, v))
            grid.addLayout(line, row, 1)
        grid.setColumnStretch(1, 4)

    def expiry_hours(self) -> int:
        """The selected expiry for a forced profile (0 = none)."""
        for (control, value), button in self.buttons.items():
            if control == "expiry" and button.isChecked():
                return int(value)
        return 0

    def _press(self, control: str, value: str) -> None:
        message: Message
        if control == "mode":
            message = intents.mode_intent(value, self._current_mode)
        elif control == "heating":
            message = intents.heating_intent(value, self.expiry_hours(), self._now())
        elif control == "night_light":
            message = intents.night_light_request(value, self._settings.night_light)
        else:
            message = intents.silence_intent(value == "on")
        self.requested.emit(control, value, message)

    def show_screen(self, s: Screen) -> None:
        """Check the buttons of the confirmed state; show what is pending."""
        t = self._t
        mode = s.mode.message if s.mode else None
        heating = s.heating.message if s.heating else None
        light = s.night_light.message if s.night_light else None
        self._current_mode = mode.mode if mode else None
        state = {"mode": mode.mode if mode else None,
                 "heating": heating.profile if heating else None,
                 "night_light": light.mode if light else None,
                 "silence": (("on" if mode.silence else "off") if mode else None)}
        for (control, value), button in self.buttons.items():
            if control in state:
                button.setChecked(state[control] == value)
        for control in state:
            pending = s.pending.get(control)
            if pending is None:
                self.status[control].setText("")
                continue
            age = (self._now() - pending.at).total_seconds()
            self.status[control].setText(
                t("pending.late", time=t.clock(pending.at)) if age > 30
                else t("pending", value=self.buttons[(control, pending.value)].text()))
