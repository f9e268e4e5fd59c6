"""The watch policy, derived from the config: what is checked, its subject, severity, channels.

`build_policy(config)` is pure. A *subject* is what an incident is about (a machine, a service,
a sensor unit, a meter, the bus, mains power...); several checks may feed one subject (a
service has its HTTP `/alive`, its supervisord state and its bus heartbeat) so that one failure
yields one incident. Dependencies: a service depends on its machine; what is read in the
metrics store (sensor units, meters, leaks...) depends on the store; everything depends on
mains power. The subjects' labels are in the house's language (`watch.phrases`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from core.config import Config
from core.messages.alive import alive_topic
from core.messages.watch import Severity
from watch import phrases
from watch.settings import WatchSettings

MAINS = "power:mains"
BUS = "bus:forwarder"
STORE = "metrics:store"
"""The metrics store: the sensor, leak and consumption checks read it, so they depend on it
(an outage of the store is one finding, not a false leak and a silent sensor per unit)."""


class Kind(StrEnum):
    """How a check is done (one prober per kind)."""

    ICMP = "icmp"
    TCP = "tcp"
    HTTP = "http"
    SUPERVISOR = "supervisor"
    HEARTBEAT = "heartbeat"
    BUS = "bus"
    FRESHNESS = "freshness"
    METER = "meter"
    BATTERY = "battery"
    TEMPERATURE = "temperature"
    DISK = "disk"
    MACHINE_DISK = "machine_disk"
    GSM_SIGNAL = "gsm_signal"
    """The GSM modem's signal quality, as the SMS gateway measured it."""
    """Another machine's disk, as its sysmetrics daemon reported it to the metrics store."""
    INTERNET = "internet"
    COMMAND = "command"
    MAINS = "mains"
    LEAK = "leak"
    WATER_HOURLY = "water_hourly"
    POWER_HOURLY = "power_hourly"
    STORE = "store"


IMMEDIATE = frozenset({Kind.MAINS, Kind.LEAK})
"""Kinds of checks whose first failing observation is the problem."""


@dataclass(frozen=True)
class Check:
    """One check, run every cycle."""

    id: str
    """Unique, e.g. service:bc-hq/logbook#http."""
    subject: str
    """The incident it feeds, e.g. service:bc-hq/logbook."""
    kind: Kind
    machine: str
    service: str = ""
    target: str = ""
    """URL, host:port, program name, unit, path... depending on the kind."""
    args: tuple[str, ...] = ()
    """Command line (COMMAND), internet targets (INTERNET)."""
    low: float | None = None
    high: float | None = None
    severity: Severity = Severity.MAJOR
    label: str = ""
    """Human name used in messages."""


@dataclass(frozen=True)
class Policy:
    """Every check, the subjects' dependencies and the debounce/reminder rules."""

    checks: tuple[Check, ...]
    depends: dict[str, str] = field(default_factory=dict)
    """subject -> the subject it depends on (service -> its machine)."""
    labels: dict[str, str] = field(default_factory=dict)
    severities: dict[str, Severity] = field(default_factory=dict)
    fail_n: int = 2
    fail_m: int = 3
    reminder_cycles: int = 60
    flap_window: int = 10
    flap_changes: int = 4
    channels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    immediate: frozenset[str] = frozenset()
    """Subjects judged on one observation, not `fail_n` (mains and leaks: a reading that
    cannot be a network hiccup, and an alert that must not wait a cycle)."""

    def channels_for(self, subject: str, severity: Severity) -> tuple[str, ...]:
        """Channels told about a subject: by key, by kind prefix, else by severity."""
        for key in (subject, subject.partition(":")[0], severity.value):
            if key in self.channels:
                return self.channels[key]
        return ("log",)

    def subjects(self) -> list[str]:
        """Subjects in check order, without repeats."""
        return list(dict.fromkeys(c.subject for c in self.checks))


def machine_subject(machine: str) -> str:
    """Subject key of a machine."""
    return f"machine:{machine}"


def service_subject(machine: str, service: str) -> str:
    """Subject key of a service instance."""
    return f"service:{machine}/{service}"


def _add(checks: list[Check], labels: dict[str, str], severities: dict[str, Severity],
         check: Check, label: str) -> None:
    checks.append(check)
    labels.setdefault(check.subject, label)
    severities[check.subject] = max(severities.get(check.subject, check.severity),
                                    check.severity, key=lambda s: s == Severity.MAJOR)


def build_policy(config: Config, *, host: str = "bc-watch") -> Policy:
    """All checks the config asks for, as seen from the sentinel on `host`."""
    ws = config.section("watch", WatchSettings)
    checks: list[Check] = []
    labels: dict[str, str] = {}
    sev: dict[str, Severity] = {}
    depends: dict[str, str] = {}
    lang = config.house.lang
    if ws.power.probe != "none":
        _add(checks, labels, sev, Check(f"{MAINS}#mains", MAINS, Kind.MAINS, host,
                                        target=ws.power.path, args=ws.power.command),
             phrases.text("label.mains", lang))
    for name, machine in config.machines.items():
        subject = machine_subject(name)
        if ws.machine_check == "icmp":
            _add(checks, labels, sev, Check(f"{subject}#icmp", subject, Kind.ICMP, name,
                                            target=machine.address),
                 phrases.text("label.machine", lang, name=name))
        elif ws.machine_check == "tcp":
            _add(checks, labels, sev, Check(
                f"{subject}#tcp", subject, Kind.TCP, name,
                target=f"{machine.address}:{machine.supervisor_port}"),
                 phrases.text("label.machine", lang, name=name))
    for service, svc in config.services.items():
        if not svc.enabled or service in ws.ignore_services:
            continue
        for host_name in config.hosts(service):
            subject = service_subject(host_name, service)
            depends[subject] = machine_subject(host_name)
            label = phrases.text("label.service", lang, service=service, host=host_name)
            port = config.service_port(service, host_name)
            if "http" in ws.service_checks and port:
                url = f"{config.service_url(service, host_name)}/alive"
                _add(checks, labels, sev, Check(f"{subject}#http", subject, Kind.HTTP, host_name,
                                                service, url), label)
            if "supervisor" in ws.service_checks:
                _add(checks, labels, sev, Check(f"{subject}#supervisor", subject,
                                                Kind.SUPERVISOR, host_name, service, service),
                     label)
            if "heartbeat" in ws.service_checks:
                _add(checks, labels, sev, Check(f"{subject}#heartbeat", subject, Kind.HEARTBEAT,
                                                host_name, service,
                                                alive_topic(host_name, service),
                                                high=ws.heartbeat_max_age_s), label)
    if ws.bus_check:
        depends[BUS] = machine_subject(config.bus.machine)
        _add(checks, labels, sev, Check(f"{BUS}#probe", BUS, Kind.BUS, config.bus.machine),
             phrases.text("label.bus", lang))
    _metric_checks(ws, host, checks, labels, sev, lang)
    _machine_disks(config, ws, host, checks, labels, sev, depends, lang)
    if "sms" in config.services:
        from watch.settings import SmsSettings
        every = config.section("sms", SmsSettings).signal_every_s
        _add(checks, labels, sev, Check("gsm:signal#quality", "gsm:signal", Kind.GSM_SIGNAL,
                                        config.hosts("sms")[0], low=ws.gsm_min_signal_pct,
                                        high=max(3 * every, 300.0), severity=Severity.MINOR),
             phrases.text("label.gsm_signal", lang))
        depends["gsm:signal"] = STORE
    for meter, silence in ws.sensors.meters.items():
        if meter in config.services:
            _add(checks, labels, sev, Check(f"meter:{meter}#fresh", f"meter:{meter}", Kind.METER,
                                            host, target=meter, high=silence,
                                            severity=Severity.MINOR),
                 phrases.text("label.meter", lang, meter=meter))
    _add(checks, labels, sev, Check(f"{STORE}#query", STORE, Kind.STORE, host,
                                    severity=Severity.MINOR), phrases.text("label.store", lang))
    depends.update({c.subject: STORE for c in checks if c.kind in (
        Kind.FRESHNESS, Kind.METER, Kind.BATTERY, Kind.TEMPERATURE, Kind.LEAK,
        Kind.WATER_HOURLY, Kind.POWER_HOURLY)})
    for cmd in ws.commands:
        subject = f"command:{cmd.name}"
        depends[subject] = machine_subject(cmd.machine)
        _add(checks, labels, sev, Check(f"{subject}#command", subject, Kind.COMMAND, cmd.machine,
                                        args=cmd.command, severity=Severity(cmd.severity)),
             cmd.name)
    immediate = frozenset(c.subject for c in checks if c.kind in IMMEDIATE)
    return Policy(tuple(checks), depends, labels, sev, ws.fail_n, ws.fail_m, ws.reminder_cycles,
                  ws.flap_window, ws.flap_changes, dict(ws.channels), immediate)


def _machine_disks(config: Config, ws: WatchSettings, host: str, checks: list[Check],
                   labels: dict[str, str], sev: dict[str, Severity],
                   depends: dict[str, str], lang: str) -> None:
    """Every other machine's disks, from what its sysmetrics daemon writes (the sentinel
    checks its own disks directly: `disk_paths`)."""
    if "sysmetrics" not in config.services:
        return
    from core.config import section_class
    system = getattr(config.section("sensors", section_class("sensors")), "system", None)
    disks = tuple(getattr(system, "disks", ("/",)))
    stale_s = max(3 * float(getattr(system, "interval_s", 60.0)), 300.0)
    for machine in config.hosts("sysmetrics"):
        if machine == host:
            continue
        for path in disks:
            subject = f"disk:{machine}{path}"
            depends[subject] = machine_subject(machine)  # a machine down says it already
            _add(checks, labels, sev, Check(f"{subject}#reported", subject, Kind.MACHINE_DISK,
                                            machine, target=path, low=ws.disk_min_free_pct,
                                            high=stale_s, severity=Severity.MINOR),
                 phrases.text("label.disk", lang, path=path, machine=machine))


def _metric_checks(ws: WatchSettings, host: str, checks: list[Check], labels: dict[str, str],
                   sev: dict[str, Severity], lang: str) -> None:
    minor = Severity.MINOR
    for unit in ws.sensors.units:
        subject = f"sensor:{unit}"
        _add(checks, labels, sev, Check(f"{subject}#fresh", subject, Kind.FRESHNESS, host,
                                        target=unit, high=ws.sensors.max_silence_s,
                                        severity=minor),
             phrases.text("label.sensor", lang, unit=unit))
        _add(checks, labels, sev, Check(f"battery:{unit}#battery", f"battery:{unit}",
                                        Kind.BATTERY, host, target=unit,
                                        low=ws.sensors.battery_min_v, severity=minor),
             phrases.text("label.battery", lang, unit=unit))
    for bound in ws.temperatures:
        subject = f"temperature:{bound.unit}"
        _add(checks, labels, sev, Check(f"{subject}#bounds", subject, Kind.TEMPERATURE, host,
                                        target=bound.unit, low=bound.min_c, high=bound.max_c,
                                        severity=Severity(bound.severity)),
             phrases.text("label.temperature", lang, name=bound.label or bound.unit))
    for path in ws.disk_paths:
        subject = f"disk:{host}{path}"
        _add(checks, labels, sev, Check(f"{subject}#disk", subject, Kind.DISK, host, target=path,
                                        low=ws.disk_min_free_pct, severity=minor),
             phrases.text("label.disk", lang, path=path, machine=host))
    if ws.internet_targets:
        _add(checks, labels, sev, Check("internet:access#tcp", "internet:access", Kind.INTERNET,
                                        host, args=ws.internet_targets, severity=minor),
             phrases.text("label.internet", lang))
    _add(checks, labels, sev, Check("water:leak#night", "water:leak", Kind.LEAK, host),
         phrases.text("label.leak", lang))
    _add(checks, labels, sev, Check("water:hourly#max", "water:hourly", Kind.WATER_HOURLY, host,
                                    high=ws.water.max_litres_per_hour, severity=minor),
         phrases.text("label.water_hourly", lang))
    _add(checks, labels, sev, Check("power:hourly#max", "power:hourly", Kind.POWER_HOURLY, host,
                                    high=ws.water.max_power_va, severity=minor),
         phrases.text("label.power_hourly", lang))
