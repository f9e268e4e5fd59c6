"""Real components for tests, benchmarks and demos: free ports, a demo config, an InfluxDB.

Nothing here is a mock: `InfluxServer` starts Debian's `influxd` on a free loopback port, and
`demo_config` is the built-in demo house with fresh ports and a private data folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from core.config import Config, default_text


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def demo_data(data_dir: str | Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The demo house as plain data, with free ports and `data_dir`, plus `overrides`."""
    data = tomllib.loads(default_text())
    data["house"]["data_dir"] = str(data_dir)
    data["bus"]["pub_port"], data["bus"]["sub_port"] = free_port(), free_port()
    for machine in data["machines"].values():
        machine["supervisor_port"] = free_port()
    for name, svc in data["services"].items():
        hosts = len(svc.get("machines", ())) if svc.get("machines") != ["*"] \
            else len(data["machines"])
        # a block of consecutive free-looking ports for multi-instance services
        port = free_port()
        svc["port"] = port if hosts <= 1 else _free_block(max(hosts, 1))
        data["services"][name] = svc
    return _merge(data, overrides or {})


def _free_block(size: int) -> int:
    for _ in range(100):
        start = free_port()
        if start + size >= 65535:
            continue
        try:
            with contextlib.ExitStack() as stack:
                for port in range(start, start + size):
                    s = stack.enter_context(socket.socket())
                    s.bind(("127.0.0.1", port))
            return start
        except OSError:
            continue
    raise RuntimeError("no block of free ports")


def demo_config(data_dir: str | Path, overrides: Mapping[str, Any] | None = None) -> Config:
    """The demo house with free ports, its data in `data_dir`."""
    return Config.from_dict(demo_data(data_dir, overrides), base_dir=str(data_dir),
                            source="<test demo house>")


class InfluxServer:
    """Debian's influxd on a free loopback port, in a temporary folder; stop() kills it."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.binary = shutil.which("influxd") or "/usr/bin/influxd"
        if not Path(self.binary).exists():
            raise FileNotFoundError("influxd not found: apt-get install influxdb")
        self._own = folder is None
        self.folder = Path(folder or tempfile.mkdtemp(prefix="bc-influx-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.rpc_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def _write_config(self) -> Path:
        d = self.folder
        path = d / "influxdb.conf"
        path.write_text(f"""
reporting-disabled = true
bind-address = "127.0.0.1:{self.rpc_port}"
[meta]
  dir = "{d}/meta"
  logging-enabled = false
[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{self.port}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
""")
        return path

    def start(self, timeout: float = 20.0) -> InfluxServer:
        """Start influxd (again, on the same port and data) and wait until it answers /ping."""
        config = self._write_config()
        self.proc = subprocess.Popen([self.binary, "-config", str(config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"influxd exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ping", timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("influxd did not answer /ping")

    def stop(self) -> None:
        """Kill influxd (data stays for a restart)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self) -> None:
        """Stop and remove the temporary folder."""
        self.stop()
        if self._own:
            shutil.rmtree(self.folder, ignore_errors=True)

    def overrides(self, database: str = "basecamp") -> dict[str, Any]:
        """Config overrides that point metrics at this server."""
        return {"metrics": {"backend": "influxdb",
                            "influxdb": {"host": "127.0.0.1", "port": self.port,
                                         "database": database, "timeout_s": 2.0}}}


@contextlib.contextmanager
def influx_server() -> Iterator[InfluxServer]:
    """A started InfluxServer, closed afterwards."""
    server = InfluxServer().start()
    try:
        yield server
    finally:
        server.close()


def env_without(*names: str) -> dict[str, str]:
    """os.environ minus some variables (for subprocesses)."""
    return {k: v for k, v in os.environ.items() if k not in names}
