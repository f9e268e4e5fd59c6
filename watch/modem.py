"""The GSM modem behind a small Protocol, and its Gammu adapter (python-gammu).

In production Gammu drives the real modem; in the demo and tests its `dummy` driver emulates a
phone in a folder (incoming SMS are backup-format files in `sms/1/`), so the same code sends
and receives for real. Gammu errors are translated to `ChannelDown` here; the adapter then
forgets its connection and reconnects on the next call (a modem that disappears and returns).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from watch.errors import ChannelDown

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """An SMS read from the modem (all parts of a long SMS joined)."""

    number: str
    text: str
    received_at: str
    locations: tuple[tuple[int, int], ...]
    """(folder, location) of every part, to delete them once published."""


class Modem(Protocol):
    """What the SMS gateway needs from a modem (blocking calls, run in a thread)."""

    def send(self, number: str, text: str) -> None:
        """Send one SMS; raises ChannelDown."""

    def fetch(self) -> list[Received]:
        """Incoming SMS still on the SIM/phone; raises ChannelDown."""

    def delete(self, sms: Received) -> None:
        """Remove a received SMS from the SIM/phone; raises ChannelDown."""

    def signal(self) -> int | None:
        """Signal quality in percent (None: the modem cannot tell); raises ChannelDown."""

    def close(self) -> None:
        """Release the device."""


def normalize(number: str) -> str:
    """A phone number without spaces or dots, 00 -> +."""
    number = re.sub(r"[\s.\-()]", "", number)
    return "+" + number[2:] if number.startswith("00") else number


def same_number(a: str, b: str) -> bool:
    """Equal numbers, also when one is written in national form (0 6...)."""
    a, b = normalize(a), normalize(b)
    if a == b:
        return True
    national = [n for n in (a, b) if n.startswith("0")]
    return bool(national) and a[-9:] == b[-9:] and len(a[-9:]) == 9


class GammuModem:
    """A modem (or Gammu's dummy phone) through python-gammu's StateMachine."""

    def __init__(self, device: str, *, model: str = "", connection: str = "at",
                 pin: str | None = None) -> None:
        self.device, self.model, self.connection, self.pin = device, model, connection, pin
        self._sm: Any = None
        self._lock = threading.Lock()

    def _machine(self) -> Any:
        import gammu
        if self.model == "dummy" and not Path(self.device).is_dir():
            # the dummy phone *is* its folder: no folder = unplugged modem
            self._sm = None
            raise ChannelDown(f"modem absent ({self.device})")
        if self._sm is None:
            sm = gammu.StateMachine()
            sm.SetConfig(0, {"Device": self.device, "Connection": self.connection,
                             "Model": self.model})
            try:
                sm.Init()
                if self.pin and sm.GetSecurityStatus() == "PIN":
                    sm.EnterSecurityCode("PIN", self.pin)
            except gammu.GSMError as err:
                raise ChannelDown(f"modem: {_reason(err)}") from err
            self._sm = sm
            _LOGGER.info("modem connected (%s)", self.device)
        return self._sm

    def _call(self, what: str, fn: Any) -> Any:
        import gammu
        with self._lock:
            sm = self._machine()
            try:
                return fn(sm)
            except gammu.ERR_EMPTY:
                return None
            except gammu.GSMError as err:
                self._forget()
                raise ChannelDown(f"modem {what}: {_reason(err)}") from err

    def send(self, number: str, text: str) -> None:
        """Send one SMS (long texts as a multi-part SMS)."""
        import gammu
        info = {"Class": -1, "Unicode": any(ord(c) > 127 for c in text),
                "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": text}]}

        def go(sm: Any) -> None:
            for part in gammu.EncodeSMS(info):
                part["SMSC"] = {"Location": 1}
                part["Number"] = number
                sm.SendSMS(part)
        self._call("send", go)

    def signal(self) -> int | None:
        """The network's signal quality in percent, as the modem reports it."""
        quality = self._call("signal", lambda sm: sm.GetSignalQuality())
        percent = quality.get("SignalPercent") if isinstance(quality, dict) else None
        return int(percent) if isinstance(percent, int) and 0 <= percent <= 100 else None

    def fetch(self) -> list[Received]:
        """Every SMS in the inbox folders, multi-part ones joined."""
        import gammu

        def go(sm: Any) -> list[list[dict[str, Any]]]:
            found: list[list[dict[str, Any]]] = []
            try:
                sms = sm.GetNextSMS(Folder=0, Start=True)
                while sms:
                    found.append(sms)
                    sms = sm.GetNextSMS(Folder=0, Location=sms[0]["Location"])
            except gammu.ERR_EMPTY:
                pass
            return found

        raw = self._call("fetch", go) or []
        out = []
        for group in gammu.LinkSMS(raw):
            first = group[0]
            if first.get("Type") not in ("Deliver", None):
                continue
            decoded = gammu.DecodeSMS(group)
            text = "".join(e.get("Buffer") or "" for e in decoded["Entries"]) if decoded \
                else "".join(p.get("Text") or "" for p in group)
            when = first.get("DateTime")
            out.append(Received(str(first.get("Number", "")), text,
                                when.isoformat() if isinstance(when, dt.datetime) else "",
                                tuple((int(p["Folder"]), int(p["Location"])) for p in group)))
        return out

    def delete(self, sms: Received) -> None:
        """Delete every part of a received SMS."""
        def go(sm: Any) -> None:
            for folder, location in sms.locations:
                sm.DeleteSMS(Folder=folder, Location=location)
        self._call("delete", go)

    def _forget(self) -> None:
        try:
            if self._sm is not None:
                self._sm.Terminate()
        except Exception:  # the device is gone anyway
            pass
        self._sm = None

    def close(self) -> None:
        """Disconnect."""
        with self._lock:
            self._forget()


def _reason(err: Any) -> str:
    info = err.args[0] if err.args and isinstance(err.args[0], dict) else {}
    return str(info.get("Text") or err)
