"""Errors of the watch package.

    WatchError
    ├── SupervisorError   supervisord unreachable, refused, or answered nonsense
    ├── ChannelDown       a notification channel (modem, Pushover) cannot send right now
    └── ProbeError        a probe could not run (not: the checked thing failed)
"""

from __future__ import annotations


class WatchError(RuntimeError):
    """Base of the sentinel's errors."""


class SupervisorError(WatchError):
    """supervisord unreachable, refusing, or answering something malformed."""


class ChannelDown(WatchError):
    """A channel cannot send now: the message stays queued."""


class ProbeError(WatchError):
    """A probe could not run."""
