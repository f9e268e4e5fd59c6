"""Checked copies: `evolve` and `builder` reject names that are not fields, as `replace` would."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from core.config import Config
from modes import house, presence
from modes.records import builder, evolve

NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


@pytest.fixture
def state(config: Config) -> house.HouseState:
    return house.initial(house.rules_from_config(config))


def test_evolve_changes_the_named_fields_only(state: house.HouseState) -> None:
    before = state.presence
    after = evolve(before, silence=True, since=NOW)
    assert (after.silence, after.since, after.mode) == (True, NOW, before.mode)
    assert (before.silence, before.since) == (False, None)  # the original is untouched


def test_evolve_rejects_an_unknown_field(state: house.HouseState) -> None:
    with pytest.raises(TypeError, match=re.escape("Presence has no field 'silense'")):
        evolve(state.presence, silence=True, silense=True)
    with pytest.raises(TypeError, match="'presense'"):
        evolve(state, presense=state.presence)


def test_a_builder_needs_every_field_and_no_other(state: house.HouseState) -> None:
    build = builder(house.HouseState)
    fields = {"presence": state.presence, "heating": state.heating,
              "nightlight": state.nightlight, "lightpack": state.lightpack,
              "scheduler": state.scheduler}
    built = build(**fields, last_at=NOW)
    assert built == house.HouseState(**fields, last_at=NOW) and type(built) is house.HouseState
    unknown = re.escape("HouseState() got an unexpected keyword argument 'last'")
    with pytest.raises(TypeError, match=unknown):
        build(**fields, last_at=NOW, last=NOW)
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'last_at'"):
        build(**fields)


def test_the_house_step_builds_a_checked_house(state: house.HouseState) -> None:
    new, _ = house.step(state, presence.Mode.COCOON, NOW)  # not an event: no machine takes it
    assert new.last_at == NOW and vars(new).keys() == vars(state).keys()
