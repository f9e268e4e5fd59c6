"""One TOML file describes the whole house: machines, services, rooms, devices, contacts.

`Config.from_dict` is pure and raises `ConfigError` naming the key path; `load()` reads the file
(explicit path, else `$BASECAMP_CONFIG`, else `./basecamp.toml`, else the built-in demo house).
Packages register their own sections (`register_sections(name=Class)` in each package's
`settings` module) and read them with `config.section(name, Class)`: core knows no settings
class, and imports no package but their `settings` modules (named by `PACKAGES`), lazily, before
the first config is parsed.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

from core.schema import ConfigError, Secret, bounded, build, to_plain

__all__ = ["Config", "ConfigError", "Secret", "bounded", "load", "register_sections"]

T = TypeVar("T")
DEFAULT_NAME = "basecamp.toml"
ENV_VAR = "BASECAMP_CONFIG"

PACKAGES = ("modes", "dialogs", "assistant", "watch", "sensors", "kiosk")
"""Packages whose `settings` module registers config sections, in the order their sections
are checked and shown (`basecamp config show`)."""
_SECTIONS: dict[str, type[Any]] = {}


def register_sections(**sections: type[Any]) -> None:
    """Register a package's top-level config sections: name = frozen dataclass (in the order
    they are shown). A class may define `check(self, config, path)` to validate references to
    other sections."""
    for name, cls in sections.items():
        known = _SECTIONS.get(name)
        if known is not None and (known.__module__, known.__qualname__) != \
                (cls.__module__, cls.__qualname__):
            raise ValueError(f"config section {name!r} registered by {known.__module__} and "
                             f"{cls.__module__}")
        _SECTIONS[name] = cls


def registered_sections() -> dict[str, type[Any]]:
    """Every package section, name -> class, in `PACKAGES` order (their settings modules are
    imported on first use; a package that is not there has no section)."""
    for package in PACKAGES:
        module = f"{package}.settings"
        if module in sys.modules:
            continue
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name not in (module, package):
                raise
    rank = {package: i for i, package in enumerate(PACKAGES)}
    return dict(sorted(_SECTIONS.items(),
                       key=lambda item: rank.get(item[1].__module__.partition(".")[0],
                                                 len(PACKAGES))))


@dataclass(frozen=True)
class HouseSettings:
    """Who and where the house is."""

    name: str = "Basecamp"
    """Shown on the kiosk and in reports."""
    lang: Literal["fr", "en"] = "fr"
    """Language spoken and written: French first, English second."""
    timezone: str = "Europe/Paris"
    """IANA time zone of the house."""
    latitude: float = bounded(48.8566, lo=-90, hi=90)
    """For sunrise and sunset (astral)."""
    longitude: float = bounded(2.3522, lo=-180, hi=180)
    """For sunrise and sunset (astral)."""
    data_dir: str = "var"
    """Where services keep state, queues and logs; relative to the config file's folder."""


@dataclass(frozen=True)
class Bus:
    """The ZeroMQ forwarder every service publishes to and subscribes from."""

    machine: str = "bc-hq"
    """Machine running the forwarder (`basecamp run bus`)."""
    pub_port: int = bounded(5550, lo=1, hi=65535)
    """Publishers connect here (the forwarder's XSUB side)."""
    sub_port: int = bounded(5551, lo=1, hi=65535)
    """Subscribers connect here (the forwarder's XPUB side)."""
    heartbeat_s: float = bounded(10.0, lo=0.1, hi=3600)
    """Every service publishes `basecamp.alive.<host>.<service>` this often (machine time:
    wall seconds even when the house runs on an accelerated clock)."""
    buffer: int = bounded(200_000, lo=1000)
    """Messages a publisher keeps while the forwarder is unreachable."""
    curve: bool = True
    """Encrypt and authenticate the bus (ZeroMQ CURVE, a key pair per machine in `keys_dir`)
    and let each machine publish only its services' topics (core.trust)."""
    keys_dir: str = "secrets/bus"
    """The bus keys (relative to the data dir; `$BASECAMP_BUS_KEYS` overrides)."""


@dataclass(frozen=True)
class InfluxDB:
    """An InfluxDB 1.x server (InfluxQL, PyPI `influxdb` 5.3 client)."""

    host: str = "localhost"
    port: int = bounded(8086, lo=1, hi=65535)
    database: str = "basecamp"
    username: str = ""
    password: Secret = field(default_factory=lambda: Secret(env="BASECAMP_INFLUXDB_PASSWORD"))
    timeout_s: float = bounded(5.0, lo=0.1, hi=120)
    retention_days: int = bounded(400, lo=1)
    """Points older than this are pruned by the weekly job."""


@dataclass(frozen=True)
class Metrics:
    """Where metrics go: embedded SQLite by default, InfluxDB when configured."""

    backend: Literal["sqlite", "influxdb"] = "sqlite"
    sqlite_path: str = "metrics.sqlite"
    """Embedded store, relative to `house.data_dir`."""
    queue_dir: str = "queues"
    """On-disk store-and-forward queues, one per service, relative to `house.data_dir`."""
    batch_size: int = bounded(5000, lo=1, hi=1_000_000)
    flush_interval_s: float = bounded(1.0, lo=0.01, hi=3600)
    retry_s: float = bounded(2.0, lo=0.05, hi=3600)
    """Wait before retrying a backend that failed."""
    influxdb: InfluxDB = field(default_factory=InfluxDB)


@dataclass(frozen=True)
class Logbook:
    """The central log of minor events."""

    dir: str = "logbook"
    """Daily files, relative to `house.data_dir`."""
    retention_days: int = bounded(90, lo=1)


@dataclass(frozen=True)
class Http:
    """HTTP endpoints of every service."""

    token: Secret = field(default_factory=lambda: Secret(env="BASECAMP_HTTP_TOKEN",
                                                         file="secrets/http_token"))
    """Required by every endpoint that changes the house (header `Authorization: Bearer`)."""
    timeout_s: float = bounded(5.0, lo=0.1, hi=120)
    """Timeout of every outbound HTTP call."""
    idle_s: float = bounded(15.0, lo=0.5, hi=3600)
    """A connection that sends nothing (or half a request) this long is closed."""
    max_connections: int = bounded(256, lo=1, hi=100_000)
    """Connections one service accepts at once; more are closed at once (and counted)."""


@dataclass(frozen=True)
class Machine:
    """One small computer of the house."""

    address: str = "localhost"
    """Host name or address services on this machine are reached at."""
    description: str = ""
    supervisor_port: int = bounded(9001, lo=1, hi=65535)
    """supervisord's XML-RPC inet_http_server on this machine."""
    supervisor_user: str = "basecamp"
    supervisor_password: Secret = field(
        default_factory=lambda: Secret(env="BASECAMP_SUPERVISOR_PASSWORD",
                                       file="secrets/supervisor_password"))
    mac: str = ""
    """Its network card's MAC address (aa:bb:cc:dd:ee:ff): the sentinel sends it a Wake-on-LAN
    packet when it does not come back (after a power cut). "" = never."""
    room: str = ""
    """The room this machine stands in: where its microphone hears and its speaker speaks
    ("" = the dialogs' default room)."""


MAC = re.compile(r"^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$")


@dataclass(frozen=True)
class Service:
    """A daemon placed on one machine (or one instance on each of several machines)."""

    machine: str = ""
    """The machine it runs on."""
    machines: tuple[str, ...] = ()
    """Instead of `machine`: one instance on each of these ("*" = every machine)."""
    port: int = bounded(0, lo=0, hi=65535)
    """HTTP port of /alive and /status (0: none); instance i of a multi-machine service uses
    port + i."""
    enabled: bool = True

    def __post_init__(self) -> None:
        if bool(self.machine) == bool(self.machines):
            raise ValueError("give exactly one of `machine` or `machines`")


@dataclass(frozen=True)
class Room:
    """A room, as people name it."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Device:
    """A thing the house can switch or read."""

    name: str
    kind: Literal["light", "heater", "night_light", "sensor"]
    room: str
    aliases: tuple[str, ...] = ()
    driver: Literal["", "file", "bus", "heater"] = ""
    """What switches it: for a light, the lights service through a simulated latching relay in
    a file ("file") or a `RelayCommand` to the machine wiring it ("bus"); "heater" for the
    central heating's thermostat (the heater service); "" = nothing (commands are refused).
    Night lights are driven by the night-light service."""


@dataclass(frozen=True)
class Contact:
    """Someone who may talk to the house by SMS or push."""

    name: str
    phone: str = ""
    """International format, e.g. +33612345678."""
    role: Literal["owner", "family", "other"] = "family"
    may_command: bool = False
    """Whitelisted: SMS from this number may command the house."""


@dataclass(frozen=True)
class Config:
    """The whole house, loaded from one TOML file."""

    house: HouseSettings = field(default_factory=HouseSettings)
    bus: Bus = field(default_factory=Bus)
    metrics: Metrics = field(default_factory=Metrics)
    logbook: Logbook = field(default_factory=Logbook)
    http: Http = field(default_factory=Http)
    machines: dict[str, Machine] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    rooms: tuple[Room, ...] = ()
    devices: tuple[Device, ...] = ()
    contacts: tuple[Contact, ...] = ()
    sections: dict[str, Any] = field(default_factory=dict)
    """Package sections built from the registered ones (read them with `section()`)."""
    base_dir: str = "."
    """Folder relative paths are resolved against (the config file's folder)."""
    source: str = "<built-in demo house>"
    """The file this config was read from."""

    # ---- pure construction -------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: str = ".",
                  source: str = "<dict>") -> Config:
        """Validate plain data (parsed TOML) into a Config; raises ConfigError."""
        core_keys = {f.name for f in dataclasses.fields(cls)} - {"sections", "base_dir", "source"}
        classes = registered_sections()
        unknown = sorted(set(data) - core_keys - set(classes))
        if unknown:
            known = ", ".join(sorted(core_keys | set(classes)))
            raise ConfigError(unknown[0], f"unknown key (known keys: {known})", file=source)
        try:
            core = build(cls, {k: v for k, v in data.items() if k in core_keys})
            sections = {name: build(section_cls, data[name], name)
                        for name, section_cls in classes.items() if name in data}
            config = dataclasses.replace(core, sections=sections, base_dir=base_dir,
                                         source=source)
            config.check()
        except ConfigError as err:
            raise err.with_file(source) from None
        return config

    def check(self) -> None:
        """Check references between sections; raises ConfigError."""
        if self.bus.machine not in self.machines:
            raise ConfigError("bus.machine", f"unknown machine {self.bus.machine!r} "
                                             f"(machines: {', '.join(self.machines) or 'none'})")
        for name, svc in self.services.items():
            for i, host in enumerate(svc.machines or (svc.machine,)):
                if host != "*" and host not in self.machines:
                    key = f"services.{name}." + (f"machines[{i}]" if svc.machines else "machine")
                    raise ConfigError(key, f"unknown machine {host!r} "
                                           f"(machines: {', '.join(self.machines)})")
        for name, machine in self.machines.items():
            if machine.mac and not MAC.match(machine.mac):
                raise ConfigError(f"machines.{name}.mac",
                                  f"expected a MAC address like aa:bb:cc:dd:ee:ff, got "
                                  f"{machine.mac!r}")
        rooms = {r.name for r in self.rooms}
        for name, machine in self.machines.items():
            if machine.room and machine.room not in rooms:
                raise ConfigError(f"machines.{name}.room", f"unknown room {machine.room!r} "
                                                           f"(rooms: {', '.join(sorted(rooms))})")
        for i, dev in enumerate(self.devices):
            if dev.room not in rooms:
                raise ConfigError(f"devices[{i}].room", f"unknown room {dev.room!r} "
                                                        f"(rooms: {', '.join(sorted(rooms))})")
        for name, cls in registered_sections().items():
            obj = self.section(name, cls)
            check = getattr(obj, "check", None)
            if check is not None:
                check(self, name)

    # ---- queries -----------------------------------------------------------------------
    def secret_values(self) -> list[str]:
        """Every secret the config names that has a value here (to mask them in texts)."""
        found: list[str] = []

        def walk(obj: Any, depth: int = 0) -> None:
            if depth > 8:
                return
            if isinstance(obj, Secret):
                value = self.reveal(obj)
                if value:
                    found.append(value)
            elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
                for f in dataclasses.fields(obj):
                    walk(getattr(obj, f.name), depth + 1)
            elif isinstance(obj, dict):
                for value in obj.values():
                    walk(value, depth + 1)
            elif isinstance(obj, (list, tuple)):
                for value in obj:
                    walk(value, depth + 1)
        walk(self)
        for name, cls in registered_sections().items():
            walk(self.section(name, cls))
        return found

    def section(self, name: str, cls: type[T]) -> T:
        """The package section `name` (its defaults when the file has none)."""
        value = self.sections.get(name)
        if value is None:
            value = build(cls, {}, name)
            self.sections[name] = value  # cache; the dict is private to this frozen config
        return value  # type: ignore[no-any-return]

    def path(self, relative: str) -> Path:
        """Resolve a data path: absolute stays, else under `house.data_dir`."""
        data_dir = Path(os.environ.get("BASECAMP_DATA_DIR") or self.house.data_dir).expanduser()
        if not data_dir.is_absolute():
            data_dir = Path(self.base_dir) / data_dir
        path = Path(relative).expanduser()
        return path if path.is_absolute() else data_dir / path

    def reveal(self, secret: Secret) -> str | None:
        """A secret's value; a relative `file` is read under `house.data_dir`."""
        if secret.file and not Path(secret.file).expanduser().is_absolute():
            secret = Secret(env=secret.env, file=str(self.path(secret.file)))
        return secret.reveal()

    def hosts(self, service: str) -> tuple[str, ...]:
        """Machines a service runs on."""
        svc = self.services[service]
        if svc.machines == ("*",):
            return tuple(self.machines)
        return svc.machines or (svc.machine,)

    def service_port(self, service: str, host: str | None = None) -> int:
        """HTTP port of a service (of its instance on `host`)."""
        svc = self.services[service]
        hosts = self.hosts(service)
        index = hosts.index(host) if host in hosts else 0
        return svc.port + index if svc.port else 0

    def service_url(self, service: str, host: str | None = None) -> str:
        """Base URL of a service's HTTP endpoints, e.g. http://localhost:8701."""
        host = host or self.hosts(service)[0]
        return f"http://{self.machines[host].address}:{self.service_port(service, host)}"

    def service_dir(self, service: str, host: str) -> Path:
        """Where a service instance keeps its data and logs: `<data_dir>/<service>`, or
        `<service>@<host>` for a service that runs on several machines."""
        return self.path(service if len(self.hosts(service)) == 1 else f"{service}@{host}")

    def bus_endpoints(self) -> tuple[str, str]:
        """(publisher endpoint, subscriber endpoint) of the forwarder."""
        address = self.machines[self.bus.machine].address
        return (f"tcp://{address}:{self.bus.pub_port}", f"tcp://{address}:{self.bus.sub_port}")

    def to_plain(self) -> dict[str, Any]:
        """Effective config as plain data, secrets masked."""
        plain = to_plain(self)
        plain.pop("base_dir", None)
        plain.pop("source", None)
        sections = plain.pop("sections")
        for name, cls in registered_sections().items():
            sections[name] = to_plain(self.section(name, cls))
        plain.update(sections)
        return plain  # type: ignore[no-any-return]


def section_class(name: str) -> type[Any]:
    """The dataclass a package registered for section `name` (for a reader that may not import
    that package)."""
    return registered_sections()[name]


# ---- I/O ---------------------------------------------------------------------------------
def default_text() -> str:
    """The built-in demo house."""
    return resources.files("core").joinpath("default.toml").read_text(encoding="utf-8")


MAX_CONFIG_BYTES = 1024 * 1024
"""A config file is a few kilobytes; anything over a mebibyte is refused unread."""
MAX_DEPTH = 12
"""Tables and arrays nested deeper than this are no config of ours."""


def _depth(value: Any, level: int = 0) -> int:
    """How deep tables and arrays nest (stops counting past MAX_DEPTH)."""
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def parse(text: str, *, source: str, base_dir: str = ".") -> Config:
    """Parse TOML text into a Config; syntax errors carry their line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"line (\d+)", str(err))
        raise ConfigError("", f"TOML syntax error: {err}", file=source,
                          line=int(match.group(1)) if match else None) from None
    except RecursionError:
        raise ConfigError("", "nested too deeply to be a config", file=source) from None
    if _depth(data) > MAX_DEPTH:
        raise ConfigError("", f"nested more than {MAX_DEPTH} levels deep: not a config",
                          file=source)
    return Config.from_dict(data, base_dir=base_dir, source=source)


def locate(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to use, or None for the built-in demo house."""
    if path:
        return Path(path)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    local = Path(DEFAULT_NAME)
    return local if local.exists() else None


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the config (see `locate`); raises ConfigError, also for a missing file."""
    file = locate(path)
    if file is None:
        return parse(default_text(), source="<built-in demo house>", base_dir=os.getcwd())
    try:
        if file.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError("", f"the config file is larger than {MAX_CONFIG_BYTES // 1024} "
                                  "KiB: not a config", file=str(file))
        raw = file.read_bytes()
    except OSError as err:
        raise ConfigError("", f"cannot read the config file: {err.strerror}",
                          file=str(file)) from None
    if b"\0" in raw:
        raise ConfigError("", "binary data (NUL bytes): not a TOML text file", file=str(file))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise ConfigError("", "not UTF-8 text (save the file as UTF-8)", file=str(file),
                          line=line) from None
    return parse(text, source=str(file), base_dir=str(file.resolve().parent))
