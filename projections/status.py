"""Where each read model stands: position, lag in events and in seconds, who is applying it.

Lag in seconds is measured from the oldest event a model has not applied yet (its own timestamp)
to now, so a model that is caught up has no lag however old its last event is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec

from projections import registry, tracking
from projections.log import EventLog
from projections.target import Target
from services import quarantine
from services.config import Settings
from services.eventstore.store import EventStore


class ModelStatus(msgspec.Struct):
    name: str
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    event_time: str | None
    updated_at: str | None
    owner: str | None
    until: str | None
    quarantined: int = 0  # events it skipped (services.quarantine) until they are retried


def compute(
    positions: dict[str, tracking.Position],
    event_log: EventLog,
    names: Sequence[str],
    now: datetime | None = None,
    quarantined: dict[str, int] | None = None,
) -> list[ModelStatus]:
    now = now or datetime.now(UTC)
    head = event_log.head()
    out = []
    lag_at: dict[int, float] = {}
    for name in names:
        found = positions.get(name)
        position = found.position if found else 0
        lag_seconds = 0.0
        if position < head:
            if position not in lag_at:
                first = event_log.time_after(position)
                lag_at[position] = max((now - first).total_seconds(), 0.0) if first else 0.0
            lag_seconds = lag_at[position]
        out.append(
            ModelStatus(
                name=name,
                position=position,
                head=head,
                lag_events=max(head - position, 0),
                lag_seconds=round(lag_seconds, 3),
                event_time=found.event_time if found else None,
                updated_at=found.updated_at if found else None,
                owner=found.owner if found else None,
                until=found.until if found else None,
                quarantined=(quarantined or {}).get(name, 0),
            )
        )
    return out


def status(
    settings: Settings,
    names: Sequence[str] | None = None,
    schema: str | None = None,
    store: EventStore | None = None,
) -> list[ModelStatus]:
    """Status of the named read models (all by default) in the main target or ``schema``."""
    own_store = store is None
    store = store or EventStore(settings)
    session = Target(settings, schema).connect()
    try:
        with session.transaction() as tx:
            tracking.ensure_schema(tx)
            positions = tracking.read(tx)
            counts = quarantine.counts(tx)
        return compute(
            positions, EventLog(store), list(names or registry.names()), quarantined=counts
        )
    finally:
        session.close()
        if own_store:
            store.close()
