"""`basecamp config check [FILE]` and `basecamp config show`."""

from __future__ import annotations

import argparse
import json
import sys

import tomli_w

from core.cli import add_config_argument, load_config_or_exit


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
    show = sub.add_parser("show", help="print the effective config, secrets masked")
    show.add_argument("--json", action="store_true", help="JSON instead of TOML")
    add_config_argument(show)
    args = parser.parse_args(argv)
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
