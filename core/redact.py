"""No secret in any text: credentials cut out of URLs, and the house's known secret values
masked, before a message reaches a log, the logbook, an alert, a state file or a terminal.

`redact(text)` is the one helper. The secrets it masks by value are those `remember` was told
(every service remembers its config's secrets when it starts: `Config.secret_values`), so a
password that a library prints in its own words is masked too.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "***"
_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@")
_USER_PASSWORD = re.compile(r"(?<![\w.%+-])[\w.%+-]+:[^\s@/<>]+@(?=[\w.-]+|\[)")
"""user:password@host without a scheme, as xmlrpc's ProtocolError prints its URL."""
_known: set[str] = set()
_lock = threading.Lock()
SHORTEST = 4
"""Values shorter than this are not masked by value (they would mask ordinary words)."""


def remember(values: Iterable[str | None]) -> None:
    """Secrets to mask wherever they appear from now on (in this process)."""
    with _lock:
        _known.update(v for v in values if v and len(v) >= SHORTEST)


def redact(text: str) -> str:
    """The text with URL credentials (user:password@) and every known secret masked."""
    text = _CREDENTIALS.sub(rf"\g<scheme>{MASK}@", text)
    text = _USER_PASSWORD.sub(f"{MASK}@", text)
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text


class RedactingFormatter(logging.Formatter):
    """A log formatter whose every line, traceback included, goes through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
