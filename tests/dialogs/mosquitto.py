"""Debian's mosquitto for the tests and bench/mqtt.py: a broker of their own on a free
loopback port, configured as the demo's broker service configures its own."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dialogs.broker import binary, write_config
from tests.helpers import free_port


class MosquittoServer:
    """Debian's mosquitto on a free loopback port: anonymous, or with one user when given
    `users` ({name: password}, hashed with mosquitto_passwd). stop() kills it."""

    def __init__(self, users: Mapping[str, str] | None = None) -> None:
        self.binary = binary("mosquitto")
        self.folder = Path(tempfile.mkdtemp(prefix="bc-mosquitto-"))
        self.port = free_port()
        self.users = dict(users or {})
        self.proc: subprocess.Popen[bytes] | None = None

    def _write_config(self) -> Path:
        return write_config(self.folder, address="127.0.0.1", port=self.port, users=self.users)

    def start(self, timeout: float = 10.0) -> MosquittoServer:
        """Start mosquitto and wait until it accepts connections."""
        config = self._write_config()
        self.proc = subprocess.Popen([self.binary, "-c", str(config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self.folder / "mosquitto.log"
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode}: "
                                   f"{log.read_text() if log.exists() else ''}")
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.5):
                return self
            time.sleep(0.05)
        raise TimeoutError("mosquitto did not accept connections")

    def stop(self) -> None:
        """Kill mosquitto (start() brings it back on the same port, with nothing retained)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def close(self) -> None:
        """Kill mosquitto and remove its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def overrides(self, **mqtt: Any) -> dict[str, Any]:
        """Config overrides that point the bridge at this broker."""
        return {"mqtt": {"host": "127.0.0.1", "port": self.port, **mqtt}}
