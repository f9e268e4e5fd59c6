"""The Grafana dashboard (deploy/grafana/basecamp.json) against a store the demo house filled:
the demo runs under `basecamp up` on an accelerated clock with its metrics in a real InfluxDB
(Debian's influxd), and every query of every panel, with Grafana's macros put in as Grafana
would, returns series with values. A panel whose measurement, field or tag does not exist
returns nothing and fails here."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from influxdb import InfluxDBClient

from tests.e2e.house import House, running_house, wait_for
from tests.helpers import InfluxServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "basecamp.json"
START = dt.datetime(2026, 3, 10, 6, 0, tzinfo=ZoneInfo("Europe/Paris"))
SPEED = 300.0
"""Five house minutes a second: the hourly panels get their hours in half a minute."""
MEASUREMENTS = ("muta", "heating", "power", "water", "watch")


@pytest.fixture(scope="module")
def influx() -> Iterator[InfluxServer]:
    server = InfluxServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory, influx: InfluxServer) -> Iterator[House]:
    overrides: dict[str, Any] = {
        "metrics": {"backend": "influxdb", "flush_interval_s": 0.5,
                    "influxdb": {"host": "127.0.0.1", "port": influx.port}},
        "watch": {"interval_s": 1.0}}
    with running_house(tmp_path_factory.mktemp("house"), overrides, speed=SPEED,
                       start=START) as h:
        yield h


def _client(influx: InfluxServer) -> InfluxDBClient:
    return InfluxDBClient("127.0.0.1", influx.port, database="basecamp", timeout=10)


def _queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [(panel["title"], target["query"]) for panel in dashboard["panels"]
            for target in panel["targets"]]


def test_the_dashboard_is_importable_grafana_json() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["__inputs"][0]["pluginId"] == "influxdb"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)) >= 9
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${DS_BASECAMP}" and panel["targets"]
        for target in panel["targets"]:
            assert target["rawQuery"] and "$timeFilter" in target["query"]


def test_every_panel_query_returns_the_demos_series(house: House,
                                                    influx: InfluxServer) -> None:
    client = _client(influx)

    def filled() -> bool:
        names = {row["name"] for row in client.query("SHOW MEASUREMENTS").get_points()}
        return set(MEASUREMENTS) <= names and house.now() - START > dt.timedelta(hours=3)
    wait_for(filled, 180, lambda: "the demo's measurements and three house hours "
             f"(now {house.now():%H:%M})", every=1.0)
    end = (house.now() + dt.timedelta(hours=1)).astimezone(dt.UTC)
    window = (f"time >= '{START.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}' AND "
              f"time <= '{end:%Y-%m-%dT%H:%M:%SZ}'")
    empty = []
    for title, query in _queries():
        sql = query.replace("$timeFilter", window).replace("$__interval", "5m")
        result = client.query(sql)
        values = [v for series in result.raw.get("series", []) for row in series["values"]
                  for v in row[1:] if v is not None]
        if not values:
            empty.append(f"{title}: {sql}")
    client.close()
    assert not empty, "panels with nothing to show:\n" + "\n".join(empty)
