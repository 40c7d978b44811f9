"""The notification service as Prometheus gauges, read from the database before each scrape.

They live in the database, not in a worker's memory, so any process serving ``/metrics`` reports
the same numbers: outbox rows by state (pending + dispatched is the work in flight), emails
caught between "sending" and "sent", dead letters waiting for an admin, and the relay's lag.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Gauge

from services.metrics import REGISTRY, before_scrape
from services.notification import outbox, relay

OUTBOX = Gauge(
    "sirisma_notification_outbox",
    "Side effects (in-app, email, audit record) in the outbox, by state.",
    ["state"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
SENDING = Gauge(
    "sirisma_notification_emails_sending",
    "Emails claimed for sending and not yet recorded as sent.",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
DEAD_LETTERS = Gauge(
    "sirisma_notification_dead_letters",
    "Tasks that exhausted their retries and were not retried yet.",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
RELAY_LAG = Gauge(
    "sirisma_notification_relay_lag_events",
    "Events in the log the notification relay has not planned yet.",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)


@before_scrape
def refresh(runtime: Any) -> None:
    stats = outbox.stats(runtime.db)
    for state in (outbox.PENDING, outbox.DISPATCHED, outbox.DONE, outbox.DEAD):
        OUTBOX.labels(state=state).set(getattr(stats, state))
    SENDING.set(stats.sending)
    DEAD_LETTERS.set(stats.dead_letters_open)
    RELAY_LAG.set(relay.lag(runtime)["behind"])
