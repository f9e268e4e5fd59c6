"""The interphone service: announcements from the bus and HTTP, spoken through TTS + sox.

Bus in: `Say` (basecamp.interphone.say), `ModeChanged` (owner away in lockout; silence), the
HassBroadcast intent (spoken, answered with an `Outcome`), `FamilyMessage` (an SMS from the
family: "Message de Claire : …", spoken when someone listens, else kept until then).
Bus out: `Speaking` (basecamp.voice.speaking) as an announcement starts playing, so the
assistant of this machine stops hearing; `Spoken` (basecamp.voice.say) for every announcement
spoken or muted.
HTTP: POST /announce?text=..., POST /lock?service=... -> key, POST /release?key=... (all need
the token in the Authorization header).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import shutil
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
from core.messages import MessageError
from core.messages.dialogs import FamilyMessage, Intent, Outcome
from core.messages.presence import Mode, ModeChanged
from core.messages.voice import Say, Speaking, Spoken

_LOGGER = logging.getLogger(__name__)


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
        self.out_dir = rt.config.path(settings.output_dir)
        self._kept_file = rt.data_dir() / "kept.json"
        self.last_wav: Path | None = None
        self.output_note = ""
        self._load_kept()

    # ---- inputs ------------------------------------------------------------------------
    def submit(self, say: Say) -> int:
        """Queue an announcement; returns its sequence number."""
        seq = next(self._seq)
        self.queue.append((-say.priority, seq, say))
        self.rt.counters["announcements"] += 1
        self._wake.set()
        return seq

    def on_say(self, envelope: Envelope) -> None:
        """A Say from the bus."""
        self.submit(Say.from_envelope(envelope))

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
        if not message:
            self._outcome(intent, False, "refused", why="empty message")
        elif self.floor.silence:
            self.rt.counters["broadcast_silenced"] += 1
            self._outcome(intent, False, "silenced")
        else:
            seq = self.submit(Say(message, priority=self.settings.broadcast_priority))
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
        return {"queued": len(self.queue), "kept": len(self.kept),
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
    rt.subscribe([f"{Intent.TOPIC}.HassBroadcast"], phone.on_broadcast)
    rt.subscribe([ModeChanged.TOPIC], phone.on_mode)
    rt.subscribe([FamilyMessage.TOPIC], phone.on_family)
    _routes(rt, phone)
    rt.status["interphone"] = phone.status
    rt.spawn(phone.run(), name="speaker")
