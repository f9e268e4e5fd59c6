"""Basecamp's kernel: config, messages, bus, metrics, logbook, clock and the service runtime.

Every package imports it; it imports none of them (tests/test_layout.py): the launcher and the
deployment files are `deploy/`, the test helpers `tests/helpers.py`."""

__version__ = "0.1.0"
