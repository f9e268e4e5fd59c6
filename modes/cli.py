"""`basecamp modes replay [--config FILE] EVENTS.jsonl`: run the pure machine on a file of events.

Prints one JSON line per event (see `modes.replay.snapshot`). An unknown event type or a
malformed line is reported on stderr with its line number and skipped; the exit code is 1 if
any line was skipped. The replay starts in cocoon unless the first event carries a "mode".
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

import orjson

from core.cli import add_config_argument, load_config_or_exit
from core.config import Config
from core.messages.presence import Mode
from modes.effects import EventRejected
from modes.house import HouseState, initial, rules_from_config, start, step
from modes.replay import parse_event, snapshot
from modes.settings import NightLightSettings

_LOGGER = logging.getLogger(__name__)


def replay_lines(config: Config, lines: Iterable[str], errors: list[str],
                 source: str = "<events>") -> Iterator[dict[str, Any]]:
    """Snapshots of the house after each event; bad lines are described in `errors`."""
    rules = rules_from_config(config)
    outdoor = config.section("nightlight", NightLightSettings).outdoor_sensor
    house: HouseState | None = None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
            at, event = parse_event(data, outdoor)
            first_mode = Mode(data.get("mode", Mode.COCOON)) if house is None \
                and data.get("type") != "mode" else Mode.COCOON
        except (orjson.JSONDecodeError, ValueError) as err:
            errors.append(f"{source}:{number}: {err}")
            continue
        before: list[Any] = []
        if house is None:
            house, before = start(initial(rules, first_mode), at)
        house, effects = step(house, event, at)
        for effect in effects:
            if type(effect) is EventRejected:
                _LOGGER.info("%s:%d: ignored: %s", source, number, effect.reason)
        yield snapshot(data["at"], house, before + effects)


def replay(config: Config, lines: Iterable[str], out: TextIO, err: TextIO,
           source: str = "<events>") -> int:
    """Write one JSON line per event to `out`, bad lines to `err`; 1 if any line was skipped."""
    errors: list[str] = []
    skipped = 0

    def report() -> None:
        nonlocal skipped
        for message in errors:
            print(message, file=err)
        skipped += len(errors)
        errors.clear()

    for snap in replay_lines(config, lines, errors, source):
        report()
        out.write(orjson.dumps(snap).decode() + "\n")
    report()
    return 1 if skipped else 0


def main(argv: list[str]) -> int:
    """Entry point of `basecamp modes`."""
    parser = argparse.ArgumentParser(prog="basecamp modes",
                                     description="Tools of the presence modes.")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("replay", help="replay a file of events through the pure machine")
    add_config_argument(cmd)
    cmd.add_argument("events", help="JSON lines file of events ('-' for stdin)")
    cmd.add_argument("-v", "--verbose", action="store_true", help="log ignored events")
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    config = load_config_or_exit(args.config)
    if args.events == "-":
        return _run(config, sys.stdin, "<stdin>")
    try:
        with open(args.events, encoding="utf-8") as lines:
            return _run(config, lines, args.events)
    except OSError as err:
        print(f"basecamp modes: cannot read {args.events}: {err.strerror}", file=sys.stderr)
        return 2


def _run(config: Config, lines: TextIO, source: str) -> int:
    return replay(config, lines, sys.stdout, sys.stderr, source)
