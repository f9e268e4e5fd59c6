"""Real components for the sentinel's tests: supervisord, a tiny /alive service, configs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.config import Config
from tests.helpers import demo_data, free_port

ALIVE_SERVER = textwrap.dedent('''
    import sys
    from aiohttp import web
    name, port = sys.argv[1], int(sys.argv[2])
    async def alive(_):
        return web.json_response({"service": name, "uptime_s": 1.0})
    app = web.Application()
    app.router.add_get("/alive", alive)
    web.run_app(app, host="127.0.0.1", port=port, print=None)
''')


class Supervisord:
    """A real supervisord (-n) with an inet_http_server on a free loopback port."""

    def __init__(self, folder: Path, programs: dict[str, list[str]],
                 auth: tuple[str, str] | None = None) -> None:
        self.folder, self.port = folder, free_port()
        folder.mkdir(parents=True, exist_ok=True)
        login = f"username={auth[0]}\npassword={auth[1]}\n" if auth else ""
        conf = [f"[supervisord]\nlogfile={folder}/supervisord.log\npidfile={folder}/sd.pid\n"
                f"childlogdir={folder}\nnodaemon=true\n",
                f"[inet_http_server]\nport=127.0.0.1:{self.port}\n{login}",
                "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
                "supervisor.rpcinterface:make_main_rpcinterface\n"]
        for name, argv in programs.items():
            conf.append(f"[program:{name}]\ncommand={' '.join(argv)}\nautorestart=false\n"
                        f"startsecs=0\nstopwaitsecs=2\n")
        (folder / "supervisord.conf").write_text("\n".join(conf))
        binary = Path(sys.executable).with_name("supervisord")
        self.proc = subprocess.Popen([str(binary), "-n", "-c", str(folder / "supervisord.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        creds = f"{auth[0]}:{auth[1]}@" if auth else ""
        self.rpc = xmlrpc.client.ServerProxy(f"http://{creds}127.0.0.1:{self.port}/RPC2")
        deadline = time.monotonic() + 20
        while True:
            try:
                infos = self.rpc.supervisor.getAllProcessInfo()
                if all(i["statename"] == "RUNNING" for i in infos):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("supervisord did not start its programs")
            time.sleep(0.05)

    def info(self, name: str) -> dict[str, Any]:
        return self.rpc.supervisor.getProcessInfo(name)  # type: ignore[no-any-return]

    def kill(self, name: str) -> None:
        """Kill a program the hard way (supervisord will not restart it: autorestart=false)."""
        os.kill(int(self.info(name)["pid"]), 9)
        deadline = time.monotonic() + 10
        while self.info(name)["statename"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def alive_script(tmp_path: Path) -> Path:
    path = tmp_path / "alive_server.py"
    path.write_text(ALIVE_SERVER)
    return path


@pytest.fixture
def supervisord_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[Supervisord] = []

    def start(programs: dict[str, list[str]], name: str = "sd",
              auth: tuple[str, str] | None = None) -> Supervisord:
        sd = Supervisord(tmp_path / name, programs, auth)
        started.append(sd)
        return sd

    yield start
    for sd in started:
        sd.close()


def small_house(data_dir: Path, *, services: dict[str, Any] | None = None,
                watch: dict[str, Any] | None = None, supervisor_ports: dict[str, int] | None = None,
                bus: Config | None = None, machines: dict[str, dict[str, Any]] | None = None,
                **extra: Any) -> Config:
    """A demo house reduced to bc-hq and bc-watch with the given services (on `bus`'s ports:
    pass the `config` fixture whose forwarder the `bus` fixture runs)."""
    data = demo_data(data_dir)
    data["bus"]["heartbeat_s"] = 0.5
    if bus is not None:
        data["bus"]["pub_port"], data["bus"]["sub_port"] = bus.bus.pub_port, bus.bus.sub_port
    data["machines"] = {k: v for k, v in data["machines"].items() if k in ("bc-hq", "bc-watch")}
    data.pop("relays", None)  # wired on machines this house has not
    for machine, port in (supervisor_ports or {}).items():
        data["machines"][machine]["supervisor_port"] = port
    for machine, fields in (machines or {}).items():
        data["machines"][machine].update(fields)
    data["services"] = services or {}
    data["watch"] = {"interval_s": 0.2, "timeout_s": 1.0, "fail_n": 2, "fail_m": 3,
                     "sensors": {"units": []}, "temperatures": [], "disk_paths": [],
                     "power": {"probe": "none"}, "bus_check": False,
                     "machine_check": "tcp", "start_grace_s": 0, **(watch or {})}
    data.update(extra)
    return Config.from_dict(data, base_dir=str(data_dir), source="<watch test house>")
