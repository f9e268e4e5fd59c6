"""`basecamp watch once` (one check cycle, findings as JSON lines) and `basecamp status`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.error
import urllib.request
from typing import Any

from core.cli import add_config_argument, load_config_or_exit
from core.config import Config


def main(argv: list[str]) -> int:
    """`basecamp watch once [--config FILE]`."""
    parser = argparse.ArgumentParser(prog="basecamp watch",
                                     description="Run sentinel check cycles by hand.")
    parser.add_argument("action", choices=["once"], help="once: one cycle, findings as JSON")
    parser.add_argument("--host", default="", help="machine the sentinel runs on")
    add_config_argument(parser)
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    lines = asyncio.run(_once(config, args.host))
    for line in lines:
        print(json.dumps(line, ensure_ascii=False))
    return 1 if any(line["state"] != "ok" for line in lines) else 0


async def _once(config: Config, host: str) -> list[dict[str, Any]]:
    import aiohttp

    from core.clock import SystemClock
    from core.metrics import open_store
    from watch.outbox import Outbox
    from watch.probes import ProbeContext
    from watch.sentinel import Sentinel, finding_line

    clock = SystemClock(config.house.timezone)
    host = host or (config.hosts("watch")[0] if "watch" in config.services else "bc-watch")
    timeout = aiohttp.ClientTimeout(total=config.http.timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        store = open_store(config)
        ctx = ProbeContext(config, clock.now, http, store=store, lang=config.house.lang)
        # a single cycle decides nothing: every check counts once, no debounce, no alert
        outbox = Outbox(":memory:", clock)
        sentinel = Sentinel(config, ctx, clock, host=host, notifiers={}, outbox=outbox,
                            state_path=None, publish=lambda m: None, log=lambda lv, t: None)
        sentinel.policy = _single_shot(sentinel.policy)
        findings = await sentinel.cycle()
        store.close()
        now = clock.now()
        out = [finding_line(f, now) for f in findings]
    return out


def _single_shot(policy: Any) -> Any:
    import dataclasses
    return dataclasses.replace(policy, fail_n=1, fail_m=1)


# ---- basecamp status -----------------------------------------------------------------------
def format_table(report: dict[str, Any]) -> str:
    """The status report as a text table [pure]."""
    rows: list[tuple[str, ...]] = [
        ("MACHINE", "SERVICE", "STATE", "SINCE", "LAST CHECK", "LAST ERROR")]
    host = report.get("host", "")
    machines = report.get("machines", {})
    checks = report.get("checks", {})

    def row(machine: str, name: str, entry: dict[str, Any]) -> tuple[str, ...]:
        return (machine, name, entry["state"], _short(entry["since"]),
                _short(entry["last_check"]), _error(entry))
    def owner(subject: str) -> str:
        """The machine a check is about ("disk:bc-hq/" is bc-hq's); else the sentinel's."""
        rest = subject.partition(":")[2]
        return next((m for m in machines if rest.startswith(f"{m}/")), host)
    for name, machine in machines.items():
        rows.append(row(name, "", machine))
        rows += [row("", service, svc) for service, svc in machine.get("services", {}).items()]
        rows += [row("", subject, entry) for subject, entry in checks.items()
                 if owner(subject) == name]
    if host not in machines:
        rows += [row(host if i == 0 else "", subject, entry)
                 for i, (subject, entry) in enumerate(checks.items())]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    text = "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)
    power = report.get("power", {})
    head = (f"sentinel on {report.get('host', '?')}, cycle {report.get('cycle', 0)}, "
            f"power {power.get('state', '?')}, open incidents: "
            f"{', '.join(report.get('incidents', [])) or 'none'}, queued: "
            f"{report.get('queued', 0)}")
    return head + "\n" + text


def _error(entry: dict[str, Any]) -> str:
    """The last error; once the subject is fine again, marked as past."""
    error = str(entry.get("last_error", ""))[:50]
    if error and entry["state"] == "ok":
        return f"(before {_short(entry['since'])[11:16] or '?'}) {error}"
    return error


def _short(stamp: str) -> str:
    return stamp[:19].replace("T", " ") if stamp else "-"


def status_command(argv: list[str]) -> int:
    """`basecamp status [--json]`: the sentinel's status report as a table."""
    parser = argparse.ArgumentParser(prog="basecamp status",
                                     description="Print the sentinel's status report.")
    parser.add_argument("--json", action="store_true", help="print the raw JSON report")
    add_config_argument(parser)
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    url = config.service_url("watch") + "/status_report"
    try:
        with urllib.request.urlopen(url, timeout=config.http.timeout_s) as resp:
            report = json.loads(resp.read())
    except (OSError, urllib.error.URLError, ValueError) as err:
        print(f"basecamp: the sentinel does not answer at {url}: {err}", file=sys.stderr)
        return 1
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json
          else format_table(report))
    return 0
