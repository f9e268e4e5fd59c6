"""Commands carried out, not only confirmed: the room lights on their relays, a room's
temperature on the heater, the night light, the mode — each answered with an `Outcome` that
says what was done; checked on the relays' files and the state published, on a real bus."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest

from core import devices
from core.bus import Forwarder
from core.clock import ManualClock
from core.config import Config, Device
from core.messages.dialogs import Intent, Outcome
from core.messages.lights import LightsState
from core.messages.relays import RelayCommand
from core.messages.sensors import MutaUpdate
from core.service import running
from modes import heater_service, heating, lights, lights_service, nightlight_service, service
from modes.house import rules_from_config
from tests.modes.test_services import Probe

CET = dt.timezone(dt.timedelta(hours=1))
NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=CET)  # Monday: comfort in the work week


def relay(config: Config, service_name: str, name: str) -> bool | None:
    """The position a simulated relay file holds (None: never moved)."""
    folder = config.path(service_name)
    found = list(folder.rglob(f"relay-{name}.json"))
    return json.loads(found[0].read_text())["on"] if found else None


# ---- pure ------------------------------------------------------------------------------------
def test_which_devices_a_command_reaches(config: Config) -> None:
    names = lambda slots: sorted(d.name for d in devices.targets(config.devices, slots))  # noqa: E731
    assert names({"area": "chambre", "domain": "light"}) == [
        "lampe de chevet", "lumière de la chambre", "lumière du plafond"]
    assert names({"name": "veilleuse"}) == ["veilleuse"]
    assert "veilleuse" not in names({"area": "salon", "domain": "light"})  # named to be switched
    assert len(names({"area": "*", "domain": "light"})) == 9
    switched, missing = devices.reach(config, {"name": "sèche-serviettes"})
    assert (switched, [d.name for d in missing]) == ([], ["sèche-serviettes"])


def test_lights_switch_what_they_reach_and_say_so() -> None:
    kitchen = Device("lumière de la cuisine", "light", "cuisine", driver="file")
    hall = Device("lumière de l'entrée", "light", "entrée", driver="file")
    state = lights.Lights((kitchen, hall))
    command = Intent("HassTurnOn", {"area": "*", "domain": "light"}, "voice", id="i1")
    state, effects = lights.step(state, command, NOW)
    assert [e for e in effects if isinstance(e, RelayCommand)] == [
        RelayCommand("light:lumière de la cuisine", True),
        RelayCommand("light:lumière de l'entrée", True)]
    outcome = lights.outcome(state, command, effects)
    assert outcome is not None and outcome.done
    assert outcome.values["switched"] == ["lumière de la cuisine", "lumière de l'entrée"]
    again = Intent("HassTurnOn", {"name": "lumière de la cuisine"}, "voice", id="i2")
    state, effects = lights.step(state, again, NOW)
    assert not [e for e in effects if isinstance(e, RelayCommand)]  # already on: no move
    other = Intent("HassTurnOn", {"name": "veilleuse"}, "voice", id="i3")
    assert lights.outcome(state, other, []) is None  # not the lights service's


def _heater(config: Config) -> heating.Heating:
    return heating.Heating(rules_from_config(config).heating)


def test_a_rooms_temperature_holds_until_the_profile_changes(config: Config) -> None:
    state = _heater(config)
    state, _ = heating.step(state, MutaUpdate("chambre", 1, temperature=20.5), NOW)
    state, _ = heating.step(state, MutaUpdate("salon", 1, temperature=20.5), NOW)
    assert not state.relay  # 20.5 °C: the comfort profile (20) does not heat
    ask = Intent("HassClimateSetTemperature", {"area": "chambre", "temperature": 22}, id="t")
    state, effects = heating.step(state, ask, NOW)
    assert (state.setpoint, state.sensor, state.override_room) == (22.0, "chambre", "chambre")
    said = heating.outcome(state, ask, effects)
    assert said is not None and said.done and said.values["setpoint"] == 22.0
    assert [e.on for e in effects if isinstance(e, RelayCommand)] == [True]
    evening = NOW.replace(hour=23)  # the schedule goes to eco: the override ends with it
    state, _ = heating.step(state, MutaUpdate("salon", 1, temperature=19.0), evening)
    assert state.override is None and state.setpoint == state.rules.eco


@pytest.mark.parametrize(("area", "temperature", "reason"), [
    ("cuisine", 22, "no_heating_here"), ("salon", 35, "temperature_range")])
def test_a_temperature_the_heater_cannot_hold_is_refused(config: Config, area: str,
                                                          temperature: float,
                                                          reason: str) -> None:
    state = _heater(config)
    ask = Intent("HassClimateSetTemperature", {"area": area, "temperature": temperature},
                 id="t")
    state, effects = heating.step(state, ask, NOW)
    said = heating.outcome(state, ask, effects)
    assert said is not None and not said.done and said.reason == reason
    assert state.override is None


def test_the_heating_switched_off_is_eco_forced(config: Config) -> None:
    state = _heater(config)
    off = Intent("HassTurnOff", {"area": "salon", "domain": "climate"}, id="o")
    state, effects = heating.step(state, off, NOW)
    assert state.force == "force_eco" and state.profile == "force_eco"
    said = heating.outcome(state, off, effects)
    assert said is not None and said.done and said.values["switched"] == ["thermostat du salon"]


# ---- on a real bus -------------------------------------------------------------------------
async def test_lights_service_moves_relays_answers_and_restores(config: Config,
                                                                bus: Forwarder) -> None:
    clock = ManualClock(NOW)
    probe = Probe(config, [Outcome.TOPIC, LightsState.TOPIC])
    await probe.settle()
    async with running("lights", lights_service.serve, config, clock=clock) as rt:
        assert await rt.settle()  # its intents' subscription has reached the forwarder
        await probe.expect(LightsState.TOPIC)
        probe.send(Intent("HassTurnOn", {"area": "chambre", "domain": "light"}, "sms",
                          id="c1"))
        said = await probe.expect(Outcome.TOPIC, lambda d: d["intent_id"] == "c1")
        assert said["done"] and len(said["values"]["switched"]) == 3
        assert relay(config, "lights", "light:lampe de chevet") is True
        assert relay(config, "lights", "light:lumière du garage") is False
        probe.send(Intent("HassTurnOff", {"name": "lampe de chevet"}, "voice", id="c2"))
        await probe.expect(Outcome.TOPIC, lambda d: d["intent_id"] == "c2")
        assert relay(config, "lights", "light:lampe de chevet") is False
        await asyncio.sleep(0.2)
    probe.backlog.clear()
    async with running("lights", lights_service.serve, config, clock=clock) as rt:
        assert await rt.settle()
        state = await probe.expect(LightsState.TOPIC, lambda d: not d["changed"])
        assert state["on"]["lumière du plafond"] and not state["on"]["lampe de chevet"]
    probe.close()


async def test_every_acting_service_answers_its_commands(config: Config,
                                                         bus: Forwarder) -> None:
    clock = ManualClock(NOW)
    probe = Probe(config, [Outcome.TOPIC])
    await probe.settle()
    async with running("modes", service.serve, config, clock=clock) as modes, \
            running("heater", heater_service.serve, config, clock=clock) as heater, \
            running("nightlight", nightlight_service.serve, config, clock=clock) as night:
        for rt in (modes, heater, night):  # their intents' subscriptions reached the forwarder
            assert await rt.settle()
        commands: list[tuple[Intent, Any]] = [
            (Intent("BasecampLeave", {"return_at": "2026-11-23T19:00:00+01:00"}, id="a"),
             lambda v: v["mode"] == "lockout" and v["return_at"].startswith("2026-11-23T19")),
            (Intent("BasecampReturn", {}, id="b"), lambda v: v["mode"] == "cocoon"),
            (Intent("BasecampSilence", {"state": "on"}, id="c"), lambda v: v["silence"]),
            (Intent("BasecampHeatingProfile", {"profile": "force_comfort"}, id="d"),
             lambda v: v["running"] == "force_comfort"),
            (Intent("HassClimateSetTemperature", {"area": "salon", "temperature": 21.5},
                    id="e"), lambda v: v["setpoint"] == 21.5),
            (Intent("HassTurnOn", {"name": "veilleuse"}, id="f"), lambda v: v["lit"]),
        ]
        for intent, check in commands:
            probe.send(intent)
            said = await probe.expect(Outcome.TOPIC, lambda d, i=intent: d["intent_id"] == i.id)
            assert said["done"] and check(said["values"]), (intent.intent, said)
        assert relay(config, "nightlight", "veilleuse") is True
    probe.close()
