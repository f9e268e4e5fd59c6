"""Drivers and settings: the simulated relay, an Adalight strip on a real pty serial port,
config errors that name their key, the house machine against random input."""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path

import pytest

from core.config import Config, ConfigError
from core.messages.dialogs import Intent
from core.messages.presence import BluetoothPresence, PirMotion
from core.messages.relays import RelayCommand
from core.messages.sensors import MutaUpdate
from core.messages.watch import Alert
from modes import house
from modes.devices import BusRelay, FileRelay, SerialStrip, adalight_frame, open_relay
from modes.effects import EventRejected, Tick
from tests.helpers import demo_config


def test_file_relay_keeps_its_position(tmp_path: Path) -> None:
    relay = open_relay("file", "heater", tmp_path, lambda m: None)
    assert isinstance(relay, FileRelay) and relay.position() is None
    relay.set(True)
    assert FileRelay(tmp_path / "relay-heater.json", "heater").position() is True
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write leaves no temp file


def test_bus_relay_publishes_commands() -> None:
    sent: list[object] = []
    relay = open_relay("bus", "veilleuse", Path("."), sent.append)
    assert isinstance(relay, BusRelay)
    relay.set(False)
    assert sent == [RelayCommand("veilleuse", False)]


def test_adalight_frame() -> None:
    frame = adalight_frame((1, 2, 3), 300)
    assert frame[:3] == b"Ada" and frame[3:6] == bytes((0x01, 0x2B, 0x01 ^ 0x2B ^ 0x55))
    assert frame[6:] == bytes((1, 2, 3)) * 300


def test_serial_strip_on_a_pty(tmp_path: Path) -> None:
    master, slave = os.openpty()
    try:
        strip = SerialStrip(os.ttyname(slave), 115200, 4)
        strip.show((255, 0, 0))
        expected = adalight_frame((255, 0, 0), 4)
        got = b""
        while len(got) < len(expected):
            got += os.read(master, 1024)
        assert got == expected
        strip.close()
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize(("overrides", "key"), [
    ({"heating": {"schedules": {"work_week": {"mon": ["25:00-26:00"]},
                                "holiday_week": {}}}}, "heating.schedules.work_week.mon[0]"),
    ({"heating": {"schedules": {"work_week": {"lundi": ["08:00-09:00"]},
                                "holiday_week": {}}}}, "heating.schedules.work_week.lundi"),
    ({"heating": {"comfort": 45}}, "heating.comfort"),
    ({"nightlight": {"on_lux": 50, "off_lux": 20}}, "nightlight.off_lux"),
    ({"lightpack": {"lockout": "purple"}}, "lightpack.lockout"),
    ({"presence": {"entry_sensor": "garage"}}, "presence.entry_sensor"),
    ({"scheduler": {"prune_day": "dimanche"}}, "scheduler.prune_day"),
])
def test_config_errors_name_the_key(tmp_path: Path, overrides: dict[str, object],
                                    key: str) -> None:
    with pytest.raises(ConfigError) as err:
        demo_config(tmp_path, overrides)
    assert err.value.path == key


def test_the_demo_house_config_builds_rules(config: Config) -> None:
    rules = house.rules_from_config(config)
    assert "veilleuse" in rules.nightlight.names
    assert "lumière du salon" in rules.presence.lights
    assert rules.heating.schedules["work_week"][0] == ((390, 510), (1050, 1350))


def test_random_input_never_raises_nor_heats_blind(config: Config) -> None:
    rng = random.Random(7)
    rules = house.rules_from_config(config)
    now = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.UTC)
    state, _ = house.start(house.initial(rules), now)
    values = [-1e9, -50.0, 0.0, 17.5, 19.9, 20.5, 300.0, float("nan"), float("inf")]
    makers = [
        lambda: MutaUpdate(rng.choice(["salon", "chambre", "exterieur", "x"]), 0,
                           temperature=rng.choice(values), light=rng.choice([*values, None])),
        lambda: PirMotion(rng.choice(["entry", "kiosk", "?"]), rng.choice([0, 1, 7])),
        lambda: BluetoothPresence(rng.choice(["phone-owner", "x"]), rng.random() < 0.5),
        lambda: Intent(rng.choice(["BasecampLeave", "BasecampReturn", "BasecampSleep",
                                   "BasecampWake", "BasecampSilence", "HassTurnOn",
                                   "BasecampHeatingProfile", "Nope"]),
                       rng.choice([{}, {"return_at": "x"}, {"profile": "force_comfort"},
                                   {"state": 3}, {"name": "veilleuse"}]), "voice"),
        lambda: Alert("k", rng.choice(["minor", "major", "?"]),
                      rng.choice(["problem", "recovery", "?"]), ""),
        Tick,
    ]
    rejected = 0
    for _ in range(5000):
        now += dt.timedelta(seconds=rng.choice([-60, 5, 60, 900, 2400]))
        event = rng.choice(makers)()
        state, effects = house.step(state, event, now)
        rejected += sum(isinstance(e, EventRejected) for e in effects)
        heat = state.heating
        if heat.relay and type(event) is Tick and state.last_at == now:  # ticked: not stale
            last = max(t for t in (heat.primary_at, heat.secondary_at) if t is not None)
            assert state.last_at is not None and state.last_at - last <= rules.heating.stale
    assert rejected > 100
