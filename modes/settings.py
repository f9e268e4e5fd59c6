"""Config sections of the modes package: presence, heating, night lights, lightpack, scheduler."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from core.config import Config, ConfigError, bounded, register_sections

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def _work_week() -> dict[str, tuple[str, ...]]:
    week: dict[str, tuple[str, ...]] = {day: ("06:30-08:30", "17:30-22:30") for day in DAYS[:5]}
    week.update(sat=("08:00-23:00",), sun=("08:00-22:30",))
    return week


def _holiday_week() -> dict[str, tuple[str, ...]]:
    return {day: ("08:00-23:00",) for day in DAYS}


def parse_span(text: str) -> tuple[int, int]:
    """Minutes since midnight of a "HH:MM-HH:MM" comfort period; raises ValueError."""
    match = _SPAN.match(text.strip())
    if not match:
        raise ValueError(f"expected \"HH:MM-HH:MM\", got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start >= end or end > 24 * 60:
        raise ValueError(f"period {text!r} must end after it starts, within the day")
    return start, end


@dataclass(frozen=True)
class PresenceSettings:
    """The presence machine: who counts as home, how long an entry check waits."""

    known_devices: tuple[str, ...] = ("phone-owner",)
    """Bluetooth devices whose presence means the owner is home."""
    pir_sensors: tuple[str, ...] = ("entry", "kiosk", "indoor")
    entry_sensor: str = "entry"
    scan_grace_s: float = bounded(120.0, lo=5, hi=3600)
    """After motion in lockout, how long a known phone has to show up before the intrusion
    alert."""
    exit_delay_s: float = bounded(300.0, lo=0, hi=3600)
    """After entering lockout, motion and phones are ignored this long (the owner walking out)."""
    silence_when_asleep: bool = True
    """Asleep turns silence on (restored on waking)."""
    state_file: str = "presence.json"
    """Persisted mode, in the modes service's data folder."""
    republish_s: float = bounded(60.0, lo=1, hi=3600)
    """ModeChanged is published again this often, for services that started later."""
    tick_s: float = bounded(15.0, lo=0.1, hi=600)
    """Clock tick of the modes, heater, night light and lightpack services."""

    def check(self, config: Config, path: str) -> None:
        """The entry sensor must be one of the PIR sensors."""
        if self.entry_sensor not in self.pir_sensors:
            raise ConfigError(f"{path}.entry_sensor", f"one of pir_sensors "
                                                      f"({', '.join(self.pir_sensors)})")


@dataclass(frozen=True)
class HeatingSettings:
    """Heating profiles, weekly schedules, thermostat and failsafe."""

    primary_sensor: str = "salon"
    """Reference temperature sensor (MUTA unit) by day."""
    secondary_sensor: str = "chambre"
    """Reference sensor of the night profile (bedroom)."""
    comfort: float = bounded(20.0, lo=5, hi=28)
    eco: float = bounded(17.0, lo=5, hi=28)
    night: float = bounded(18.0, lo=5, hi=28)
    hysteresis: float = bounded(0.3, lo=0.05, hi=3)
    """Relay on below setpoint − hysteresis, off above setpoint + hysteresis."""
    regime: Literal["work_week", "holiday_week", "comfort", "eco"] = "work_week"
    """Profile at first start (then the last one chosen is kept)."""
    schedules: dict[str, dict[str, tuple[str, ...]]] = field(
        default_factory=lambda: {"work_week": _work_week(), "holiday_week": _holiday_week()})
    """Comfort periods per day (mon..sun, "HH:MM-HH:MM"); eco outside them."""
    stale_minutes: float = bounded(30.0, lo=1, hi=1440)
    """Failsafe: reference temperature older than this while heating -> relay off + alert."""
    night_alert_from: dt.time = dt.time(1, 0)
    night_alert_to: dt.time = dt.time(5, 0)
    """Comfort running between these times raises an alert (a forgotten force)."""
    preheat_hours: float = bounded(1.0, lo=0, hi=12)
    """force_eco of an absence ends this long before the announced return."""
    min_absence_hours: float = bounded(3.0, lo=0, hi=240)
    """Shorter announced absences leave the heating alone."""
    min_valid: float = bounded(-40.0, lo=-100, hi=100)
    max_valid: float = bounded(60.0, lo=-100, hi=150)
    """Readings outside this range are rejected."""
    metrics_every_s: float = bounded(300.0, lo=1, hi=86400)
    """Setpoint and relay state written to metrics this often (and at every change)."""
    relay: Literal["file", "bus"] = "file"
    """Relay driver: a simulated latching relay in a file, or RelayCommand on the bus."""
    state_file: str = "heater.json"

    def check(self, config: Config, path: str) -> None:
        """Schedules are well formed; the sensors differ; the range makes sense."""
        for name, week in self.schedules.items():
            for day, spans in week.items():
                key = f"{path}.schedules.{name}.{day}"
                if day not in DAYS:
                    raise ConfigError(key, f"a day among {', '.join(DAYS)}")
                for i, span in enumerate(spans):
                    try:
                        parse_span(span)
                    except ValueError as err:
                        raise ConfigError(f"{key}[{i}]", str(err)) from None
        for name in ("work_week", "holiday_week"):
            if name not in self.schedules:
                raise ConfigError(f"{path}.schedules", f"a schedule named {name}")
        if self.min_valid >= self.max_valid:
            raise ConfigError(f"{path}.max_valid", "a value above min_valid")


@dataclass(frozen=True)
class NightLightSettings:
    """Night lights (veilleuse): AUTO follows outdoor light with hysteresis and a hold time."""

    device: str = "veilleuse"
    """Device name the intents use."""
    outdoor_sensor: str = "exterieur"
    """MUTA unit measuring outdoor light (lux)."""
    mode: Literal["on", "off", "auto"] = "auto"
    """Mode at first start."""
    on_lux: float = bounded(10.0, lo=0, hi=100000)
    """AUTO lights up below this."""
    off_lux: float = bounded(30.0, lo=0, hi=100000)
    """AUTO switches off above this."""
    hold_minutes: float = bounded(10.0, lo=0, hi=1440)
    """Minimum time between two automatic switches."""
    stale_minutes: float = bounded(30.0, lo=1, hi=1440)
    """Without a fresh light reading, AUTO follows sunrise and sunset."""
    dark_lux: float = bounded(5.0, lo=0, hi=100000)
    """Darker than this while the sun is well up: "dark before sunset" warning."""
    bright_lux: float = bounded(300.0, lo=0, hi=200000)
    """Brighter than this while the sun is well down: "light before sunrise" warning."""
    margin_minutes: float = bounded(60.0, lo=0, hi=600)
    """Twilight margin around sunrise/sunset where no warning is raised."""
    max_lux: float = bounded(200000.0, lo=1)
    relay: Literal["file", "bus"] = "file"
    state_file: str = "nightlight.json"

    def check(self, config: Config, path: str) -> None:
        """Hysteresis needs on_lux < off_lux."""
        if self.on_lux >= self.off_lux:
            raise ConfigError(f"{path}.off_lux", "a value above on_lux (hysteresis)")


def _colours() -> dict[str, tuple[int, ...]]:
    return {"warm_white": (255, 170, 90), "red": (255, 0, 0), "orange": (255, 110, 0),
            "blue": (0, 50, 255), "green": (0, 200, 40), "off": (0, 0, 0),
            "eco_white": (150, 210, 190)}


@dataclass(frozen=True)
class LightpackSettings:
    """The RGB strip: a colour per mode, a problem overlay, a lock for dialogs."""

    colours: dict[str, tuple[int, ...]] = field(default_factory=_colours)
    """Colour name -> (r, g, b)."""
    cocoon: str = "warm_white"
    """At home, the heating in comfort (warm)."""
    cocoon_eco: str = "eco_white"
    """At home, the heating in eco (a cooler hue)."""
    lockout: str = "red"
    asleep: str = "blue"
    cleared_hint_hours: float = bounded(12.0, lo=0, hi=240)
    """An orange hint stays this long after the last problem cleared."""
    max_lock_s: float = bounded(600.0, lo=1, hi=86400)
    driver: Literal["file", "serial"] = "file"
    """Simulated strip in a file (the kiosk shows LightpackState), or an Adalight serial port."""
    serial_port: str = ""
    baudrate: int = bounded(115200, lo=1200, hi=4_000_000)
    leds: int = bounded(30, lo=1, hi=1000)
    breathe_period_s: float = bounded(8.0, lo=0, hi=120)
    """The strip breathes gently: brightness rises and falls over this period (0: steady)."""
    breathe_depth: float = bounded(0.3, lo=0, hi=1)
    """How far it dims at the bottom of a breath (0.3: down to 70 %)."""
    frame_s: float = bounded(0.2, lo=0.02, hi=10)
    """How often the strip is redrawn while breathing."""

    def check(self, config: Config, path: str) -> None:
        """Mode colours exist; colours are RGB triples."""
        for name, rgb in self.colours.items():
            if len(rgb) != 3 or any(not 0 <= c <= 255 for c in rgb):
                raise ConfigError(f"{path}.colours.{name}", "three integers 0..255")
        for key in ("cocoon", "cocoon_eco", "lockout", "asleep"):
            if getattr(self, key) not in self.colours:
                raise ConfigError(f"{path}.{key}", f"a colour among {', '.join(self.colours)}")


@dataclass(frozen=True)
class SchedulerSettings:
    """Spoken time, scheduled reports, weekly pruning of old metrics."""

    announce_time: bool = True
    announce_every_minutes: int = bounded(30, lo=5, hi=240)
    announce_from: dt.time = dt.time(8, 0)
    announce_to: dt.time = dt.time(22, 0)
    late_s: float = bounded(300.0, lo=1, hi=3600)
    """An announcement later than this after its time is skipped (e.g. after a restart)."""
    reports: tuple[dt.time, ...] = (dt.time(8, 0), dt.time(19, 0))
    """Spoken reports (in cocoon, not silenced)."""
    sent_reports: tuple[dt.time, ...] = ()
    """Reports sent to the owner on `report_channels` whoever is home (e.g. ["20:00"])."""
    report_channels: tuple[Literal["sms", "push"], ...] = ("sms",)
    prune_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "sun"
    prune_at: dt.time = dt.time(3, 30)


@dataclass(frozen=True)
class RelaySpec:
    """One relay wired to a machine's GPIO pins (BCM numbers), driven by `basecamp run relays`
    on that machine from the `RelayCommand`s the heater, night lights and lights send."""

    name: str
    """The relay the commands name: "heater", "veilleuse", "light:<device>"."""
    machine: str
    kind: Literal["latching", "latching_sensed", "plain"] = "latching"
    """latching: two coils (set_pin closes, reset_pin opens); latching_sensed: one coil
    (set_pin) that toggles it and an input reading its position (position_pin); plain: one
    output (pin) held while it must stay closed."""
    set_pin: int = bounded(-1, lo=-1, hi=63)
    reset_pin: int = bounded(-1, lo=-1, hi=63)
    position_pin: int = bounded(-1, lo=-1, hi=63)
    pin: int = bounded(-1, lo=-1, hi=63)
    active_high: bool = True
    """False for relay boards whose inputs are active low."""
    pulse_ms: float = bounded(50.0, lo=5, hi=2000)
    """Coil pulse of a latching relay (its datasheet's minimum, with a margin)."""
    settle_ms: float = bounded(20.0, lo=0, hi=1000)
    """After a pulse, before the position input is read back."""

    def pins(self) -> dict[str, int]:
        """The pins this wiring uses, by role."""
        roles = {"latching": ("set_pin", "reset_pin"),
                 "latching_sensed": ("set_pin", "position_pin"), "plain": ("pin",)}[self.kind]
        return {role: getattr(self, role) for role in roles}


@dataclass(frozen=True)
class RelaysSettings:
    """GPIO relays (`basecamp run relays` on each machine that wires some)."""

    pin_factory: Literal["", "lgpio", "native", "mock"] = ""
    """gpiozero's pin factory: "" = its default for the board; "mock" = gpiozero's
    MockFactory (the demo house, which has no pins)."""
    relays: tuple[RelaySpec, ...] = ()
    state_file: str = "relays.json"
    """Last position asked of each relay, re-applied after a restart."""

    def check(self, config: Config, path: str) -> None:
        """Machines exist; each wiring has its pins; no pin is used twice on a machine."""
        used: dict[tuple[str, int], str] = {}
        names: set[str] = set()
        for i, spec in enumerate(self.relays):
            key = f"{path}.relays[{i}]"
            if spec.machine not in config.machines:
                raise ConfigError(f"{key}.machine", f"unknown machine {spec.machine!r}")
            if spec.name in names:
                raise ConfigError(f"{key}.name", f"a name not used twice ({spec.name!r} is)")
            names.add(spec.name)
            for role, pin in spec.pins().items():
                if pin < 0:
                    raise ConfigError(f"{key}.{role}", f"a GPIO pin for a {spec.kind} relay")
                if (spec.machine, pin) in used:
                    raise ConfigError(f"{key}.{role}", f"a pin not already used on "
                                      f"{spec.machine} (GPIO {pin} is {used[spec.machine, pin]})")
                used[(spec.machine, pin)] = f"{spec.name}.{role}"


register_sections(heating=HeatingSettings, presence=PresenceSettings, nightlight=NightLightSettings,
                  lightpack=LightpackSettings, scheduler=SchedulerSettings, relays=RelaysSettings)
