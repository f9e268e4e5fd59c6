"""The assistant service: microphone (or file/stdin) -> wake -> listen -> STT -> dialogs ->
spoken answer through the interphone. Without microphone, model or engine it says why and
keeps answering text on HTTP `/ask?text=...`."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

from aiohttp import web

from assistant import dialog
from assistant.audio import AudioSource, open_source
from assistant.errors import AssistantError
from assistant.pipeline import Pipeline
from assistant.settings import VoiceSettings
from core.messages import Message
from core.messages.voice import Say, Transcript

_LOGGER = logging.getLogger(__name__)

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

    def __init__(self, rt: Any, voice: VoiceSettings) -> None:
        self.rt = rt
        self.voice = voice
        self.loop = asyncio.get_running_loop()
        self.keeper = _keeper(rt)
        self.handler = dialog.handler(rt.config, voice, rt.clock.now, carry=self._carry)
        self.pipeline: Pipeline | None = None
        self.source: AudioSource | None = None
        self.problem = ""
        self._config_mtime = _mtime(rt.config.source)

    def _carry(self, intent: Any) -> tuple[Any, Any]:
        """Publish a command and wait for its outcome (from the audio thread, or a thread)."""
        if self.keeper is None:
            self.emit(intent)
            return intent, None
        return self.keeper.carry_from_thread(intent, self.loop)

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
            self.pipeline = await asyncio.to_thread(
                assemble, self.rt.config, self.voice, self.emit, now=self.rt.clock.now,
                handler=self.handler)
            self.source = open_source(self.voice.input, self.voice.input_path, self.voice.device)
        except AssistantError as err:
            self._trouble(err)
            return
        self.rt.on_stop(self.source.close)
        await asyncio.to_thread(self._pump)

    def _pump(self) -> None:
        assert self.pipeline is not None and self.source is not None
        try:
            for chunk in self.source.chunks():
                self.pipeline.feed(chunk)
            self.pipeline.flush()
        except AssistantError as err:
            self.loop.call_soon_threadsafe(self._trouble, err)

    async def ask(self, text: str) -> dict[str, Any]:
        """The text path: transcript -> dialog -> intent and spoken answer."""
        self._publish(Transcript(text))
        answer = await asyncio.to_thread(self.handler, text)
        out: dict[str, Any] = {"reply": getattr(answer, "reply", ""),
                               "expects_answer": getattr(answer, "expects_answer", False)}
        intent = getattr(answer, "intent", None)
        if intent is not None:
            intent = type(intent)(intent.intent, intent.slots, "voice", intent.sender, text)
            self._publish(intent)
            out["intent"] = intent.intent
        elif getattr(answer, "carried", None):
            out["intent"] = answer.carried
        if out["reply"]:
            self._publish(Say(out["reply"], lang=self.voice.language(self.rt.config)))
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
                "heard_s": round(p.position_s, 1) if p else 0,
                "turns": len(p.turns) if p else 0, "errors": p.errors if p else 0,
                "sentences": len(grammar.sentences) if grammar else 0}


def _mtime(source: str) -> float | None:
    try:
        return os.stat(source).st_mtime if Path(source).is_file() else None
    except OSError:
        return None


async def serve(rt: Any) -> None:
    """`basecamp run assistant`."""
    voice = rt.config.section("voice", VoiceSettings)
    assistant = Assistant(rt, voice)

    async def ask(request: web.Request) -> web.Response:
        rt.check_token(request)
        text = request.query.get("text", "").strip()
        if not text:
            raise web.HTTPBadRequest(text="text is required")
        return web.json_response(await assistant.ask(text))

    rt.app.router.add_post("/ask", ask)
    rt.status["assistant"] = assistant.status
    rt.spawn(assistant.start_voice(), name="voice")
    rt.every(RELOAD_CHECK_S, assistant.reload_if_changed, name="grammar-reload")
