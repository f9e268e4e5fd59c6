"""`basecamp run wyoming`: the house's voice over the Wyoming protocol (Home Assistant, satellites).

One TCP listener, any number of clients, each served by an `assistant.wyoming_connection`
`Connection`; this module loads the engines once and holds what every connection shares.
"Handle" goes to the dialogs service's `POST /command` with the house token, so a command
from Home Assistant meets every rule a spoken or SMS one does and is carried out before the
reply says so; "recognize" only names the intent (this process's own dialog engine).
Engines that cannot load (no model, no package) are left out of `describe` and said on
/status; the service still serves the rest. Blocking work (decoding, synthesis) runs in
threads, one at a time per engine (their recognisers and pyttsx3 are not reentrant).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import threading
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from wyoming.event import Eventable
from wyoming.handle import Handled, NotHandled
from wyoming.server import AsyncTcpServer

from assistant import wake
from assistant.errors import AssistantError
from assistant.settings import InterphoneSettings, VoiceSettings, WyomingSettings
from assistant.wyoming_connection import BadInput, Connection
from assistant.wyoming_info import Offer, describe
from core.config import Config

_LOGGER = logging.getLogger(__name__)


@dataclass
class Engines:
    """What loaded at start, and why the rest did not."""

    transcriber: Any = None
    renderer: Any = None
    dialogs: Any = None
    wake: dict[str, tuple[str, ...]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def load(config: Config, voice: VoiceSettings, settings: WyomingSettings,
         cache_dir: Path) -> Engines:
    """Build every engine the config names (seconds: models); never raises for one missing."""
    engines = Engines()
    from assistant import vosk_model
    from assistant.assemble import transcriber
    try:  # the model first: the house's sentences take seconds to expand
        vosk_model.check_model(vosk_model.model_path(voice.model_dir, config))
        engines.transcriber = transcriber(config, voice)
    except AssistantError as err:
        engines.problems["asr"] = str(err)
    from assistant.tts import Renderer
    engines.renderer = Renderer(config.section("interphone", InterphoneSettings), cache_dir)
    for engine in settings.wake_engines or (voice.wake_engine,):
        try:
            detector = wake.create(voice, config, engine)
        except AssistantError as err:
            engines.problems[f"wake:{engine}"] = str(err)
            continue
        engines.wake[engine] = tuple(detector.keywords)
        detector.close()
    try:
        from dialogs.engine import DialogEngine
        engines.dialogs = DialogEngine(config)
        engines.dialogs.recognizer(engines.dialogs.lang)  # build the tables now
    except (ImportError, ValueError) as err:
        engines.problems["intent"] = f"the dialogs are unavailable: {err}"
    return engines


class WyomingService:
    """The engines, their locks, the house link and what /status shows."""

    def __init__(self, rt: Any, settings: WyomingSettings, voice: VoiceSettings,
                 engines: Engines) -> None:
        self.rt = rt
        self.settings = settings
        self.voice = voice
        self.engines = engines
        self.lang = voice.language(rt.config)
        interphone = rt.config.section("interphone", InterphoneSettings)
        voices = [interphone.voice, *(["en"] if interphone.voice.split("-")[0] != "en" else [])]
        model = voice.model_dir.removeprefix("pypi:") if voice.model_dir.startswith("pypi:") \
            else Path(voice.model_dir).name
        self.offer = Offer(asr_model=model if engines.transcriber is not None else "",
                           asr_lang=self.lang, tts_voices=tuple(voices), wake=engines.wake,
                           intent_langs=tuple(engines.dialogs.langs) if engines.dialogs else (),
                           handle="dialogs" in rt.config.services)
        self.info = describe(self.offer).event()
        self._stt = threading.Lock()
        self._tts = threading.Lock()
        self._intent = threading.Lock()
        self.networks = [ipaddress.ip_network(c, strict=False) for c in settings.clients]
        self.clients = 0
        self.refused: set[str] = set()

    def allows(self, peer: Any) -> bool:
        """Whether a client at `peer` (a socket's peername) may talk to the house; each
        refused address is logged once."""
        host = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        try:
            address = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            return False
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.networks):
            return True
        self.count("refused_clients")
        if host not in self.refused:
            self.refused.add(host)
            self.rt.log("warning", f"wyoming: connection from {host} refused (not in "
                                   "wyoming.clients)")
        return False

    def count(self, what: str) -> None:
        """A counter on /status."""
        self.rt.counters[f"wyoming_{what}"] += 1

    # ---- blocking work, run in threads ---------------------------------------------------
    def transcribe(self, pcm: bytes) -> str:
        """The transcript of a whole utterance (16 kHz mono 16-bit)."""
        with self._stt:
            return str(self.engines.transcriber.transcribe(pcm).text)

    def synthesise(self, text: str, voice: str) -> tuple[int, int, int, bytes]:
        """(rate, width, channels, PCM) of `text` in the house's voice."""
        with self._tts:
            path = self.engines.renderer.render(text, voice=voice)
        with wave.open(str(path), "rb") as wav:
            return (wav.getframerate(), wav.getsampwidth(), wav.getnchannels(),
                    wav.readframes(wav.getnframes()))

    def recognise(self, text: str) -> dict[str, Any]:
        """`basecamp intent`'s answer for `text`: intent, slots, or why none."""
        from dialogs.cli import recognize_line
        with self._intent:
            return recognize_line(self.engines.dialogs, text, self.rt.clock.now())

    def detectors(self, names: list[str] | None) -> list[wake.Spotter]:
        """Fresh detectors (each connection its own state) for the engines with `names`."""
        spotters = []
        for engine, keywords in self.engines.wake.items():
            if names is None or set(names) & set(keywords):
                spotters.append(wake.Spotter(wake.create(self.voice, self.rt.config, engine),
                                             self.voice.cooldown_s))
        return spotters

    # ---- the house --------------------------------------------------------------------
    async def handle(self, text: str) -> Eventable:
        """The house's answer to `text`, carried out by the running house's dialogs."""
        if not self.offer.handle:
            raise BadInput("handle-unavailable", "no dialogs service is placed in the house")
        url = self.rt.config.service_url("dialogs") + "/command"
        token = self.rt.config.reveal(self.rt.config.http.token) or ""
        body = {"text": text, "channel": "wyoming", "sender": self.settings.sender}
        # a command waits for its outcome: longer than a plain request
        timeout = aiohttp.ClientTimeout(total=float(self.rt.config.http.timeout_s) + 10.0)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as http, http.post(
                    url, json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
                if resp.status != 200:
                    why = (await resp.text())[:200]
                    raise AssistantError(f"the dialogs service answered {resp.status}: {why}")
                turn = await resp.json()
        except (aiohttp.ClientError, TimeoutError, AssistantError, ValueError) as err:
            self.count("house_unreachable")
            self.rt.log("warning", f"wyoming: the house did not answer {text!r}: {err}")
            return NotHandled(text=self._offline())
        context = {"conversation": turn.get("conversation", "")}
        if turn.get("intent") or turn.get("expects_answer"):
            self.count("handled")
            return Handled(text=turn.get("reply", ""), context=context)
        self.count("not_handled")
        return NotHandled(text=turn.get("reply", ""), context=context)

    def _offline(self) -> str:
        try:
            from dialogs.replies import render
        except ImportError:
            return "House offline."
        return render("offline", self.lang if self.lang in ("fr", "en") else "fr")

    def status(self) -> dict[str, Any]:
        """The /status entry."""
        return {"port": self.settings.port, "clients": self.clients,
                "asr": self.offer.asr_model, "wake": self.engines.wake,
                "intent_langs": list(self.offer.intent_langs), "handle": self.offer.handle,
                "problems": self.engines.problems}


async def serve(rt: Any) -> None:
    """`basecamp run wyoming`."""
    from core.service import ServiceError, bind_address
    settings = rt.config.section("wyoming", WyomingSettings)
    voice = rt.config.section("voice", VoiceSettings)
    engines = await asyncio.to_thread(load, rt.config, voice, settings,
                                      rt.data_dir() / "tts-cache")
    for what, problem in engines.problems.items():
        rt.log("warning", f"wyoming: {what} unavailable: {problem}")
    service = WyomingService(rt, settings, voice, engines)
    address = settings.address or bind_address(rt.config.machines[rt.host].address)
    server = AsyncTcpServer(address, settings.port)
    try:
        await server.start(lambda reader, writer: Connection(service, reader, writer))
    except OSError as err:
        raise ServiceError(f"wyoming: cannot listen on {address}:{settings.port}: "
                           f"{err.strerror}") from err
    rt.on_stop(server.stop)
    rt.status["wyoming"] = service.status
    _LOGGER.info("wyoming: listening on %s:%d", address, settings.port)
