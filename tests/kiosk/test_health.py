"""Parsing the sentinel's status report and the logbook, tolerantly."""

from __future__ import annotations

import pytest

from kiosk.health import (
    Level,
    from_heartbeats,
    is_silent,
    level_of,
    parse_logbook,
    parse_status_report,
    silent_after_s,
)
from tests.kiosk.helpers import T0, at


@pytest.mark.parametrize("state,level", [("ok", Level.OK), ("RUNNING", Level.OK),
                                         ("problem", Level.BAD), ("down", Level.BAD),
                                         ("degraded", Level.WARN), ("unreachable", Level.WARN),
                                         ("", Level.UNKNOWN)])
def test_levels(state, level) -> None:
    assert level_of(state) == level


@pytest.mark.parametrize("report", [
    {"machines": {"bc-hq": {"state": "ok", "since": "2024-03-12T10:00:00+01:00",
                            "services": {"logbook": {"state": "problem",
                                                     "last_error": "HTTP 500"}}}}},
    {"bc-hq": {"state": "ok", "since": "2024-03-12T10:00:00+01:00",
               "services": [{"name": "logbook", "state": "problem", "last_error": "HTTP 500"}]}},
    [{"machine": "bc-hq", "state": "ok", "since": "2024-03-12T10:00:00+01:00",
      "services": [{"service": "logbook", "status": "problem", "error": "HTTP 500"}]}],
])
def test_status_report_shapes(report) -> None:
    (machine,) = parse_status_report(report)
    assert machine.name == "bc-hq" and machine.since.startswith("2024-03-12T10")
    assert machine.services[0].name == "logbook" and machine.services[0].last_error == "HTTP 500"
    assert machine.level == Level.BAD  # a red service makes its machine red


@pytest.mark.parametrize("junk", ["nope", 42, None])
def test_status_report_junk(junk) -> None:
    with pytest.raises(ValueError):
        parse_status_report(junk)


def test_logbook_lines() -> None:
    lines = parse_logbook({"day": "2024-03-12", "entries": [
        {"ts": "2024-03-12T14:03:05+01:00", "machine": "bc-hq", "service": "modes",
         "level": "info", "message": "started"}, "junk"]})
    assert [(x.time, x.service, x.message) for x in lines] == [("14:03:05", "modes", "started")]
    with pytest.raises(ValueError):
        parse_logbook({"error": "x"})


def test_grid_from_heartbeats() -> None:
    grid = from_heartbeats({"bc-hq/logbook": T0, "bc-hq/bus": at(-10), "bc-ui/kiosk": T0},
                           at(0.5), silent_s=60)
    assert [m.name for m in grid] == ["bc-hq", "bc-ui"]
    assert [(s.name, s.level) for s in grid[0].services] == [("bus", Level.WARN),
                                                             ("logbook", Level.OK)]


def test_silence_is_three_heartbeats_and_slack_of_machine_time_on_the_house_clock() -> None:
    from core.clock import FastClock, ManualClock
    assert silent_after_s(10.0, ManualClock(T0)) == 35.0
    assert silent_after_s(2.0, ManualClock(T0)) == 11.0
    assert silent_after_s(10.0, FastClock(T0, 60.0)) == 35.0 * 60  # 35 s of wall time
    assert not is_silent(T0, at(0.5), 35.0) and is_silent(T0, at(1), 35.0)
