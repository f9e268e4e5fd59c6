"""Real components for tests and benchmarks: free ports, a demo config, an InfluxDB, network
namespaces.

Nothing here is a mock: `InfluxServer` starts Debian's `influxd` on a free loopback port,
`demo_config` is the built-in demo house with fresh ports and a private data folder, and
`NetnsLab` puts test machines on a private bridge. The product never imports this module (the
demo house of `basecamp up` is `core/default.toml` as it is); benchmarks import it from here.
"""

from __future__ import annotations

import collections
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.config import Config, default_text

PORT_RANGE = (20000, 32000)
"""Where test ports are picked: below Linux's ephemeral range (32768-60999), from which every
outgoing connection takes its local port — a port picked there may be taken by some client
before the server it was meant for binds it (seen with a whole demo house starting)."""


_RECENT: collections.deque[int] = collections.deque(maxlen=1000)
"""Ports handed out lately by this process: a config asks for dozens at once, and a port that
is free now is still free for the next call until something binds it. Bounded, so a long test
session recycles the range instead of exhausting it."""


def _taken(*ports: int) -> bool:
    return any(p in _RECENT for p in ports)


def _give(*ports: int) -> None:
    _RECENT.extend(ports)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now, outside the ephemeral range, never the same
    twice in one process."""
    for _ in range(200):
        port = random.randint(*PORT_RANGE)
        if _taken(port):
            continue
        _give(port)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
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
    for table in data.values():  # a package's own listener (e.g. [wyoming] port)
        if isinstance(table, dict) and isinstance(table.get("port"), int):
            table["port"] = free_port()
    return _merge(data, overrides or {})


def _free_block(size: int) -> int:
    for _ in range(100):
        start = free_port()
        if start + size >= 65535 or _taken(*range(start + 1, start + size)):
            continue
        _give(*range(start + 1, start + size))
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


class NetnsLab:
    """Test hosts in network namespaces on one private bridge (root only, loopback-free).

    Every host gets a namespace `bc<id>-<n>` with `eth0` on a bridge that lives in its own
    switch namespace, so nothing of the machine's real network is touched. Addresses come from
    `subnet` (a private test range used only inside these namespaces).
    """

    def __init__(self, hosts: list[str], subnet: str = "10.77.0") -> None:
        self.tag = f"bc{os.getpid() % 100000}"
        self.hosts = list(hosts)
        self.switch = f"{self.tag}-sw"
        self.ns = {h: f"{self.tag}-{i}" for i, h in enumerate(self.hosts)}
        self.address = {h: f"{subnet}.{i + 1}" for i, h in enumerate(self.hosts)}
        self._veth = {h: f"{self.tag}v{i}" for i, h in enumerate(self.hosts)}

    @staticmethod
    def available() -> str | None:
        """None if namespaces can be made here, else the reason they cannot."""
        if os.geteuid() != 0:
            return "network namespaces need root"
        if not shutil.which("ip"):
            return "iproute2 (ip) is not installed"
        probe = f"bcprobe{os.getpid()}"
        made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
        if made.returncode:
            return f"ip netns add failed: {made.stderr.strip()}"
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
        return None

    def _ip(self, *args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True, text=True)

    def __enter__(self) -> NetnsLab:
        self._ip("netns", "add", self.switch)
        self._ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        self._ip("-n", self.switch, "link", "set", "br0", "up")
        for host in self.hosts:
            ns, veth = self.ns[host], self._veth[host]
            self._ip("netns", "add", ns)
            self._ip("-n", ns, "link", "set", "lo", "up")
            self._ip("link", "add", veth, "netns", self.switch, "type", "veth", "peer", "name",
                     "eth0", "netns", ns)
            self._ip("-n", self.switch, "link", "set", veth, "master", "br0", "up")
            self._ip("-n", ns, "addr", "add", f"{self.address[host]}/24", "dev", "eth0")
            self._ip("-n", ns, "link", "set", "eth0", "up")
        return self

    def __exit__(self, *exc: object) -> None:
        for ns in [*self.ns.values(), self.switch]:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def command(self, host: str, argv: list[str]) -> list[str]:
        """argv run inside a host's namespace."""
        return ["ip", "netns", "exec", self.ns[host], *argv]

    def cut(self, host: str) -> None:
        """Unplug a host's cable."""
        self._ip("-n", self.switch, "link", "set", self._veth[host], "down")

    def restore(self, host: str) -> None:
        """Plug it back."""
        self._ip("-n", self.switch, "link", "set", self._veth[host], "up")
