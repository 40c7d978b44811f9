"""Database round trips of the event store on PostgreSQL, counted on the wire (issue 19).

``tests/roundtrips.py`` stands between the store and the server and counts the points where the
client waits (Query, Sync, Flush), so these counts are deterministic: a save is one round trip
plus the pool's ping when the stream's previous chain link is known (was seven: ping, the DO
block, insert, link lookup, chain insert, COMMIT, sync), a load is one plus the ping, and the
hash chain still verifies; a connection the server dropped is replaced without the caller
noticing.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import psycopg
import pytest

from services.audit.integrity import verify_store
from services.commands import Commands
from services.config import Settings
from services.domain.call import Call
from services.domain.innovation import Innovation
from services.domain.rubric import load_rubric
from services.eventstore.store import EventStore
from tests.factories import World
from tests.roundtrips import RoundTripProxy

RUBRIC = load_rubric(2025)


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[RoundTripProxy]:
    with RoundTripProxy(postgres_url) as counting:
        yield counting


def _store(settings: Settings, proxy: RoundTripProxy, **changes: object) -> EventStore:
    """A store whose pool has opened its one connection (it runs one SET when it opens; each
    statement is prepared once per connection: one more round trip the first time)."""
    store = EventStore(
        msgspec.structs.replace(settings, database_url=proxy.url, pool_size=1, **changes),
        env={"POSTGRES_MAX_OVERFLOW": "0"},
    )
    store.max_notification_id()
    store.recorder.datastore.pool.wait()  # type: ignore[attr-defined]
    return store


@pytest.mark.parametrize("group_commit", [True, False], ids=["group-commit", "lock-per-save"])
def test_a_save_and_a_load_are_one_round_trip_each(
    postgres_settings: Settings, proxy: RoundTripProxy, group_commit: bool
) -> None:
    store = _store(postgres_settings, proxy, group_commit=group_commit)
    try:
        world = World(Commands(store))
        op = world.ctx(world.operator)
        iid = world.complete_draft()
        innovation = store.load(Innovation, iid)
        proxy.reset()
        for n in range(10):
            innovation.claim_indicator(op, RUBRIC, no=n + 1, level=n % 3 + 1)
            store.save(innovation)
        # The pool's ping, then BEGIN, lock, NOTIFY, events + chain rows, COMMIT: one Sync.
        assert proxy.reset() == 20
        for _ in range(5):
            assert store.load(Innovation, iid).version == innovation.version
        assert proxy.reset() == 10  # the ping, the events after the cached prefix
        assert verify_store(store).ok
    finally:
        store.close()


def test_another_process_saves_after_reading_the_stream_in_one_round_trip(
    postgres_settings: Settings, proxy: RoundTripProxy
) -> None:
    """The link is recomputed from the events a load reads; a stream this process never read
    costs one lookup of its previous link."""
    first = _store(postgres_settings, proxy)
    second = _store(postgres_settings, proxy)
    third = _store(postgres_settings, proxy)
    try:
        world = World(Commands(first))
        op = world.ctx(world.operator)
        iid = world.complete_draft()
        for store in (second, third):  # statements are prepared once per connection: warm up
            store.load(Call, world.call_id)
        proxy.reset()
        innovation = second.load(Innovation, iid)  # the whole stream: 1
        innovation.claim_indicator(op, RUBRIC, no=1, level=2)
        second.save(innovation)  # 1
        assert proxy.reset() == 4  # each with the pool's ping
        # A process that holds no link (its cache emptied): the previous link is looked up.
        innovation = third.load(Innovation, iid)
        third.recorder.links.clear()  # type: ignore[attr-defined]
        proxy.reset()
        innovation.claim_indicator(op, RUBRIC, no=2, level=2)
        third.save(innovation)
        assert proxy.reset() == 3  # the ping, the link lookup, the save
        assert verify_store(first).ok
    finally:
        for store in (first, second, third):
            store.close()


def test_a_dropped_connection_is_replaced_without_a_ping_per_query(
    postgres_settings: Settings, postgres_url: str
) -> None:
    store = EventStore(postgres_settings)
    try:
        world = World(Commands(store))
        iid = world.complete_draft()
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        store.cache.clear()
        innovation = store.load(Innovation, iid)  # the dead idle connections are replaced
        innovation.claim_indicator(world.ctx(world.operator), RUBRIC, no=3, level=1)
        store.save(innovation)
        assert store.current_version(iid) == innovation.version
    finally:
        store.close()
