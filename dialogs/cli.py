"""`basecamp intent` (text -> intent JSON) and `basecamp chat` (a conversation in a terminal).

`basecamp chat` talks to the running house's dialogs service, so a terminal gets the same
conversations, state and actions as speech or SMS; `--local` answers with this terminal's own
engine, nothing carried out.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from core.cli import add_config_argument, load_config_or_exit
from core.config import Config


def _now(value: str | None, config: Config) -> dt.datetime:
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


class HouseLink:
    """The running house's dialogs service, over HTTP with the house's token."""

    def __init__(self, config: Config) -> None:
        self.url = config.service_url("dialogs")
        self.token = config.reveal(config.http.token) or ""
        self.timeout_s = float(config.http.timeout_s) + 10.0  # a command waits for its outcome

    def alive(self) -> bool:
        """True when the dialogs service answers."""
        try:
            with urllib.request.urlopen(f"{self.url}/alive", timeout=3) as resp:
                return bool(resp.status == 200)
        except (OSError, ValueError):
            return False

    def say(self, text: str, channel: str, sender: str) -> dict[str, Any]:
        """One utterance to the house; its turn (reply, intent, expects_answer...)."""
        body = json.dumps({"text": text, "channel": channel, "sender": sender}).encode()
        request = urllib.request.Request(
            f"{self.url}/command", data=body, method="POST",
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:
            return dict(json.loads(resp.read()))


def chat_command(argv: list[str]) -> int:
    """`basecamp chat`: talk to the running house (same conversations and state as SMS and
    voice), or with --local, to this terminal's own engine (nothing is carried out)."""
    parser = argparse.ArgumentParser(
        prog="basecamp chat", description="Talk to the house: one utterance per line on "
        "stdin, one reply per line on stdout. By default the running house's dialogs service "
        "answers (its conversations, its state, what it carries out); when it does not answer, "
        "only what needs no state (time, date, help) is answered here.")
    add_config_argument(parser)
    parser.add_argument("--channel", default="terminal",
                        choices=("terminal", "voice", "sms", "push", "kiosk"))
    parser.add_argument("--from", dest="sender", default="",
                        help="sender: phone number (sms), push user, or speaker name")
    parser.add_argument("--lang", choices=("fr", "en"), help="dialog language (--local)")
    parser.add_argument("--local", action="store_true",
                        help="answer here with the house's grammar, without the house: the "
                             "replies it would give, nothing carried out (a dry run)")
    parser.add_argument("--now", metavar="ISO",
                        help="with --local: start the conversation's clock at this instant")
    parser.add_argument("--json", action="store_true",
                        help="print each turn as JSON (reply, intent, expects_answer)")
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    from dialogs.channels import may_command
    sender = args.sender or ("owner" if args.channel not in ("sms", "push") else "")
    if not may_command(config, args.channel, sender):
        print(f"basecamp chat: {args.channel} sender {sender!r} may not command the house "
              f"(not a whitelisted contact); nothing will be answered", file=sys.stderr)
        return 1
    house = None if args.local or args.now else HouseLink(config)
    if house is not None and not house.alive():
        print(f"basecamp chat: the house does not answer at {house.url} (offline): only what "
              f"needs no state (time, date, help) is answered here", file=sys.stderr)
        house = None
        offline = True
    else:
        offline = False
    from dialogs.engine import DialogEngine
    engine = DialogEngine(config, lang=args.lang)
    return _converse(engine, args, sender, config, house, offline)


STATELESS = frozenset({"HassGetCurrentTime", "HassGetCurrentDate", "BasecampHelp",
                       "HassNevermind"})
"""What a terminal answers itself when the house is offline."""


def _converse(engine: Any, args: argparse.Namespace, sender: str, config: Config,
              house: HouseLink | None, offline: bool) -> int:
    """The chat loop: read a line, have it answered, print the reply."""
    start, t0 = _now(args.now, config), time.monotonic()
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            return 0
        text = line.rstrip("\r\n")
        if house is not None:
            try:
                turn = house.say(text, args.channel, sender)
            except (OSError, ValueError) as err:
                print(f"basecamp chat: the house did not answer ({err})", file=sys.stderr)
                return 1
        else:
            now = start + dt.timedelta(seconds=time.monotonic() - t0) if args.now else \
                _now(None, config)
            local = engine.handle(text, channel=args.channel, sender=sender, now=now)
            asking = engine.conversations.current((args.channel, sender), now)
            name = local.intent.intent if local.intent else asking.intent if asking else None
            reply = local.reply
            if offline and name is not None and name not in STATELESS:
                from dialogs.replies import render
                engine.conversations.pending.pop((args.channel, sender), None)
                local = dataclasses.replace(local, intent=None, expects_answer=False)
                reply = render("offline", local.lang or engine.lang)
            turn = {"reply": reply, "expects_answer": local.expects_answer,
                    "conversation": local.conversation,
                    "intent": local.intent.to_dict() if local.intent else None}
        intent = turn.get("intent") or {}
        if args.json:
            print(json.dumps({"reply": turn["reply"], "expects_answer": turn["expects_answer"],
                              "conversation": turn["conversation"],
                              "intent": intent.get("intent"), "slots": intent.get("slots", {})},
                             ensure_ascii=False), flush=True)
        else:
            print(turn["reply"], flush=True)
