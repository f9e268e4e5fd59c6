"""The `[kiosk]` config section: screen, language, refresh periods, charts and controls."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Literal

from core.config import register_sections
from core.schema import ConfigError, bounded

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChartSeries:
    """One curve of a chart: a metrics series and how to label it."""

    label: str = ""
    """Legend, e.g. "salon"."""
    measurement: str = ""
    field: str = "value"
    tags: dict[str, str] = dataclasses.field(default_factory=dict)
    chart: Literal["temperature", "power", "water"] = "temperature"
    """Which chart the curve belongs to."""


def _default_series() -> tuple[ChartSeries, ...]:
    return (
        ChartSeries("salon", "muta", "temperature", {"unit": "salon"}, "temperature"),
        ChartSeries("chambre", "muta", "temperature", {"unit": "chambre"}, "temperature"),
        ChartSeries("extérieur", "muta", "temperature", {"unit": "exterieur"}, "temperature"),
        ChartSeries("consigne", "heating", "setpoint", {}, "temperature"),
        ChartSeries("puissance", "power", "papp_va", {}, "power"),
        ChartSeries("eau", "water", "litres", {}, "water"),
    )


@dataclass(frozen=True)
class KioskSettings:
    """The living-room touchscreen (`basecamp run kiosk`)."""

    lang: Literal["", "fr", "en"] = ""
    """Language of the screen; empty = `house.lang`."""
    fullscreen: bool = True
    """Fullscreen on the display; False opens a window of `width` x `height`."""
    width: int = bounded(1280, lo=320, hi=7680)
    """Window size when not fullscreen, and of `basecamp kiosk screenshot`."""
    height: int = bounded(800, lo=240, hi=4320)
    hide_cursor: bool = True
    blank_after_s: float = bounded(300.0, lo=5, hi=86400)
    """Blank the screen after this much inactivity (no touch, no kiosk PIR)."""
    blank_modes: tuple[str, ...] = ("asleep", "lockout")
    """Modes in which the screen is blank until a touch or the kiosk PIR."""
    wake_sensor: str = "kiosk"
    """PIR sensor whose motion wakes the screen."""
    exit_key: str = "Ctrl+Alt+Q"
    """Key sequence that closes the kiosk (nothing else does)."""
    exit_taps: int = bounded(7, lo=2, hi=30)
    """Alternatively: this many taps in the top-left corner within `exit_taps_s`."""
    exit_taps_s: float = bounded(4.0, lo=0.5, hi=30)
    indoor_unit: str = "salon"
    """MUTA unit shown as the indoor temperature."""
    bedroom_unit: str = "chambre"
    outdoor_unit: str = "exterieur"
    night_light: str = "veilleuse"
    """Device name sent with the night-light intents."""
    profiles: tuple[str, ...] = ("work_week", "holiday_week", "force_comfort", "force_eco")
    """Heating profiles offered by the touch controls."""
    expiry_hours: tuple[int, ...] = (0, 2, 4, 8, 24)
    """Expiry choices for a forced profile (0 = none)."""
    stale_after_s: float = bounded(900.0, lo=10, hi=86400)
    """A tile with nothing newer than this shows "no data since ..."."""
    conversation_s: float = bounded(60.0, lo=5, hi=3600)
    """How long the latest spoken exchange stays on the home screen."""
    status_refresh_s: float = bounded(15.0, lo=1, hi=3600)
    """Period of reading the sentinel's status report and the logbook."""
    charts_refresh_s: float = bounded(60.0, lo=1, hi=3600)
    request_timeout_s: float = bounded(3.0, lo=0.1, hi=60)
    """Timeout of each status report, logbook or metrics request."""
    log_lines: int = bounded(200, lo=10, hi=5000)
    """Logbook lines kept on the health page."""
    series: tuple[ChartSeries, ...] = dataclasses.field(default_factory=_default_series)
    remote_minutes: float = bounded(15.0, lo=0.01, hi=1440)
    """Temporary outside access (`basecamp kiosk access open`): default duration..."""
    remote_max_minutes: float = bounded(60.0, lo=0.01, hi=1440)
    """...and the longest one allowed, whatever is asked."""
    remote_url: str = ""
    """Where the kiosk's service is reached from outside (a VPN or reverse-proxy address) for
    the links sent by SMS; empty = its own address from the config."""

    def check(self, config: Any, path: str) -> None:
        """Refuse blank modes that are not presence modes."""
        if self.remote_url and not self.remote_url.startswith(("http://", "https://")):
            raise ConfigError(f"{path}.remote_url", "expected an http:// or https:// URL")
        known = ("cocoon", "lockout", "asleep")
        for i, mode in enumerate(self.blank_modes):
            if mode not in known:
                raise ConfigError(f"{path}.blank_modes[{i}]",
                                  f"expected one of {', '.join(known)}, got {mode!r}")


register_sections(kiosk=KioskSettings)
