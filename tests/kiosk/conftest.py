"""Kiosk fixtures: a real forwarder without asyncio, a test publisher and reader in Qt, and
a loopback HTTP server playing the sentinel and the logbook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

import pytest

from core.bus import Forwarder
from core.config import Config
from core.messages import Source


@pytest.fixture
def forwarder(config: Config) -> Iterator[Forwarder]:
    """A real forwarder on the config's bus ports."""
    pub, sub = config.bus_endpoints()
    fwd = Forwarder(pub, sub, grace_s=0.05).start()
    yield fwd
    fwd.stop()


@pytest.fixture
def house(qtbot, config, forwarder):
    """A test-side publisher and an intent reader on the bus, both driven by Qt."""
    from core.messages.dialogs import Intent
    from core.messages.nightlight import NightLightMode
    from kiosk.qtbus import BusReader, QtPublisher
    pub, sub = config.bus_endpoints()
    publisher = QtPublisher(pub, Source("bc-test", "house"))
    reader = BusReader(sub, [Intent.TOPIC + ".", NightLightMode.TOPIC])
    seen: list[Any] = []
    reader.received.connect(seen.extend)
    qtbot.waitUntil(lambda: publisher.ready, timeout=5000)
    yield publisher, seen
    reader.close()
    publisher.close()


class FakeHouseHttp:
    """A loopback HTTP server answering /status_report and /log with what a test sets."""

    def __init__(self, port: int) -> None:
        self.report: Any = {}
        self.logbook: Any = {"day": "", "entries": []}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlparse(self.path).path
                body = owner.report if path == "/status_report" else \
                    owner.logbook if path == "/log" else None
                data = json.dumps(body).encode()
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()
