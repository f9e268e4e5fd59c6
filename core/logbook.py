"""The logbook: the central log of minor events, one JSON-lines file per day.

`basecamp run logbook` takes entries over HTTP (`POST /log`, the house token) and from the bus
(`basecamp.log.<level>`), serves a day as text or JSON (`GET /log?day=YYYY-MM-DD&format=json`),
and deletes files older than the retention. `basecamp log MESSAGE` adds an entry.

Every entry keeps the logbook's integrity: machine and service are short names, the message is
cut at `MAX_MESSAGE`, each source may write `RATE_PER_S` entries a second (bursts of
`BURST`; the rest refused and counted), and the text form shows one line per entry whatever
the message holds (line breaks and separators are escaped, never obeyed).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from core.config import Config
from core.messages import Envelope, MessageError
from core.messages.log import LOG_PREFIX, Level, LogEntry

_LOGGER = logging.getLogger(__name__)
MAX_MESSAGE = 4000
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
"""A machine or service name: a short word, as in the config."""
RATE_PER_S = 20.0
BURST = 200
_BREAKS = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


@dataclass(frozen=True)
class Record:
    """A stored logbook line."""

    ts: str
    """Local ISO time."""
    machine: str
    service: str
    level: str
    message: str


# ---- pure --------------------------------------------------------------------------------
def validate(data: Any) -> LogEntry:
    """An entry from untrusted data; raises ValueError with a clear message."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object with machine, service, level, message")
    missing = [k for k in ("machine", "service", "message") if not data.get(k)]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    fields = {k: data.get(k, "info" if k == "level" else "") for k in
              ("machine", "service", "level", "message")}
    if not all(isinstance(v, str) for v in fields.values()):
        raise ValueError("machine, service, level and message must be strings")
    for key in ("machine", "service"):
        if not NAME.match(fields[key]):
            raise ValueError(f"{key} must be a short name (letters, digits, . _ -; at most 64)")
    try:
        Level(fields["level"])
    except ValueError:
        raise ValueError(f"level must be one of {', '.join(Level)}") from None
    fields["message"] = fields["message"][:MAX_MESSAGE]
    return LogEntry(**fields)


def one_line(text: str) -> str:
    """The text on one line: control characters, line and paragraph separators escaped."""
    return _BREAKS.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def format_text(records: Iterable[Record]) -> str:
    """The day as plain text, one line an entry (a message cannot fake another line)."""
    return "".join(f"{r.ts[11:19]} {r.level.upper():<8} {one_line(r.machine)}/"
                   f"{one_line(r.service)}: {one_line(r.message)}\n" for r in records)


class Limiter:
    """Entries per source: `rate` a second on average, bursts of `burst` (token buckets)."""

    def __init__(self, rate: float = RATE_PER_S, burst: int = BURST) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, source: str, now: float) -> bool:
        """True if `source` may write one more entry at `now` (monotonic seconds)."""
        tokens, last = self._buckets.get(source, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if len(self._buckets) > 10_000:  # forged sources: forget the quiet ones
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
        if tokens < 1:
            self._buckets[source] = (tokens, now)
            return False
        self._buckets[source] = (tokens - 1, now)
        return True


def expired(days: Iterable[dt.date], today: dt.date, retention_days: int) -> list[dt.date]:
    """Days whose files are past the retention."""
    return [d for d in days if (today - d).days >= retention_days]


def parse_day(text: str | None, today: dt.date) -> dt.date:
    """`YYYY-MM-DD`, `today` or `yesterday`; raises ValueError."""
    if not text or text == "today":
        return today
    if text == "yesterday":
        return today - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"day must be YYYY-MM-DD, today or yesterday, not {text!r}") from None


# ---- storage -----------------------------------------------------------------------------
class Book:
    """Daily JSON-lines files in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def file(self, day: dt.date) -> Path:
        """The file of a day."""
        return self.folder / f"{day.isoformat()}.jsonl"

    def append(self, entry: LogEntry, when: dt.datetime) -> Record:
        """Store an entry under the day of `when`."""
        record = Record(when.isoformat(timespec="seconds"), entry.machine, entry.service,
                        entry.level, entry.message)
        with self.file(when.date()).open("a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
        return record

    def read(self, day: dt.date) -> list[Record]:
        """Entries of a day (a damaged line is skipped)."""
        try:  # "\n" only: str.splitlines would also cut at U+2028 inside a message
            lines = [line for line in self.file(day).read_text(encoding="utf-8").split("\n")
                     if line]
        except FileNotFoundError:
            return []
        records = []
        for line in lines:
            try:
                records.append(Record(**json.loads(line)))
            except (ValueError, TypeError):
                _LOGGER.warning("skipping damaged logbook line in %s", self.file(day))
        return records

    def days(self) -> list[dt.date]:
        """Days that have a file."""
        out = []
        for path in self.folder.glob("*.jsonl"):
            try:
                out.append(dt.date.fromisoformat(path.stem))
            except ValueError:
                continue
        return sorted(out)

    def rotate(self, today: dt.date, retention_days: int) -> list[dt.date]:
        """Delete files past the retention; returns the days removed."""
        removed = expired(self.days(), today, retention_days)
        for day in removed:
            self.file(day).unlink(missing_ok=True)
        return removed


# ---- service -----------------------------------------------------------------------------
async def serve(rt: Any) -> None:
    """`basecamp run logbook`."""
    book = Book(rt.config.path(rt.config.logbook.dir))
    retention = rt.config.logbook.retention_days
    limiter = Limiter()
    today = {"day": rt.clock.now().date(), "count": len(book.read(rt.clock.now().date()))}

    def add(entry: LogEntry) -> Record | None:
        if not limiter.allow(f"{entry.machine}/{entry.service}", time.monotonic()):
            rt.counters["rate_limited"] += 1
            return None
        now = rt.clock.now()
        record = book.append(entry, now)
        if now.date() != today["day"]:
            today.update(day=now.date(), count=0)
        today["count"] += 1
        return record

    def on_bus(envelope: Envelope) -> None:
        try:
            add(validate(envelope.data))
        except ValueError as err:
            raise MessageError(str(err)) from err

    async def post(request: web.Request) -> web.Response:
        rt.check_token(request)  # a stranger writing in the house's log: refused
        try:
            data = await request.json() if request.content_type == "application/json" \
                else dict(await request.post())
            record = add(validate(data))
        except (ValueError, UnicodeDecodeError) as err:
            rt.counters["bad_request"] += 1
            return web.json_response({"error": str(err)}, status=400)
        if record is None:
            return web.json_response({"error": "too many entries from this source"},
                                     status=429)
        return web.json_response(asdict(record), status=201)

    async def get(request: web.Request) -> web.Response:
        try:
            day = parse_day(request.query.get("day"), rt.clock.now().date())
        except ValueError as err:
            return web.json_response({"error": str(err)}, status=400)
        fmt = request.query.get("format", "text")
        if fmt not in ("text", "json"):
            return web.json_response({"error": "format must be text or json"}, status=400)
        records = book.read(day)
        if fmt == "json":
            return web.json_response({"day": day.isoformat(),
                                      "entries": [asdict(r) for r in records]})
        return web.Response(text=format_text(records), charset="utf-8")

    async def days(_: web.Request) -> web.Response:
        return web.json_response([d.isoformat() for d in book.days()])

    rt.app.router.add_post("/log", post)
    rt.app.router.add_get("/log", get)
    rt.app.router.add_get("/today", get)
    rt.app.router.add_get("/days", days)
    rt.subscribe([LOG_PREFIX], on_bus)
    rt.every(3600, lambda: book.rotate(rt.clock.now().date(), retention), name="rotate")
    rt.status["today"] = lambda: today["count"] if today["day"] == rt.clock.now().date() else 0


# ---- CLI ---------------------------------------------------------------------------------
def log_command(argv: list[str]) -> int:
    """`basecamp log MESSAGE` adds an entry; `basecamp log --show [DAY]` prints a day."""
    from core.cli import add_config_argument, load_config_or_exit
    parser = argparse.ArgumentParser(prog="basecamp log",
                                     description="Add an entry to the logbook, or read a day.")
    parser.add_argument("message", nargs="*", help="text of the entry")
    parser.add_argument("--level", default="info", choices=[lv.value for lv in Level])
    parser.add_argument("--service", default="cli", help="service name (default: cli)")
    parser.add_argument("--machine", help="machine name (default: the logbook's machine)")
    parser.add_argument("--show", nargs="?", const="today", metavar="DAY",
                        help="print a day's entries (YYYY-MM-DD, today, yesterday)")
    parser.add_argument("--retry", type=float, default=0.0, metavar="SECONDS",
                        help="keep trying this long while the logbook is unreachable (a "
                             "machine booting: the network or the logbook may still be "
                             "coming up)")
    add_config_argument(parser)
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    if args.show is None and not args.message:
        parser.error("give a MESSAGE or --show")
    return asyncio.run(_log_retrying(config, args))


async def _log_retrying(config: Config, args: argparse.Namespace) -> int:
    deadline = time.monotonic() + args.retry
    while True:
        code = await _log(config, args, quiet=time.monotonic() < deadline)
        if code != UNREACHABLE or time.monotonic() >= deadline:
            return 1 if code == UNREACHABLE else code
        await asyncio.sleep(min(5.0, max(0.0, deadline - time.monotonic())))


UNREACHABLE = -1
"""What `_log` returns when the logbook could not be reached (the command then exits 1)."""


async def _log(config: Config, args: argparse.Namespace, *, quiet: bool = False) -> int:
    import aiohttp
    url = config.service_url("logbook")
    timeout = aiohttp.ClientTimeout(total=config.http.timeout_s)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            if args.show is not None:
                async with http.get(f"{url}/log", params={"day": args.show}) as resp:
                    text = await resp.text()
                    sys.stdout.write(text)
                    return 0 if resp.status == 200 else 1
            entry = {"machine": args.machine or config.hosts("logbook")[0],
                     "service": args.service, "level": args.level,
                     "message": " ".join(args.message)}
            token = config.reveal(config.http.token) or ""
            async with http.post(f"{url}/log", json=entry,
                                 headers={"Authorization": f"Bearer {token}"}) as resp:
                if resp.status != 201:
                    print(f"basecamp log: {await resp.text()}", file=sys.stderr)
                    return 1
    except (aiohttp.ClientError, TimeoutError) as err:
        if not quiet:
            print(f"basecamp log: logbook unreachable at {url}: {err or 'timeout'}",
                  file=sys.stderr)
        return UNREACHABLE
    return 0
