"""The assistant service with a test microphone (an AudioSource fed by the test): the personal
word enrolled over HTTP (token required) from the next utterances, and the house muted on the
bus by its interphone's Speaking until Spoken plus the echo tail."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from assistant import samples, service
from assistant.audio import silence
from core.bus import Forwarder, Subscriber
from core.config import Config
from core.messages.voice import Speaking, Spoken, Wake
from core.service import running

from .conftest import needs_espeak, needs_ko_model
from .test_service import VOICE, house

pytestmark = [pytest.mark.slow, needs_espeak, needs_ko_model,
              pytest.mark.skipif(importlib.util.find_spec("pvporcupine") is None,
                                 reason="pvporcupine is not installed")]
TOKEN = {"Authorization": "Bearer t0k"}


class FakeMicrophone:
    """Audio pushed by the test, in 60 ms chunks, as a microphone would deliver it."""

    name = "test microphone"

    def __init__(self) -> None:
        self.queue: queue.Queue[bytes | None] = queue.Queue()

    def push(self, pcm: bytes) -> None:
        for i in range(0, len(pcm), 1920):
            self.queue.put(pcm[i:i + 1920])

    def chunks(self) -> Iterator[bytes]:
        while (chunk := self.queue.get()) is not None:
            yield chunk

    def close(self) -> None:
        self.queue.put(None)


async def idle(rt: object) -> None:
    """A service that only publishes (the interphone's voice, from the test)."""


async def test_enroll_over_http_and_mute_while_the_house_speaks(
        config: Config, bus: Forwarder, tmp_path: Path, wav_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", "t0k")
    cfg = house(config, tmp_path, {**VOICE, "chime": False, "echo_tail_s": 0.5})
    mic = FakeMicrophone()
    sub = Subscriber(cfg.bus_endpoints()[1], [Wake.TOPIC])
    computer = samples.load(samples.cached_wav(wav_dir, 0.5, "computer", 0.4)) + silence(2.5)
    async with running("assistant", functools.partial(service.serve, source=mic), cfg) as rt, \
            running("interphone", idle, cfg, host=rt.host) as phone, \
            aiohttp.ClientSession() as s:
        assert await sub.settle(rt.publisher)
        url = cfg.service_url("assistant", rt.host) + "/voice/enroll"
        async with s.post(url, params={"count": 3}) as r:
            assert r.status in (401, 403)  # no token, no recording
        async with asyncio.timeout(30):
            while True:  # the engines load in a thread: 503 until the audio runs
                async with s.post(url, params={"count": 3}, headers=TOKEN) as r:
                    if r.status == 200:
                        assert (await r.json())["phase"] == "recording"
                        break
                await asyncio.sleep(0.2)
        for voice, speed in (("fr-fr", 150), ("fr-be", 170), ("fr-fr+f2", 160)):
            mic.push(silence(0.3) + samples.speak("Basecamp", voice, speed=speed)
                     + silence(0.6))
        async with asyncio.timeout(10):
            while True:
                async with s.get(url, headers=TOKEN) as r:
                    status = await r.json()
                if status["phase"] == "done":
                    break
                await asyncio.sleep(0.1)
        kept = sorted((cfg.path("voice/wake") / "basecamp").glob("*.wav"))
        assert len(kept) == 3

        # the house speaks: its own "computer" does not wake it
        phone.publish(Speaking("Dis computer.", duration_s=2.0, machine=rt.host))
        await asyncio.sleep(0.5)  # the Speaking reaches the assistant
        mic.push(computer)
        await asyncio.sleep(1.0)
        phone.publish(Spoken("Dis computer."))
        await asyncio.sleep(0.5)
        mic.push(silence(0.6))  # the echo tail
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.0):
                await sub.recv_batch()
        # once quiet, the same word wakes it (porcupine misses this synthetic word at a few
        # frame phases: up to three takes, each after a pause)
        batch: list[Any] = []
        for _ in range(3):
            mic.push(silence(0.5) + computer)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    batch = await sub.recv_batch()
            if batch:
                break
        assert batch and Wake.from_envelope(batch[0]).keyword == "computer"
        assert rt.counters["muted_for_own_voice"] == 1
    sub.close()
