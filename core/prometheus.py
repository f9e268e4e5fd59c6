"""`GET /metrics`: what a service already counts, in Prometheus' text format (prometheus_client
renders it), for a Prometheus or Grafana Agent scraping the house with the HTTP token.

Every series carries `service` and `host` labels: uptime, the bus (sent, dropped, received,
malformed), the service's counters (`basecamp_events_total{event=...}`: rejected messages,
errors, commands...) and its metrics writer (backlog, written, outages, queue full)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

CONTENT_TYPE = CONTENT_TYPE_LATEST
LABELS = ["service", "host"]


class _Service:
    """A prometheus_client collector reading a Runtime when scraped (nothing kept twice)."""

    def __init__(self, rt: Any) -> None:
        self.rt = rt

    def collect(self) -> Iterator[Metric]:
        rt, ids = self.rt, [self.rt.name, self.rt.host]
        up = GaugeMetricFamily("basecamp_uptime_seconds", "Seconds since the service started",
                               labels=LABELS)
        up.add_metric(ids, rt.uptime())
        yield up
        bus = CounterMetricFamily("basecamp_bus_messages", "Bus messages by direction",
                                  labels=[*LABELS, "direction"])
        for direction, count in (
                ("sent", rt.publisher.sent), ("dropped", rt.publisher.dropped),
                ("received", sum(s.received for s in rt._subscribers)),
                ("malformed", sum(s.malformed for s in rt._subscribers))):
            bus.add_metric([*ids, direction], count)
        yield bus
        connected = GaugeMetricFamily("basecamp_bus_connected", "1 when the forwarder is "
                                      "reached", labels=LABELS)
        connected.add_metric(ids, 1.0 if rt.publisher.ready else 0.0)
        yield connected
        events = CounterMetricFamily("basecamp_events", "What the service counted (rejected "
                                     "messages, errors, commands...)", labels=[*LABELS, "event"])
        for event, count in sorted(rt.counters.items()):
            events.add_metric([*ids, str(event)], count)
        yield events
        if rt._metrics is not None:
            status = rt._metrics.status()
            backlog = GaugeMetricFamily("basecamp_metrics_backlog", "Points waiting for the "
                                        "store", labels=LABELS)
            backlog.add_metric(ids, status["backlog"])
            yield backlog
            full = GaugeMetricFamily("basecamp_metrics_queue_full", "1 while the queue's disk "
                                     "refuses writes", labels=LABELS)
            full.add_metric(ids, 1.0 if status["queue_full"] else 0.0)
            yield full
            written = CounterMetricFamily("basecamp_metrics_points", "Points by fate",
                                          labels=[*LABELS, "fate"])
            for fate, key in (("written", "written"), ("dropped", "memory_dropped")):
                written.add_metric([*ids, fate], status[key])
            yield written


def exposition(rt: Any) -> bytes:
    """The service's series in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Service(rt))  # type: ignore[arg-type]
    return bytes(generate_latest(registry))
