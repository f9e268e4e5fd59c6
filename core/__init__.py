"""Basecamp's kernel: config, messages, bus, metrics, logbook and the service runtime."""

__version__ = "0.1.0"
