"""`basecamp intent` (text -> intent JSON) and `basecamp chat` (a conversation in a terminal).

`basecamp chat` also publishes the intents it recognises on the house's bus (when the bus
answers), so talking to it in a terminal drives the running house like speech or SMS.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from core.cli import add_config_argument, load_config_or_exit

_LOGGER = logging.getLogger(__name__)
BUS_WAIT_S = 3.0
"""How long `basecamp chat` waits for the bus forwarder before giving up on publishing."""


def _now(value: str | None, config: Any) -> dt.datetime:
    """--now as an aware datetime (the house's time zone if none given)."""
    tz = ZoneInfo(config.house.timezone)
    if not value:
        from core.clock import from_environment  # the house's (possibly accelerated) time
        return from_environment(config.house.timezone).now()
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise SystemExit(f"basecamp: --now: not an ISO datetime: {value!r}") from None
    # in the house's zone either way, so days named later ("jeudi 2 avril") get their own
    # offset (summer time), not the one --now was written with
    return when.astimezone(tz) if when.tzinfo else when.replace(tzinfo=tz)


def _utterances(args_text: list[str], stream: Iterable[str]) -> Iterator[str]:
    if args_text:
        yield " ".join(args_text)
        return
    for line in stream:
        yield line.rstrip("\r\n")


def recognize_line(engine: Any, text: str, now: dt.datetime,
                   langs: tuple[str, ...] | None = None) -> dict[str, Any]:
    """One utterance -> {"text", "intent", "slots", "score", "match"} (+ "refused": why a
    recognised command is not carried out: out of bounds, or something the house cannot do).

    `match` is "exact" or "fuzzy" (a guess the house confirms before acting when unsure or
    consequential), null when nothing matched; `score` is 1.0 for exact, 0..1 for a guess.
    """
    from dialogs.slots import Refusal, canonical
    out: dict[str, Any] = {"text": text, "intent": None, "slots": {}, "score": 0.0,
                           "match": None}
    if not text.strip() or len(text) > engine.settings.max_input_chars:
        return out
    found = engine.recognize(text, langs=langs)
    if found is None:
        return out
    match, _ = found
    out.update(score=match.score, match=match.stage)
    slots = canonical(match.intent, match.slots, config=engine.config,
                      settings=engine.settings, now=now)
    if isinstance(slots, Refusal):
        out["refused"] = slots.reason
        if slots.reason == "unsupported":
            out["what"] = slots.values.get("what")
        return out
    out.update(intent=match.intent, slots=slots)
    if match.stage == "fuzzy":
        out["asks"] = engine.unsure(match, slots)
    return out


def intent_command(argv: list[str]) -> int:
    """`basecamp intent [--lang fr|en] [--now ISO] [TEXT]`: one JSON object per utterance."""
    parser = argparse.ArgumentParser(
        prog="basecamp intent", description="Recognise intents in French or English text: "
        "TEXT, or one utterance per line on stdin; prints one JSON object per utterance.")
    add_config_argument(parser)
    parser.add_argument("--lang", choices=("fr", "en"),
                        help="only this language (default: the house's, then the other)")
    parser.add_argument("--now", metavar="ISO", help="resolve times against this instant")
    parser.add_argument("text", nargs="*", metavar="TEXT")
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    from dialogs.engine import DialogEngine
    engine = DialogEngine(config, lang=args.lang)
    langs = (args.lang,) if args.lang else None
    fixed = _now(args.now, config) if args.now else None
    for text in _utterances(args.text, sys.stdin):
        now = fixed or _now(None, config)
        print(json.dumps(recognize_line(engine, text, now, langs), ensure_ascii=False),
              flush=True)
    return 0


class BusLink:
    """A publisher to the house's bus for a synchronous command (runs its own event loop)."""

    def __init__(self, config: Any, wait_s: float = BUS_WAIT_S) -> None:
        from core.bus import Publisher
        from core.messages import Source
        self.endpoint = config.bus_endpoints()[0]
        self.wait_s = wait_s
        self.reached: bool | None = None
        self.published = 0
        self._loop = asyncio.new_event_loop()
        host = os.environ.get("BASECAMP_HOST") or socket.gethostname()

        async def make() -> Publisher:
            return Publisher(self.endpoint, Source(host, "chat"))
        self._pub = self._loop.run_until_complete(make())

    def publish(self, message: Any) -> bool:
        """Publish once the forwarder is reached; False (not sent) if it does not answer."""
        if self.reached is False:
            return False
        self.reached = self._loop.run_until_complete(self._pub.wait_ready(self.wait_s))
        if self.reached:
            self._pub.publish(message)
            self.published += 1
        return self.reached

    def close(self) -> None:
        """Close the socket (it lingers briefly to deliver what was sent) and the loop."""
        self._pub.close()
        self._loop.run_until_complete(asyncio.sleep(0))
        self._loop.close()


def chat_command(argv: list[str]) -> int:
    """`basecamp chat [--channel sms --from +33...]`: talk to the house, keeping the dialog."""
    parser = argparse.ArgumentParser(
        prog="basecamp chat", description="Talk to the house: one utterance per line on "
        "stdin, one reply per line on stdout (conversation state is kept).")
    add_config_argument(parser)
    parser.add_argument("--channel", default="terminal",
                        choices=("terminal", "voice", "sms", "push", "kiosk"))
    parser.add_argument("--from", dest="sender", default="",
                        help="sender: phone number (sms), push user, or speaker name")
    parser.add_argument("--lang", choices=("fr", "en"), help="dialog language")
    parser.add_argument("--now", metavar="ISO",
                        help="start the conversation's clock at this instant (it then runs)")
    parser.add_argument("--json", action="store_true",
                        help="print each turn as JSON (reply, intent, expects_answer)")
    parser.add_argument("--bus", action=argparse.BooleanOptionalAction, default=None,
                        help="publish recognised intents on the house's bus, so the house "
                             "acts on them (default: yes when the bus answers, no with --now)")
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    from dialogs.channels import may_command
    from dialogs.engine import DialogEngine
    sender = args.sender or ("owner" if args.channel not in ("sms", "push") else "")
    if not may_command(config, args.channel, sender):
        print(f"basecamp chat: {args.channel} sender {sender!r} may not command the house "
              f"(not a whitelisted contact); nothing will be answered", file=sys.stderr)
        return 1
    engine = DialogEngine(config, lang=args.lang)
    bus = BusLink(config) if (args.bus if args.bus is not None else not args.now) else None
    try:
        return _converse(engine, args, sender, config, bus)
    finally:
        if bus is not None:
            bus.close()


def _converse(engine: Any, args: argparse.Namespace, sender: str, config: Any,
              bus: BusLink | None) -> int:
    """The chat loop: read a line, answer it, publish its intent."""
    start, t0 = _now(args.now, config), time.monotonic()
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            return 1 if args.bus and bus is not None and bus.reached is False else 0
        now = start + dt.timedelta(seconds=time.monotonic() - t0) if args.now else \
            _now(None, config)
        turn = engine.handle(line.rstrip("\r\n"), channel=args.channel, sender=sender, now=now)
        if args.json:
            print(json.dumps({"reply": turn.reply, "expects_answer": turn.expects_answer,
                              "conversation": turn.conversation,
                              "intent": turn.intent.intent if turn.intent else None,
                              "slots": turn.intent.slots if turn.intent else {}},
                             ensure_ascii=False), flush=True)
        else:
            print(turn.reply, flush=True)
        if turn.intent is not None and bus is not None and not bus.publish(turn.intent):
            print(f"basecamp chat: the house's bus does not answer at {bus.endpoint}: "
                  f"{turn.intent.intent} not published", file=sys.stderr)
