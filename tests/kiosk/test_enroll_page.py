"""The kiosk's guided enrollment page ("Dites « Basecamp » trois fois") driving the assistant's
real Recorder, fed espeak-ng audio in place of the microphone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant import samples
from assistant.audio import silence
from assistant.enroll import Recorder
from assistant.vad import webrtc
from kiosk.texts import Texts
from kiosk.widgets.enroll_page import EnrollPage

pytestmark = pytest.mark.skipif(not samples.available(), reason="espeak-ng and sox needed")


class LocalEnroller:
    """The assistant's enrollment in the same process (what POST /voice/enroll starts)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.recorder: Recorder | None = None

    def start(self, count: int) -> dict[str, Any]:
        self.recorder = Recorder(self.folder, count, webrtc(2))
        return self.recorder.status()

    def status(self) -> dict[str, Any]:
        assert self.recorder is not None
        return self.recorder.status()


def test_page_guides_three_takes_until_saved(qtbot: Any, tmp_path: Path) -> None:
    enroller = LocalEnroller(tmp_path / "basecamp")
    page = EnrollPage(enroller, Texts("fr"), word="Basecamp", count=3, poll_ms=20)
    qtbot.addWidget(page)
    assert page.instruction.text().startswith("Dites « Basecamp » trois fois")
    page.button.click()
    assert not page.button.isEnabled()
    assert enroller.recorder is not None
    for voice, speed in (("fr-fr", 150), ("fr-be", 170)):
        enroller.recorder.feed(silence(0.3) + samples.speak("Basecamp", voice, speed=speed)
                               + silence(0.6))
    qtbot.waitUntil(lambda: page.progress.text() == "2 sur 3", timeout=2000)
    assert page.bar.value() == 2
    enroller.recorder.feed(samples.speak("Basecamp", "fr-fr+f2") + silence(0.6))
    qtbot.waitUntil(lambda: page.message.text().startswith("C'est enregistré"), timeout=2000)
    assert page.button.isEnabled() and page.bar.value() == 3
    assert len(list((tmp_path / "basecamp").glob("*.wav"))) == 3


def test_english_page_says_it_in_english(qtbot: Any) -> None:
    page = EnrollPage(LocalEnroller(Path("/nonexistent")), Texts("en"), word="Basecamp",
                      count=3)
    qtbot.addWidget(page)
    assert page.instruction.text() == "Say “Basecamp” three times, with a short pause in " \
                                      "between."


def test_window_shows_the_page_under_voice(qtbot: Any, tmp_path: Path) -> None:
    import datetime as dt

    from kiosk.settings import KioskSettings
    from kiosk.window import KioskWindow
    from tests.kiosk.helpers import SILENT_S
    window = KioskWindow(KioskSettings(), Texts("fr"), lambda: dt.datetime.now(dt.UTC),
                         silent_after_s=SILENT_S, enroller=LocalEnroller(tmp_path / "basecamp"))
    qtbot.addWidget(window)
    assert window.nav["voice"].text() == "Voix"
    window.nav["voice"].click()
    assert window.stack.currentWidget() is window.enroll
