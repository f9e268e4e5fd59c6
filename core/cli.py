"""The `basecamp` command: a table of sub-commands and services, imported only when used."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import core

# Sub-command -> ("module:function", one-line help). The function takes argv (after the
# sub-command's name) and returns an exit code. Imports are lazy so `basecamp --help` is fast
# and a missing optional package only breaks the commands that need it.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("core.cli:run_command", "run one service in the foreground (see `basecamp run -h`)"),
    "config": ("core.config_cli:main", "check the config file or show the effective config"),
    "log": ("core.logbook:log_command", "add an entry to the logbook, or read a day"),
    "up": ("deploy.launcher:up_command", "start the whole demo house under supervisord"),
    "down": ("deploy.launcher:down_command", "stop the house started by `basecamp up`"),
    "status": ("watch.cli:status_command", "print the sentinel's status report as a table"),
    "watch": ("watch.cli:main", "run one sentinel check cycle (`basecamp watch once`)"),
    "deploy": ("deploy.fleet:main", "write supervisord configs and boot hooks for a machine"),
    "modes": ("modes.cli:main", "replay presence events through the mode machine"),
    "intent": ("dialogs.cli:intent_command", "recognise intents in French or English text"),
    "chat": ("dialogs.cli:chat_command", "talk to the house in a terminal (any channel)"),
    "listen": ("assistant.cli:listen_command", "run the voice pipeline on a WAV file"),
    "models": ("assistant.cli:models_command", "list, download or verify speech models"),
    "voice": ("assistant.cli:voice_command", "enroll the personal wake word from WAV files"),
    "simulate": ("sensors.cli:simulate_command", "feed a sensor daemon from a simulator"),
    "rooms": ("sensors.cli:rooms_command", "train or evaluate the room-location classifier"),
    "kiosk": ("kiosk.cli:main", "kiosk tools: screenshot, temporary outside access"),
    "sms": ("watch.sms_cli:main", "drop an SMS into the demo's dummy phone, list SMS sent"),
}

# Service -> "module:serve" where `async def serve(rt: core.service.Runtime) -> None`, or
# "module:main" for a service that owns its main loop (Qt): `def main(config, host) -> int`.
SERVICES: dict[str, str] = {
    "bus": "core.bus:serve",
    "logbook": "core.logbook:serve",
    "modes": "modes.service:serve",
    "heater": "modes.heater_service:serve",
    "nightlight": "modes.nightlight_service:serve",
    "lights": "modes.lights_service:serve",
    "relays": "modes.relays_service:serve",
    "lightpack": "modes.lightpack_service:serve",
    "dialogs": "dialogs.service:serve",
    "mqtt": "dialogs.mqtt:serve",
    "timers": "dialogs.timers_service:serve",
    "broker": "dialogs.broker:serve",
    "interphone": "assistant.interphone:serve",
    "assistant": "assistant.service:serve",
    "wyoming": "assistant.wyoming_server:serve",
    "kiosk": "kiosk.app:main",
    "watch": "watch.service:serve",
    "sentry": "watch.sentry:serve",
    "sms": "watch.sms:serve",
    "push": "watch.push:serve",
    "muta": "sensors.muta:serve",
    "pir": "sensors.pir:serve",
    "power": "sensors.teleinfo:serve",
    "water": "sensors.water:serve",
    "bluetooth": "sensors.bluetooth:serve",
    "rooms": "sensors.rooms:serve",
    "sysmetrics": "sensors.system:serve",
}


def resolve(target: str) -> Callable[..., Any]:
    """Import "package.module:attribute"."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """The `--config FILE` option every command accepts."""
    parser.add_argument("--config", metavar="FILE",
                        help="config file (default: $BASECAMP_CONFIG, ./basecamp.toml, "
                             "else the built-in demo house)")


def load_config_or_exit(path: str | None) -> Any:
    """Load the config, or print the error (file, key path, expectation) and exit 2."""
    from core.config import ConfigError, load
    try:
        return load(path)
    except ConfigError as err:
        print(f"basecamp: config error: {err}", file=sys.stderr)
        raise SystemExit(2) from None


def setup_logging(verbose: bool = False) -> None:
    """Log to stderr with the service-friendly format."""
    from core.redact import RedactingFormatter
    level = os.environ.get("BASECAMP_LOG_LEVEL", "DEBUG" if verbose else "INFO")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])


def run_command(argv: list[str]) -> int:
    """`basecamp run SERVICE`: run one service until SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="basecamp run", description="Run one Basecamp service in the foreground.",
        epilog="services: " + ", ".join(SERVICES))
    parser.add_argument("service", choices=sorted(SERVICES), metavar="SERVICE",
                        help="one of: " + ", ".join(SERVICES))
    parser.add_argument("--host", help="machine this instance runs on (default: from config, "
                                       "or $BASECAMP_HOST)")
    parser.add_argument("--delay", type=float, default=0.0, metavar="SECONDS",
                        help="wait this long before starting (the start order at boot)")
    add_config_argument(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    if args.delay > 0:
        import time
        time.sleep(args.delay)
    config = load_config_or_exit(args.config)
    from core.service import ServiceError, run
    try:
        serve = resolve(SERVICES[args.service])
    except ImportError as err:
        print(f"basecamp: service {args.service} needs a package that is not installed: {err}",
              file=sys.stderr)
        return 3
    if SERVICES[args.service].endswith(":main"):
        return int(serve(config, args.host) or 0)
    try:
        asyncio.run(run(args.service, serve, config, host=args.host))
    except ServiceError as err:
        print(f"basecamp: {err}", file=sys.stderr)
        return 1
    return 0


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    return ("usage: basecamp [--version] [--config FILE] COMMAND [ARGS...]\n\n"
            "Basecamp: an offline, voice-first home presence assistant.\n\ncommands:\n"
            + "\n".join(lines) + "\n\n`basecamp COMMAND --help` tells more about a command.")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `basecamp` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] and argv[0] == "--config" and len(argv) > 1:
        os.environ["BASECAMP_CONFIG"] = argv[1]
        argv = argv[2:]
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if argv[0] == "--version":
        print(f"basecamp {core.__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"basecamp: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    try:
        command = resolve(COMMANDS[name][0])
    except (ImportError, AttributeError) as err:
        print(f"basecamp: the {name} command is not available: {err}", file=sys.stderr)
        return 3
    try:
        return int(command(rest) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `basecamp status | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
