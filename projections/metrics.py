"""Read-model lag as Prometheus gauges, refreshed from the tracking table before each scrape."""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import Gauge

from projections import tracking
from projections.log import EventLog
from projections.status import ModelStatus, compute
from services import quarantine
from services.metrics import REGISTRY, before_scrape

log = logging.getLogger("sirisma.projections")

LAG_EVENTS = Gauge(
    "sirisma_projection_lag_events",
    "Notifications in the log that the read model has not applied yet.",
    ["model"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
LAG_SECONDS = Gauge(
    "sirisma_projection_lag_seconds",
    "Age of the oldest notification the read model has not applied yet (0 when caught up).",
    ["model"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
POSITION = Gauge(
    "sirisma_projection_position",
    "Notification id up to which the read model has applied the log.",
    ["model"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
QUARANTINED = Gauge(
    "sirisma_projection_quarantined_events",
    "Events the read model skipped after failing on them (quarantine), not yet retried.",
    ["model"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
RELAY_QUARANTINED = Gauge(
    "sirisma_relay_quarantined_events",
    "Events the notification relay skipped after failing on them (quarantine), not yet retried.",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
HEAD = Gauge(
    "sirisma_event_log_head",
    "Highest notification id in the event log.",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)


def runtime_status(runtime: Any) -> list[ModelStatus]:
    """Status of every read model, from the runtime's own database and store."""
    with runtime.db.transaction() as tx:
        positions = tracking.read(tx)
        counts = quarantine.counts(tx)
    return compute(
        positions, EventLog(runtime.store), runtime.read_models.names, quarantined=counts
    )


def publish(statuses: list[ModelStatus], relay_quarantined: int = 0) -> None:
    RELAY_QUARANTINED.set(relay_quarantined)
    for s in statuses:
        QUARANTINED.labels(model=s.name).set(s.quarantined)
        LAG_EVENTS.labels(model=s.name).set(s.lag_events)
        LAG_SECONDS.labels(model=s.name).set(s.lag_seconds)
        POSITION.labels(model=s.name).set(s.position)
    if statuses:
        HEAD.set(statuses[0].head)


@before_scrape
def refresh_lag(runtime: Any) -> None:
    with runtime.db.transaction() as tx:
        relay_count = quarantine.counts(tx).get(quarantine.RELAY, 0)
    publish(runtime_status(runtime), relay_count)
