"""Turning the physical screen off and on: DPMS through `xset` where present, else nothing
(the window's black overlay does the job). Behind a Protocol so tests need no X server."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from typing import Protocol

_LOGGER = logging.getLogger(__name__)


class ScreenPower(Protocol):
    """Switches the display's backlight."""

    def set_on(self, on: bool) -> None:
        """Wake (True) or blank (False) the display; never blocks."""


class NoPower:
    """No DPMS: the black overlay alone blanks the screen."""

    def set_on(self, on: bool) -> None:
        """Nothing to do."""


class XsetPower:
    """`xset dpms force on|off` on the current X display, without waiting for it."""

    def __init__(self, xset: str) -> None:
        self._xset = xset

    def set_on(self, on: bool) -> None:
        """Run xset in the background; a failure is logged, not raised."""
        try:
            subprocess.Popen([self._xset, "dpms", "force", "on" if on else "off"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as err:
            _LOGGER.warning("kiosk: xset failed: %s", err)


def screen_power() -> ScreenPower:
    """DPMS through xset when there is an X display and xset; else the overlay only."""
    xset = shutil.which("xset")
    if xset and os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return XsetPower(xset)
    return NoPower()
