"""The I/O thread against real loopback servers: status report, logbook, metrics, /alive."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request

import pytest

from core.metrics import Point, open_store, to_line
from kiosk.app import Kiosk
from kiosk.demo import demo_logbook, demo_status_report
from tests.helpers import demo_config, free_port
from tests.kiosk.conftest import FakeHouseHttp

pytestmark = pytest.mark.timeout(60)
FAST = {"kiosk": {"status_refresh_s": 1, "charts_refresh_s": 1, "request_timeout_s": 1}}


@pytest.fixture
def fast_config(tmp_path):
    return demo_config(tmp_path / "var", FAST)


def start(qtbot, config, **kwargs) -> Kiosk:
    k = Kiosk(config, "bc-ui", **kwargs)
    qtbot.addWidget(k.window)
    k.window.fit_to(1024, 600)
    k.window.show()
    return k


def test_health_grid_and_logbook_then_the_sentinel_goes_away(qtbot, fast_config) -> None:
    now = dt.datetime.now(dt.UTC).astimezone()
    watch = FakeHouseHttp(fast_config.service_port("watch"))
    logbook = FakeHouseHttp(fast_config.service_port("logbook"))
    watch.report = demo_status_report(now)
    logbook.logbook = demo_logbook(now)
    k = start(qtbot, fast_config, run_service=False)
    try:
        k.window.show_page("health")
        page = k.window.health
        qtbot.waitUntil(lambda: set(page.cells) >= {"bc-hq", "bc-ui", "bc-veilleuse"},
                        timeout=5000)
        qtbot.waitUntil(lambda: page.log.count() == len(logbook.logbook["entries"]),
                        timeout=5000)
        hq = page.cells["bc-hq"].findChild(type(page.notice)).text()
        assert "dialogs : HTTP /alive : délai dépassé" in hq
        assert "#f04040" in page.cells["bc-hq"].styleSheet()  # red: a service is down
        assert page.notice.text() == ""
        watch.close()
        qtbot.waitUntil(lambda: "indisponible depuis" in page.notice.text(), timeout=5000)
        assert "bc-hq" in page.cells  # the last report stays, marked as old
    finally:
        k.close()
        logbook.close()


def test_charts_from_the_metrics_store(qtbot, fast_config) -> None:
    store = open_store(fast_config)
    now = dt.datetime.now(dt.UTC)
    store.write_lines([to_line(Point("muta", {"temperature": 18.0 + i / 10},
                                     {"unit": "salon"}, now - dt.timedelta(minutes=i)))
                       for i in range(120)])
    store.write_lines([to_line(Point("power", {"papp_va": 1000.0 + i},
                                     time=now - dt.timedelta(minutes=i))) for i in range(60)])
    store.close()
    k = start(qtbot, fast_config, run_service=False)
    try:
        k.window.show_page("charts")
        plots = k.window.charts.plots

        def curves(chart):
            return [item for item in plots[chart].getPlotItem().listDataItems()
                    if item.xData is not None and len(item.xData)]
        qtbot.waitUntil(lambda: len(curves("temperature")) == 1 and len(curves("power")) == 1,
                        timeout=5000)
        (temp,) = curves("temperature")
        # 2 h of minute readings in 400 slices of 24 h: about 34 slice means
        assert temp.name() == "salon" and 30 <= len(temp.xData) <= 40
        assert 18.0 <= min(temp.yData) < 18.5 and 29.0 < max(temp.yData) <= 29.9
        qtbot.mouseClick(k.window.charts.range_buttons["7d"], 1)
        qtbot.waitUntil(lambda: k.feeds.range_s == 7 * 86400.0, timeout=2000)
    finally:
        k.close()


def test_a_metrics_store_that_does_not_answer(qtbot, tmp_path) -> None:
    config = demo_config(tmp_path / "var", {**FAST, "metrics": {
        "backend": "influxdb", "influxdb": {"port": free_port(), "timeout_s": 0.5}}})
    k = start(qtbot, config, run_service=False)
    try:
        k.window.show_page("charts")
        qtbot.waitUntil(lambda: k.window.charts.notice.text() != "", timeout=10000)
        assert k.window.charts.notice.text().startswith("pas de données — StoreUnavailable")
    finally:
        k.close()


def test_the_kiosk_answers_alive_like_every_service(qtbot, fast_config, forwarder) -> None:
    k = start(qtbot, fast_config)
    url = fast_config.service_url("kiosk", "bc-ui") + "/alive"
    try:
        def alive() -> bool:
            try:
                with urllib.request.urlopen(url, timeout=1) as resp:
                    return json.load(resp)["service"] == "kiosk"
            except OSError:
                return False
        qtbot.waitUntil(alive, timeout=10000)
    finally:
        k.close()
