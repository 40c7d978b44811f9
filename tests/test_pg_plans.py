"""A command's load keeps one plan however long the streams grow (issue 19).

PostgreSQL runs a prepared statement on a generic plan only while that plan's estimate is no
dearer than the custom plans': otherwise it plans the statement afresh on every execution. Once
the log was analysed with long streams, the generic estimate of the load's open range
(``originator_id = $1 AND originator_version > $2``: a third of a long stream) looked dearer than
a custom plan of one row, though both find the same few rows by the same index, and every
command was planned anew: about 85 µs more server CPU per claim from the first autovacuum on.
The range is now closed (``ChainedPostgresRecorder._streams_statement``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

from services.eventstore.store import EventStore

STREAM_LENGTH = 600


def _event(oid: UUID, version: int) -> StoredEvent:
    state = json.dumps(
        {"originator_id": str(oid), "originator_version": version,
         "timestamp": datetime.now(UTC).isoformat(), "n": version}
    ).encode()  # fmt: skip
    return StoredEvent(oid, version, "innovation.ProfileUpdated", state)


def test_a_load_keeps_its_generic_plan_once_long_streams_are_analysed(
    postgres_settings: Any,
) -> None:
    store = EventStore(postgres_settings)
    try:
        recorder: Any = store.recorder
        streams = [uuid4() for _ in range(4)]
        for oid in streams:
            events = [_event(oid, v) for v in range(1, STREAM_LENGTH + 1)]
            for start in range(0, STREAM_LENGTH, 200):
                recorder.insert_events(events[start : start + 200])
        with recorder.datastore.get_connection() as conn:
            conn.execute(f"ANALYZE {recorder.events_table_name}")
        after = [(streams[0], STREAM_LENGTH), (streams[1], STREAM_LENGTH - 1)]
        for _ in range(20):  # past the five custom plans PostgreSQL tries first
            found = recorder.select_streams(after)
            assert [len(found[oid]) for oid, _ in after] == [0, 1]
        # The pool hands out its most recently returned connection: the one the loads ran on.
        with recorder.datastore.get_connection() as conn:
            plans = conn.execute(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE '%%UNION ALL%%'"
            ).fetchall()
        assert len(plans) == 1
        generic, custom = plans[0]["generic_plans"], plans[0]["custom_plans"]
        assert generic >= 15, (generic, custom)
        assert custom <= 5, (generic, custom)
    finally:
        store.close()
