"""The health page: a grid of machines and their services from the sentinel's status report
(green / orange / red, since when, last error), the logbook of the day below, and each
machine's supervisord processes on a touch."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QGridLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.health import Level, MachineHealth, from_heartbeats
from kiosk.settings import KioskSettings
from kiosk.texts import Texts
from kiosk.tiles import parse_time
from kiosk.view_model import Screen
from kiosk.widgets.style import STATE_COLOURS, make_label

_COLOURS = {Level.OK: STATE_COLOURS["ok"], Level.WARN: STATE_COLOURS["warn"],
            Level.BAD: STATE_COLOURS["bad"], Level.UNKNOWN: STATE_COLOURS["unknown"]}
COLUMNS = 3


def machine_html(m: MachineHealth, t: Texts, now: dt.datetime) -> str:
    """Rich text of one machine cell."""
    def when(text: str) -> str:
        parsed = parse_time(text)
        return t.moment(parsed, now) if parsed else html.escape(text)
    lines = [f"<b>{html.escape(m.name)}</b> <span style='color:{_COLOURS[m.level]}'>●</span> "
             f"{html.escape(m.state)}"]
    if m.since:
        lines.append(t("since", time=when(m.since)))
    if m.last_check:
        lines.append(t("health.last_check", time=when(m.last_check)))
    if m.last_error:
        lines.append(f"<span style='color:#f08080'>{html.escape(m.last_error)}</span>")
    chips = " ".join(f"<span style='color:{_COLOURS[s.level]}'>●</span>&nbsp;"
                     f"{html.escape(s.name)}" for s in m.services)
    if chips:
        lines.append(chips)
    for s in m.services:
        if s.level is Level.BAD and s.last_error:
            lines.append(f"<span style='color:#f08080'>{html.escape(s.name)} : "
                         f"{html.escape(s.last_error)}</span>")
    return "<br>".join(lines)


class HealthPage(QWidget):
    """Machines grid, logbook, supervisord panel."""

    machine_clicked = pyqtSignal(str)

    def __init__(self, settings: KioskSettings, t: Texts, now: Callable[[], dt.datetime],
                 supervisor_urls: Mapping[str, str], parent: QWidget | None = None, *,
                 silent_after_s: float) -> None:
        super().__init__(parent)
        self._settings, self._t, self._now = settings, t, now
        self._silent_s = silent_after_s  # house seconds (kiosk.health.silent_after_s)
        self._urls = dict(supervisor_urls)
        layout = QVBoxLayout(self)
        layout.addWidget(make_label(t("health.machines"), self, "section"))
        self.notice = make_label("", self, "detail")
        self.notice.setWordWrap(True)
        layout.addWidget(self.notice)
        self._grid = QGridLayout()
        layout.addLayout(self._grid, 3)
        self.cells: dict[str, QPushButton] = {}
        self.supervisor = make_label("", self, "small")
        self.supervisor.setWordWrap(True)
        self.supervisor.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.supervisor)
        layout.addWidget(make_label(t("health.log"), self, "section"))
        self.log = QListWidget(self)
        layout.addWidget(self.log, 2)
        self._log_key: tuple[object, ...] = ()

    def _cell(self, name: str) -> QPushButton:
        cell = self.cells.get(name)
        if cell is None:
            cell = QPushButton(self)
            box = QVBoxLayout()
            cell.setLayout(box)
            text = make_label("", cell, "small")
            text.setTextFormat(Qt.TextFormat.RichText)
            text.setWordWrap(True)
            text.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            box.addWidget(text)
            cell.clicked.connect(lambda _=False, n=name: self.machine_clicked.emit(n))
            index = len(self.cells)
            self._grid.addWidget(cell, index // COLUMNS, index % COLUMNS)
            self.cells[name] = cell
        return cell

    def show_screen(self, s: Screen) -> None:
        """Draw the report (or the heartbeats when the sentinel does not answer) and the log."""
        t, now, h = self._t, self._now(), s.health
        machines = h.machines
        if h.error and h.error_at is not None:
            since = h.at or h.error_at
            self.notice.setText(t("health.stale", time=t.moment(since, now), error=h.error))
        elif not machines:
            self.notice.setText(t("health.none"))
        else:
            self.notice.setText("")
        if not machines or h.error:
            fallback = from_heartbeats(s.heartbeats, now, self._silent_s)
            if fallback and not machines:
                machines = fallback
                self.notice.setText(self.notice.text() + " — " + t("health.heartbeats"))
        for m in machines:
            cell = self._cell(m.name)
            label = cell.findChild(QLabel)
            text = machine_html(m, t, now)
            if label.text() != text:
                label.setText(text)
                cell.setStyleSheet(f"QPushButton {{ border: 3px solid {_COLOURS[m.level]}; "
                                   "text-align: left; }")
                cell.setMinimumHeight(label.sizeHint().height() + 16)
        key = (len(s.log), s.log[-1] if s.log else None)
        if key != self._log_key:
            self._log_key = key
            self.log.clear()
            for line in reversed(s.log):
                self.log.addItem(f"{line.time}  {line.level.upper():<7} "
                                 f"{line.machine}/{line.service}: {line.message}")

    def show_supervisor(self, machine: str, processes: list[dict[str, object]] | str) -> None:
        """supervisord's processes of a machine, or why they could not be read."""
        url = self._urls.get(machine, "")
        head = f"<b>{html.escape(machine)}</b> — " + self._t("health.supervisor", url=url)
        if isinstance(processes, str):
            self.supervisor.setText(f"{head}<br><span style='color:#f08080'>"
                                    f"{html.escape(processes)}</span>")
            return
        rows = " · ".join(f"{html.escape(str(p.get('name', '?')))}: "
                          f"{html.escape(str(p.get('statename', '?')))}" for p in processes)
        self.supervisor.setText(f"{head}<br>{rows}")
