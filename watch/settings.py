"""Config sections of the sentinel (`[watch]`), the SMS gateway (`[sms]`) and push (`[push]`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from core.config import Config, register_sections
from core.schema import ConfigError, Secret, bounded

Channel = Literal["sms", "push", "log", "voice"]
METERS = {"power": ("power", "papp_va"), "water": ("water", "litres")}
"""Meter (= its daemon's service name) -> the measurement and field its silence is read on."""


@dataclass(frozen=True)
class SensorWatch:
    """Wireless sensor units (metric `muta`, tag `unit`): silence and battery."""

    units: tuple[str, ...] = ("salon", "chambre", "exterieur")
    max_silence_s: float = bounded(900.0, lo=10)
    """A unit silent longer than this (15 min) is a finding."""
    battery_min_v: float = bounded(2.0, lo=0, hi=10)
    meters: dict[str, float] = field(default_factory=lambda: {"power": 300.0, "water": 600.0})
    """Meter -> longest silence (s) of its metric: `power` (Téléinfo, stored every 10 s: a
    cable that came off), `water` (one point per minute, zero litres included). Checked only
    when the meter's daemon is placed in the house."""


@dataclass(frozen=True)
class TemperatureBound:
    """A temperature that must stay in [min_c, max_c] (house, fridge, freezer...)."""

    unit: str
    min_c: float = -100.0
    max_c: float = 100.0
    label: str = ""
    severity: Literal["minor", "major"] = "minor"


@dataclass(frozen=True)
class CommandCheck:
    """A custom check: the command's exit code 0 means OK (no shell)."""

    name: str
    command: tuple[str, ...]
    machine: str = "bc-watch"
    severity: Literal["minor", "major"] = "minor"


@dataclass(frozen=True)
class PowerWatch:
    """Mains power probe: a file (GPIO value, UPS status dump) or a command (exit 0 = mains)."""

    probe: Literal["none", "file", "command"] = "file"
    path: str = "power/mains"
    """For `file`: relative to the data dir; "0", "off", "ob", "blackout" mean no mains;
    a missing file means mains OK (no probe wired)."""
    command: tuple[str, ...] = ()
    return_wait_s: float = bounded(120.0, lo=0)
    """After mains returns, wait this long before normal checks resume (machines reboot)."""


@dataclass(frozen=True)
class WaterWatch:
    """Leak and consumption safety checks on the `water` and `power` metrics."""

    night_start: dt.time = dt.time(1, 0)
    night_end: dt.time = dt.time(5, 0)
    slot_s: int = bounded(900, lo=60, hi=3600 * 4)
    """A leak = no slot of this length with zero consumption during the night window."""
    max_litres_per_hour: float = bounded(300.0, lo=0)
    max_power_va: float = bounded(9000.0, lo=0)
    """Mean apparent power over the last hour above this is a warning."""
    meter_tags: dict[str, str] = field(default_factory=lambda: {"slot": "60s"})
    """Tags of the one `water` series the checks read: the meter writes every litre once per
    slot length (1 min, 15 min, 1 h); all of them together would count it three times and
    hide a quiet quarter of an hour under its hour's total ({} = every point)."""


@dataclass(frozen=True)
class SentryWatch:
    """Sentries on other machines reboot theirs when the sentinel stays silent."""

    ok_interval_s: float = bounded(60.0, lo=0.05)
    """The sentinel publishes SentinelOk this often (machine time)."""
    silence_s: float = bounded(900.0, lo=0.1)
    """A sentry reboots its machine after this long without SentinelOk (machine time)."""
    reboot_command: tuple[str, ...] = ("echo", "reboot (dry run)")


@dataclass(frozen=True)
class WatchSettings:
    """The sentinel: what is checked, how often, how problems are debounced and told.

    Its own pace and the liveness tolerances (interval, timeout, heartbeat age, start grace,
    the sentries' silence) are machine time, wall seconds, even when the house runs on an
    accelerated clock: a machine's hiccups and restarts do not speed up with the demo.
    What the checks read (sensor ages, the night, the mains) is house time."""

    interval_s: float = bounded(30.0, lo=0.05, hi=3600)
    timeout_s: float = bounded(5.0, lo=0.01, hi=120)
    """Every check is cut after this and counted as a failure."""
    fail_n: int = bounded(2, lo=1, hi=100)
    fail_m: int = bounded(3, lo=1, hi=100)
    """A subject is in trouble when N of its last M checks failed (and back after N of M OK)."""
    reminder_cycles: int = bounded(60, lo=0)
    """Remind an open incident every K cycles (0: never)."""
    flap_window: int = bounded(10, lo=2, hi=1000)
    flap_changes: int = bounded(4, lo=2, hi=1000)
    """State changes within the window that make a subject "flapping"."""
    machine_check: Literal["icmp", "tcp", "none"] = "icmp"
    """icmp: `ping`; tcp: connect to the machine's supervisord port."""
    service_checks: tuple[Literal["http", "supervisor", "heartbeat"], ...] = (
        "http", "supervisor", "heartbeat")
    heartbeat_max_age_s: float = bounded(35.0, lo=0.1)
    start_grace_s: float = bounded(30.0, lo=0)
    """A program supervisord started less than this ago (or still STARTING) is not judged:
    it may not listen yet, nor restarted by the sentinel (supervisord has just brought it back).
    A program that keeps failing to start ends FATAL, and is."""
    ignore_services: tuple[str, ...] = ()
    restart: bool = True
    """Restart a failed service through supervisord, once per incident."""
    wake_after_s: float = bounded(180.0, lo=0, hi=86400)
    """A machine with a `mac` still down this long (mains on) gets one Wake-on-LAN packet."""
    wake_to: str = "255.255.255.255"
    """Where the Wake-on-LAN packet goes: the broadcast address of the machines' network."""
    wake_port: int = bounded(9, lo=1, hi=65535)
    docker: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Docker-based services: service -> command that recreates it."""
    bus_check: bool = True
    sensors: SensorWatch = field(default_factory=SensorWatch)
    temperatures: tuple[TemperatureBound, ...] = (
        TemperatureBound("salon", 12.0, 30.0, "maison"),
        TemperatureBound("chambre", 10.0, 30.0, "chambre"))
    disk_paths: tuple[str, ...] = ("/",)
    disk_min_free_pct: float = bounded(10.0, lo=0, hi=100)
    gsm_min_signal_pct: float = bounded(10.0, lo=0, hi=100)
    """The GSM modem's signal quality below this is a finding (SMS may not go out)."""
    internet_targets: tuple[str, ...] = ()
    """host:port reached by TCP; Internet is down when none answers (empty: not checked)."""
    commands: tuple[CommandCheck, ...] = ()
    power: PowerWatch = field(default_factory=PowerWatch)
    water: WaterWatch = field(default_factory=WaterWatch)
    sentry: SentryWatch = field(default_factory=SentryWatch)
    channels: dict[str, tuple[Channel, ...]] = field(default_factory=lambda: {
        "major": ("sms", "push", "voice", "log"), "minor": ("push", "voice", "log"),
        "water:leak": ("sms", "voice", "push", "log"), "power:mains": ("sms", "push", "log"),
        "water:hourly": ("sms", "voice", "log"), "power:hourly": ("sms", "voice", "log"),
        "modes:intrusion": ("sms", "push", "voice", "log")})
    """Who is told: by incident key, by kind (before ':'), else by severity. The sentinel's own
    findings and the alerts every other service raises go the same way; "voice" is spoken
    only while someone is home and the house is not silenced."""
    sms_to: tuple[str, ...] = ()
    """Contact names that get alert SMS (empty: the owners)."""
    channel_services: dict[str, str] = field(default_factory=lambda: {
        "sms": "sms", "push": "push", "voice": "interphone"})
    """Channel -> service whose heartbeat says the channel is up (else messages are queued)."""

    def check(self, config: Config, path: str) -> None:
        """Cross checks: fail_n <= fail_m, known machines and contacts."""
        if self.fail_n > self.fail_m:
            raise ConfigError(f"{path}.fail_n", f"expected <= fail_m ({self.fail_m})")
        if self.flap_changes > self.flap_window:
            raise ConfigError(f"{path}.flap_changes", "expected <= flap_window")
        for i, cmd in enumerate(self.commands):
            if cmd.machine not in config.machines:
                raise ConfigError(f"{path}.commands[{i}].machine",
                                  f"unknown machine {cmd.machine!r}")
            if not cmd.command:
                raise ConfigError(f"{path}.commands[{i}].command", "expected a non-empty list")
        names = {c.name for c in config.contacts}
        for i, name in enumerate(self.sms_to):
            if name not in names:
                raise ConfigError(f"{path}.sms_to[{i}]", f"unknown contact {name!r}")
        for meter, silence in self.sensors.meters.items():
            if meter not in METERS:
                raise ConfigError(f"{path}.sensors.meters.{meter}",
                                  f"expected one of {', '.join(sorted(METERS))}")
            if silence < 10:
                raise ConfigError(f"{path}.sensors.meters.{meter}", "expected >= 10 seconds")
        for key, chans in self.channels.items():
            if not chans:
                raise ConfigError(f"{path}.channels.{key}", "expected at least one channel")


@dataclass(frozen=True)
class SmsSettings:
    """The SMS gateway: a Gammu modem (the `dummy` phone-in-a-folder in the demo)."""

    model: str = "dummy"
    """Gammu model; "" = autodetect for a real modem."""
    connection: str = "none"
    """Gammu connection, e.g. at115200 for a real modem; none for dummy."""
    device: str = "gammu-phone"
    """Modem device, e.g. /dev/ttyUSB0; for dummy a folder relative to the data dir."""
    pin: Secret = field(default_factory=lambda: Secret(env="BASECAMP_SMS_PIN",
                                                       file="secrets/sms_pin"))
    poll_s: float = bounded(5.0, lo=0.01, hi=600)
    """How often the modem is polled for incoming SMS and the outbox retried."""
    max_per_hour: int = bounded(30, lo=1)
    """Flood guard: more SMS in an hour wait in the outbox (never dropped)."""
    signal_every_s: float = bounded(300.0, lo=1, hi=86400)
    """How often the modem's signal quality is read (metric `gsm`, tag `host`)."""


@dataclass(frozen=True)
class PushSettings:
    """The push notifier: Pushover through apprise, throttled."""

    user_key: Secret = field(default_factory=lambda: Secret(env="BASECAMP_PUSHOVER_USER",
                                                            file="secrets/pushover_user"))
    token: Secret = field(default_factory=lambda: Secret(env="BASECAMP_PUSHOVER_TOKEN",
                                                         file="secrets/pushover_token"))
    api_url: str = "https://api.pushover.net/1/messages.json"
    """Pushover endpoint (tests point it at a loopback server)."""
    title: str = "Basecamp"
    max_per_hour: int = bounded(30, lo=1)
    """Flood guard: more pushes in an hour wait in the outbox (never dropped)."""
    retry_s: float = bounded(30.0, lo=0.01, hi=3600)
    """Wait before retrying when Pushover is unreachable."""


register_sections(watch=WatchSettings, sms=SmsSettings, push=PushSettings)
