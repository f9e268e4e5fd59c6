"""The interphone service: announcements from the bus and HTTP, spoken through TTS + sox.

Bus in: `Say` (basecamp.interphone.say), `ModeChanged` (owner away in lockout; silence), the
HassBroadcast intent (spoken, answered with an `Outcome`), `FamilyMessage` (an SMS from the
family: "Message de Claire : …", spoken when someone listens, else kept until then).
Rooms: each interphone stands in its machine's room (`machines.<name>.room`) and speaks a
`Say` only when its `rooms` is empty (every room) or names that room; an announcement asked
for with an area ("annonce dans la chambre que…") goes to that room only, one "where someone
is" (slot where = "present") to the rooms where someone was seen lately: a badge's
`RoomLocation`, a PIR's motion (a sensor named after a room, else its machine's room).
Bus out: `Speaking` (basecamp.voice.speaking) as an announcement starts playing, so the
assistant of this machine stops hearing; `Spoken` (basecamp.interphone.spoken) for every
announcement spoken or muted.
HTTP: POST /announce?text=..., POST /lock?service=... -> key, POST /release?key=... (all need
the token in the Authorization header).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import time
import wave
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from aiohttp import web

from assistant import floor as fl
from assistant.errors import AssistantError
from assistant.settings import InterphoneSettings
from assistant.tts import Renderer, play
from core.bus import Envelope
from core.config import Config
from core.messages import MessageError
from core.messages.dialogs import FamilyMessage, Intent, Outcome, intent_topic
from core.messages.presence import Mode, ModeChanged, PirMotion, RoomLocation
from core.messages.voice import Say, Speaking, Spoken


def spoken_dir(config: Config, settings: InterphoneSettings, host: str) -> Path:
    """Where the interphone on `host` writes what it speaks (a folder per machine when
    interphones stand on several)."""
    out = config.path(settings.output_dir)
    many = "interphone" in config.services and len(config.hosts("interphone")) > 1
    return out / host if many else out


def wav_seconds(path: Path) -> float:
    """The length of a WAV."""
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


class Interphone:
    """Queue, floor and speech of one interphone."""

    def __init__(self, rt: Any, settings: InterphoneSettings) -> None:
        self.rt = rt
        self.settings = settings
        self.floor = fl.Floor()
        self.queue: list[tuple[int, int, Say]] = []
        self.kept: list[Say] = []
        self._asked: dict[int, Intent] = {}
        """Announcements asked for (queue sequence -> intent), answered once spoken."""
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self.renderer = Renderer(settings, rt.config.path(settings.cache_dir))
        self.out_dir = spoken_dir(rt.config, settings, rt.host)
        self._kept_file = rt.data_dir() / "kept.json"
        machine = rt.config.machines.get(rt.host)
        self.room: str = machine.room if machine is not None else ""
        self._aliases = {alias.casefold(): room.name for room in rt.config.rooms
                         for alias in (room.name, *room.aliases)}
        self._hosts = rt.config.hosts(rt.name) if rt.name in rt.config.services \
            else (rt.host,)
        self._rooms_of = {h: rt.config.machines[h].room if h in rt.config.machines else ""
                          for h in self._hosts}
        self._placed = {self._room_of(r) for r in self._rooms_of.values()}
        self.seen: dict[str, float] = {}
        """Room -> when someone was last seen there (time.monotonic())."""
        self.last_wav: Path | None = None
        self.output_note = ""
        self._load_kept()

    # ---- rooms -------------------------------------------------------------------------
    def _room_of(self, name: str) -> str:
        return self._aliases.get(name.strip().casefold(), name.strip())

    def speaks_in(self, rooms: list[str], room: str | None = None) -> bool:
        """Whether this interphone (or one standing in `room`) speaks a Say for `rooms`
        (empty = every room). One that stands in no room speaks what no interphone of the
        house stands in."""
        room = self.room if room is None else room
        if not rooms:
            return True
        wanted = {self._room_of(r) for r in rooms}
        if room:
            return self._room_of(room) in wanted
        return not wanted & self._placed

    def _answers(self, rooms: list[str]) -> bool:
        """Whether this interphone answers an announcement to `rooms`: the first (in the
        config's order) of those that speak it."""
        speakers = [h for h in self._hosts if self.speaks_in(rooms, self._rooms_of[h])]
        return bool(speakers) and speakers[0] == self.rt.host

    def on_location(self, envelope: Envelope) -> None:
        """A badge located in a room: someone is there."""
        self._saw(RoomLocation.from_envelope(envelope).room)

    def on_motion(self, envelope: Envelope) -> None:
        """A PIR saw motion: in the room it is named after, else its machine's room."""
        motion = PirMotion.from_envelope(envelope)
        if motion.state:
            machine = self.rt.config.machines.get(envelope.src.host)
            named = self._room_of(motion.sensor)
            self._saw(named if named in self._aliases.values()
                      else machine.room if machine is not None else "")

    def _saw(self, room: str) -> None:
        room = self._room_of(room)
        if room in self._aliases.values():
            self.seen[room] = time.monotonic()

    def occupied(self) -> list[str]:
        """The rooms someone was seen in during the last `presence_s`."""
        now = time.monotonic()
        return sorted(r for r, t in self.seen.items() if now - t <= self.settings.presence_s)

    # ---- inputs ------------------------------------------------------------------------
    def submit(self, say: Say) -> int:
        """Queue an announcement; returns its sequence number."""
        seq = next(self._seq)
        self.queue.append((-say.priority, seq, say))
        self.rt.counters["announcements"] += 1
        self._wake.set()
        return seq

    def on_say(self, envelope: Envelope) -> None:
        """A Say from the bus, for this room (or every room)."""
        say = Say.from_envelope(envelope)
        if not self.speaks_in(say.rooms):
            self.rt.counters["other_rooms"] += 1
            return
        self.submit(say)

    def on_family(self, envelope: Envelope) -> None:
        """An SMS from the family, for whoever is home: spoken, or kept until someone listens."""
        msg = FamilyMessage.from_envelope(envelope)
        lang = self.rt.config.house.lang
        intro = "Message de" if lang == "fr" else "Message from"
        self.rt.counters["family_messages"] += 1
        self.submit(Say(f"{intro} {msg.name} : {msg.text}" if lang == "fr"
                        else f"{intro} {msg.name}: {msg.text}",
                        priority=self.settings.family_priority, lang=lang, for_owner=True))

    def on_broadcast(self, envelope: Envelope) -> None:
        """"Annonce que le dîner est prêt": spoken unless the house is silenced (then said
        so, for the owner to lift the silence first)."""
        intent = Intent.from_envelope(envelope)
        message = str(intent.slots.get("message", "")).strip()
        area = str(intent.slots.get("area", "")).strip()
        rooms = [area] if area else []
        if intent.slots.get("where") == "present":  # nobody seen lately: every room
            rooms = self.occupied()
        if not self._answers(rooms):
            # another room's announcement, or one answered by another interphone
            if self.speaks_in(rooms) and message and not self.floor.silence:
                self.submit(Say(message, priority=self.settings.broadcast_priority))
            return
        if not message:
            self._outcome(intent, False, "refused", why="empty message")
        elif self.floor.silence:
            self.rt.counters["broadcast_silenced"] += 1
            self._outcome(intent, False, "silenced")
        else:
            seq = self.submit(Say(message, priority=self.settings.broadcast_priority,
                                  rooms=rooms))
            if intent.id:
                self._asked[seq] = intent  # answered once said

    def _outcome(self, intent: Intent, done: bool, reason: str = "", **values: Any) -> None:
        if intent.id:
            self.rt.publish(Outcome(intent.id, intent.intent, done, reason, values))

    def on_mode(self, envelope: Envelope) -> None:
        """Presence: away in lockout, silence flag; kept messages are spoken once someone is
        home and the silence is lifted."""
        msg = ModeChanged.from_envelope(envelope)
        self.floor = replace(self.floor, away=msg.mode == Mode.LOCKOUT.value,
                             silence=msg.silence)
        if self.floor.listening and self.kept:
            kept, self.kept = self.kept, []
            self._save_kept()
            for say in kept:
                self.submit(replace(say, for_owner=False))
        self._wake.set()

    def lock(self, service: str, ttl_s: float | None = None) -> fl.Lock:
        """Reserve the interphone; raises floor.LockError."""
        ttl = min(ttl_s or self.settings.lock_max_s, self.settings.lock_max_s)
        self.floor = fl.acquire(self.floor, service, self.rt.clock.now(), ttl)
        assert self.floor.lock is not None
        self._wake.set()
        return self.floor.lock

    def release(self, key: str) -> None:
        """Free the interphone; raises floor.LockError on a wrong key."""
        self.floor = fl.release(self.floor, key, self.rt.clock.now())
        self._wake.set()

    # ---- the speaker -------------------------------------------------------------------
    async def run(self) -> None:
        """Speak queued announcements one at a time, forever."""
        while True:
            now = self.rt.clock.now()
            chosen = fl.pick(self.queue, self.floor, now, self.settings.urgent_priority)
            if chosen is None:
                self._wake.clear()
                lock = fl.active_lock(self.floor, now)
                timeout = (lock.expires - now).total_seconds() + 0.01 \
                    if lock is not None and self.queue else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
                continue
            index, verdict = chosen
            _, seq, say = self.queue.pop(index)
            spoken = await self._handle(say, verdict)
            intent = self._asked.pop(seq, None)
            if intent is not None:  # an announcement asked for: answered once said (or not)
                self._outcome(intent, spoken, "" if spoken else
                              "failed" if verdict is fl.Verdict.SPEAK else "silenced")

    async def _handle(self, say: Say, verdict: fl.Verdict) -> bool:
        """Keep, mute or speak one announcement; True once it was spoken."""
        if verdict is fl.Verdict.KEEP:
            self.kept = [*self.kept, say][-self.settings.kept_max:]
            self._save_kept()
            self.rt.counters["kept"] += 1
            return False
        if verdict is fl.Verdict.MUTE:
            self.rt.counters["muted"] += 1
            self.rt.publish(Spoken(say.text, muted=True))
            return False
        try:
            wav = await asyncio.to_thread(self._render, say)
        except (AssistantError, OSError) as err:
            self.rt.counters["speech_failed"] += 1
            self.rt.log("warning", f"interphone cannot speak {say.text!r}: {err}")
            return False
        # the assistant on this machine stops hearing until Spoken (and its echo tail)
        self.rt.publish(Speaking(say.text, duration_s=round(wav_seconds(wav), 2),
                                 machine=self.rt.host))
        try:
            self.last_wav = await asyncio.to_thread(self._play, wav)
        except (AssistantError, OSError) as err:
            self.rt.counters["speech_failed"] += 1
            self.rt.log("warning", f"interphone cannot speak {say.text!r}: {err}")
            self.rt.publish(Spoken(say.text, muted=True))
            return False
        self.rt.counters["spoken"] += 1
        self.rt.publish(Spoken(say.text))
        return True

    def _render(self, say: Say) -> Path:
        wav = self.renderer.render(say.text, voice=say.lang,
                                   radio=True if say.radio else None)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        stamp = self.rt.clock.now().strftime("%Y%m%d-%H%M%S")
        out = self.out_dir / f"{stamp}-{next(self._seq):05d}.wav"
        shutil.copyfile(wav, out)
        for old in sorted(self.out_dir.glob("*.wav"))[:-self.settings.keep_wavs]:
            old.unlink(missing_ok=True)
        return out

    def _play(self, out: Path) -> Path:
        how = play(out, self.settings.output)
        if how == "wav" and not self.output_note:
            self.output_note = f"no audio output: announcements written to {self.out_dir}"
            self.rt.log("warning", self.output_note)
        return out

    # ---- persistence and status --------------------------------------------------------
    def _load_kept(self) -> None:
        try:
            data = json.loads(self._kept_file.read_text())
            self.kept = [Say.from_dict(d) for d in data]
        except (OSError, ValueError, MessageError):
            self.kept = []

    def _save_kept(self) -> None:
        self._kept_file.write_text(json.dumps([asdict(s) for s in self.kept], ensure_ascii=False))

    def status(self) -> dict[str, Any]:
        """The /status entry."""
        lock = fl.active_lock(self.floor, self.rt.clock.now())
        return {"room": self.room, "occupied": self.occupied(),
                "queued": len(self.queue), "kept": len(self.kept),
                "silence": self.floor.silence, "away": self.floor.away,
                "locked_by": lock.service if lock else "",
                "cache": {"hits": self.renderer.hits, "misses": self.renderer.misses},
                "last_wav": str(self.last_wav or ""), "output": self.output_note or "ok"}


def _routes(rt: Any, phone: Interphone) -> None:
    async def announce(request: web.Request) -> web.Response:
        rt.check_token(request)
        q = request.query
        text = q.get("text", "").strip()
        if not text:
            raise web.HTTPBadRequest(text="text is required")
        try:
            say = Say(text, priority=int(q.get("priority", "0")), key=q.get("key", ""),
                      lang=q.get("lang", ""), radio=q.get("radio", "") in ("1", "true", "yes"),
                      for_owner=q.get("for_owner", "") in ("1", "true", "yes"))
        except ValueError:
            raise web.HTTPBadRequest(text="priority must be an integer") from None
        return web.json_response({"queued": phone.submit(say)}, status=202)

    async def lock(request: web.Request) -> web.Response:
        rt.check_token(request)
        service = request.query.get("service", "").strip()
        if not service:
            raise web.HTTPBadRequest(text="service is required")
        try:
            ttl = float(request.query["ttl"]) if "ttl" in request.query else None
            held = phone.lock(service, ttl)
        except ValueError as err:
            raise web.HTTPConflict(text=str(err)) from None
        return web.json_response({"key": held.key, "service": held.service,
                                  "expires": held.expires.isoformat()})

    async def release(request: web.Request) -> web.Response:
        rt.check_token(request)
        try:
            phone.release(request.query.get("key", ""))
        except fl.LockError as err:
            raise web.HTTPConflict(text=str(err)) from None
        return web.json_response({"released": True})

    for path, handler in (("/announce", announce), ("/lock", lock), ("/release", release)):
        rt.app.router.add_post(path, handler)  # they change the house: never on a GET


async def serve(rt: Any) -> None:
    """`basecamp run interphone`."""
    settings = rt.config.section("interphone", InterphoneSettings)
    phone = Interphone(rt, settings)

    rt.subscribe([Say.TOPIC], phone.on_say)
    rt.subscribe([intent_topic("HassBroadcast")], phone.on_broadcast)
    rt.subscribe([ModeChanged.TOPIC], phone.on_mode)
    rt.subscribe([FamilyMessage.TOPIC], phone.on_family)
    rt.subscribe([RoomLocation.TOPIC], phone.on_location)
    rt.subscribe([PirMotion.TOPIC], phone.on_motion)
    _routes(rt, phone)
    rt.status["interphone"] = phone.status
    rt.spawn(phone.run(), name="speaker")
