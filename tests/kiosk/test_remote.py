"""Temporary outside access to the kiosk: the key's life (pure), then the running kiosk's
service on loopback — the token to open, the picture and the state for the key holder only,
and the access closing by itself."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
import tomli_w

from core.bus import Forwarder
from core.config import load
from core.messages import Source
from core.messages.dialogs import Intent
from kiosk.app import Kiosk
from kiosk.qtbus import BusReader, QtPublisher
from kiosk.remote import RemoteAccess
from tests.helpers import demo_data

pytestmark = pytest.mark.timeout(60)
TOKEN = "t0k3n-for-the-house"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_one_short_lived_key_at_a_time() -> None:
    clock = Clock()
    access = RemoteAccess(max_s=3600, clock=clock)
    assert not access.is_open and not access.allows("")
    key, seconds = access.open(600)
    assert seconds == 600 and len(key) >= 24
    assert access.allows(key) and not access.allows(key[:-1]) and not access.allows("")
    clock.t += 599
    assert access.allows(key) and access.remaining_s == pytest.approx(1)
    clock.t += 1
    assert not access.allows(key) and not access.is_open
    assert access.expire() and not access.expire()  # closed once, said once
    # opening again replaces the key; the longest access is the configured one
    first, _ = access.open(60)
    second, seconds = access.open(10 * 3600)
    assert seconds == 3600 and first != second
    assert not access.allows(first) and access.allows(second)
    assert access.close() and not access.allows(second) and not access.close()
    with pytest.raises(ValueError):
        access.open(0)


def call(url: str, method: str = "GET", token: str = "") -> tuple[int, bytes, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, resp.read(), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read(), ""


@pytest.fixture
def kiosk(qtbot, tmp_path, monkeypatch) -> Any:
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", TOKEN)
    path = tmp_path / "house.toml"
    path.write_text(tomli_w.dumps(demo_data(tmp_path / "var",
                                            {"kiosk": {"remote_max_minutes": 0.05}})))
    config = load(path)
    forwarder = Forwarder(*config.bus_endpoints(), grace_s=0.05).start()
    k = Kiosk(config, "bc-ui")
    qtbot.addWidget(k.window)
    k.window.fit_to(800, 480)
    k.window.show()
    url = config.service_url("kiosk", "bc-ui")

    def alive() -> bool:
        try:
            return call(url + "/alive")[0] == 200
        except OSError:
            return False
    qtbot.waitUntil(alive, timeout=10000)
    yield config, url
    k.close()
    forwarder.stop()


def test_the_link_shows_the_screen_to_its_holder_and_closes_by_itself(qtbot, kiosk,
                                                                     caplog) -> None:
    caplog.set_level("DEBUG")
    _, url = kiosk
    assert call(url + "/access", "POST")[0] == 401  # the house's token opens it
    assert call(url + "/access", "POST", "wrong")[0] == 401
    assert call(url + "/remote?key=")[0] == 403
    status, body, _ = call(url + "/access?minutes=60", "POST", TOKEN)
    opened = json.loads(body)
    assert status == 200 and opened["expires_in_s"] == 3.0  # clamped to remote_max_minutes
    key = opened["key"]
    status, page, kind = call(url + opened["path"])
    assert status == 200 and kind.startswith("text/html") and key.encode() in page
    # the picture is drawn by the Qt thread: its event loop runs while the request waits
    status, png, kind = in_thread(qtbot, lambda: call(f"{url}/remote/screen.png?key={key}"))
    assert status == 200 and kind == "image/png" and png.startswith(b"\x89PNG")
    status, body, _ = call(f"{url}/remote/state?key={key}")
    assert status == 200 and "tiles" in json.loads(body)["screen"]
    assert call(f"{url}/remote/state?key={key[:-2]}")[0] == 403
    # nothing else is reachable with the key
    assert call(f"{url}/access?key={key}", "DELETE")[0] == 401
    deadline = time.monotonic() + 10
    while call(f"{url}/remote/state?key={key}")[0] == 200 and time.monotonic() < deadline:
        qtbot.wait(200)
    assert call(f"{url}/remote/state?key={key}")[0] == 403
    assert call(url + "/status")[0] == 401  # the screen and the mode are not for strangers
    status, body, _ = call(url + "/status", "GET", TOKEN)
    assert json.loads(body)["remote"]["open"] is False
    assert "accès distant au kiosque ouvert" in caplog.text  # said, but never the key
    assert "fermé (délai écoulé)" in caplog.text and key not in caplog.text


def test_the_cli_opens_and_closes(kiosk) -> None:
    config, url = kiosk

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "core.cli", "kiosk", "access", *args,
                               "--config", config.source],
                              capture_output=True, text=True, timeout=30)
    opened = cli("open", "--minutes", "1")
    assert opened.returncode == 0, opened.stderr
    link = opened.stdout.strip()
    assert link.startswith(url + "/remote?key=") and "closes by itself" in opened.stderr
    assert call(link)[0] == 200
    closed = cli("close")
    assert closed.returncode == 0 and closed.stdout.strip() == "closed"
    assert call(link)[0] == 403


def test_screenshot_shows_the_running_kiosk(qtbot, kiosk, tmp_path) -> None:
    """`basecamp kiosk screenshot` asks the running kiosk for its screen (the house's token, in
    a header, POST): the window as it is, 800x480 here, not a drawing of the demo state."""
    from PyQt5.QtGui import QImage
    config, url = kiosk
    assert call(url + "/screenshot", "POST")[0] == 401
    assert call(url + "/screenshot", "GET", TOKEN)[0] == 405
    out = tmp_path / "now.png"
    shot = in_thread(qtbot, lambda: subprocess.run(
        [sys.executable, "-m", "core.cli", "kiosk", "screenshot", "--out", str(out),
         "--config", config.source], capture_output=True, text=True, timeout=30))
    assert shot.returncode == 0, shot.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (800, 480)


def in_thread(qtbot: Any, job: Callable[[], Any]) -> Any:
    """Run a blocking call in a thread while Qt's event loop runs here."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(job()))
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10000)
    return result[0]


class GsmNetwork:
    """The GSM network behind the SMS gateway's modem (the one thing that cannot run here):
    what was handed to it, by number (the `Modem` Protocol, injected)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, number: str, text: str) -> None:
        self.sent.append((number, text))

    def fetch(self) -> list[Any]:
        return []

    def delete(self, sms: Any) -> None:
        pass

    def signal(self) -> int | None:
        return 80

    def close(self) -> None:
        pass


@pytest.fixture
def gateway(kiosk) -> Any:
    """The real SMS gateway (outbox, journal, HTTP /send) on its own loop, over GsmNetwork."""
    import asyncio

    from core.service import running
    from watch import sms
    config, _ = kiosk
    network, stop, ready = GsmNetwork(), threading.Event(), threading.Event()

    async def main() -> None:
        async def serve(rt: Any) -> None:
            await sms.serve(rt, modem=network)
        async with running("sms", serve, config) as rt:
            network.journal = rt.data_dir() / "sms.sqlite"  # type: ignore[attr-defined]
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert ready.wait(20)
    yield network
    stop.set()
    thread.join(10)


def test_asked_by_sms_or_voice_the_link_goes_to_a_whitelisted_phone(qtbot, kiosk,
                                                                    gateway) -> None:
    from watch.outbox import Outbox
    config, url = kiosk
    pub, sub = config.bus_endpoints()
    publisher = QtPublisher(pub, Source("bc-hq", "dialogs"))
    reader = BusReader(sub, ["basecamp."])  # everything said on the bus
    heard: list[Any] = []
    reader.received.connect(heard.extend)
    owner, family = "+33600000001", "+33600000002"
    try:
        qtbot.waitUntil(lambda: publisher.ready, timeout=5000)

        def ask(intent: Intent) -> bool:  # again while the kiosk's subscription travels
            if not gateway.sent:
                publisher.publish(intent)
            return bool(gateway.sent)
        by_sms = Intent("BasecampRemoteAccess", {"state": "on", "minutes": 1}, "sms", owner)
        qtbot.waitUntil(lambda: ask(by_sms), timeout=10000)
        qtbot.wait(300)
        assert {number for number, _ in gateway.sent} == {owner}
        link = gateway.sent[-1][1].rsplit(" ", 1)[-1]
        key = link.rsplit("=", 1)[-1]
        assert link.startswith(url + "/remote?key=") and "pendant 0.05 min" in gateway.sent[-1][1]
        assert call(link)[0] == 200  # the latest link works (an earlier one was replaced)
        assert all(call(text.rsplit(" ", 1)[-1])[0] == 403 for _, text in gateway.sent[:-1])
        # the key never travelled on the bus, and the journal keeps the SMS with it masked
        assert not [e for e in heard if key in json.dumps(e.data)]
        journal = Outbox(gateway.journal)
        texts = [p["text"] for _, p in journal.journal("sms")]
        journal.close()
        assert texts and all(t.endswith("/remote?key=***") for t in texts)
        assert all(key not in t for t in texts)
        # a number that may not command gets nothing, and the open link stays as it was
        gateway.sent.clear()
        publisher.publish(Intent("BasecampRemoteAccess", {"state": "on"}, "sms", family))
        qtbot.wait(500)
        assert gateway.sent == [] and call(link)[0] == 200
        # by voice, the link goes to the owners; "ferme l'accès" closes it
        publisher.publish(Intent("BasecampRemoteAccess", {"state": "on"}, "voice"))
        qtbot.waitUntil(lambda: bool(gateway.sent), timeout=5000)
        assert gateway.sent[0][0] == owner
        voice_link = gateway.sent[0][1].rsplit(" ", 1)[-1]
        publisher.publish(Intent("BasecampRemoteAccess", {"state": "off"}, "voice"))
        qtbot.waitUntil(lambda: call(voice_link)[0] == 403, timeout=5000)
    finally:
        reader.close()
        publisher.close()


def test_the_outside_address_must_be_a_web_address(tmp_path) -> None:
    from core.schema import ConfigError
    from kiosk.settings import KioskSettings
    from tests.helpers import demo_config
    with pytest.raises(ConfigError, match=r"kiosk\.remote_url"):
        demo_config(tmp_path, {"kiosk": {"remote_url": "ftp://example.org"}})
    ok = demo_config(tmp_path, {"kiosk": {"remote_url": "https://maison.example.org/kiosque"}})
    assert ok.section("kiosk", KioskSettings).remote_url.startswith("https://")
