"""Deployment from the one config: supervisord files, boot hooks and roles per machine.

`render_supervisor`, `render_boot_hook`, `render_boot_unit`, `role` and `problems` are pure
(config in, text or data out); `basecamp deploy supervisor --host NAME [--out DIR]`,
`basecamp deploy boot-hook|boot-unit|extras --host NAME` and `basecamp deploy check` are their
command-line faces; `basecamp deploy keys` makes the bus keys (core.buskeys), a machine's
bundle of them, and installs a bundle on its machine. `deploy.launcher` (`basecamp up`) writes
the same supervisord files for the one-machine demo. Where a service keeps its data and logs
is the runtime's to know: `Config.service_dir`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.cli import SERVICES, add_config_argument, load_config_or_exit
from core.config import Config

# Start order from the owner's notes: seconds after boot each service waits before starting.
START_DELAYS: dict[str, float] = {"bus": 0, "logbook": 0, "push": 15, "sms": 60,
                                  "interphone": 75, "broker": 75}
DEFAULT_DELAY = 90.0


@dataclass(frozen=True)
class Placement:
    """One service instance on one machine."""

    service: str
    host: str
    port: int
    delay_s: float


def placements(config: Config, host: str, *, speed: float = 1.0,
               only: Sequence[str] | None = None) -> list[Placement]:
    """Enabled services placed on `host`, in start order; delays divided by `speed`."""
    found = []
    for name, svc in config.services.items():
        if not svc.enabled or host not in config.hosts(name):
            continue
        if only is not None and name not in only:
            continue
        delay = START_DELAYS.get(name, DEFAULT_DELAY) / speed
        found.append(Placement(name, host, config.service_port(name, host), round(delay, 2)))
    return sorted(found, key=lambda p: (p.delay_s, p.service))


def render_supervisor(config: Config, host: str, *, basecamp: str, workdir: str,
                      config_file: str | None, password: str, speed: float = 1.0,
                      only: Sequence[str] | None = None,
                      wrappers: dict[str, list[str]] | None = None) -> str:
    """The supervisord.conf of one machine: its services, start order, logs, XML-RPC."""
    machine = config.machines[host]
    run_dir = config.path("supervisor")
    lines = [
        f"; Basecamp services of {host} - written by `basecamp deploy supervisor`",
        "[unix_http_server]", f"file={run_dir}/{host}.sock", "chmod=0700", "",
        "[inet_http_server]",
        f"port={_bind(machine.address)}:{machine.supervisor_port}",
        f"username={machine.supervisor_user}", f"password={password}", "",
        "[supervisord]", f"identifier={host}", f"logfile={run_dir}/{host}.log",
        f"pidfile={run_dir}/{host}.pid", f"directory={workdir}", "logfile_maxbytes=5MB",
        "logfile_backups=2", "", "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
        "[supervisorctl]", f"serverurl=unix://{run_dir}/{host}.sock", "",
    ]
    for p in placements(config, host, speed=speed, only=only):
        args = [basecamp, "run", p.service, "--host", host]
        if config_file:
            args += ["--config", config_file]
        if p.delay_s:
            args += ["--delay", f"{p.delay_s:g}"]
        args = [*(wrappers or {}).get(p.service, []), *args]
        log_dir = config.service_dir(p.service, host)
        lines += [
            f"[program:{p.service}]",
            "command=" + " ".join(shlex.quote(a) for a in args),
            f"directory={workdir}",
            f"environment=BASECAMP_HOST=\"{host}\",PYTHONUNBUFFERED=\"1\"",
            f"priority={100 + int(p.delay_s)}",
            # startsecs counts from the spawn: above the service's own waiting time
            f"startsecs={int(p.delay_s) + 3}",
            "startretries=3", "autorestart=true", "stopsignal=TERM", "stopwaitsecs=10",
            # the whole group: a wrapper (xvfb-run) would otherwise leave its child running
            "stopasgroup=true", "killasgroup=true",
            "redirect_stderr=true", f"stdout_logfile={log_dir}/service.log",
            "stdout_logfile_maxbytes=2MB", "stdout_logfile_backups=2", "",
        ]
    return "\n".join(lines)


def make_dirs(config: Config, host: str, only: Sequence[str] | None = None) -> None:
    """Create the folders supervisord writes the logs of a machine's services into."""
    config.path("supervisor").mkdir(parents=True, exist_ok=True)
    for p in placements(config, host, only=only):
        config.service_dir(p.service, host).mkdir(parents=True, exist_ok=True)


def _bind(address: str) -> str:
    return "127.0.0.1" if address == "localhost" else address


EXTRA_OF_PACKAGE = {"core": "", "dialogs": "dialogs", "modes": "modes", "watch": "watch",
                    "sensors": "sensors", "assistant": "voice", "kiosk": "kiosk"}
"""The pyproject extra each package's services need."""
EXTRA_OF_SERVICE = {"rooms": "rooms", "sms": "sms", "mqtt": "mqtt"}
"""Services needing more than their package's extra (the room classifier's scikit-learn, the
SMS gateway's python-gammu)."""
_QT = ("libxcb-icccm4", "libxcb-keysyms1", "libxcb-xinerama0", "libxcb-randr0",
       "libxcb-render-util0", "libxcb-image0", "libxcb-shape0", "libxcb-xkb1",
       "libxkbcommon-x11-0", "libgl1", "libegl1", "libfontconfig1", "libdbus-1-3",
       "x11-xserver-utils")
_AUDIO = ("sox", "espeak-ng", "libportaudio2", "alsa-utils")
APT_OF_SERVICE: dict[str, tuple[str, ...]] = {
    "assistant": _AUDIO, "interphone": _AUDIO, "wyoming": _AUDIO, "kiosk": _QT,
    "sms": ("gammu-smsd", "libgammu-dev", "pkg-config"), "watch": ("iputils-ping",),
    "bluetooth": ("bluez",), "broker": ("mosquitto",)}
"""Debian packages a service runs with (test tools and Xvfb are for `make test` only)."""


@dataclass(frozen=True)
class Role:
    """What one machine installs: the extras of its services, and Debian packages."""

    extras: tuple[str, ...]
    apt: tuple[str, ...]


def role(config: Config, host: str) -> Role:
    """The install of machine `host`, from the services placed on it (and the metrics store:
    InfluxDB only where the config points the store)."""
    extras: set[str] = set()
    apt: set[str] = set()
    for p in placements(config, host):
        package = SERVICES[p.service].partition(".")[0]
        extras.add(EXTRA_OF_SERVICE.get(p.service, EXTRA_OF_PACKAGE.get(package, "")))
        apt.update(APT_OF_SERVICE.get(p.service, ()))
    machine = config.machines[host]
    influx = config.metrics.influxdb.host
    if config.metrics.backend == "influxdb" and influx in (host, machine.address):
        apt.add("influxdb")
    return Role(tuple(sorted(e for e in extras if e)), tuple(sorted(apt)))


BOOT_RETRY_S = 120
"""How long a booting machine keeps trying to tell the logbook (network, logbook coming up)."""


def _boot_command(host: str, basecamp: str, config_file: str) -> list[str]:
    return [basecamp, "log", "--config", config_file, "--machine", host, "--service", "boot",
            "--retry", str(BOOT_RETRY_S), f"{host} booted"]


def render_boot_hook(config: Config, host: str, *, basecamp: str = "basecamp",
                     config_file: str = "/etc/basecamp/basecamp.toml") -> str:
    """A shell script telling the logbook the machine has booted, for ifupdown's if-up.d or
    rc.local (machines without systemd: see `render_boot_unit`). `basecamp log` sends the
    house's token, read from the secrets the environment file gives."""
    command = " ".join(shlex.quote(a) for a in _boot_command(host, basecamp, config_file))
    return "\n".join([
        "#!/bin/sh",
        f"# Tell the Basecamp logbook that {host} has booted. Written by `basecamp deploy`.",
        "set -a; [ -r /etc/basecamp/secrets.env ] && . /etc/basecamp/secrets.env; set +a",
        f"{command} >/dev/null 2>&1 &", "exit 0", ""])


def render_boot_unit(config: Config, host: str, *, basecamp: str = "basecamp",
                     config_file: str = "/etc/basecamp/basecamp.toml") -> str:
    """A systemd oneshot unit telling the logbook the machine has booted, once the network is
    online (systemd-networkd or NetworkManager both provide network-online.target)."""
    command = " ".join(shlex.quote(a) for a in _boot_command(host, basecamp, config_file))
    return "\n".join([
        f"# Tell the Basecamp logbook that {host} has booted. Written by `basecamp deploy`.",
        "[Unit]", f"Description=Basecamp: tell the logbook {host} booted",
        "After=network-online.target", "Wants=network-online.target", "",
        "[Service]", "Type=oneshot", "EnvironmentFile=-/etc/basecamp/secrets.env",
        f"ExecStart={command}", f"TimeoutStartSec={BOOT_RETRY_S + 30}", "",
        "[Install]", "WantedBy=multi-user.target", ""])


REQUIRED_SERVICES = ("bus", "logbook", "watch")
"""Without these the house has no bus, no logbook, or nobody watching."""


def problems(config: Config) -> list[str]:
    """What would stop a deployment: missing services, colliding ports, and sentinel checks or
    channels without what they need (secrets are checked for presence, never shown)."""
    found = [f"no {name} service placed on a machine" for name in REQUIRED_SERVICES
             if name not in config.services]
    found += _watch_needs(config)
    used: dict[tuple[str, int], str] = {}
    for name, machine in config.machines.items():
        used[(machine.address, machine.supervisor_port)] = f"supervisord of {name}"
    bus_address = config.machines[config.bus.machine].address
    for port, what in ((config.bus.pub_port, "bus publishers"),
                       (config.bus.sub_port, "bus subscribers")):
        key = (bus_address, port)
        if key in used:
            found.append(f"port {port} on {bus_address}: {what} and {used[key]}")
        used[key] = what
    for name in config.services:
        for host in config.hosts(name):
            port = config.service_port(name, host)
            if not port:
                continue
            key = (config.machines[host].address, port)
            if key in used:
                found.append(f"port {port} on {key[0]}: {name}@{host} and {used[key]}")
            used[key] = f"{name}@{host}"
    return found


def main(argv: list[str]) -> int:
    """`basecamp deploy supervisor|boot-hook|check`."""
    parser = argparse.ArgumentParser(prog="basecamp deploy",
                                     description="Deployment files for the machines of the "
                                                 "house, from the one config.")
    sub = parser.add_subparsers(dest="action", required=True)
    sup = sub.add_parser("supervisor", help="write the supervisord.conf of a machine")
    sup.add_argument("--host", required=True, help="machine name from the config")
    sup.add_argument("--out", help="folder to write <host>.conf into (default: stdout)")
    sup.add_argument("--basecamp", default=str(Path(sys.argv[0]).resolve()),
                     help="path of the basecamp command on that machine")
    sup.add_argument("--workdir", default="/opt/basecamp", help="working folder there")
    add_config_argument(sup)
    hook = sub.add_parser("boot-hook", help="write the if-up.d script that logs a machine's "
                                            "boot (machines without systemd)")
    hook.add_argument("--host", required=True)
    add_config_argument(hook)
    unit = sub.add_parser("boot-unit", help="write the systemd oneshot unit that logs a "
                                            "machine's boot once the network is online")
    unit.add_argument("--host", required=True)
    add_config_argument(unit)
    for boot in (hook, unit):
        boot.add_argument("--basecamp", default=str(Path(sys.argv[0]).resolve()),
                          help="path of the basecamp command on that machine")
    extras = sub.add_parser("extras", help="print the Python extras and Debian packages a "
                                           "machine's services need")
    extras.add_argument("--host", required=True)
    extras.add_argument("--apt", action="store_true",
                        help="print the Debian packages instead of the extras")
    add_config_argument(extras)
    check = sub.add_parser("check", help="validate placements and ports")
    add_config_argument(check)
    keys = sub.add_parser(
        "keys", help="make the bus keys (CURVE), a machine's bundle, or install one",
        description="Without options: create the missing key pairs of the forwarder and "
                    "every machine in --keys (existing keys are kept). With --host and "
                    "--bundle: copy what that machine needs into a folder to send it. With "
                    "--install: put a bundle received into this machine's keys folder.")
    keys.add_argument("--keys", help="the house's keys folder (default: the config's "
                                     "bus.keys_dir)")
    keys.add_argument("--host", help="machine whose bundle to write (with --bundle)")
    keys.add_argument("--bundle", help="folder to write the machine's bundle into")
    keys.add_argument("--install", metavar="BUNDLE",
                      help="install a bundle into this machine's keys folder")
    add_config_argument(keys)
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    if getattr(args, "host", None) and args.host not in config.machines:
        print(f"basecamp deploy: unknown machine {args.host!r} "
              f"(machines: {', '.join(config.machines)})", file=sys.stderr)
        return 2
    if args.action == "check":
        found = problems(config)
        for problem in found:
            print(f"basecamp deploy: {problem}", file=sys.stderr)
        for warning in warnings(config):
            print(f"basecamp deploy: warning: {warning}", file=sys.stderr)
        if not found:
            print("ok")
        return 2 if found else 0
    boot_config = "/etc/basecamp/basecamp.toml" if config.source.startswith("<") \
        else str(Path(config.source).resolve())
    if args.action == "boot-hook":
        sys.stdout.write(render_boot_hook(config, args.host, basecamp=args.basecamp,
                                          config_file=boot_config))
        return 0
    if args.action == "boot-unit":
        sys.stdout.write(render_boot_unit(config, args.host, basecamp=args.basecamp,
                                          config_file=boot_config))
        return 0
    if args.action == "extras":
        needed = role(config, args.host)
        print(" ".join(needed.apt) if args.apt else ",".join(needed.extras))
        return 0
    if args.action == "keys":
        return _keys(config, args)
    password = config.reveal(config.machines[args.host].supervisor_password)
    if not password:
        print("basecamp deploy: no supervisor password: set "
              f"{config.machines[args.host].supervisor_password.describe()}", file=sys.stderr)
        return 2
    config_file = None if config.source.startswith("<") else str(Path(config.source).resolve())
    text = render_supervisor(config, args.host, basecamp=args.basecamp, workdir=args.workdir,
                             config_file=config_file, password=password)
    if args.out:
        make_dirs(config, args.host)
        out = Path(args.out) / f"{args.host}.conf"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.touch(mode=0o600)
        out.write_text(text)
        print(f"wrote {out}")
    else:
        sys.stdout.write(text)
    return 0


def _keys(config: Config, args: argparse.Namespace) -> int:
    from core import buskeys
    where = Path(args.keys) if args.keys else buskeys.folder(config)
    try:
        if args.install:
            written = buskeys.install(Path(args.install), where)
        elif args.host or args.bundle:
            if not (args.host and args.bundle):
                print("basecamp deploy keys: --host and --bundle go together", file=sys.stderr)
                return 2
            written = buskeys.bundle(where, args.host, config.bus.machine, Path(args.bundle))
        else:
            made = buskeys.generate(where, config.machines)
            print(f"{where}: {len(made)} key pair(s) made ({', '.join(made) or 'none'}), "
                  f"{len(config.machines) + 1 - len(made)} kept")
            return 0
    except OSError as err:
        print(f"basecamp deploy keys: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


def _watch_needs(config: Config) -> list[str]:
    """Each sentinel check and alert channel has what it needs to run."""
    return [text for text in _watch_findings(config) if not text.startswith(WARNING)]


def warnings(config: Config) -> list[str]:
    """What works but degraded (e.g. pushes that will wait in their queue)."""
    return [text.removeprefix(WARNING) for text in _watch_findings(config)
            if text.startswith(WARNING)]


WARNING = "warning: "


def _watch_findings(config: Config) -> list[str]:
    from core.config import section_class  # sections are resolved lazily: core imports none
    ws = config.section("watch", section_class("watch"))
    if not hasattr(ws, "channels"):
        return []  # the watch package is not installed
    found = []
    for host, machine in config.machines.items():
        if "supervisor" in ws.service_checks and not config.reveal(machine.supervisor_password):
            found.append(f"{host}: no supervisord password ({machine.supervisor_password!r}): "
                         "the sentinel cannot read or restart its services")
    channels = {c for chans in ws.channels.values() for c in chans}
    for channel in sorted(channels & set(ws.channel_services)):
        service = ws.channel_services[channel]
        if service not in config.services:
            found.append(f"alerts go to {channel} but no {service} service is placed")
    if "sms" in channels and not [c for c in config.contacts if c.phone and
                                  (not ws.sms_to or c.name in ws.sms_to)]:
        found.append("alerts go by SMS but no contact has a phone number")
    push = config.section("push", section_class("push"))
    if "push" in channels and not (config.reveal(push.token) and config.reveal(push.user_key)):
        found.append(f"{WARNING}alerts go by push but the Pushover secrets are unset "
                     f"({push.token!r}, {push.user_key!r}); pushes will wait in the queue")
    return found
