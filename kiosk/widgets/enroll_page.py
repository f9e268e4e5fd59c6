"""The guided page that enrolls the personal wake word: "Dites « Basecamp » trois fois". It
starts the assistant's recording (POST /voice/enroll with the house's token) and shows its
progress until the templates are saved."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Protocol

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from kiosk.texts import Texts
from kiosk.widgets.style import make_label


class Enroller(Protocol):
    """Who records the word: the assistant's HTTP API, or a Recorder in the same process."""

    def start(self, count: int) -> dict[str, Any]: ...

    def status(self) -> dict[str, Any]: ...


class HttpEnroller:
    """The assistant's /voice/enroll endpoints, with the house's HTTP token."""

    def __init__(self, base_url: str, token: str, timeout_s: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str) -> dict[str, Any]:
        request = urllib.request.Request(self.base_url + path, method=method, headers={
            "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:
                data: dict[str, Any] = json.loads(resp.read())
                return data
        except urllib.error.HTTPError as err:
            return {"phase": "failed", "error": err.read().decode(errors="replace")
                    or str(err)}
        except (OSError, ValueError) as err:
            return {"phase": "failed", "error": str(err)}

    def start(self, count: int) -> dict[str, Any]:
        """Start recording `count` utterances."""
        return self._call("POST", "/voice/enroll?" + urllib.parse.urlencode({"count": count}))

    def status(self) -> dict[str, Any]:
        """The recording's progress."""
        return self._call("GET", "/voice/enroll")


class EnrollPage(QWidget):
    """Instruction, start button, progress bar and what happened, polled while recording."""

    def __init__(self, enroller: Enroller, t: Texts, word: str = "Basecamp", count: int = 3,
                 poll_ms: int = 250, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.enroller, self.t, self.word, self.count = enroller, t, word, count
        layout = QVBoxLayout(self)
        layout.addWidget(make_label(t("enroll.title"), self, "title"))
        self.instruction = QLabel(t("enroll.say", word=word, times=t(f"enroll.times.{count}")),
                                  self)
        self.instruction.setWordWrap(True)
        layout.addWidget(self.instruction)
        self.button = QPushButton(t("enroll.start"), self)
        self.button.clicked.connect(self.start)
        layout.addWidget(self.button)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, count)
        self.bar.setValue(0)
        layout.addWidget(self.bar)
        self.progress = QLabel(t("enroll.progress", recorded=0, count=count), self)
        layout.addWidget(self.progress)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.poll)
        self._seen = (-1, 0)
        """(recorded, rejected) at the last poll: a new rejection shows until the next take."""

    def start(self) -> None:
        """Ask for the recordings and follow them."""
        self.show_status(self.enroller.start(self.count))
        if self.button.isEnabled() is False:
            self.timer.start()

    def poll(self) -> None:
        """One look at the progress."""
        self.show_status(self.enroller.status())

    def show_status(self, status: dict[str, Any]) -> None:
        """Draw a status of the assistant's Recorder."""
        t = self.t
        phase = status.get("phase", "failed")
        recorded = int(status.get("recorded", 0))
        self.bar.setValue(min(recorded, self.count))
        self.progress.setText(t("enroll.progress", recorded=recorded, count=self.count))
        recording = phase == "recording"
        self.button.setEnabled(not recording)
        if recording:
            rejected = status.get("rejected") or []
            seen = (recorded, len(rejected))
            if seen[1] > self._seen[1]:
                self.message.setText(t(f"enroll.{rejected[-1]}"))
            elif seen[0] != self._seen[0]:
                self.message.setText(t("enroll.listening", word=self.word))
            self._seen = seen
            return
        self.timer.stop()
        if phase == "done":
            self.message.setText(t("enroll.done", word=self.word))
        elif phase == "failed":
            self.message.setText(t("enroll.failed", error=status.get("error", "")))
