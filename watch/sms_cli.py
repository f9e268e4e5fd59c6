"""`basecamp sms receive|sent`: talk to the demo house's Gammu dummy phone from a terminal.

`receive` drops an incoming SMS where the dummy driver reads it (a backup file in `sms/1/`
of the phone's folder), as if the GSM network had delivered it; `sent` lists what the
gateway sent (its journal).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.cli import add_config_argument, load_config_or_exit

DUMMY_MAX_UNITS = 650
"""Longest text (UTF-16 code units) Gammu's dummy phone stores as one message."""


def deliver_to_dummy(phone: Path, number: str, text: str) -> Path:
    """Write an incoming SMS into a dummy phone's inbox folder; returns the file."""
    import gammu
    inbox = phone / "sms" / "1"
    inbox.mkdir(parents=True, exist_ok=True)
    taken = {int(p.name) for p in inbox.iterdir() if p.name.isdigit()}
    location = next(i for i in range(1, 10_000) if i not in taken)
    path = inbox / str(location)
    gammu.SaveSMSBackup(str(path), [{
        "Text": text, "Number": number, "SMSC": {"Location": 0, "Number": "+33000000000"},
        "Folder": 1, "State": "UnRead", "Memory": "SM", "InboxFolder": 1, "Type": "Deliver",
        "Coding": "Default_No_Compression", "Class": -1}])
    return path


def main(argv: list[str]) -> int:
    """Drop an SMS into the dummy phone, or list the SMS the gateway sent."""
    from watch.settings import SmsSettings
    parser = argparse.ArgumentParser(prog="basecamp sms", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    rec = sub.add_parser("receive", help="an SMS arrives on the dummy phone")
    rec.add_argument("--from", dest="number", required=True, help="sender, e.g. +33600000001")
    rec.add_argument("text", nargs="+", help="the message")
    add_config_argument(rec)
    sent = sub.add_parser("sent", help="SMS the gateway sent, oldest first")
    sent.add_argument("--last", type=int, default=20, help="how many (default 20)")
    add_config_argument(sent)
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    settings = config.section("sms", SmsSettings)
    if args.action == "receive":
        if settings.model != "dummy":
            print("basecamp sms: the modem is real (sms.model is not dummy)", file=sys.stderr)
            return 2
        text = " ".join(args.text)
        if len(text.encode("utf-16-le")) // 2 > DUMMY_MAX_UNITS:
            print(f"basecamp sms: too long for one message of the dummy phone ({len(text)} "
                  f"characters; at most {DUMMY_MAX_UNITS})", file=sys.stderr)
            return 2
        try:
            path = deliver_to_dummy(config.path(settings.device), args.number, text)
        except (ValueError, OSError) as err:
            print(f"basecamp sms: cannot deliver to the dummy phone: {err}", file=sys.stderr)
            return 1
        print(f"delivered to {path}")
        return 0
    journal = config.service_dir("sms", config.hosts("sms")[0]) / "sms.sqlite"
    if not journal.exists():
        print(f"basecamp sms: no journal at {journal} (has the sms service run?)",
              file=sys.stderr)
        return 1
    from watch.outbox import Outbox
    outbox = Outbox(journal)
    try:
        rows: list[tuple[float, dict[str, Any]]] = outbox.journal("sms")[-args.last:]
    finally:
        outbox.close()
    zone = ZoneInfo(config.house.timezone)  # house time, as everywhere else
    for when, payload in rows:
        stamp = dt.datetime.fromtimestamp(when, zone).strftime("%Y-%m-%d %H:%M:%S")
        print(f"{stamp} → {payload.get('number', '?')}: {payload.get('text', '')}")
    return 0
