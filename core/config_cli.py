"""`basecamp config check [FILE]`, `basecamp config show` and `basecamp config init [FILE]`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w

from core.cli import add_config_argument, load_config_or_exit
from core.config import default_text, parse
from core.schema import ConfigError

INIT_HEADER = """\
# Basecamp: the config of {name}, started by `basecamp config init` on {day}.
# It begins as the demo house (every machine on localhost). To make it yours, edit in order:
#   [machines.*]   each machine's address (and which services it runs, under [services.*])
#   [[rooms]] and [[devices]]   your rooms, lights, heater, sensors
#   [[contacts]]   who may command the house by SMS (may_command = true) and who is family
#   secrets        never written here: {{ env = "VAR" }} or {{ file = "path" }}
# Then `basecamp config check {file}` (prints ok or names the key to fix) and `basecamp up`.
"""


def main(argv: list[str]) -> int:
    """Check or show the configuration."""
    parser = argparse.ArgumentParser(
        prog="basecamp config",
        description="Check a config file (exit 0 and print `ok`, or exit 2 naming the file, "
                    "the key path and what was expected), or show the effective config with "
                    "secrets masked.")
    sub = parser.add_subparsers(dest="action", required=True)
    check = sub.add_parser("check", help="validate a config file")
    check.add_argument("file", nargs="?", help="file to check (default: the effective config)")
    add_config_argument(check)
    show = sub.add_parser("show", help="print the effective config (a valid config file; "
                                       "secrets shown as where they come from)")
    show.add_argument("--json", action="store_true", help="JSON instead of TOML")
    add_config_argument(show)
    init = sub.add_parser("init", help="write a commented config to start one's own house")
    init.add_argument("file", nargs="?", default="basecamp.toml",
                      help="where to write it (default: ./basecamp.toml, which every command "
                           "then uses)")
    init.add_argument("--name", default="Basecamp", help="the house's name")
    init.add_argument("--lang", choices=["fr", "en"], default="fr", help="the house's language")
    init.add_argument("--timezone", default="Europe/Paris", help="IANA zone, e.g. Europe/Paris")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    args = parser.parse_args(argv)
    if args.action == "init":
        return _init(args)
    if args.action == "check":
        config = load_config_or_exit(args.file or args.config)
        print(f"checked {config.source}", file=sys.stderr)
        print("ok")
        return 0
    config = load_config_or_exit(args.config)
    plain = config.to_plain()
    if args.json:
        json.dump(plain, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(f"# effective config from {config.source}")
        print(tomli_w.dumps(_drop_none(plain)), end="")  # type: ignore[arg-type]
    return 0


def _drop_none(value: object) -> object:
    """TOML has no null: leave unset keys out."""
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _init(args: argparse.Namespace) -> int:
    """Write the commented starting config; it passes `config check` or nothing is written."""
    path = Path(args.file)
    if path.exists() and not args.force:
        print(f"basecamp config init: {path} exists (use --force to overwrite it)",
              file=sys.stderr)
        return 1
    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"basecamp config init: unknown time zone {args.timezone!r} (e.g. Europe/Paris)",
              file=sys.stderr)
        return 2
    body = default_text().split("\n[house]\n", 1)[1]
    body = _set(body, "name", json.dumps(args.name, ensure_ascii=False))
    body = _set(body, "lang", json.dumps(args.lang))
    body = _set(body, "timezone", json.dumps(args.timezone))
    header = INIT_HEADER.format(name=args.name, day=dt.date.today().isoformat(), file=path)
    text = f"{header}\n[house]\n{body}"
    try:
        parse(text, source=str(path), base_dir=str(path.resolve().parent))
    except ConfigError as err:  # a name TOML cannot hold, say: nothing is written
        print(f"basecamp config init: {err}", file=sys.stderr)
        return 2
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}: the demo house to make yours (see its first lines); "
          f"`basecamp config check {path}` says ok")
    return 0


def _set(house_section: str, key: str, value: str) -> str:
    """One key of the [house] table (the text's first table) set to a TOML value."""
    return re.sub(rf"(?m)^{key} = .*$", lambda _: f"{key} = {value}", house_section, count=1)
