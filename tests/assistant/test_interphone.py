"""The interphone service for real: bus, HTTP with the token, TTS + sox to WAV files."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from assistant import interphone
from assistant.settings import InterphoneSettings
from core.bus import Forwarder, Subscriber
from core.config import Config
from core.messages.dialogs import FamilyMessage, Intent, Outcome
from core.messages.presence import ModeChanged, PirMotion, RoomLocation
from core.messages.voice import Say, Spoken
from core.service import Runtime, running
from tests.helpers import demo_config

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")),
                                 reason="espeak-ng and sox are needed")]
TOKEN = "s3cret"


def spoken_dir(config: Config, host: str = "bc-ui") -> Path:
    return interphone.spoken_dir(config, config.section("interphone", InterphoneSettings), host)


@pytest.fixture
def phone_config(config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The demo house on the `bus` fixture's ports, speaking to WAV files only."""
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", TOKEN)
    return demo_config(tmp_path / "var", {
        "bus": {"pub_port": config.bus.pub_port, "sub_port": config.bus.sub_port},
        "interphone": {"output": "wav", "volume": 0.5, "contrast": 0, "tts": "espeak-ng"}})


@pytest.fixture
async def phone(phone_config: Config, bus: Forwarder) -> AsyncIterator[Runtime]:
    async with running("interphone", interphone.serve, phone_config) as rt:
        assert await rt.settle()
        yield rt


async def spoken(sub: Subscriber, count: int, timeout: float = 15.0) -> list[Spoken]:
    out: list[Spoken] = []
    async with asyncio.timeout(timeout):
        while len(out) < count:
            out += [Spoken.from_envelope(e) for e in await sub.recv_batch()]
    return out


async def get(config: Config, path: str, token: str | None = TOKEN, **query: Any
              ) -> tuple[int, Any]:
    """GET for reads (/status); POST for what changes the house (/announce, /lock...)."""
    url = config.service_url("interphone") + path
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    method = "GET" if path == "/status" else "POST"
    async with aiohttp.ClientSession() as s, s.request(method, url, params=query,
                                                       headers=headers) as r:
        return r.status, (await r.json() if r.content_type == "application/json"
                          else await r.text())


def level(path: Path) -> tuple[float, float]:
    err = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True).stderr
    length = float(re.search(r"Length \(seconds\):\s+([\d.]+)", err)[1])  # type: ignore[index]
    peak = float(re.search(r"Maximum amplitude:\s+([\d.]+)", err)[1])  # type: ignore[index]
    return length, peak


async def test_http_announce_is_spoken_to_a_wav_with_the_sox_chain(
        phone: Runtime, phone_config: Config) -> None:
    sub = Subscriber(phone_config.bus_endpoints()[1], [Spoken.TOPIC])
    assert await sub.settle(phone.publisher)
    status, _ = await get(phone_config, "/announce", token=None, text="Bonjour")
    assert status == 401
    status, body = await get(phone_config, "/announce", text="Il est midi.")
    assert status == 202 and "queued" in body
    assert (await spoken(sub, 1))[0] == Spoken("Il est midi.")
    wavs = sorted(spoken_dir(phone_config).glob("*.wav"))
    assert len(wavs) == 1
    length, peak = level(wavs[0])
    assert 0.6 < length < 4.0
    assert peak == pytest.approx(0.5 * 10 ** (-3 / 20), abs=0.03)  # gain -n -3, vol 0.5
    sub.close()


async def test_lock_holds_others_until_release(phone: Runtime, phone_config: Config) -> None:
    sub = Subscriber(phone_config.bus_endpoints()[1], [Spoken.TOPIC])
    assert await sub.settle(phone.publisher)
    status, lock = await get(phone_config, "/lock", service="heater")
    assert status == 200 and lock["key"]
    status, _ = await get(phone_config, "/lock", service="modes")
    assert status == 409
    phone.publish(Say("autre annonce"))
    await get(phone_config, "/announce", text="chauffage en mode confort", key=lock["key"])
    assert await spoken(sub, 1) == [Spoken("chauffage en mode confort")]
    status, _ = await get(phone_config, "/release", key="wrong")
    assert status == 409
    status, _ = await get(phone_config, "/release", key=lock["key"])
    assert status == 200
    assert await spoken(sub, 1) == [Spoken("autre annonce")]
    sub.close()


async def test_owner_messages_kept_while_away_and_silence(phone: Runtime,
                                                          phone_config: Config) -> None:
    sub = Subscriber(phone_config.bus_endpoints()[1], [Spoken.TOPIC])
    assert await sub.settle(phone.publisher)
    phone.publish(ModeChanged("lockout", "2024-03-01T08:00:00+01:00", "voice"))
    await asyncio.sleep(0.3)
    phone.publish(Say("Paul rentre à vingt heures", for_owner=True))
    phone.publish(Say("il est midi"))
    assert await spoken(sub, 1) == [Spoken("il est midi")]
    # home but asleep and silenced: still kept (nobody listens)
    phone.publish(ModeChanged("asleep", "2024-03-01T22:00:00+01:00", "voice", silence=True))
    await asyncio.sleep(0.3)
    phone.publish(Say("il est minuit"))
    assert await spoken(sub, 1) == [Spoken("il est minuit", muted=True)]
    _, body = await get(phone_config, "/status")
    assert body["interphone"]["kept"] == 1
    # the silence lifted: said at last
    phone.publish(ModeChanged("cocoon", "2024-03-02T07:05:00+01:00", "voice"))
    assert await spoken(sub, 1) == [Spoken("Paul rentre à vingt heures")]
    phone.publish(Say("fuite d'eau", priority=200))
    got = await spoken(sub, 1)
    assert got == [Spoken("fuite d'eau")]
    _, body = await get(phone_config, "/status")
    assert body["interphone"]["kept"] == 0 and not body["interphone"]["silence"]
    sub.close()


async def test_a_family_sms_is_read_out_or_kept_until_someone_listens(
        phone: Runtime, phone_config: Config) -> None:
    sub = Subscriber(phone_config.bus_endpoints()[1], [Spoken.TOPIC])
    assert await sub.settle(phone.publisher)
    phone.publish(FamilyMessage("+33600000002", "Claire", "je rentre tard"))
    assert await spoken(sub, 1) == [Spoken("Message de Claire : je rentre tard")]
    phone.publish(ModeChanged("lockout", "2024-03-01T08:00:00+01:00", "voice"))
    await asyncio.sleep(0.3)
    phone.publish(FamilyMessage("+33600000002", "Claire", "à ce soir"))
    phone.publish(Say("il est midi"))
    assert await spoken(sub, 1) == [Spoken("il est midi")]  # the message is not
    phone.publish(ModeChanged("cocoon", "2024-03-01T19:00:00+01:00", "voice"))
    assert await spoken(sub, 1) == [Spoken("Message de Claire : à ce soir")]
    assert phone.counters["family_messages"] == 2
    sub.close()


async def test_a_broadcast_asked_for_is_spoken_and_answered(phone: Runtime,
                                                            phone_config: Config) -> None:
    """"Annonce que le dîner est prêt": spoken to a WAV, answered with an Outcome; in silence
    mode nothing is spoken and the Outcome says why."""
    sub = Subscriber(phone_config.bus_endpoints()[1], [Spoken.TOPIC, Outcome.TOPIC])
    assert await sub.settle(phone.publisher)
    phone.publish(Intent("HassBroadcast", {"message": "le dîner est prêt"}, "voice", id="b1"))
    got: list[Any] = []
    async with asyncio.timeout(15):
        while not {Spoken.TOPIC, Outcome.TOPIC} <= {e.topic for e in got}:
            got += await sub.recv_batch()
    [said] = [Outcome.from_envelope(e) for e in got if e.topic == Outcome.TOPIC]
    assert (said.intent_id, said.done) == ("b1", True)
    assert [Spoken.from_envelope(e) for e in got if e.topic == Spoken.TOPIC] == [
        Spoken("le dîner est prêt")]
    assert len(list(spoken_dir(phone_config).glob("*.wav"))) == 1
    phone.publish(ModeChanged("cocoon", "2024-03-01T22:05:00+01:00", "voice", silence=True))
    await asyncio.sleep(0.3)
    phone.publish(Intent("HassBroadcast", {"message": "à table"}, "voice", id="b2"))
    async with asyncio.timeout(5):
        while True:
            envs = [e for e in await sub.recv_batch() if e.topic == Outcome.TOPIC]
            if envs:
                break
    silenced = Outcome.from_envelope(envs[0])
    assert (silenced.intent_id, silenced.done, silenced.reason) == ("b2", False, "silenced")
    await asyncio.sleep(0.5)
    assert len(list(spoken_dir(phone_config).glob("*.wav"))) == 1
    sub.close()


async def test_each_room_speaks_its_own_and_every_room_speaks_to_all(
        phone_config: Config, bus: Forwarder) -> None:
    """The salon's and the chambre's interphones: a Say for one room is spoken there only (a
    room's alias counts), one for no room everywhere; "annonce dans la chambre que…" is
    spoken in the chambre alone, which answers it."""
    assert phone_config.hosts("interphone") == ("bc-ui", "bc-chambre")
    async with running("interphone", interphone.serve, phone_config, host="bc-ui") as salon, \
            running("interphone", interphone.serve, phone_config, host="bc-chambre") as chambre:
        assert await salon.settle() and await chambre.settle()
        sub = Subscriber(phone_config.bus_endpoints()[1], [Spoken.TOPIC, Outcome.TOPIC])
        assert await sub.settle(salon.publisher)
        salon.publish(Say("au lit", rooms=["chambre"]))
        salon.publish(Say("le film commence", rooms=["séjour"]))  # the salon's alias
        salon.publish(Say("tout le monde dehors"))
        salon.publish(Intent("HassBroadcast", {"message": "le dîner est prêt",
                                               "area": "chambre"}, "voice", id="b3"))
        got: list[Any] = []
        async with asyncio.timeout(20):
            while sum(e.topic == Spoken.TOPIC for e in got) < 5 or \
                    not any(e.topic == Outcome.TOPIC for e in got):
                got += await sub.recv_batch()
        with contextlib.suppress(TimeoutError):  # time for a misplaced one to show up
            async with asyncio.timeout(1.0):
                while True:
                    got += await sub.recv_batch()
        said = {host: sorted(Spoken.from_envelope(e).text for e in got
                             if e.topic == Spoken.TOPIC and e.src.host == host)
                for host in ("bc-ui", "bc-chambre")}
        assert said == {"bc-ui": ["le film commence", "tout le monde dehors"],
                        "bc-chambre": ["au lit", "le dîner est prêt", "tout le monde dehors"]}
        outcomes = [(e.src.host, Outcome.from_envelope(e)) for e in got
                    if e.topic == Outcome.TOPIC]
        assert [(h, o.intent_id, o.done) for h, o in outcomes] == [("bc-chambre", "b3", True)]
        assert len(list(spoken_dir(phone_config, "bc-ui").glob("*.wav"))) == 2
        assert len(list(spoken_dir(phone_config, "bc-chambre").glob("*.wav"))) == 3
        sub.close()


async def test_an_announcement_where_someone_is_goes_to_the_rooms_seen_occupied(
        phone_config: Config, bus: Forwarder) -> None:
    """"Annonce là où il y a quelqu'un que…": nobody seen yet, every room; after a badge was
    located in the chambre, the chambre alone (which answers); after the salon's PIR saw
    motion, the salon too."""
    async with running("interphone", interphone.serve, phone_config, host="bc-ui") as salon, \
            running("interphone", interphone.serve, phone_config, host="bc-chambre") as chambre:
        assert await salon.settle() and await chambre.settle()
        sub = Subscriber(phone_config.bus_endpoints()[1], [Spoken.TOPIC, Outcome.TOPIC])
        assert await sub.settle(salon.publisher)

        async def announce(message: str, spoken: int) -> dict[str, list[str]]:
            salon.publish(Intent("HassBroadcast", {"message": message, "where": "present"},
                                 "voice", id=message))
            got: list[Any] = []
            async with asyncio.timeout(20):
                while sum(e.topic == Spoken.TOPIC for e in got) < spoken or \
                        not any(e.topic == Outcome.TOPIC for e in got):
                    got += await sub.recv_batch()
            with contextlib.suppress(TimeoutError):  # time for a misplaced one to show up
                async with asyncio.timeout(1.0):
                    while True:
                        got += await sub.recv_batch()
            out = {h: [e.topic for e in got if e.src.host == h] for h in ("bc-ui", "bc-chambre")}
            assert sum(e.topic == Outcome.TOPIC for e in got) == 1  # answered once
            return out

        assert await announce("un", 2) == {"bc-ui": [Spoken.TOPIC, Outcome.TOPIC],
                                           "bc-chambre": [Spoken.TOPIC]}
        chambre.publish(RoomLocation("badge-1", "chambre", 0.9))
        async with asyncio.timeout(5):
            while chambre.status["interphone"]()["occupied"] != ["chambre"] or \
                    salon.status["interphone"]()["occupied"] != ["chambre"]:
                await asyncio.sleep(0.05)
        assert await announce("deux", 1) == {"bc-ui": [],
                                             "bc-chambre": [Spoken.TOPIC, Outcome.TOPIC]}
        salon.publish(PirMotion("kiosk", 1))  # the PIR on bc-ui, in the salon
        async with asyncio.timeout(5):
            while salon.status["interphone"]()["occupied"] != ["chambre", "salon"]:
                await asyncio.sleep(0.05)
        said = await announce("trois", 2)
        assert said["bc-ui"][0] == Spoken.TOPIC and said["bc-chambre"][0] == Spoken.TOPIC
        sub.close()
