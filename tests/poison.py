"""Poison written straight into the event store, bypassing every boundary (issue 15, item 1b):
what the read models and the relay must quarantine instead of halting on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

from services.domain import events as ev
from services.eventstore.store import EventStore


def poison_proposal(store: EventStore) -> tuple[int, UUID]:
    """A copy of a stored proposal for a new stream, its title holding a NUL character."""
    proposed = next(n for n in store.notifications(1, 10_000) if n.topic == ev.Proposed.TOPIC)
    state = json.loads(proposed.state)
    oid = uuid4()
    state["originator_id"] = str(oid)
    state["timestamp"] = datetime.now(UTC).isoformat()
    state["profile"]["title"] = "Inovasi\u0000Racun"
    ids = store.recorder.insert_events(
        [StoredEvent(oid, 1, ev.Proposed.TOPIC, json.dumps(state).encode())]
    )
    assert ids is not None
    return ids[0], oid


def undecodable(store: EventStore) -> int:
    """A known topic every innovation model wants, with a state no event class decodes."""
    oid = uuid4()
    state = {"originator_id": str(oid), "originator_version": 1,
             "timestamp": datetime.now(UTC).isoformat(), "bukan": "peristiwa"}  # fmt: skip
    ids = store.recorder.insert_events(
        [StoredEvent(oid, 1, ev.Submitted.TOPIC, json.dumps(state).encode())]
    )
    assert ids is not None
    return ids[0]
