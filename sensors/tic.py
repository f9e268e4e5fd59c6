"""French Téléinfo (TIC) of the electricity meter, historique and standard modes [pure].

A frame is STX (0x02), groups, ETX (0x03); EOT (0x04) interrupts a frame. A group is
LF, fields, CR:

- historique (1200 baud 7E1): `LABEL SP VALUE SP CHECKSUM`; checksum =
  (sum of the bytes of `LABEL SP VALUE`) & 0x3F + 0x20 (the last SP is not summed);
- standard (9600 baud 7E1): `LABEL HT [HORODATE HT] VALUE HT CHECKSUM`; checksum =
  (sum of every byte from LABEL to the HT before the checksum, included) & 0x3F + 0x20.

The checksum may itself be a space, so groups are cut from the right. A frame with one bad
group is rejected whole: a meter repeats its frame every second or two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sensors.errors import InputRejected, Reason

Mode = Literal["historique", "standard"]
STX, ETX, EOT, LF, CR = 0x02, 0x03, 0x04, 0x0A, 0x0D
BAUDRATES: dict[str, int] = {"historique": 1200, "standard": 9600}
HISTORIQUE_INDEXES = ("BASE", "HCHC", "HCHP", "EJPHN", "EJPHPM", "BBRHCJB", "BBRHPJB",
                      "BBRHCJW", "BBRHPJW", "BBRHCJR", "BBRHPJR")
STANDARD_INDEXES = ("EAST", *(f"EASF{i:02d}" for i in range(1, 11)))
MAX_FRAME = 4096


@dataclass(frozen=True)
class TicFrame:
    """A frame whose every group had a valid checksum."""

    mode: Mode
    values: Mapping[str, str]
    dates: Mapping[str, str] = field(default_factory=dict)
    """Standard mode: label -> horodate (e.g. `H081225223518`) for timestamped groups."""


@dataclass(frozen=True)
class PowerReading:
    """What a frame says about the house's consumption."""

    papp_va: int
    iinst_a: int | None
    index_wh: Mapping[str, int]
    tariff: str
    meter: str
    """ADCO / ADSC: the meter's address."""


def checksum(data: bytes) -> int:
    """The Téléinfo checksum character of the summed bytes."""
    return (sum(data) & 0x3F) + 0x20


def format_group(label: str, value: str, mode: Mode, date: str = "") -> bytes:
    """One group with its LF, checksum and CR (the simulator's encoder)."""
    if mode == "historique":
        body = f"{label} {value}".encode()
        return b"\n" + body + b" " + bytes([checksum(body)]) + b"\r"
    body = ("\t".join([label, date, value] if date else [label, value]) + "\t").encode()
    return b"\n" + body + bytes([checksum(body)]) + b"\r"


def format_frame(groups: Sequence[tuple[str, str] | tuple[str, str, str]], mode: Mode) -> bytes:
    """A whole frame: STX, groups (label, value[, horodate]), ETX."""
    body = b"".join(format_group(g[0], g[1], mode, g[2] if len(g) == 3 else "")  # type: ignore[misc]
                    for g in groups)
    return bytes([STX]) + body + bytes([ETX])


def parse_group(group: bytes, mode: Mode) -> tuple[str, str, str] | InputRejected:
    """(label, value, horodate) of one group without its LF and CR."""
    if len(group) < 4:
        return InputRejected(Reason.TRUNCATED, f"group {group!r}")
    sep = 0x20 if mode == "historique" else 0x09
    cs, before = group[-1], group[-2]
    if before != sep:
        return InputRejected(Reason.MALFORMED, f"group {group[:40]!r}")
    summed = group[:-2] if mode == "historique" else group[:-1]
    if checksum(summed) != cs:
        return InputRejected(Reason.CHECKSUM, f"group {group[:40]!r}")
    if any((b < 0x20 and b != 0x09) or b > 0x7E for b in summed):
        return InputRejected(Reason.BINARY, f"group {group[:40]!r}")
    fields = group[:-2].decode("ascii").split(chr(sep))
    if mode == "historique" and len(fields) == 2:
        return fields[0], fields[1], ""
    if mode == "standard" and len(fields) in (2, 3):
        return (fields[0], fields[-1], fields[1] if len(fields) == 3 else "")
    return InputRejected(Reason.MALFORMED, f"group {group[:40]!r}")


def parse_frame(frame: bytes, mode: Mode) -> TicFrame | InputRejected:
    """Check and decode the bytes between STX and ETX (either may be included)."""
    frame = frame.strip(bytes([STX, ETX]))
    if not frame:
        return InputRejected(Reason.EMPTY)
    if frame[0] != LF or frame[-1] != CR:
        return InputRejected(Reason.TRUNCATED, "frame does not start with LF and end with CR")
    values: dict[str, str] = {}
    dates: dict[str, str] = {}
    for raw in frame[1:-1].split(b"\r\n"):
        group = parse_group(raw, mode)
        if isinstance(group, InputRejected):
            return group
        label, value, date = group
        if not label:
            return InputRejected(Reason.MALFORMED, "empty label")
        values[label] = value
        if date:
            dates[label] = date
    return TicFrame(mode, values, dates)


def _number(values: Mapping[str, str], label: str) -> int | InputRejected | None:
    text = values.get(label)
    if text is None:
        return None
    text = text.strip()
    if not text.isdigit() or not text.isascii():
        return InputRejected(Reason.MALFORMED, f"{label}={text[:20]!r} is not a number")
    return int(text)


def to_reading(frame: TicFrame, papp_bounds: Sequence[float] = (0, 36_000)
               ) -> PowerReading | InputRejected:
    """Power, current, counters and tariff from a frame; absurd power is rejected."""
    historique = frame.mode == "historique"
    power_label = "PAPP" if historique else "SINSTS"
    papp = _number(frame.values, power_label)
    if papp is None:
        return InputRejected(Reason.MALFORMED, f"no {power_label}")
    current_labels = ("IINST", "IINST1", "IINST2", "IINST3") if historique else \
        ("IRMS1", "IRMS2", "IRMS3")
    currents = [_number(frame.values, label) for label in current_labels]
    index: dict[str, int] = {}
    for label in HISTORIQUE_INDEXES if historique else STANDARD_INDEXES:
        value = _number(frame.values, label)
        if isinstance(value, InputRejected):
            return value
        if value is not None:
            index[label] = value
    if isinstance(papp, InputRejected):
        return papp
    for value in currents:
        if isinstance(value, InputRejected):
            return value
    if not papp_bounds[0] <= papp <= papp_bounds[1]:
        return InputRejected(Reason.ABSURD, f"{power_label} {papp} VA")
    present = [c for c in currents if isinstance(c, int)]
    tariff = frame.values.get("PTEC" if historique else "LTARF", "").strip(" .")
    return PowerReading(papp, max(present) if present else None, index, tariff,
                        frame.values.get("ADCO" if historique else "ADSC", ""))


class FrameSplitter:
    """Cut the serial byte stream into frames (bytes between STX and ETX)."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._buf = bytearray()
        self._inside = False

    def feed(self, chunk: bytes) -> list[bytes | InputRejected]:
        """Complete frames in this chunk; 7E1 parity bits are masked off."""
        out: list[bytes | InputRejected] = []
        data = chunk.translate(_MASK7)
        start = 0
        while start < len(data):
            if not self._inside:
                stx = data.find(b"\x02", start)
                if stx < 0:
                    break
                self._inside, start = True, stx + 1
                self._buf.clear()
                continue
            stop = _first(data, start)
            if stop < 0:
                self._buf += data[start:]
                break
            self._buf += data[start:stop]
            kind = data[stop]
            if kind == ETX:
                out.append(bytes(self._buf))
                self._inside = False
            elif kind == EOT:
                out.append(InputRejected(Reason.TRUNCATED, "frame interrupted by EOT"))
                self._inside = False
            else:  # STX inside a frame: the previous frame lost its end
                out.append(InputRejected(Reason.TRUNCATED, "frame without ETX"))
                self._buf.clear()
            start = stop + 1
        if self._inside and len(self._buf) > self.max_frame:
            out.append(InputRejected(Reason.TOO_LONG, f"{len(self._buf)} bytes without ETX"))
            self._buf.clear()
            self._inside = False
        return out

    def reset(self) -> list[InputRejected]:
        """Forget a partial frame (device unplugged)."""
        lost = [InputRejected(Reason.TRUNCATED, "device closed mid-frame")] if self._inside else []
        self._buf.clear()
        self._inside = False
        return lost


_MASK7 = bytes(b & 0x7F for b in range(256))


def _first(data: bytes, start: int) -> int:
    found = [i for i in (data.find(b"\x03", start), data.find(b"\x04", start),
                         data.find(b"\x02", start)) if i >= 0]
    return min(found) if found else -1
