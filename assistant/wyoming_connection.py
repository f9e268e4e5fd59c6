"""One Wyoming client: events read, checked and answered in order (`Connection`).

    describe                                  -> info (asr, tts, wake, handle, intent)
    transcribe, audio-start/chunk.../stop     -> transcript   (Vosk, the house grammar)
    detect, audio-start/chunk.../stop         -> detection... then not-detected if none
    transcript (text)                         -> handled / not-handled (the house acts)
    recognize (text)                          -> intent (name, entities) / not-recognized
    synthesize (text)                         -> audio-start, audio-chunk..., audio-stop
    anything wrong                            -> error (code, text); the connection goes on

A malformed stream (not JSON, oversized) is answered with an error, then closed: nothing
past it can be trusted. Audio is converted to 16 kHz mono 16-bit on the way in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe
from wyoming.intent import Entity, Intent, NotRecognized, Recognize
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler
from wyoming.tts import Synthesize
from wyoming.wake import Detect, Detection, NotDetected

from assistant import wake
from assistant.audio import RATE, WIDTH

if TYPE_CHECKING:
    from assistant.wyoming_server import WyomingService

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
