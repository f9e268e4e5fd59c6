"""The assistant service: microphone (or file/stdin) -> wake -> listen -> STT -> dialogs ->
spoken answer through the interphone. Without microphone, model or engine it says why and
keeps answering text on HTTP `/ask?text=...`."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from assistant import dialog
from assistant.arbitration import Arbiter
from assistant.audio import AudioSource, open_source
from assistant.errors import AssistantError
from assistant.pipeline import Pipeline, Verdict
from assistant.settings import VoiceSettings
from assistant.wake import Detection
from core.bus import Envelope
from core.config import Config
from core.messages import Message
from core.messages.voice import Say, Speaking, Spoken, Transcript, WakeBid

RELOAD_CHECK_S = 30.0


def _keeper(rt: Any) -> Any:
    """The dialogs' Keeper, subscribed to outcomes (None without the dialogs package)."""
    try:
        from core.messages.dialogs import Outcome
        from dialogs.keeper import Keeper
        from dialogs.settings import DialogSettings
    except ImportError:
        return None
    dialogs = rt.config.section("dialogs", DialogSettings)
    keeper = Keeper(rt.publish, dialogs.outcome_timeout_s, dialogs.spoken_timeout_s)
    rt.subscribe([Outcome.TOPIC], keeper.on_outcome)
    return keeper


class Assistant:
    """Holds the pipeline, its audio thread and what /status shows."""

    def __init__(self, rt: Any, voice: VoiceSettings, source: AudioSource | None = None) -> None:
        self.rt = rt
        self.voice = voice
        self.loop = asyncio.get_running_loop()
        self.keeper = _keeper(rt)
        machine = rt.config.machines.get(rt.host)
        self.room: str = machine.room if machine is not None else ""
        """The room this satellite hears and answers in ("" = the dialogs' default room)."""
        self.arbiter = Arbiter(rt.host, voice.arbitration_s, voice.score_weight_db)
        self.handler = dialog.handler(rt.config, voice, rt.clock.now, carry=self._carry,
                                      room=self.room)
        self.pipeline: Pipeline | None = None
        self.source: AudioSource | None = source
        """The audio (given: a test's microphone; else opened from `voice.input`)."""
        self.problem = ""
        self._speaking_text: str | None = None
        """The announcement this machine's interphone is saying."""
        self.recorder: Any = None
        """The personal wake word's enrollment (assistant.enroll.Recorder) while it runs."""
        self._config_mtime = _mtime(rt.config.source)

    def _carry(self, intent: Any) -> tuple[Any, Any]:
        """Publish a command and wait for its outcome (from the audio thread, or a thread)."""
        if self.room and not intent.room:
            intent = dataclasses.replace(intent, room=self.room)
        if self.keeper is None:
            self.emit(intent)
            return intent, None
        return self.keeper.carry_from_thread(intent, self.loop)

    def on_bid(self, envelope: Envelope) -> None:
        """Another satellite heard the wake word."""
        self.arbiter.heard(WakeBid.from_envelope(envelope))

    def bid(self, detection: Detection, energy_db: float) -> Verdict:
        """This satellite heard the wake word (audio thread): bid, and how to learn the
        verdict."""
        own = WakeBid(self.rt.host, self.room, 1.0, round(energy_db, 2), time.time())
        self.emit(own)
        self.rt.counters["wake_bids"] += 1

        def verdict(wait: bool) -> bool | None:
            decided = self.arbiter.wait(own) if wait else self.arbiter.decide(own)
            if decided is not None:
                self.rt.counters["arbitration_won" if decided else "arbitration_yielded"] += 1
            return decided
        return verdict

    def emit(self, message: Message) -> None:
        """Publish from the audio thread (the bus publisher belongs to the event loop)."""
        self.loop.call_soon_threadsafe(self._publish, message)

    def _publish(self, message: Message) -> None:
        self.rt.counters[f"published_{message.topic().split('.')[-1]}"] += 1
        self.rt.publish(message)

    def _trouble(self, err: Exception) -> None:
        self.problem = str(err)
        self.rt.counters["voice_unavailable"] += 1
        self.rt.log("warning", f"assistant: {err}; still answering text on /ask")

    async def start_voice(self) -> None:
        """Load the engines and model (seconds), open the audio source, run the audio thread."""
        from assistant.assemble import assemble
        try:
            chime = await asyncio.to_thread(self._chime) if self.voice.chime else None
            self.pipeline = await asyncio.to_thread(
                assemble, self.rt.config, self.voice, self.emit, now=self.rt.clock.now,
                handler=self.handler, room=self.room, arbitrate=self.bid,
                on_wake=chime.play if chime is not None else None)
            if self.source is None:
                path = str(spool_dir(self.rt.config, self.voice, self.rt.host)) \
                    if self.voice.input == "spool" else self.voice.input_path
                self.source = open_source(self.voice.input, path, self.voice.device)
        except AssistantError as err:
            self._trouble(err)
            return
        self.rt.on_stop(self.source.close)
        await asyncio.to_thread(self._pump)

    def _chime(self) -> Any:
        """The chime, played where the interphone plays (None when sox is missing)."""
        from assistant.chime import Chime
        from assistant.interphone import spoken_dir
        from assistant.settings import InterphoneSettings
        phone = self.rt.config.section("interphone", InterphoneSettings)
        try:
            return Chime(self.rt.config.path(phone.cache_dir),
                         spoken_dir(self.rt.config, phone, self.rt.host), phone.output,
                         self.rt.clock.now)
        except (AssistantError, OSError) as err:
            self.rt.log("warning", f"assistant: no chime: {err}")
            return None

    def on_house_voice(self, envelope: Any) -> None:
        """The interphone of this machine starts or stops speaking: mute wake word and STT
        while it speaks and for the echo tail after."""
        if self.pipeline is None:
            return
        if envelope.topic == Speaking.TOPIC:
            speaking = Speaking.from_envelope(envelope)
            if speaking.machine in ("", self.rt.host):
                self._speaking_text = speaking.text
                self.pipeline.speaking(True, max_s=speaking.duration_s + self.voice.echo_tail_s
                                       + 5.0)
                self.rt.counters["muted_for_own_voice"] += 1
        elif Spoken.from_envelope(envelope).text == self._speaking_text:  # the same one ended
            self._speaking_text = None
            self.pipeline.speaking(False, tail_s=self.voice.echo_tail_s)

    def _pump(self) -> None:
        assert self.pipeline is not None and self.source is not None
        try:
            for chunk in self.source.chunks():
                recorder = self.recorder
                if recorder is not None and recorder.phase == "recording":
                    recorder.feed(chunk)  # the next utterances are the word, not commands
                    if recorder.phase == "done":
                        self._enrolled()
                    continue
                self.pipeline.feed(chunk)
            self.pipeline.flush()
        except AssistantError as err:
            self.loop.call_soon_threadsafe(self._trouble, err)

    def enroll(self, count: int, word: str = "") -> dict[str, Any]:
        """Start recording the next `count` utterances as the personal wake word."""
        from assistant.enroll import Recorder
        from assistant.vad import webrtc
        from assistant.wake_personal import folder
        if self.pipeline is None or self.source is None:
            raise AssistantError(f"no live audio to record from: {self.problem or 'starting'}")
        voice = self.voice
        if word:
            voice = dataclasses.replace(voice, personal=dataclasses.replace(voice.personal,
                                                                            word=word))
        self.recorder = Recorder(folder(voice, self.rt.config), count,
                                 webrtc(self.voice.vad_aggressiveness))
        self.rt.counters["enrollments"] += 1
        return dict(self.recorder.status())

    def _enrolled(self) -> None:
        """New templates: the personal engine, when it is listening (alone or in the combo),
        reloads them."""
        assert self.pipeline is not None
        listening = ((self.voice.wake_engine,) if self.voice.wake_engine != "combo"
                     else self.voice.combo.engines)
        if "personal" not in listening or self.pipeline.spotter is None:
            return
        from assistant import wake
        try:
            detector = wake.create(self.voice, self.rt.config)
        except AssistantError as err:
            self.loop.call_soon_threadsafe(self._trouble, err)
            return
        self.pipeline.spotter = wake.Spotter(detector, self.voice.cooldown_s)

    async def ask(self, text: str) -> dict[str, Any]:
        """The text path: transcript -> dialog -> intent and spoken answer."""
        self._publish(Transcript(text))
        answer = await asyncio.to_thread(self.handler, text)
        out: dict[str, Any] = {"reply": getattr(answer, "reply", ""),
                               "expects_answer": getattr(answer, "expects_answer", False)}
        intent = getattr(answer, "intent", None)
        if intent is not None:
            intent = type(intent)(intent.intent, intent.slots, "voice", intent.sender, text,
                                  room=self.room)
            self._publish(intent)
            out["intent"] = intent.intent
        elif getattr(answer, "carried", None):
            out["intent"] = answer.carried
        if out["reply"]:
            self._publish(Say(out["reply"], lang=self.voice.language(self.rt.config),
                              rooms=[self.room] if self.room else []))
        return out

    def reload_if_changed(self) -> None:
        """Rebuild the grammar when the config file changed (new rooms, devices...)."""
        mtime = _mtime(self.rt.config.source)
        if mtime is None or mtime == self._config_mtime or self.pipeline is None:
            return
        self._config_mtime = mtime
        from assistant.assemble import transcriber
        from core.config import ConfigError, load
        try:
            config = load(self.rt.config.source)
            fresh = transcriber(config, self.voice)
        except (ConfigError, AssistantError) as err:
            self.rt.log("warning", f"assistant: grammar not rebuilt: {err}")
            return
        self.pipeline.transcriber = fresh
        self.rt.log("info", "assistant: grammar rebuilt after a config change")

    def status(self) -> dict[str, Any]:
        """The /status entry."""
        p = self.pipeline
        grammar = getattr(p.transcriber, "grammar", None) if p else None
        whisper = self.voice.stt == "whisper"
        return {"engine": self.voice.wake_engine, "stt": self.voice.stt,
                "model": self.voice.whisper.model_dir if whisper else self.voice.model_dir,
                "source": self.source.name if self.source else "",
                "problem": self.problem, "phase": p.phase.value if p else "off",
                "muted": p.muted if p else False,
                "heard_s": round(p.position_s, 1) if p else 0,
                "wavs_heard": getattr(self.source, "heard", 0),
                "turns": len(p.turns) if p else 0, "errors": p.errors if p else 0,
                "room": self.room, "yielded": p.yielded if p else 0,
                "arbitration_ms": [round(ms, 1) for t in (p.turns if p else [])[-20:]
                                   if (ms := t.arbitration_ms) is not None],
                "sentences": len(grammar.sentences) if grammar else 0}


def spool_dir(config: Config, voice: VoiceSettings, host: str) -> Path:
    """The spool folder (simulated microphone) of the assistant on `host`."""
    if voice.input_path:
        return config.path(voice.input_path.replace("{machine}", host))
    return config.service_dir("assistant", host) / "spool"


def _mtime(source: str) -> float | None:
    try:
        return os.stat(source).st_mtime if Path(source).is_file() else None
    except OSError:
        return None


async def serve(rt: Any, source: AudioSource | None = None) -> None:
    """`basecamp run assistant` (`source`: audio other than `voice.input`, for tests)."""
    voice = rt.config.section("voice", VoiceSettings)
    assistant = Assistant(rt, voice, source)

    async def ask(request: web.Request) -> web.Response:
        rt.check_token(request)
        text = request.query.get("text", "").strip()
        if not text:
            raise web.HTTPBadRequest(text="text is required")
        return web.json_response(await assistant.ask(text))

    rt.subscribe([WakeBid.TOPIC], assistant.on_bid)
    async def enroll(request: web.Request) -> web.Response:
        rt.check_token(request)
        try:
            count = int(request.query.get("count", voice.personal.enroll_count))
        except ValueError:
            raise web.HTTPBadRequest(text="count is a number") from None
        if not 1 <= count <= 10:
            raise web.HTTPBadRequest(text="count: 1 to 10 recordings")
        try:
            return web.json_response(assistant.enroll(count, request.query.get("word", "")))
        except AssistantError as err:
            raise web.HTTPServiceUnavailable(text=str(err)) from None

    async def enrollment(request: web.Request) -> web.Response:
        rt.check_token(request)
        recorder = assistant.recorder
        return web.json_response(recorder.status() if recorder is not None
                                 else {"phase": "idle", "recorded": 0, "count": 0,
                                       "rejected": [], "error": "",
                                       "word": voice.personal.word})

    async def cancel(request: web.Request) -> web.Response:
        rt.check_token(request)
        if assistant.recorder is not None:
            assistant.recorder.cancel()
        return web.json_response({"cancelled": True})

    rt.subscribe([Speaking.TOPIC, Spoken.TOPIC], assistant.on_house_voice)
    rt.subscribe([WakeBid.TOPIC], assistant.on_bid)
    rt.app.router.add_post("/ask", ask)
    rt.app.router.add_post("/voice/enroll", enroll)
    rt.app.router.add_get("/voice/enroll", enrollment)
    rt.app.router.add_post("/voice/enroll/cancel", cancel)
    rt.status["assistant"] = assistant.status
    rt.spawn(assistant.start_voice(), name="voice")
    rt.every(RELOAD_CHECK_S, assistant.reload_if_changed, name="grammar-reload")
