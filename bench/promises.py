"""Promises kept: every command × channel on the running demo house, and alerts to a phone.

The demo house runs under `basecamp up` (real services, Gammu's dummy phone, real time). The
table of `tests/e2e/table.py` is walked: each command the house carries out, on each channel
(`chat` as the POST /command `basecamp chat` sends, `sms` through the dummy phone, `push`,
`voice` as a transcript, `kiosk` as the touch control's message), after setting the state it
starts from. For each pair: the time from the command reaching the house (for an SMS, the
gateway reading it at its next modem poll — `sms.poll_s`, reported apart) to its effect on
the bus (new mode, lights, heater, night light, the interphone's words) and to the reply;
`kept` counts the pairs whose effect came and whose reply did not announce it before. A
command of two messages (an announcement and its "oui") waits for the modem's poll twice by
SMS: the SMS column's p95 shows it.

Alerts: an intrusion (motion while away, no known phone) and alerts other services raise
(water leak, heater failsafe, a silent sensor), each timed from the `Alert` on the bus to the
SMS in the gateway's journal (handed to the modem), against one sentinel cycle
(`watch.interval_s`, the demo's default).

Last line: one JSON object {"pairs", "kept", "p50_ms", "p95_ms", "reply_p95_ms",
"sms_poll_p95_ms", "alerts_tried", "alerts_delivered", "alert_p95_s", "sentinel_cycle_s",
"per_channel": {...}}. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.messages.presence import PirMotion
from core.messages.watch import Alert
from tests.e2e import table
from tests.e2e.house import House, wait_for

START = dt.datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
OVERRIDES: dict[str, Any] = {
    "dialogs": {"answer_transcripts": True},
    # an intrusion told within seconds: motion ignored 2 s after leaving, 5 s for a phone
    "presence": {"exit_delay_s": 2.0, "scan_grace_s": 5.0, "tick_s": 0.5},
}
RAISED = (("water:leak", "major", "Fuite d'eau sous l'évier (banc)"),
          ("heater:failsafe", "major", "Chauffage coupé : sonde muette (banc)"),
          ("sensor:chambre", "major", "Capteur chambre muet depuis 30 min (banc)"))
"""Alerts as the water, heater and sensor services raise them."""


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def alert_delivered(house: House, published: float, message: str,
                    timeout: float) -> float | None:
    """Seconds from an alert on the bus to its SMS in the journal (None: never)."""
    try:
        sent = wait_for(lambda: [t for t, sms in house.sms_journal()
                                 if t >= published - 1 and message in str(sms.get("text"))],
                        timeout,
                        f"the SMS of {message!r}")
    except AssertionError:
        return None
    return max(0.0, sent[0] - published)


def alerts(house: House, timeout: float) -> list[float | None]:
    """Raise every alert kind; the delivery time of each."""
    out: list[float | None] = []
    for key, severity, message in RAISED:
        published = house.bus.publish(Alert(key, severity, "problem", message, source="bench"))
        out.append(alert_delivered(house, published, message, timeout))
        print(f"alert {key}: {out[-1]}", file=sys.stderr)
    # an intrusion: the house away, motion indoors, no known phone comes
    table.command(house, "je m'en vais pour quelques jours")
    wait_for(lambda: house.get("modes")["presence"]["mode"] == "lockout", 20, "lockout")
    time.sleep(2.5)  # past the exit delay
    house.bus.publish(PirMotion("indoor", 1))
    def intrusion(e: Any) -> bool:
        return bool(e.data.get("key", "").startswith("modes:intrusion")
                    and e.data.get("state") == "problem")
    try:
        raised = wait_for(lambda: table.first(house, 0, Alert.TOPIC, intrusion), 60,
                          "the intrusion alert")
        message = next(e.data["message"] for e in house.bus.since(raised, Alert.TOPIC)
                       if intrusion(e))
        out.append(alert_delivered(house, raised, message, timeout))
    except AssertionError:
        out.append(None)
    print(f"alert intrusion: {out[-1]}", file=sys.stderr)
    table.command(house, "je suis revenu")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1, help="walks of the table (default 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bc-promises-") as folder:
        house = House(Path(folder), OVERRIDES, speed=1.0, start=START)
        print("starting the demo house…", file=sys.stderr)
        house.start()
        try:
            house.wait_alive(timeout=240)
            house.bus.start()
            if not house.bus.ready.wait(20):
                raise SystemExit("the bus recorder could not subscribe")
            results = []
            for round_ in range(args.rounds):
                for row, channel in table.pairs():
                    result = table.run(house, row, channel, cli=False)
                    results.append(result)
                    print(f"[{round_}] {row.name:<17} {channel:<6} effect "
                          f"{result.effect_s} reply {result.reply_s} kept {result.kept}",
                          file=sys.stderr)
            cycle = float(house.config.section("watch", _watch_settings()).interval_s)
            delivered = alerts(house, timeout=3 * cycle)
        finally:
            code = house.stop()
            print(f"house stopped ({code})", file=sys.stderr)
    effects = [(r.effect_s - r.entered_s) * 1000 for r in results if r.effect_s is not None]
    replies = [(r.reply_s - r.entered_s) * 1000 for r in results if r.reply_s is not None]
    polls = [r.entered_s * 1000 for r in results if r.channel == "sms"]
    per_channel = {}
    for channel in table.CHANNELS:
        mine = [(r.effect_s - r.entered_s) * 1000 for r in results
                if r.channel == channel and r.effect_s is not None]
        if mine:
            per_channel[channel] = {"pairs": sum(r.channel == channel for r in results),
                                    "p50_ms": round(statistics.median(mine), 1),
                                    "p95_ms": round(percentile(mine, 0.95), 1)}
    times = [d for d in delivered if d is not None]
    report = {"pairs": len(results), "kept": sum(r.kept for r in results),
              "p50_ms": round(statistics.median(effects), 1) if effects else None,
              "p95_ms": round(percentile(effects, 0.95), 1) if effects else None,
              "reply_p95_ms": round(percentile(replies, 0.95), 1) if replies else None,
              "sms_poll_p95_ms": round(percentile(polls, 0.95), 1) if polls else None,
              "alerts_tried": len(delivered), "alerts_delivered": len(times),
              "alert_p95_s": round(percentile(times, 0.95), 2) if times else None,
              "sentinel_cycle_s": cycle, "per_channel": per_channel,
              "broken": [f"{r.row}/{r.channel}: {r.reply!r}" for r in results if not r.kept]}
    print(json.dumps(report, ensure_ascii=False))
    return 0


def _watch_settings() -> Any:
    from watch.settings import WatchSettings
    return WatchSettings


if __name__ == "__main__":
    sys.exit(main())
