"""`basecamp run rooms`: scanners POST RSSI readings to /readings (with the house's HTTP token,
`Authorization: Bearer …`); the most likely room per badge
is published as `RoomLocation` (with a confidence) and written to metrics `rooms`; GET
/readings shows the recent ones, GET /model the classifier and its cross-validated accuracy.

The model is trained at start from the labelled set `sensors.rooms.training` (JSON lines,
written by `basecamp rooms train`); without one, the demo house trains on a set from the RSSI
simulator. No pickled model is ever loaded.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from core.config import Config
from core.messages.presence import RoomLocation
from core.metrics import Point
from core.service import Runtime
from sensors.errors import InputRejected, Reason
from sensors.plumbing import Rejects, Stamper, settings
from sensors.rooms_model import (
    RoomModel,
    RssiReading,
    RssiSimulator,
    Smoother,
    cross_validate,
    parse_reading,
)

_LOGGER = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


def load_labelled(path: Path) -> tuple[list[RssiReading], list[InputRejected]]:
    """Labelled readings from a JSON-lines file, and the lines refused."""
    good: list[RssiReading] = []
    bad: list[InputRejected] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            reading = parse_reading(json.loads(line))
        except json.JSONDecodeError as err:
            bad.append(InputRejected(Reason.MALFORMED, str(err)))
            continue
        if isinstance(reading, InputRejected) or not reading.room:
            bad.append(reading if isinstance(reading, InputRejected) else
                       InputRejected(Reason.MALFORMED, "reading without a room label"))
        else:
            good.append(reading)
    return good, bad


def training_set(config: Config) -> tuple[list[RssiReading], str]:
    """The house's labelled set and where it came from (simulated when there is none)."""
    path = config.path(settings_of(config).rooms.training)
    if path.exists():
        return load_labelled(path)[0], str(path)
    rooms = [r.name for r in config.rooms] or ["salon", "cuisine"]
    return RssiSimulator(rooms).labelled(40), "the RSSI simulator (no training file yet)"


def settings_of(config: Config) -> Any:
    """The `[sensors]` section of a config."""
    from sensors.settings import SensorSettings
    return config.section("sensors", SensorSettings)


async def serve(rt: Runtime) -> None:
    """Train, then classify every posted reading."""
    s = settings(rt).rooms
    labelled, origin = training_set(rt.config)
    model = await asyncio.to_thread(RoomModel, labelled, neighbours=s.neighbours,
                                    missing=s.missing_rssi)
    accuracy = await asyncio.to_thread(cross_validate, labelled, neighbours=s.neighbours,
                                       missing=s.missing_rssi)
    _LOGGER.info("room model: %d readings from %s, cross-validated accuracy %.3f",
                 len(labelled), origin, accuracy)
    smoother = Smoother(s.smoothing)
    recent: collections.deque[dict[str, Any]] = collections.deque(maxlen=s.recent)
    rejects = Rejects(rt, "rooms")
    stamp = Stamper()
    info = {"readings": len(labelled), "origin": origin, "rooms": model.rooms,
            "beacons": model.beacons, "cv_accuracy": round(accuracy, 4),
            "neighbours": s.neighbours, "smoothing": s.smoothing}
    rt.status["model"] = lambda: info

    async def post_readings(request: web.Request) -> web.Response:
        # readings move people between rooms on the bus: like every change, token only
        # (none configured: refused, as everywhere)
        rt.check_token(request)
        if (request.content_length or 0) > MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY,
                                                actual_size=request.content_length or 0)
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        items = body if isinstance(body, list) else [body]
        now = rt.clock.now()
        answers: list[dict[str, Any]] = []
        points: list[Point] = []
        for item in items[:1000]:
            reading = parse_reading(item)
            if isinstance(reading, InputRejected):
                rejects(reading)
                answers.append({"error": str(reading)})
                continue
            room, confidence = smoother.add(reading.badge_id, model.probabilities(reading))
            rt.publish(RoomLocation(reading.badge_id, room, confidence))
            recent.append({**reading.to_dict(), "at": now.isoformat(), "room": room,
                           "confidence": confidence})
            points.append(Point("rooms", {"room": room, "confidence": confidence},
                                {"badge": reading.badge_id}, stamp(now)))
            answers.append({"badge_id": reading.badge_id, "room": room,
                            "confidence": confidence})
        if points:
            rt.metrics.write(points)
        ok = any("room" in a for a in answers)
        return web.json_response({"results": answers}, status=200 if ok else 400)

    async def get_readings(request: web.Request) -> web.Response:
        return web.json_response({"readings": list(recent)})

    async def get_model(request: web.Request) -> web.Response:
        return web.json_response(info)

    rt.app.router.add_post("/readings", post_readings)
    rt.app.router.add_get("/readings", get_readings)
    rt.app.router.add_get("/model", get_model)
    rt.every(60.0, lambda: rejects.flush(rt.clock.now()), name="rooms-tick")
