"""Room location from RSSI: reading validation, a k-NN classifier with smoothing, cross-validated
accuracy, and the RSSI simulator that makes labelled sets [pure apart from sklearn]."""

from __future__ import annotations

import collections
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sensors.errors import InputRejected, Reason

RSSI_RANGE = (-127.0, 20.0)


@dataclass(frozen=True)
class RssiReading:
    """What one scanner heard of one badge: RSSI per beacon (a room label when training)."""

    badge_id: str
    scanner_id: str
    beacons: Mapping[str, float]
    room: str = ""

    def to_dict(self) -> dict[str, Any]:
        """As posted / stored (JSON)."""
        out: dict[str, Any] = {"badge_id": self.badge_id, "scanner_id": self.scanner_id,
                               "beacons": dict(self.beacons)}
        if self.room:
            out["room"] = self.room
        return out


def _name(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64 and value.isprintable()


def parse_reading(data: Any) -> RssiReading | InputRejected:
    """Validate a posted reading."""
    if not isinstance(data, Mapping):
        return InputRejected(Reason.MALFORMED, "expected a JSON object")
    badge, scanner, beacons = data.get("badge_id"), data.get("scanner_id"), data.get("beacons")
    if not _name(badge) or not _name(scanner):
        return InputRejected(Reason.MALFORMED, "badge_id and scanner_id must be short strings")
    if not isinstance(beacons, Mapping) or not 0 < len(beacons) <= 256:
        return InputRejected(Reason.MALFORMED, "beacons must be an object of 1-256 RSSI values")
    values: dict[str, float] = {}
    for beacon, rssi in beacons.items():
        if not _name(beacon) or isinstance(rssi, bool) or not isinstance(rssi, (int, float)):
            return InputRejected(Reason.MALFORMED, f"bad beacon entry {str(beacon)[:40]!r}")
        if not math.isfinite(rssi) or not RSSI_RANGE[0] <= rssi <= RSSI_RANGE[1]:
            return InputRejected(Reason.ABSURD, f"rssi {rssi} for {beacon}")
        values[beacon] = float(rssi)
    room = data.get("room", "")
    if room and not _name(room):
        return InputRejected(Reason.MALFORMED, "room must be a short string")
    return RssiReading(badge, scanner, values, room or "")  # type: ignore[arg-type]


class RoomModel:
    """k-nearest neighbours on RSSI vectors (missing beacons = `missing` dBm)."""

    def __init__(self, labelled: Sequence[RssiReading], *, neighbours: int = 5,
                 missing: float = -100.0) -> None:
        from sklearn.neighbors import KNeighborsClassifier
        rooms = {r.room for r in labelled if r.room}
        if len(rooms) < 2:
            raise ValueError("training needs labelled readings of at least two rooms")
        self.beacons = sorted({b for r in labelled for b in r.beacons})
        self.missing = missing
        rows = [r for r in labelled if r.room]
        self._knn = KNeighborsClassifier(n_neighbors=min(neighbours, len(rows)),
                                         weights="distance")
        self._knn.fit(self.vectors(rows), [r.room for r in rows])
        self.rooms: list[str] = [str(c) for c in self._knn.classes_]

    def vectors(self, readings: Iterable[RssiReading]) -> list[list[float]]:
        """Feature rows in beacon order."""
        return [[r.beacons.get(b, self.missing) for b in self.beacons] for r in readings]

    def probabilities(self, reading: RssiReading) -> dict[str, float]:
        """Room -> probability for one reading."""
        proba = self._knn.predict_proba(self.vectors([reading]))[0]
        return {room: float(p) for room, p in zip(self.rooms, proba, strict=True)}


def cross_validate(labelled: Sequence[RssiReading], *, folds: int = 5, neighbours: int = 5,
                   missing: float = -100.0, seed: int = 0) -> float:
    """Mean accuracy over stratified folds (each fold predicted by a model of the others)."""
    from sklearn.model_selection import StratifiedKFold
    rows = [r for r in labelled if r.room]
    labels = [r.room for r in rows]
    hits = 0
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split([[0]] * len(rows), labels):
        model = RoomModel([rows[i] for i in train], neighbours=neighbours, missing=missing)
        for i in test:
            proba = model.probabilities(rows[i])
            hits += max(proba, key=proba.__getitem__) == labels[i]
    return hits / len(rows)


@dataclass
class Smoother:
    """Averages each badge's last N probability vectors; returns (room, confidence)."""

    window: int = 3
    _recent: dict[str, collections.deque[dict[str, float]]] = field(default_factory=dict)

    def add(self, badge: str, proba: Mapping[str, float]) -> tuple[str, float]:
        """Fold in one reading's probabilities."""
        recent = self._recent.setdefault(badge, collections.deque(maxlen=self.window))
        recent.append(dict(proba))
        total: collections.Counter[str] = collections.Counter()
        for p in recent:
            total.update(p)
        room = max(total, key=total.__getitem__)
        return room, round(total[room] / len(recent), 4)


class RssiSimulator:
    """Rooms on a grid of 4 m squares, one beacon in each; log-distance path loss with walls."""

    def __init__(self, rooms: Sequence[str], *, seed: int = 7, noise_db: float = 6.0) -> None:
        self.rooms = list(rooms)
        self.noise_db = noise_db
        self._rng = random.Random(seed)
        cols = math.ceil(math.sqrt(len(rooms)))
        self.cells = {room: (i % cols, i // cols) for i, room in enumerate(rooms)}

    def beacon(self, room: str) -> str:
        """The beacon name of a room."""
        return f"beacon-{self.rooms.index(room) + 1}"

    def reading(self, room: str, badge: str = "badge-owner", scanner: str = "scanner-1",
                *, label: bool = False) -> RssiReading:
        """What a scanner hears of a badge somewhere in `room`."""
        cx, cy = self.cells[room]
        x, y = (cx + self._rng.random()) * 4, (cy + self._rng.random()) * 4
        beacons = {}
        for other, (bx, by) in self.cells.items():
            d = max(0.5, math.dist((x, y), (bx * 4 + 2, by * 4 + 2)))
            walls = abs(bx - cx) + abs(by - cy)
            rssi = -45 - 25 * math.log10(d) - 6 * walls + self._rng.gauss(0, self.noise_db)
            if rssi > -95:
                beacons[self.beacon(other)] = round(rssi, 1)
        return RssiReading(badge, scanner, beacons, room if label else "")

    def labelled(self, per_room: int) -> list[RssiReading]:
        """A labelled training set."""
        return [self.reading(room, label=True) for room in self.rooms for _ in range(per_room)]
