"""The kiosk on a real loopback bus, offscreen: messages in, tiles out, touches to intents."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import QPoint, Qt

from core.bus import Forwarder
from core.messages.heating import HeatingState
from core.messages.nightlight import NightLightMode, NightLightState
from core.messages.presence import ModeChanged, PirMotion
from core.messages.sensors import MutaUpdate
from kiosk.app import Kiosk
from kiosk.view_model import fold
from tests.kiosk.helpers import env, raw

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def kiosk(qtbot, config, forwarder):
    k = Kiosk(config, "bc-ui", run_service=False)
    qtbot.addWidget(k.window)
    k.window.fit_to(1024, 600)
    k.window.show()
    yield k
    k.close()


def tile(k: Kiosk, name: str):
    return k.window.home.tiles[name].view


def publish_until(qtbot, publisher, message, check, timeout=5000):
    """Publish (again, while the kiosk's subscription travels) until `check()` holds."""
    def ok() -> bool:
        if not check():
            publisher.publish(message)
            return False
        return True
    qtbot.waitUntil(ok, timeout=timeout)


def test_messages_on_the_bus_repaint_the_tiles(qtbot, kiosk, house) -> None:
    publisher, _ = house
    publish_until(qtbot, publisher, ModeChanged("asleep", "2024-03-12T23:00:00+01:00", "voice"),
                  lambda: tile(kiosk, "mode").value == "Nuit")
    publisher.publish(MutaUpdate("salon", 1, temperature=19.5, humidity=40.0))
    publisher.publish(HeatingState("night", 17.0, False, "chambre", 18.1))
    qtbot.waitUntil(lambda: tile(kiosk, "indoor").value == "19,5 °C", timeout=3000)
    qtbot.waitUntil(lambda: tile(kiosk, "heating").value == "nuit", timeout=3000)
    assert tile(kiosk, "heating").detail == "consigne 17,0 °C · à l'arrêt"
    assert kiosk.window.home.tiles["indoor"].value.text() == "19,5 °C"
    shown = kiosk.screen_status()  # what the service's /status reports of the screen
    assert shown["mode"] == "asleep" and shown["tiles"]["mode"]["value"] == "Nuit"
    assert shown["tiles"]["heating"]["detail"] == "consigne 17,0 °C · à l'arrêt"


def test_a_touch_publishes_the_intent_and_waits_for_the_state(qtbot, kiosk, house) -> None:
    publisher, seen = house
    publish_until(qtbot, publisher, ModeChanged("cocoon", "2024-03-12T08:00:00+01:00", "voice"),
                  lambda: tile(kiosk, "mode").value == "Cocon")
    kiosk.window.show_page("controls")
    qtbot.mouseClick(kiosk.window.controls.buttons[("mode", "lockout")], Qt.LeftButton)
    qtbot.waitUntil(lambda: any(e.topic == "basecamp.intent.BasecampLeave" for e in seen),
                    timeout=3000)
    intent = next(e for e in seen if e.topic == "basecamp.intent.BasecampLeave")
    assert intent.data["channel"] == "kiosk" and intent.src.service == "kiosk"
    # not before the house answers: the button still shows the confirmed mode
    assert kiosk.window.controls.buttons[("mode", "cocoon")].isChecked()
    assert not kiosk.window.controls.buttons[("mode", "lockout")].isChecked()
    assert kiosk.window.controls.status["mode"].text() == "demandé : Je pars…"
    publisher.publish(ModeChanged("lockout", "2024-03-12T08:05:00+01:00", "kiosk"))
    qtbot.waitUntil(lambda: kiosk.window.controls.buttons[("mode", "lockout")].isChecked(),
                    timeout=3000)
    assert kiosk.window.controls.status["mode"].text() == ""
    # heating with an expiry, night light AUTO, silence
    qtbot.mouseClick(kiosk.window.controls.buttons[("expiry", "4")], Qt.LeftButton)
    qtbot.mouseClick(kiosk.window.controls.buttons[("heating", "force_eco")], Qt.LeftButton)
    qtbot.mouseClick(kiosk.window.controls.buttons[("night_light", "auto")], Qt.LeftButton)
    qtbot.mouseClick(kiosk.window.controls.buttons[("silence", "on")], Qt.LeftButton)
    topics = ("basecamp.intent.BasecampHeatingProfile", NightLightMode.TOPIC,
              "basecamp.intent.BasecampSilence")
    qtbot.waitUntil(lambda: all(any(e.topic == t for e in seen) for t in topics), timeout=3000)
    heating = next(e for e in seen if e.topic == topics[0])
    assert heating.data["slots"]["profile"] == "force_eco" and "until" in heating.data["slots"]
    assert next(e for e in seen if e.topic == topics[2]).data["slots"] == {"state": "on"}
    publisher.publish(NightLightState("auto", True))
    qtbot.waitUntil(lambda: kiosk.window.controls.buttons[("night_light", "auto")].isChecked(),
                    timeout=3000)


def test_bad_messages_show_no_data_since_and_the_kiosk_goes_on(qtbot, kiosk, house) -> None:
    publisher, _ = house
    publish_until(qtbot, publisher, MutaUpdate("salon", 1, temperature=21.0),
                  lambda: tile(kiosk, "indoor").value == "21,0 °C")
    # what a broken publisher could send: an unknown mode, a missing field
    window = kiosk.window
    window.apply([raw("basecamp.presence.mode", {"mode": "party", "since": "x",
                                                 "changed_by": "voice"}),
                  raw("basecamp.muta.update", {"unit": "salon"})])
    assert tile(kiosk, "indoor").state == "stale"
    assert tile(kiosk, "indoor").detail.startswith("pas de données depuis")
    assert tile(kiosk, "mode").state == "stale"
    assert tile(kiosk, "mode").detail.startswith("message rejeté")
    assert "'party'" in tile(kiosk, "mode").detail  # why: the value refused
    publisher.publish(MutaUpdate("salon", 2, temperature=21.5))
    qtbot.waitUntil(lambda: tile(kiosk, "indoor").value == "21,5 °C", timeout=3000)
    assert tile(kiosk, "indoor").state == "ok"


def test_the_bus_goes_away_and_comes_back(qtbot, config, kiosk, house, forwarder) -> None:
    publisher, _ = house
    publish_until(qtbot, publisher, MutaUpdate("salon", 1, temperature=20.0),
                  lambda: tile(kiosk, "indoor").value == "20,0 °C")
    forwarder.stop()
    pub, sub = config.bus_endpoints()
    again = Forwarder(pub, sub, grace_s=0.05).start()
    try:
        publish_until(qtbot, publisher, MutaUpdate("salon", 2, temperature=22.0),
                      lambda: tile(kiosk, "indoor").value == "22,0 °C", timeout=15000)
    finally:
        again.stop()
        forwarder.stop = lambda: None  # already stopped


def test_blanking_overlay_and_wake_by_pir_or_touch(qtbot, kiosk) -> None:
    window = kiosk.window
    window.set_blank(True)
    assert window.overlay.isVisible()
    now = window.now()
    window.state = fold(window.state, raw("basecamp.pir.motion",
                                            PirMotion("kiosk", 1).to_dict()), now)
    window.tick()
    assert not window.blanked and not window.overlay.isVisible()
    window.set_blank(True)
    clicked = []
    button = window.nav["health"]
    button.clicked.connect(lambda: clicked.append(1))
    qtbot.mouseClick(button, Qt.LeftButton)
    assert not window.blanked and not clicked  # the waking touch presses nothing


def test_exit_gesture(qtbot, kiosk) -> None:
    window = kiosk.window
    with qtbot.waitSignal(window.exit_requested, timeout=2000):
        for _ in range(kiosk.settings.exit_taps):
            qtbot.mouseClick(window.banner if window.banner.isVisible() else window,
                             Qt.LeftButton, pos=QPoint(5, 5))


def test_charts_keep_their_curves_and_say_since_when_after_a_failure(qtbot, kiosk) -> None:
    window = kiosk.window
    window.set_charts({"power": [("puissance", [1.0, 2.0], [100.0, 200.0])]})
    window.set_charts({}, "StoreUnavailable: influxdb down")
    assert window.charts.notice.text().startswith("pas de données depuis ")
    assert window.charts.notice.text().endswith("— StoreUnavailable: influxdb down")
    assert len(window.charts.plots["power"].getPlotItem().listDataItems()) == 1


def test_the_kiosk_lives_in_house_time(qtbot, config, forwarder, monkeypatch) -> None:
    """In an accelerated demo the screen's clock, its ages and a forced profile's expiry are
    the house's time ($BASECAMP_CLOCK), like every service's, not the wall clock."""
    import datetime as dt

    from core.clock import ENV_VAR, clock_spec
    start = dt.datetime(2031, 6, 1, 3, 0, tzinfo=dt.UTC)
    monkeypatch.setenv(ENV_VAR, clock_spec(600, start))
    k = Kiosk(config, "bc-ui", run_service=False)
    qtbot.addWidget(k.window)
    try:
        now = k.window.now()
        assert dt.timedelta(0) <= now - start < dt.timedelta(minutes=30), now
        assert k.feeds._now() - start < dt.timedelta(minutes=30)
    finally:
        k.close()


def test_silence_follows_the_configured_heartbeat(qtbot, config) -> None:
    """One rule for the banner's silent bus and the health page's silent services: three
    heartbeats of `bus.heartbeat_s` and 5 s. Nothing for 30 s is silence when services beat
    every second, not when they beat every minute."""
    import dataclasses
    import datetime as dt

    from PyQt5.QtWidgets import QLabel

    from core.messages.alive import Heartbeat
    from kiosk import tiles
    from kiosk.health import Level
    from kiosk.widgets.health_page import _COLOURS
    for heartbeat_s, silent in ((1.0, True), (60.0, False)):
        bus = dataclasses.replace(config.bus, heartbeat_s=heartbeat_s)
        k = Kiosk(dataclasses.replace(config, bus=bus), "bc-ui", run_service=False)
        qtbot.addWidget(k.window)
        try:
            window = k.window
            ago = window.now() - dt.timedelta(seconds=30)
            window.state = fold(window.state, env(Heartbeat("logbook", "bc-hq", "1", 5.0)), ago)
            shown = tiles.banner(window.state, window.context())
            assert (shown is not None and "Bus muet" in shown.value) is silent, heartbeat_s
            window.show_page("health")
            cell = window.health.cells["bc-hq"]
            level = Level.WARN if silent else Level.OK
            assert _COLOURS[level] in cell.styleSheet(), (heartbeat_s, cell.styleSheet())
            assert f"color:{_COLOURS[level]}'>●</span>&nbsp;logbook" in \
                cell.findChild(QLabel).text()
        finally:
            k.close()


def test_a_starting_kiosk_asks_for_the_state(qtbot, config, forwarder) -> None:
    """No dashes for a minute after start: a second after it starts, the kiosk asks the
    services for their state (StateRequest; they answer, tests/modes/test_services.py)."""
    from core.messages import Source
    from core.messages.alive import StateRequest
    from kiosk.qtbus import BusReader
    reader = BusReader(config.bus_endpoints()[1], [StateRequest.TOPIC])
    asked: list = []
    reader.received.connect(asked.extend)
    qtbot.wait(300)  # the reader's subscription reaches the forwarder
    k = Kiosk(config, "bc-ui", run_service=False)
    qtbot.addWidget(k.window)
    try:
        qtbot.waitUntil(lambda: len(asked) >= 1, timeout=8000)  # asked at 1 s, again at 5 s
        assert asked[0].src == Source("bc-ui", "kiosk") and asked[0].data == {"prefix": ""}
    finally:
        k.close()
        reader.close()


def test_a_kiosk_closed_at_once_stops_its_io_thread(qtbot, config) -> None:
    """Closed before its I/O thread had started its loop, the kiosk still stops it (the stop
    used to be lost, and the thread read the house until the process exited)."""
    for _ in range(5):
        k = Kiosk(config, "bc-ui", run_service=False)
        qtbot.addWidget(k.window)
        k.close()
        assert not k.feeds._thread.is_alive()
