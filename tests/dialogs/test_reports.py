"""Reports and consumption questions from the meters, on a real bus and a real InfluxDB: the
scheduled report the modes service asks for is composed by the dialogs service with the day's
water and electricity against the usual day, spoken and sent to the owner by SMS; "combien
d'eau hier" and "ma consommation électrique" are answered from the same series."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.bus import Forwarder, Publisher, Subscriber
from core.clock import ManualClock
from core.config import Config
from core.messages import Source
from core.messages.dialogs import Command, Reply, ReportDue, SmsSend
from core.messages.voice import Say
from core.metrics import Point, open_store, to_line
from core.service import running
from dialogs import service as dialogs_service
from tests.dialogs.test_service import collect, of
from tests.helpers import InfluxServer, demo_config

OWNER = "+33600000001"
NOW = dt.datetime(2024, 3, 5, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
def config(tmp_path: Path, influx: InfluxServer) -> Config:
    return demo_config(tmp_path / "var", {**influx.overrides(f"reports_{tmp_path.name}"[:60]),
                                          "dialogs": {"kwh_price": 0.2}})


def meters(config: Config) -> None:
    """Today 60 L of water and 2.9 kWh by 9:00; the three days before, 90 L by 9:00, and
    yesterday 200 L more in the evening."""
    lines = []
    for days, litres_a_minute in ((0, 2.0), (1, 3.0), (2, 3.0), (3, 3.0)):
        start = NOW.replace(hour=8) - dt.timedelta(days=days)
        for minute in range(30):
            at = start + dt.timedelta(minutes=minute)
            lines.append(to_line(Point("water", {"litres": litres_a_minute}, {"slot": "60s"},
                                       at)))
            if days == 0:
                lines.append(to_line(Point("power", {"total_wh": 1_000_000 + 100 * minute},
                                           {}, at)))
    lines.append(to_line(Point("water", {"litres": 200.0}, {"slot": "60s"},
                               NOW.replace(hour=20) - dt.timedelta(days=1))))
    store = open_store(config)
    try:
        store.write_lines(lines)
    finally:
        store.close()


@pytest.fixture
async def dialogs(config: Config, bus: Forwarder) -> AsyncIterator[tuple[Publisher, Subscriber]]:
    meters(config)
    pub = Publisher(config.bus_endpoints()[0], Source("bc-hq", "test"))
    sub = Subscriber(config.bus_endpoints()[1], [SmsSend.TOPIC, Say.TOPIC, Reply.TOPIC])
    assert await sub.settle(pub, 5)
    async with running("dialogs", dialogs_service.serve, config,
                       clock=ManualClock(NOW)) as rt:
        assert await rt.settle()
        yield pub, sub
    pub.close()
    sub.close()


async def test_a_scheduled_report_is_spoken_and_sent_with_the_days_use(dialogs: Any) -> None:
    pub, sub = dialogs
    pub.publish(ReportDue(NOW.isoformat(), spoken=True, send=["sms"]))
    got = await collect(sub, lambda g: of(g, SmsSend) and of(g, Say), timeout=15)
    [sms] = of(got, SmsSend)
    assert sms.number == OWNER and sms.text.startswith("Rapport 09:00\nMode ")
    assert "Aujourd'hui : 60 litres d'eau (d'habitude 90 à cette heure), 2,9 kWh " \
           "d'électricité, soit 0,58 €." in sms.text
    [said] = of(got, Say)
    assert said.when_home and "60 litres d'eau" in said.text and "kilowattheures" in said.text


@pytest.mark.parametrize(("question", "answer"), [
    ("combien d'eau on a consommé hier", "Hier : 290 litres d'eau."),
    ("ma consommation électrique", "Aujourd'hui : 2,9 kWh d'électricité, soit 0,58 €."),
])
async def test_consumption_questions(dialogs: Any, question: str, answer: str) -> None:
    pub, sub = dialogs
    pub.publish(Command(question, "push", "owner"))
    got = await collect(sub, lambda g: of(g, Reply), timeout=15)
    assert of(got, Reply)[0].text == answer
