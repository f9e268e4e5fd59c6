"""Shared fixtures: a private demo house config, a running bus forwarder, a real InfluxDB."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.bus import Forwarder
from core.config import Config
from tests.helpers import InfluxServer, demo_config

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The demo house with free ports and its data under tmp_path."""
    return demo_config(tmp_path / "var")


@pytest.fixture
async def bus(config: Config) -> AsyncIterator[Forwarder]:
    """A real forwarder on the config's bus ports."""
    pub, sub = config.bus_endpoints()
    forwarder = Forwarder(pub, sub, grace_s=0.05).start()
    yield forwarder
    forwarder.stop()


@pytest.fixture(scope="session", autouse=True)
def bus_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tests run the bus as the house does, with CURVE: one keys folder for the session
    (every demo machine's pair and the forwarder's), used by in-process sockets and, through
    $BASECAMP_BUS_KEYS, by every service a test starts as a process."""
    from core import bus, buskeys
    where = tmp_path_factory.mktemp("bus-keys")
    machines = demo_config(tmp_path_factory.mktemp("keys-house") / "var").machines
    buskeys.generate(where, machines)
    previous = os.environ.get(buskeys.ENV)
    os.environ[buskeys.ENV] = str(where)
    bus.secure_from(where, "bc-hq")
    yield where
    bus.secure(None)
    if previous is None:
        os.environ.pop(buskeys.ENV, None)
    else:
        os.environ[buskeys.ENV] = previous


@pytest.fixture(scope="session", autouse=True)
def language_compiled(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The demo house's languages compiled into the cache once, before any test starts a
    service that would otherwise spend its first seconds compiling them (a fresh machine:
    ~20 s). Services and tests then load them in a fraction of a second."""
    try:
        from dialogs.engine import DialogEngine
    except ImportError:  # the dialogs extra is not installed: nothing to compile
        return
    DialogEngine(demo_config(tmp_path_factory.mktemp("language") / "var")).warm()


@pytest.fixture(scope="session")
def influx_session() -> Iterator[InfluxServer]:
    """One real influxd for the session (tests use their own databases)."""
    server = InfluxServer().start()
    yield server
    server.close()


@pytest.fixture
def influx(influx_session: InfluxServer) -> InfluxServer:
    """The session's influxd, restarted if a previous test stopped it."""
    if influx_session.proc is None:
        influx_session.start()
    return influx_session
