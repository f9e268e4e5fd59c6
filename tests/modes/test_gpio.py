"""GPIO relays on gpiozero's own mock pin factory (the library's test double, driven through
the same code path as real pins): pulse lengths, never two coils at once, a sensed relay read
back, the config refusing a pin used twice, and `basecamp run relays` applying bus commands,
reporting them, and putting the relay back where it was after a kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from gpiozero.pins.mock import MockFactory, MockPin

from core.bus import Forwarder
from core.config import Config, ConfigError
from core.messages.relays import RelayCommand, RelayState
from core.service import running
from modes import gpio, relays_service
from modes.gpio import LatchingRelay, PlainRelay, SensedLatchingRelay
from modes.settings import RelaySpec
from tests.helpers import demo_data
from tests.modes.test_services import Probe

ROOT = Path(__file__).resolve().parents[2]
EVENTS: list[tuple[float, int, bool]] = []
"""(monotonic time, GPIO number, level) of every change on a `Recorded` pin."""


class Recorded(MockPin):
    """gpiozero's mock pin, every level change written to EVENTS with its pin number."""

    def _change_state(self, value: bool) -> bool:
        changed = bool(super()._change_state(value))
        if changed:
            EVENTS.append((time.monotonic(), int(self.info.name.removeprefix("GPIO")), value))
        return changed


class ToggledLatch(MockPin):
    """A latching relay's coil wired to its position contact: each pulse flips the contact
    (the pin given as `contact`), as the mechanism does."""

    def __init__(self, factory: Any, info: Any, contact: MockPin | None = None) -> None:
        super().__init__(factory, info)
        self.contact = contact

    def _change_state(self, value: bool) -> bool:
        changed = bool(super()._change_state(value))
        if changed and value and self.contact is not None:
            if self.contact.state:
                self.contact.drive_low()
            else:
                self.contact.drive_high()
        return changed


@pytest.fixture(autouse=True)
def _clean() -> None:
    EVENTS.clear()


def _pulses(pin: int, level: bool = True) -> list[float]:
    """The lengths (s) of the pulses at `level` on `pin`, from EVENTS."""
    out, start = [], None
    for t, p, v in EVENTS:
        if p != pin:
            continue
        if v == level:
            start = t
        elif start is not None:
            out.append(t - start)
            start = None
    return out


def _both_high(a: int, b: int, level: bool = True) -> bool:
    """Whether pins a and b were ever at `level` together."""
    now = {a: not level, b: not level}
    for _, p, v in EVENTS:
        if p in now:
            now[p] = v
            if now[a] == level and now[b] == level:
                return True
    return False


def test_a_latching_relay_gets_one_pulse_on_one_coil_at_a_time() -> None:
    factory = MockFactory(pin_class=Recorded)
    relay = LatchingRelay(RelaySpec("heater", "bc-power", set_pin=17, reset_pin=27,
                                    pulse_ms=30), factory)
    for on in (True, False, True):
        relay.set(on)
    assert [len(_pulses(17)), len(_pulses(27))] == [2, 1]
    assert all(0.030 <= d < 0.080 for d in _pulses(17) + _pulses(27)), EVENTS
    threads = [threading.Thread(target=relay.set, args=(i % 2 == 0,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert relay.pulses == 23
    assert not _both_high(17, 27)  # never both coils, even asked from 20 threads at once
    assert not factory.pin(17).state and not factory.pin(27).state  # nothing left energised
    relay.close()


def test_active_low_boards_are_pulsed_low() -> None:
    factory = MockFactory(pin_class=Recorded)
    relay = LatchingRelay(RelaySpec("heater", "bc-power", set_pin=5, reset_pin=6,
                                    active_high=False, pulse_ms=20), factory)
    assert factory.pin(5).state and factory.pin(6).state  # idle: high, coils off
    relay.set(True)
    assert len(_pulses(5, level=False)) == 1 and not _pulses(6, level=False)
    assert factory.pin(5).state
    relay.close()


def test_a_sensed_relay_pulses_only_when_it_must_move_and_reads_itself_back() -> None:
    factory = MockFactory()
    contact = factory.pin(22)
    factory.pin(17, pin_class=ToggledLatch, contact=contact)
    relay = SensedLatchingRelay(RelaySpec("veilleuse", "bc-veilleuse", kind="latching_sensed",
                                          set_pin=17, position_pin=22, pulse_ms=10,
                                          settle_ms=0), factory)
    assert relay.position() is False
    relay.set(True)
    relay.set(True)  # already there: no pulse
    assert (relay.position(), relay.pulses) == (True, 1)
    relay.set(False)
    assert (relay.position(), relay.pulses) == (False, 2)
    relay.close()


def test_a_sensed_relay_that_does_not_move_is_an_error() -> None:
    factory = MockFactory()  # the coil is wired to nothing: a burnt coil
    relay = SensedLatchingRelay(RelaySpec("veilleuse", "bc-veilleuse", kind="latching_sensed",
                                          set_pin=17, position_pin=22, pulse_ms=5,
                                          settle_ms=0), factory)
    with pytest.raises(OSError, match="did not move"):
        relay.set(True)
    relay.close()


def test_a_plain_relay_follows_its_output() -> None:
    factory = MockFactory()
    relay = PlainRelay(RelaySpec("light:x", "bc-veilleuse", kind="plain", pin=23,
                                 active_high=False), factory)
    relay.set(True)
    assert relay.position() is True and factory.pin(23).state is False  # active low
    relay.set(False)
    assert relay.position() is False and factory.pin(23).state is True
    relay.close()


@pytest.mark.parametrize(("relays", "where"), [
    ([{"name": "a", "machine": "bc-power", "set_pin": 17, "reset_pin": 27},
      {"name": "b", "machine": "bc-power", "kind": "plain", "pin": 17}],
     r"relays\.relays\[1\]\.pin.*GPIO 17 is a\.set_pin"),
    ([{"name": "a", "machine": "bc-power", "set_pin": 17}], r"relays\.relays\[0\]\.reset_pin"),
    ([{"name": "a", "machine": "bc-nowhere", "kind": "plain", "pin": 4}],
     r"relays\.relays\[0\]\.machine"),
    ([{"name": "a", "machine": "bc-power", "kind": "plain", "pin": 4},
      {"name": "a", "machine": "bc-veilleuse", "kind": "plain", "pin": 4}],
     r"relays\.relays\[1\]\.name"),
])
def test_the_config_refuses_bad_wiring(tmp_path: Path, relays: list[dict[str, Any]],
                                       where: str) -> None:
    data = demo_data(tmp_path / "var", {"relays": {"relays": relays}})
    with pytest.raises(ConfigError, match=where):
        Config.from_dict(data, base_dir=str(tmp_path))


def test_config_check_names_the_pin_used_twice(tmp_path: Path) -> None:
    data = demo_data(tmp_path / "var")
    data["relays"]["relays"].append({"name": "pump", "machine": "bc-power", "kind": "plain",
                                     "pin": 27})
    path = tmp_path / "house.toml"
    path.write_text(tomli_w.dumps(data))
    out = subprocess.run([sys.executable, "-m", "core.cli", "config", "check", "--config",
                          str(path)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 2
    assert "relays.relays[2].pin" in out.stderr and "GPIO 27 is heater.reset_pin" in out.stderr


async def test_the_relays_service_applies_bus_commands_and_reports_them(
        config: Config, bus: Forwarder) -> None:
    factory = gpio.pin_factory("mock")
    factory.reset()
    probe = Probe(config, [RelayState.TOPIC])
    await probe.settle()
    async with running("relays", relays_service.serve, config, host="bc-power") as rt:
        assert await rt.settle()
        probe.send(RelayCommand("heater", True))
        state = await probe.expect(RelayState.TOPIC, lambda d: d["relay"] == "heater")
        assert (state["on"], state["machine"], state["error"]) == (True, "bc-power", "")
        probe.send(RelayCommand("light:lumière de la salle de bains", True))  # not wired here
        probe.send(RelayCommand("heater", False))
        state = await probe.expect(RelayState.TOPIC, lambda d: d["relay"] == "heater")
        assert state["on"] is False
        assert rt.status["relays"]()["heater"]["pulses"] == 2
        assert rt.counters["commands"] == 2
    set_coil, reset_coil = factory.pin(17), factory.pin(27)
    assert [s.state for s in set_coil.states] == [False, True, False]
    assert [s.state for s in reset_coil.states] == [False, True, False]
    probe.close()


async def test_a_relay_is_put_back_where_it_was_after_kill_9(tmp_path: Path, config: Config,
                                                               bus: Forwarder) -> None:
    """The relays service killed -9 after a command and started again: it puts the relay
    back in the last position asked and says so, before any new command."""
    data = demo_data(tmp_path / "var")
    data["bus"] = {**data["bus"], "pub_port": config.bus.pub_port,
                   "sub_port": config.bus.sub_port}
    path = tmp_path / "house.toml"
    path.write_text(tomli_w.dumps(data))
    house = Config.from_dict(data, base_dir=str(tmp_path))
    probe = Probe(house, [RelayState.TOPIC])
    await probe.settle()

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "core.cli", "run", "relays", "--host",
                                 "bc-veilleuse", "--config", str(path)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    light = "light:lumière de la salle de bains"
    proc = start()
    try:
        await asyncio.sleep(1.5)  # started and subscribed (a command sent before is lost)
        for _ in range(20):
            probe.send(RelayCommand(light, True))
            try:
                await probe.expect(RelayState.TOPIC, lambda d: d["relay"] == light, 1.0)
                break
            except TimeoutError:
                continue
        else:
            raise AssertionError("the relays service never answered")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        await asyncio.sleep(0.5)
        probe.backlog.clear()  # only what the restarted service says counts now
        proc = start()
        state = await probe.expect(RelayState.TOPIC, lambda d: d["relay"] == light, 30)
        assert (state["on"], state["machine"]) == (True, "bc-veilleuse")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        probe.close()
