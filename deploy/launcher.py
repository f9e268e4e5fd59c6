"""The one-machine demo: `basecamp up` starts every machine's supervisord on this computer.

Each machine of the config gets its own supervisord (its own XML-RPC port, as on the real
fleet), written by `deploy.fleet.render_supervisor` with the start order sped up. Services whose
package is not installed are skipped with a message. Every option is checked before anything
starts. Then a progress line tells how many services answer `/alive`, and one "house ready"
line with the addresses to use once they all do. Ctrl-C (or `basecamp down`) stops it all.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import xmlrpc.client
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.cli import SERVICES, add_config_argument, load_config_or_exit
from core.config import Config
from core.redact import redact
from deploy.fleet import make_dirs, render_supervisor

DEMO_SPEED = 15.0
"""The demo divides the boot delays (15 s … 90 s) by this, so the house is up in seconds."""


def ensure_secret(config: Config, secret: Any) -> str:
    """The secret's value; for the demo, a random one is created in its file if unset."""
    value = config.reveal(secret)
    if value:
        return value
    if not secret.file:
        raise SystemExit(f"basecamp: no value for {secret.describe()}")
    path = config.path(secret.file) if not Path(secret.file).is_absolute() else \
        Path(secret.file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    value = secrets.token_urlsafe(24)
    path.write_text(value + "\n")
    return value


def available(service: str) -> bool:
    """Whether the module of a service is installed and written."""
    module = SERVICES[service].partition(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _basecamp() -> str:
    found = Path(sys.executable).parent / "basecamp"
    return str(found) if found.exists() else (shutil.which("basecamp") or "basecamp")


def write_configs(config: Config, *, speed: float) -> tuple[list[Path], list[str]]:
    """Write every machine's supervisord.conf; returns the files and the skipped services."""
    ensure_secret(config, config.http.token)
    if config.bus.curve:  # the demo house's bus keys, made once (a deploy places its own)
        from core import buskeys
        buskeys.ensure(config)
    config_file = None if config.source.startswith("<") else str(Path(config.source).resolve())
    only = [name for name in config.services if available(name)]
    skipped = [name for name in config.services if name not in only]
    wrappers: dict[str, list[str]] = {}
    if "kiosk" in only and not os.environ.get("DISPLAY"):
        if shutil.which("xvfb-run"):
            wrappers["kiosk"] = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24"]
        else:
            only.remove("kiosk")
            skipped.append("kiosk (no display and no xvfb-run)")
    folder = config.path("supervisor")
    files = []
    for host, machine in config.machines.items():
        make_dirs(config, host, only)
        text = render_supervisor(config, host, basecamp=_basecamp(), workdir=os.getcwd(),
                                 config_file=config_file,
                                 password=ensure_secret(config, machine.supervisor_password),
                                 speed=speed, only=only, wrappers=wrappers)
        path = folder / f"{host}.conf"
        path.touch(mode=0o600)
        path.write_text(text)
        files.append(path)
    return files, skipped


def rpc(config: Config, host: str) -> Any:
    """XML-RPC proxy of a machine's supervisord."""
    machine = config.machines[host]
    password = config.reveal(machine.supervisor_password) or ""
    address = "127.0.0.1" if machine.address == "localhost" else machine.address
    return xmlrpc.client.ServerProxy(
        f"http://{machine.supervisor_user}:{password}@{address}:{machine.supervisor_port}/RPC2")


def status_lines(config: Config) -> list[str]:
    """One line per program per machine, from each supervisord."""
    lines = []
    for host in config.machines:
        try:
            infos = rpc(config, host).supervisor.getAllProcessInfo()
        except (OSError, xmlrpc.client.Error) as err:
            lines.append(redact(f"{host:<13} (supervisord unreachable: {err})"))
            continue
        for info in infos:
            lines.append(f"{host:<13} {info['name']:<12} {info['statename']:<9} "
                         f"{info['description']}")
    return lines


def up_command(argv: list[str]) -> int:
    """`basecamp up`: start the house; Ctrl-C stops it."""
    parser = argparse.ArgumentParser(
        prog="basecamp up", description="Start the whole house on this machine: one "
        "supervisord per machine of the config, services in their start order.")
    parser.add_argument("--status", action="store_true", help="show what runs, then exit")
    parser.add_argument("--detach", action="store_true",
                        help="start in the background (stop with `basecamp down`)")
    parser.add_argument("--speed", type=float, default=DEMO_SPEED,
                        help=f"divide the boot delays by this (default {DEMO_SPEED:g})")
    parser.add_argument("--clock", type=float, default=1.0, metavar="SPEED",
                        help="run the house's time this many times faster than the wall "
                             "clock (e.g. 60: an hour a minute); default 1")
    parser.add_argument("--start", metavar="ISO",
                        help="simulated time at start with --clock (default: now)")
    add_config_argument(parser)
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    if args.status:
        print("\n".join(status_lines(config)))
        return 0
    if args.clock <= 0:
        parser.error(f"--clock must be more than 0 (got {args.clock:g})")
    if args.speed <= 0:
        parser.error(f"--speed must be more than 0 (got {args.speed:g})")
    try:
        start = parse_start(args.start, config.house.timezone) if args.start else None
    except ValueError as err:
        parser.error(str(err))
    if args.clock != 1.0 or start is not None:
        from core.clock import ENV_VAR, clock_spec
        os.environ[ENV_VAR] = clock_spec(  # inherited by every service
            args.clock, start or dt.datetime.now(ZoneInfo(config.house.timezone)))
    busy = listening(config)
    if busy:
        print(f"basecamp up: supervisord port already in use for {', '.join(busy)}: is a house "
              "already running? (`basecamp up --status`; `basecamp down` stops it)",
              file=sys.stderr)
        return 1
    files, skipped = write_configs(config, speed=args.speed)
    if skipped:
        print(f"basecamp up: not started (not installed yet): {', '.join(skipped)}")
    supervisord = str(Path(sys.executable).parent / "supervisord")
    procs = [subprocess.Popen([supervisord, *([] if args.detach else ["-n"]), "-c", str(f)])
             for f in files]
    if args.detach:
        # each supervisord daemonizes: its parent exits 0 once started, non-zero if not
        failed = [f.stem for f, proc in zip(files, procs, strict=True) if proc.wait()]
        if failed:
            print(f"basecamp up: supervisord did not start for {', '.join(failed)} (see above); "
                  "`basecamp down` stops the others", file=sys.stderr)
            return 1
        print("basecamp up: started in the background; `basecamp down` stops it")
        return 0
    _announce(config)
    stop = {"now": False}
    ready = Readiness(config, skipped)
    ready.start()

    def _stop(*_: Any) -> None:
        stop["now"] = True
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stop["now"] and all(p.poll() is None for p in procs):
        time.sleep(0.3)
    ready.halt.set()
    print("\nbasecamp up: stopping the house…")
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


def parse_start(text: str, timezone: str) -> dt.datetime:
    """`--start`: an ISO date-time; without an offset it is in the house's time zone."""
    try:
        start = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--start: {text!r} is not an ISO date-time "
                         "(e.g. 2026-11-30T07:45:00 or 2026-11-30T07:45:00+01:00)") from None
    return start if start.tzinfo is not None else start.replace(tzinfo=ZoneInfo(timezone))


def instances(config: Config, skipped: list[str]) -> list[tuple[str, str]]:
    """(service, machine) of every started service that answers HTTP."""
    left_out = {name.split(" ")[0] for name in skipped}
    return [(name, host) for name, svc in config.services.items()
            if svc.enabled and name not in left_out for host in config.hosts(name)
            if config.service_port(name, host)]


def answers(config: Config, service: str, host: str) -> bool:
    """Does this instance answer /alive (as itself)?"""
    try:
        with urllib.request.urlopen(f"{config.service_url(service, host)}/alive",
                                    timeout=1) as response:
            return bool(json.load(response).get("service") == service)
    except (OSError, ValueError):
        return False


class Readiness(threading.Thread):
    """Polls every service's /alive: a progress line as they come, one line once all do."""

    PROGRESS_EVERY_S = 10.0

    def __init__(self, config: Config, skipped: list[str]) -> None:
        super().__init__(name="readiness", daemon=True)
        self.config = config
        self.pending = set(instances(config, skipped))
        self.total = len(self.pending)
        self.halt = threading.Event()

    def run(self) -> None:
        started = last = time.monotonic()
        while self.pending and not self.halt.wait(1.0):
            for service, host in sorted(self.pending):
                if answers(self.config, service, host):
                    self.pending.discard((service, host))
            if self.pending and time.monotonic() - last >= self.PROGRESS_EVERY_S:
                last = time.monotonic()
                waiting = sorted({service for service, _ in self.pending})
                print(f"basecamp up: {self.total - len(self.pending)}/{self.total} services "
                      f"answer; waiting for {', '.join(waiting)}", flush=True)
        if not self.pending:
            print(ready_line(self.config, self.total, time.monotonic() - started), flush=True)


def ready_line(config: Config, count: int, seconds: float) -> str:
    """The one line that says the house is ready, and where to look."""
    where = [f"logbook {config.service_url('logbook')}/log"] if "logbook" in config.services \
        else []
    if "kiosk" in config.services:
        where.insert(0, f"kiosk {config.service_url('kiosk')}")
    where.append("status: basecamp status")
    return (f"basecamp up: house ready — {count} services answer ({seconds:.0f} s); "
            + ", ".join(where))


def _announce(config: Config) -> None:
    places = [f"  {host}: supervisord on port {m.supervisor_port}"
              for host, m in config.machines.items()]
    print("basecamp up: the house is starting (Ctrl-C stops it)\n" + "\n".join(places))
    print(f"  logbook: {config.service_url('logbook')}/log\n"
          "  try: .venv/bin/basecamp up --status | basecamp chat | basecamp log --show")


def down_command(argv: list[str]) -> int:
    """`basecamp down`: ask every machine's supervisord to shut down."""
    parser = argparse.ArgumentParser(prog="basecamp down",
                                     description="Stop the house started by `basecamp up`.")
    add_config_argument(parser)
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    asked = []
    for host in config.machines:
        try:
            rpc(config, host).supervisor.shutdown()
            asked.append(host)
        except (OSError, xmlrpc.client.Error):
            continue
    if not asked:
        print("basecamp down: no house is running")
        return 0
    # shutdown only starts it: each supervisord stops its programs (up to their stopwaitsecs)
    print(f"basecamp down: stopping {len(asked)} supervisord…", flush=True)
    deadline = time.monotonic() + DOWN_TIMEOUT_S
    while (left := listening(config, asked)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        print(f"basecamp down: still running after {DOWN_TIMEOUT_S:g} s: {', '.join(left)}",
              file=sys.stderr)
        return 1
    print(f"basecamp down: {len(asked)} supervisord stopped")
    return 0


DOWN_TIMEOUT_S = 60.0
"""Longest wait for the supervisords to stop their programs and exit."""


def listening(config: Config, hosts: list[str] | None = None) -> list[str]:
    """Machines (of `hosts`, default all) whose supervisord port accepts connections."""
    busy = []
    for host in hosts if hosts is not None else list(config.machines):
        m = config.machines[host]
        with contextlib.suppress(OSError), \
                socket.create_connection((m.address, m.supervisor_port), timeout=0.5):
            busy.append(host)
    return busy
