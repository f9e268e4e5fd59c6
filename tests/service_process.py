"""One service as its own process, on a demo house written to disk: started, killed with
SIGKILL as a power cut would, started again, and asked for its /status once its HTTP site is
up. The tests of what outlives a kill -9 (the modes, the timers) share it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import tomli_w

from core.config import Config
from tests.helpers import demo_data

ROOT = Path(__file__).resolve().parents[1]


class ServiceProcess:
    """`basecamp run SERVICE --config house.toml` in `folder` (the demo house's settings), with
    `token` as its HTTP token. Use as a context manager: the process is stopped on exit."""

    def __init__(self, folder: Path, service: str, token: str) -> None:
        data = demo_data(folder / "var")
        self.file = folder / "house.toml"
        self.file.write_text(tomli_w.dumps(data))
        self.config = Config.from_dict(data, base_dir=str(folder))
        self.port: int = data["services"][service]["port"]
        self.token = token
        self._command = [sys.executable, "-m", "core.cli", "run", service,
                         "--config", str(self.file)]
        self._env = {**os.environ, "PYTHONPATH": str(ROOT), "BASECAMP_HTTP_TOKEN": token}
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process (again)."""
        self._proc = subprocess.Popen(self._command, cwd=self.file.parent, env=self._env,
                                      stderr=subprocess.DEVNULL)

    def kill9(self) -> None:
        """SIGKILL, as a power cut: no chance to save anything on the way out."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGKILL)
        self._proc.wait(10)

    def stop(self) -> None:
        """SIGTERM, if it still runs."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            self._proc.wait(10)

    async def status(self, attempts: int = 100) -> dict[str, Any]:
        """GET /status with the token, waiting for the HTTP site (the bus answers first)."""
        for _ in range(attempts):
            try:
                async with aiohttp.ClientSession() as http, \
                        http.get(f"http://127.0.0.1:{self.port}/status",
                                 headers={"Authorization": f"Bearer {self.token}"}) as resp:
                    assert resp.status == 200, resp.status
                    body: dict[str, Any] = await resp.json()
                    return body
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        raise AssertionError(f"no /status on port {self.port}")

    def __enter__(self) -> ServiceProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
