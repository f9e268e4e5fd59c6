"""The demo house for end-to-end scenarios: `basecamp up` in a folder, and its real interfaces.

`House` starts the whole house (one supervisord per machine, every service on its simulator,
Gammu's dummy phone) with free ports and an accelerated simulated time shared by every
service through $BASECAMP_CLOCK, and gives the tests what its owner has: the `basecamp` CLI,
HTTP with the house token, the bus (a recorder of everything said on it), the dummy phone's
folder, the SMS gateway's journal, supervisord's XML-RPC and the metrics store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import tomli_w

from core import buskeys
from core.clock import ENV_VAR, FastClock, clock_spec
from core.config import Config, load
from core.messages import Envelope, Source
from tests.helpers import demo_data

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
MACHINE = "bc-ui"
"""The machine the tests' bus messages come from (with its CURVE keys)."""


def wait_for(probe: Callable[[], T | None], timeout: float, what: str | Callable[[], str],
             every: float = 0.1) -> T:
    """Poll `probe` until it returns something truthy (errors count as not yet)."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while True:
        try:
            value = probe()
            if value:
                return value
        except (OSError, ValueError, KeyError, sqlite3.Error) as err:
            last_error = f" (last error: {type(err).__name__}: {err})"
        if time.monotonic() > deadline:
            told = what if isinstance(what, str) else what()
            raise AssertionError(f"timed out after {timeout:g} s waiting for {told}{last_error}")
        time.sleep(every)


def house_keys(config: Config) -> Path:
    """The demo house's bus keys folder (in its data dir, whatever this process uses)."""
    return config.path(config.bus.keys_dir)


class Recorder(threading.Thread):
    """Every bus message but heartbeats and probes, with the wall time it arrived; it
    publishes as a service of the kiosk's machine (`MACHINE`) would."""

    def __init__(self, config: Config) -> None:
        super().__init__(name="bus-recorder", daemon=True)
        self.config = config
        self.messages: list[tuple[float, Envelope]] = []
        self.ready = threading.Event()
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._loop: Any = None
        self._pub: Any = None

    def run(self) -> None:
        """The recorder's own event loop."""
        import asyncio
        asyncio.run(self._main())

    async def _main(self) -> None:
        import asyncio

        from core.bus import Publisher, Subscriber
        pub_ep, sub_ep = self.config.bus_endpoints()
        # the tests speak as the kiosk's machine would (its controls, its microphone)
        keys = buskeys.load(house_keys(self.config), MACHINE) if self.config.bus.curve \
            else None
        pub = Publisher(pub_ep, Source(MACHINE, "e2e-recorder"), keys=keys)
        sub = Subscriber(sub_ep, ["basecamp."], keys=keys)
        while not self._halt.is_set() and not await sub.settle(pub, 2.0):
            pass
        self._loop, self._pub = asyncio.get_running_loop(), pub
        self.ready.set()
        while not self._halt.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.3):
                    batch = await sub.recv_batch()
                    now = time.time()
                    with self._lock:
                        self.messages.extend((now, e) for e in batch
                                             if not e.topic.startswith("basecamp.alive."))
        pub.close()
        sub.close()

    def publish(self, message: Any) -> float:
        """Publish a message on the bus as a service would (from any thread); the wall time."""
        assert self._loop is not None, "the recorder is not ready"
        sent = time.time()
        self._loop.call_soon_threadsafe(self._pub.publish, message)
        return sent

    def stop(self) -> None:
        """Stop reading."""
        self._halt.set()
        self.join(5)

    def since(self, wall: float, prefix: str = "") -> list[Envelope]:
        """Messages received after `wall` whose topic starts with `prefix`."""
        with self._lock:
            return [e for t, e in self.messages if t >= wall and e.topic.startswith(prefix)]


class House:
    """A running demo house in `root` (call `start()`, then `stop()`)."""

    def __init__(self, root: Path, overrides: Mapping[str, Any], *, speed: float,
                 start: dt.datetime) -> None:
        self.root = root
        self.file = root / "house.toml"
        self.file.write_bytes(tomli_w.dumps(demo_data(root / "var", overrides)).encode())
        self.config = load(str(self.file))
        self.wall0 = time.time()
        self.clock = FastClock(start, speed, self.wall0)
        self.speed = speed
        # every service (and every `basecamp` command the tests run) shares this time
        # its own bus keys, made by `basecamp up` in its data dir as the demo's are
        self.env = {**{k: v for k, v in os.environ.items() if k != buskeys.ENV},
                    ENV_VAR: clock_spec(speed, start, self.wall0)}
        self.proc: subprocess.Popen[bytes] | None = None
        self.bus = Recorder(self.config)
        self._sms_location = 0

    # ---- life ----------------------------------------------------------------------------
    def start(self) -> None:
        """`basecamp up` in the background, its output in up.log."""
        with (self.root / "up.log").open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "core.cli", "up", "--config", str(self.file),
                 "--speed", "1000"], cwd=ROOT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT)

    def instances(self) -> list[tuple[str, str]]:
        """(service, machine) of every enabled service instance."""
        return [(name, host) for name, svc in self.config.services.items() if svc.enabled
                for host in self.config.hosts(name)]

    def wait_alive(self, timeout: float) -> None:
        """Until every service instance answers /alive."""
        pending = set(self.instances())

        def check() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"basecamp up exited with {self.proc.returncode}: "
                                     + (self.root / "up.log").read_text()[-2000:])
            for service, host in sorted(pending):
                with contextlib.suppress(OSError, ValueError):
                    if self.get(service, "/alive", host=host, timeout=1)["service"] == service:
                        pending.discard((service, host))
            return not pending
        wait_for(check, timeout, lambda: f"/alive of {sorted(pending)}", every=0.3)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM to `basecamp up`, as Ctrl-C would; its exit code."""
        if self.bus.is_alive():
            self.bus.stop()
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    # ---- time ----------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        """The house's simulated now."""
        return self.clock.now()

    # ---- HTTP ----------------------------------------------------------------------------
    def url(self, service: str, host: str | None = None) -> str:
        """Base URL of a service instance."""
        return self.config.service_url(service, host).replace("//localhost:", "//127.0.0.1:")

    def get(self, service: str, path: str = "/status", *, host: str | None = None,
            timeout: float = 5) -> Any:
        """GET a service's JSON (with the house's token: /status tells who is home)."""
        request = urllib.request.Request(self.url(service, host) + path,
                                         headers={"Authorization": f"Bearer {self.token()}"})
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return json.loads(resp.read())

    def post(self, service: str, path: str, *, timeout: float = 10) -> Any:
        """POST to a house-changing endpoint with the house's token."""
        request = urllib.request.Request(self.url(service) + path, method="POST", data=b"",
                                         headers={"Authorization": f"Bearer {self.token()}"})
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return json.loads(resp.read())

    def token(self) -> str:
        """The HTTP token `basecamp up` created."""
        return self.config.path("secrets/http_token").read_text().strip()

    # ---- CLI -----------------------------------------------------------------------------
    def basecamp(self, *args: str, stdin: str = "",
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """A `basecamp` command against this house (its config, its clock)."""
        return subprocess.run([sys.executable, "-m", "core.cli", *args, "--config",
                               str(self.file)], input=stdin, capture_output=True, text=True,
                              cwd=ROOT, env=self.env, timeout=timeout, check=False)

    # ---- supervisord ---------------------------------------------------------------------
    def process(self, machine: str, program: str) -> dict[str, Any]:
        """supervisord's process info of a program."""
        from deploy.launcher import rpc
        info: dict[str, Any] = rpc(self.config, machine).supervisor.getProcessInfo(program)
        return info

    # ---- SMS -----------------------------------------------------------------------------
    def phone(self) -> Path:
        """Gammu's dummy phone folder."""
        return self.config.path("gammu-phone")

    def receive_sms(self, number: str, text: str) -> None:
        """An SMS arriving at the modem: a backup file appearing in the phone's inbox."""
        import gammu
        inbox = self.phone() / "sms" / "1"
        self._sms_location += 1
        while (inbox / str(self._sms_location)).exists():
            self._sms_location += 1
        draft = self.root / f"sms-{self._sms_location}.tmp"
        gammu.SaveSMSBackup(str(draft), [{
            "Text": text, "Number": number, "SMSC": {"Location": 0, "Number": "+33000000000"},
            "Folder": 1, "State": "UnRead", "Memory": "SM", "InboxFolder": 1, "Type": "Deliver",
            "Coding": "Unicode_No_Compression", "Class": -1}])
        draft.rename(inbox / str(self._sms_location))  # appears whole, never half-written

    def sms_sent(self) -> list[dict[str, Any]]:
        """The SMS gateway's journal: every SMS handed to the modem, oldest first."""
        return [payload for _, payload in self.sms_journal()]

    def sms_journal(self) -> list[tuple[float, dict[str, Any]]]:
        """(house time handed to the modem, payload) of every SMS sent, oldest first."""
        path = self.config.path("sms") / "sms.sqlite"
        if not path.exists():
            return []
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            rows = db.execute("SELECT sent, payload FROM journal WHERE channel = 'sms' "
                              "ORDER BY id")
            return [(float(sent), json.loads(payload)) for sent, payload in rows]
        finally:
            db.close()

    # ---- logbook -------------------------------------------------------------------------
    def logbook(self) -> list[dict[str, Any]]:
        """Today's logbook entries (the house's today)."""
        entries: list[dict[str, Any]] = self.get("logbook", "/log?format=json")["entries"]
        return entries


def parse_time(text: str) -> dt.datetime:
    """An ISO time from a message or a status."""
    return dt.datetime.fromisoformat(text)


@contextlib.contextmanager
def running_house(root: Path, overrides: Mapping[str, Any], *, speed: float,
                  start: dt.datetime, ready: Callable[[House], None] | None = None
                  ) -> Iterator[House]:
    """A demo house up, every service answering and the bus recorded; `ready(house)` waits
    for anything more; stopped by SIGTERM at the end (which must exit 0)."""
    house = House(root, overrides, speed=speed, start=start)
    house.start()
    try:
        house.wait_alive(timeout=180)
        house.bus.start()
        assert house.bus.ready.wait(20), "the bus recorder could not subscribe"
        if ready is not None:
            ready(house)
    except BaseException:
        house.stop()
        raise
    yield house
    code = house.stop()
    assert code == 0, (house.root / "up.log").read_text()[-3000:]
