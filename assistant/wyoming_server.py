"""`basecamp run wyoming`: the house's voice over the Wyoming protocol (Home Assistant, satellites).

One TCP listener, any number of clients, each connection served by a `Connection`:

    describe                                  -> info (asr, tts, wake, handle, intent)
    transcribe, audio-start/chunk.../stop     -> transcript   (Vosk, the house grammar)
    detect, audio-start/chunk.../stop         -> detection... then not-detected if none
    transcript (text)                         -> handled / not-handled (the house acts)
    recognize (text)                          -> intent (name, entities) / not-recognized
    synthesize (text)                         -> audio-start, audio-chunk..., audio-stop
    anything wrong                            -> error (code, text); the connection goes on

"Handle" goes to the dialogs service's `POST /command` with the house token, so a command
from Home Assistant meets every rule a spoken or SMS one does and is carried out before the
reply says so; "recognize" only names the intent (this process's own dialog engine).
Engines that cannot load (no model, no package) are left out of `describe` and said on
/status; the service still serves the rest. Blocking work (decoding, synthesis) runs in
threads, one at a time per engine (their recognisers and pyttsx3 are not reentrant).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event, Eventable
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe
from wyoming.intent import Entity, Intent, NotRecognized, Recognize
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler, AsyncTcpServer
from wyoming.tts import Synthesize
from wyoming.wake import Detect, Detection, NotDetected

from assistant import wake
from assistant.audio import RATE, WIDTH
from assistant.errors import AssistantError
from assistant.settings import InterphoneSettings, VoiceSettings, WyomingSettings
from assistant.wyoming_info import Offer, describe

_LOGGER = logging.getLogger(__name__)

MAX_EVENT_BYTES = 4 << 20
"""Largest data or payload of one event (an audio chunk is a few KB; a reply, a few hundred)."""
HANG_UP_S = 2.0
"""How long a client gets to read our error before we close on it."""
CHUNK_SAMPLES = 1024
"""Samples per synthesised audio chunk sent."""
RATES = (8000, 96000)
WIDTHS = (1, 2, 4)
CHANNELS = (1, 2)
QUIET = frozenset({"select-program", "synthesize-start", "synthesize-chunk", "synthesize-stop",
                   "pong", "transcript-start", "transcript-chunk", "transcript-stop"})
"""Protocol events this server does not serve and drops silently, as the protocol asks (a
client that streams text to speech also sends a plain `synthesize`, which is answered)."""


class BadInput(Exception):
    """A client's mistake, answered with an `error` event of this code."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


async def read_event(reader: asyncio.StreamReader) -> Event | None:
    """The next event (None at the end of the stream); raises BadInput on a malformed one.

    The library's reader returns None for garbage too, which would close the connection
    without telling the client why.
    """
    try:
        line = await reader.readline()
    except ValueError:  # longer than the reader's limit
        raise BadInput("bad-event", "event header too long") from None
    if not line:
        return None
    try:
        header = json.loads(line)
    except ValueError:
        raise BadInput("bad-event", "not a JSON event header") from None
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise BadInput("bad-event", "an event header is a JSON object with a string 'type'")
    data = header.get("data") or {}
    lengths = [header.get("data_length") or 0, header.get("payload_length") or 0]
    if not isinstance(data, dict) or not all(isinstance(n, int) and 0 <= n <= MAX_EVENT_BYTES
                                             for n in lengths):
        raise BadInput("bad-event", f"'data' must be an object and lengths 0 to "
                                    f"{MAX_EVENT_BYTES} bytes")
    try:
        if lengths[0]:
            extra = json.loads(await reader.readexactly(lengths[0]))
            if not isinstance(extra, dict):
                raise BadInput("bad-event", "event data must be a JSON object")
            data.update(extra)
        payload = await reader.readexactly(lengths[1]) if lengths[1] else None
    except asyncio.IncompleteReadError:
        return None  # the client left in the middle of an event
    except ValueError:
        raise BadInput("bad-event", "event data is not JSON") from None
    return Event(type=header["type"], data=data, payload=payload)


@dataclass
class Engines:
    """What loaded at start, and why the rest did not."""

    transcriber: Any = None
    renderer: Any = None
    dialogs: Any = None
    wake: dict[str, tuple[str, ...]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def load(config: Any, voice: VoiceSettings, settings: WyomingSettings,
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


class Connection(AsyncEventHandler):
    """One client: requests answered in order; audio kept for the request it follows."""

    def __init__(self, service: WyomingService, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        super().__init__(reader, writer)
        self.service = service
        self.request = ""
        """"asr" or "wake": what the next audio is for."""
        self.names: list[str] | None = None
        self.audio = bytearray()
        self.format: tuple[int, int, int] | None = None
        self.converter: AudioChunkConverter | None = None
        self.spotters: list[wake.Spotter] = []
        self.detected = 0
        self.seconds = 0.0
        self.dropped = False
        """The current audio was refused (told once): its other chunks are ignored."""

    async def run(self) -> None:
        """Events until the client leaves; a malformed one is answered, then we hang up
        (the stream cannot be trusted past it)."""
        self.service.clients += 1
        self.service.count("connections")
        try:
            if not self.service.allows(self.writer.get_extra_info("peername")):
                await self.error(BadInput("forbidden", "this address may not use the house's "
                                          "voice: add it to wyoming.clients"))
                await self.hang_up()
                return
            while True:
                try:
                    event = await read_event(self.reader)
                except BadInput as err:
                    await self.error(err)
                    await self.hang_up()
                    break
                if event is None or not await self.handle_event(event):
                    break
        except (ConnectionError, OSError):
            pass  # the client went away while we were answering
        finally:
            self.service.clients -= 1
            self.close_detectors()
            self.writer.close()

    async def hang_up(self) -> None:
        """Close our side, then let the client read the error: closing a socket with its
        input unread would reset the connection and lose the error on the way."""
        with contextlib.suppress(OSError, RuntimeError):
            self.writer.write_eof()
        with contextlib.suppress(OSError, TimeoutError, ValueError):
            async with asyncio.timeout(HANG_UP_S):
                while await self.reader.read(65536):
                    pass

    async def error(self, err: BadInput) -> None:
        """Tell the client what was wrong (and count it)."""
        self.service.count(f"error_{err.code}")
        await self.write_event(Error(text=err.text, code=err.code).event())

    async def handle_event(self, event: Event) -> bool:
        """Answer one event; a bad one gets an `error` and the connection goes on."""
        try:
            await self.dispatch(event)
        except BadInput as err:
            await self.error(err)
        except (KeyError, TypeError, ValueError) as err:
            await self.error(BadInput("bad-event", f"malformed {event.type!r} event: {err!r}"))
        except (ConnectionError, OSError):
            raise
        except Exception as err:  # an engine failed: the client hears why, we go on
            _LOGGER.exception("wyoming: %s failed", event.type)
            await self.error(BadInput("failed", f"{event.type} failed: {err}"))
        return True

    async def dispatch(self, event: Event) -> None:
        """Route one event by its type."""
        kind = event.type
        self.service.count(kind.replace("-", "_"))
        if Describe.is_type(kind):
            await self.write_event(self.service.info)
        elif Ping.is_type(kind):
            await self.write_event(Pong(text=Ping.from_event(event).text).event())
        elif Transcribe.is_type(kind):
            self.begin("asr", None)
        elif Detect.is_type(kind):
            self.begin("wake", Detect.from_event(event).names)
        elif AudioStart.is_type(kind):
            await self.audio_start(AudioStart.from_event(event))
        elif AudioChunk.is_type(kind):
            await self.audio_chunk(AudioChunk.from_event(event))
        elif AudioStop.is_type(kind):
            await self.audio_stop()
        elif Transcript.is_type(kind):
            text = self.text(Transcript.from_event(event).text)
            await self.write_event((await self.service.handle(text)).event())
        elif Recognize.is_type(kind):
            await self.recognise(self.text(Recognize.from_event(event).text))
        elif Synthesize.is_type(kind):
            await self.synthesise(Synthesize.from_event(event))
        elif kind not in QUIET:
            raise BadInput("unknown-event", f"unknown event type {kind!r} (served: describe, "
                           "transcribe, detect, audio-*, transcript, recognize, synthesize)")

    def text(self, text: Any) -> str:
        """A text to act on, or BadInput."""
        if not isinstance(text, str) or not text.strip():
            raise BadInput("empty-text", "the text is empty")
        if len(text) > self.service.settings.max_text_chars:
            raise BadInput("text-too-long", f"the text is longer than "
                           f"{self.service.settings.max_text_chars} characters")
        return text.strip()

    # ---- audio --------------------------------------------------------------------------
    def begin(self, request: str, names: list[str] | None) -> None:
        """A transcription or detection: the audio that follows is for it."""
        problems = self.service.engines.problems
        if request == "asr" and self.service.engines.transcriber is None:
            raise BadInput("asr-unavailable", f"speech to text is unavailable: "
                           f"{problems.get('asr', 'not loaded')}")
        if request == "wake":
            known = {k for keys in self.service.engines.wake.values() for k in keys}
            if not known:
                raise BadInput("wake-unavailable", "no wake word engine loaded: " +
                               "; ".join(v for k, v in problems.items() if k.startswith("wake")))
            if names and not set(names) & known:
                raise BadInput("unknown-wake-word", f"unknown wake word(s) {', '.join(names)} "
                               f"(known: {', '.join(sorted(known))})")
        self.request, self.names = request, names or None
        self.audio, self.format, self.spotters = bytearray(), None, []
        self.detected, self.seconds, self.dropped = 0, 0.0, False

    def drop(self, code: str, text: str) -> BadInput:
        """Refuse the audio under way: one error, then its chunks are ignored."""
        self.request, self.format, self.dropped = "", None, True
        self.audio = bytearray()
        self.close_detectors()
        return BadInput(code, text)

    def close_detectors(self) -> None:
        """Free this connection's wake word detectors."""
        for spotter in self.spotters:
            spotter.detector.close()
        self.spotters = []

    async def audio_start(self, start: AudioStart) -> None:
        """Check the announced format; ready a converter to 16 kHz mono 16-bit."""
        if not self.request:
            raise BadInput("no-request", "audio without a transcribe or detect before it")
        fmt = (start.rate, start.width, start.channels)
        if not (RATES[0] <= start.rate <= RATES[1] and start.width in WIDTHS
                and start.channels in CHANNELS):
            raise self.drop("bad-audio-format", f"unsupported audio format rate={start.rate} "
                           f"width={start.width} channels={start.channels} (expected "
                           f"{RATES[0]}-{RATES[1]} Hz, width {WIDTHS}, channels {CHANNELS}; "
                           f"best: {RATE} Hz, width {WIDTH}, 1 channel)")
        self.format = fmt
        self.converter = AudioChunkConverter(rate=RATE, width=WIDTH, channels=1)
        if self.request == "wake":
            self.spotters = await asyncio.to_thread(self.service.detectors, self.names)

    async def audio_chunk(self, chunk: AudioChunk) -> None:
        """Keep (asr) or spot (wake) a chunk, converted."""
        if self.dropped:
            return
        if not self.request:
            raise BadInput("no-request", "audio without a transcribe or detect before it")
        if self.format is None or self.converter is None:
            raise BadInput("no-audio-start", "audio-chunk before audio-start")
        if (chunk.rate, chunk.width, chunk.channels) != self.format:
            raise self.drop("bad-audio-format", f"chunk format {chunk.rate}/{chunk.width}/"
                           f"{chunk.channels} differs from audio-start's "
                           f"{'/'.join(map(str, self.format))}")
        if len(chunk.audio) % (chunk.width * chunk.channels):
            raise self.drop("bad-audio-format", "a chunk is not a whole number of samples")
        self.seconds += chunk.seconds
        # only a transcription keeps its audio; a wake word stream may last for hours
        if self.request == "asr" and self.seconds > self.service.settings.max_audio_s:
            raise self.drop("audio-too-long", f"more than {self.service.settings.max_audio_s:g}"
                           " s of audio: request dropped")
        pcm = self.converter.convert(chunk).audio
        if self.request == "asr":
            self.audio += pcm
            return
        for spotter in self.spotters:
            found = await asyncio.to_thread(spotter.feed, pcm)
            for detection in found:
                if self.names is None or detection.keyword in self.names:
                    self.detected += 1
                    self.service.count("detections")
                    await self.write_event(Detection(
                        name=detection.keyword,
                        timestamp=int(detection.at_s * 1000)).event())

    async def audio_stop(self) -> None:
        """The end of the audio: the transcript, or not-detected when nothing was heard."""
        if self.dropped:
            self.dropped = False
            return
        if not self.request:
            raise BadInput("no-request", "audio without a transcribe or detect before it")
        if self.format is None:
            raise BadInput("no-audio-start", "audio-stop before audio-start")
        request, self.request, self.format = self.request, "", None
        if request == "asr":
            started = time.perf_counter()
            text = await asyncio.to_thread(self.service.transcribe, bytes(self.audio))
            _LOGGER.info("wyoming: %.1f s heard as %r in %.2f s", len(self.audio) / 32000,
                         text, time.perf_counter() - started)
            self.audio = bytearray()
            await self.write_event(Transcript(text=text, language=self.service.lang).event())
            return
        self.close_detectors()
        if not self.detected:
            await self.write_event(NotDetected().event())

    # ---- text ---------------------------------------------------------------------------
    async def recognise(self, text: str) -> None:
        """Intent name and slots, recognised only."""
        if self.service.engines.dialogs is None:
            raise BadInput("intent-unavailable", self.service.engines.problems["intent"])
        found = await asyncio.to_thread(self.service.recognise, text)
        if found["intent"] is None:
            self.service.count("not_recognized")
            await self.write_event(NotRecognized(text=found.get("refused")).event())
            return
        await self.write_event(Intent(
            name=found["intent"], text=text,
            entities=[Entity(name, value) for name, value in found["slots"].items()],
            context={"score": found["score"], "match": found["match"]}).event())

    async def synthesise(self, request: Synthesize) -> None:
        """The house's voice saying the text, in chunks."""
        text = self.text(request.text)
        voices = self.service.offer.tts_voices
        wanted = request.voice.name if request.voice is not None else None
        if wanted is None and request.voice is not None and request.voice.language:
            wanted = next((v for v in voices if v.split("-")[0] == request.voice.language),
                          None)
        if wanted is not None and wanted not in voices:
            raise BadInput("unknown-voice", f"unknown voice {wanted!r} "
                           f"(voices: {', '.join(voices)})")
        rate, width, channels, pcm = await asyncio.to_thread(
            self.service.synthesise, text, wanted or voices[0])
        await self.write_event(AudioStart(rate=rate, width=width, channels=channels).event())
        step = CHUNK_SAMPLES * width * channels
        for i in range(0, len(pcm), step):
            await self.write_event(AudioChunk(rate=rate, width=width, channels=channels,
                                              audio=pcm[i:i + step]).event())
        await self.write_event(AudioStop().event())


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
