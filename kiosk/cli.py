"""`basecamp kiosk screenshot --out FILE.png`: the running kiosk's screen as it is now (asked
of the kiosk with the house's token); with `--demo` or `--state FILE.json`, the kiosk drawn
offscreen for the demo house or a given state instead (docs, tests); `basecamp kiosk demo-state`
prints the built-in demo state as JSON, a starting point for `--state` files;
`basecamp kiosk access open [--minutes N]|close`: temporary outside access to the running
kiosk's screen (a short-lived link; kiosk.remote), with the house's HTTP token.

A state file holds `now` (ISO, optional), `messages` (a list of {"topic", "data"} as on the
bus), `status_report` (the sentinel's JSON), `logbook` (the logbook's JSON day) and `series`
({chart: [[label, [epoch s...], [values...]], ...]}), all optional.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.config import Config
from core.messages import Envelope, Source


def demo_state(now: dt.datetime) -> dict[str, Any]:
    """The demo house as a state file's data."""
    from kiosk import demo
    return {"now": now.isoformat(timespec="seconds"),
            "messages": [{"topic": m.topic(), "data": m.to_dict()}
                         for m in demo.demo_messages(now)],
            "status_report": demo.demo_status_report(now), "logbook": demo.demo_logbook(now),
            "series": demo.demo_series(now)}


def render(state: dict[str, Any], out: Path, *, page: str, size: tuple[int, int],
           lang: str, config: Config) -> None:
    """Draw the window for `state` and save it as PNG."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt5.QtCore import Qt
    from PyQt5.QtWidgets import QApplication

    from core.clock import from_environment as clock_from_environment
    from kiosk.health import Health, parse_logbook, parse_status_report, silent_after_s
    from kiosk.settings import KioskSettings
    from kiosk.texts import Texts
    from kiosk.window import KioskWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    tz = ZoneInfo(config.house.timezone)
    now = dt.datetime.fromisoformat(state["now"]) if state.get("now") else dt.datetime.now(tz)
    settings = config.section("kiosk", KioskSettings)
    clock = clock_from_environment(config.house.timezone)
    window = KioskWindow(settings, Texts(lang or settings.lang or config.house.lang),
                         lambda: now,
                         silent_after_s=silent_after_s(config.bus.heartbeat_s, clock))
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    envelopes = [Envelope(m["topic"], m["data"], Source("screenshot", "kiosk"),
                          now.timestamp()) for m in state.get("messages", [])]
    window.apply(envelopes)
    if "status_report" in state:
        window.set_health(Health(parse_status_report(state["status_report"]), at=now))
    if "logbook" in state:
        window.set_log(parse_logbook(state["logbook"]))
    window.set_charts({k: [tuple(c) for c in v] for k, v in state.get("series", {}).items()})
    window.fit_to(*size)
    window.show()
    window.show_page(page)
    app.processEvents()
    if not window.grab().save(str(out), "PNG"):
        raise OSError(f"cannot write {out}")
    window.close()


def main(argv: list[str]) -> int:
    """`basecamp kiosk screenshot|demo-state`."""
    from core.cli import add_config_argument, load_config_or_exit
    parser = argparse.ArgumentParser(
        prog="basecamp kiosk",
        description="Kiosk tools: render a screenshot, print the demo state, open or close "
                    "temporary outside access to the running kiosk.")
    sub = parser.add_subparsers(dest="command", required=True)
    shot = sub.add_parser(
        "screenshot", help="the running kiosk's screen (or a drawn state) to a PNG",
        description="Save the running kiosk's screen as it is now; with --demo or --state, "
                    "draw the kiosk offscreen for the demo house or a state file instead.")
    shot.add_argument("--out", required=True, metavar="FILE.png")
    drawn = shot.add_mutually_exclusive_group()
    drawn.add_argument("--demo", action="store_true", help="draw the built-in demo house")
    drawn.add_argument("--state", metavar="FILE.json", help="draw this state file")
    shot.add_argument("--page", default=None, choices=("home", "controls", "health", "charts"),
                      help="page to draw (with --demo/--state; default home)")
    shot.add_argument("--size", default="", metavar="WxH",
                      help="pixels (default: kiosk.width x kiosk.height)")
    shot.add_argument("--lang", default="", choices=("", "fr", "en"))
    add_config_argument(shot)
    state_cmd = sub.add_parser("demo-state", help="print the demo state as JSON")
    add_config_argument(state_cmd)
    access = sub.add_parser(
        "access", help="open or close temporary outside access to the kiosk's screen",
        description="Open a short-lived read-only link to the running kiosk's screen (it "
                    "closes by itself), or close it now. Needs the house's HTTP token "
                    "($BASECAMP_HTTP_TOKEN or secrets/http_token).")
    access.add_argument("action", choices=("open", "close"))
    access.add_argument("--minutes", type=float, default=None,
                        help="how long (default kiosk.remote_minutes; at most "
                             "kiosk.remote_max_minutes)")
    add_config_argument(access)
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    if args.command == "access":
        return access_command(config, args.action, args.minutes)
    now = dt.datetime.now(ZoneInfo(config.house.timezone)).replace(microsecond=0)
    if args.command == "demo-state":
        print(json.dumps(demo_state(now), ensure_ascii=False, indent=1))
        return 0
    from kiosk.settings import KioskSettings
    settings = config.section("kiosk", KioskSettings)
    try:
        size = tuple(int(v) for v in args.size.lower().split("x")) if args.size \
            else (settings.width, settings.height)
        if len(size) != 2 or min(size) < 100:
            raise ValueError
    except ValueError:
        parser.error("--size must be WIDTHxHEIGHT, e.g. 1280x800")
    if not (args.demo or args.state):
        if args.page or args.size or args.lang:
            parser.error("--page, --size and --lang draw a state: use them with --demo or "
                         "--state (the running kiosk is shot as it shows)")
        return live_screenshot(config, Path(args.out))
    try:
        state = json.loads(Path(args.state).read_text(encoding="utf-8")) if args.state \
            else demo_state(now)
        if not isinstance(state, dict):
            raise ValueError("the state file must hold a JSON object")
        render(state, Path(args.out), page=args.page or "home",
               size=size, lang=args.lang, config=config)  # type: ignore[arg-type]
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(f"basecamp kiosk: {err}", file=sys.stderr)
        return 1
    print(args.out)
    return 0


def live_screenshot(config: Config, out: Path) -> int:
    """Ask the running kiosk for its screen (POST /screenshot with the house's token)."""
    import urllib.error
    import urllib.request
    token = config.reveal(config.http.token)
    if not token:
        print(f"basecamp kiosk: no HTTP token ({config.http.token.describe()})", file=sys.stderr)
        return 1
    url = f"{config.service_url('kiosk')}/screenshot"
    request = urllib.request.Request(url, method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=config.http.timeout_s + 5) as resp:
            data = resp.read()
    except urllib.error.HTTPError as err:
        print(f"basecamp kiosk: the kiosk answered {err.code}: {err.read().decode()[:200]}",
              file=sys.stderr)
        return 1
    except (OSError, urllib.error.URLError) as err:
        print(f"basecamp kiosk: the kiosk does not answer at {url} ({err}); is the house "
              "running? `--demo` draws the demo house instead", file=sys.stderr)
        return 1
    try:
        out.write_bytes(data)
    except OSError as err:
        print(f"basecamp kiosk: cannot write {out}: {err}", file=sys.stderr)
        return 1
    print(out)
    return 0


def access_command(config: Config, action: str, minutes: float | None) -> int:
    """Ask the running kiosk to open (print the link) or close its temporary access."""
    import urllib.error
    import urllib.parse
    import urllib.request
    token = config.reveal(config.http.token)
    if not token:
        print("basecamp kiosk: no HTTP token configured "
              f"({config.http.token.describe()}): access cannot be opened", file=sys.stderr)
        return 2
    base = config.service_url("kiosk")
    query = f"?minutes={minutes:g}" if action == "open" and minutes is not None else ""
    request = urllib.request.Request(f"{base}/access{query}",
                                     method="POST" if action == "open" else "DELETE",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=config.http.timeout_s) as resp:
            answer = json.load(resp)
    except urllib.error.HTTPError as err:
        print(f"basecamp kiosk: {base} refused: HTTP {err.code} "
              f"{err.read().decode(errors='replace')[:200]}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"basecamp kiosk: the kiosk does not answer at {base} ({err})", file=sys.stderr)
        return 1
    if action == "close":
        print("closed")
        return 0
    print(f"{base}{answer['path']}")
    print(f"closes by itself in {answer['expires_in_s'] / 60:g} min "
          "(basecamp kiosk access close to close it now)", file=sys.stderr)
    return 0
