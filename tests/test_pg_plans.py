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

from typing import Any
from uuid import UUID, uuid4

from services.eventstore.store import EventStore
from tests.factories import stored_event

STREAM_LENGTH = 600


def _long_streams(recorder: Any, count: int) -> list[UUID]:
    """``count`` streams of ``STREAM_LENGTH`` events, analysed."""
    streams = [uuid4() for _ in range(count)]
    for oid in streams:
        events = [stored_event(oid, v) for v in range(1, STREAM_LENGTH + 1)]
        for start in range(0, STREAM_LENGTH, 200):
            recorder.insert_events(events[start : start + 200])
    with recorder.datastore.get_connection() as conn:
        conn.execute(f"ANALYZE {recorder.events_table_name}")
    return streams


def _plans(recorder: Any, pattern: str) -> tuple[int, int]:
    """(generic, custom) plans of the one prepared statement like ``pattern`` on the connection
    the pool hands out next: its most recently returned one, where the reads just ran."""
    with recorder.datastore.get_connection() as conn:
        rows = conn.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            (pattern,),
        ).fetchall()
    assert len(rows) == 1, rows
    return rows[0]["generic_plans"], rows[0]["custom_plans"]


def test_a_load_keeps_its_generic_plan_once_long_streams_are_analysed(
    postgres_settings: Any,
) -> None:
    store = EventStore(postgres_settings)
    try:
        recorder: Any = store.recorder
        streams = _long_streams(recorder, 4)
        after = [(streams[0], STREAM_LENGTH), (streams[1], STREAM_LENGTH - 1)]
        for _ in range(20):  # past the five custom plans PostgreSQL tries first
            found = recorder.select_streams(after)
            assert [len(found[oid]) for oid, _ in after] == [0, 1]
        generic, custom = _plans(recorder, "%UNION ALL%")
        assert generic >= 15, (generic, custom)
        assert custom <= 5, (generic, custom)
    finally:
        store.close()


def test_a_single_stream_read_after_a_version_keeps_its_generic_plan(
    postgres_settings: Any,
) -> None:
    """The library's ``select_events(id, gt=…)``: a load of a stream not held in memory with
    another, or of what it gained since (``EventStore.load``)."""
    store = EventStore(postgres_settings)
    try:
        recorder: Any = store.recorder
        streams = _long_streams(recorder, 4)
        for _ in range(20):
            found = recorder.select_events(streams[2], gt=STREAM_LENGTH - 2)
            assert [e.originator_version for e in found] == [STREAM_LENGTH - 1, STREAM_LENGTH]
        generic, custom = _plans(recorder, "%originator_version > $2%")
        assert generic >= 15, (generic, custom)
        assert custom <= 5, (generic, custom)
    finally:
        store.close()
