"""Database round trips of the event store on PostgreSQL, counted on the wire (issue 19).

``tests/roundtrips.py`` stands between the store and the server and counts the points where the
client waits (Query, Sync, Flush), so these counts are deterministic: a save is one round trip
when the stream's previous chain link is known (was seven: ping, the DO block, insert, link
lookup, chain insert, COMMIT, sync), a load is one, a single-statement read of the ``Database``
is one (was four: ping, BEGIN, statement, COMMIT), and the hash chain still verifies. No pool
pings a connection before handing it out (``services/pg_check.py`` polls its socket instead):
a connection the server dropped is still replaced without the caller noticing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from uuid import uuid4

import msgspec
import psycopg
import pytest

from services.audit.integrity import verify_store
from services.commands import Commands
from services.config import Settings
from services.db import Database
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
        # BEGIN, lock, NOTIFY, events + chain rows, COMMIT: one Sync, no ping first.
        assert proxy.reset() == 10
        for _ in range(5):
            assert store.load(Innovation, iid).version == innovation.version
        assert proxy.reset() == 5  # the events after the cached prefix
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
        assert proxy.reset() == 2
        # A process that holds no link (its cache emptied): the previous link is looked up.
        innovation = third.load(Innovation, iid)
        third.recorder.links.clear()  # type: ignore[attr-defined]
        proxy.reset()
        innovation.claim_indicator(op, RUBRIC, no=2, level=2)
        third.save(innovation)
        assert proxy.reset() == 2  # the link lookup, the save
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


def test_a_single_statement_read_is_one_round_trip(
    postgres_settings: Settings, proxy: RoundTripProxy
) -> None:
    db = Database(msgspec.structs.replace(postgres_settings, database_url=proxy.url, pool_size=1))
    try:
        db.scalar("SELECT 1")  # the pool's connection opened
        proxy.reset()
        for n in range(5):
            assert db.scalar("SELECT %d" % n) == n  # noqa: UP031 - a literal, not a parameter
            assert db.rows("SELECT ? AS n", (n,)) == [{"n": n}]
        assert proxy.reset() == 10
        with db.transaction() as tx:  # a transaction keeps BEGIN and COMMIT
            tx.execute("SELECT 1")
        assert proxy.reset() == 3
    finally:
        db.close()


@pytest.mark.parametrize("which", ["database", "event store"])
def test_a_connection_the_server_closed_is_never_handed_out(
    postgres_settings: Settings, postgres_url: str, which: str
) -> None:
    """All idle connections killed (as a PostgreSQL restart does): the next reads and the next
    save succeed at the first attempt, on fresh connections, and none of the dead ones is used."""
    settings = msgspec.structs.replace(postgres_settings, pool_size=3)
    store = EventStore(settings, env={"POSTGRES_MAX_OVERFLOW": "0"})
    db = Database(settings)
    try:
        world = World(Commands(store))
        iid = world.complete_draft()
        with db.transaction() as tx:
            tx.execute("SELECT 1")
        pool = db._pool if which == "database" else store.recorder.datastore.pool  # type: ignore[attr-defined]
        pool.wait()
        before = pool.get_stats().get("connections_lost", 0)
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert killed and killed[0] >= 2
        time.sleep(0.2)  # the FATAL message and the close reach the sockets
        for _ in range(4):  # straight from the pool: no caller's retry could hide a dead one
            with pool.connection() as conn:
                conn.execute("SELECT 1")
        store.cache.clear()
        innovation = store.load(Innovation, iid)
        innovation.claim_indicator(world.ctx(world.operator), RUBRIC, no=4, level=2)
        store.save(innovation)
        assert store.current_version(iid) == innovation.version
        assert pool.get_stats().get("connections_lost", 0) > before  # found by the check
    finally:
        db.close()
        store.close()


def test_an_innovation_and_its_call_are_read_in_one_round_trip_and_never_stale(
    postgres_settings: Settings, proxy: RoundTripProxy
) -> None:
    """A command route loads the innovation with its call (``EventStore.load_with``): both held
    in memory, one statement asks what each stream gained since, so a change another process
    made to either is seen at once."""
    writer = EventStore(postgres_settings)  # another process
    store = _store(postgres_settings, proxy)
    try:
        world = World(Commands(writer))
        op = world.ctx(world.operator)
        iid = world.complete_draft()
        innovation, call = store.load_with(Innovation, iid, Call, lambda i: i.call_id)
        assert call is not None and call.id == world.call_id
        store.load_with(Innovation, iid, Call, lambda i: i.call_id)  # prepared on the connection
        proxy.reset()
        innovation, call = store.load_with(Innovation, iid, Call, lambda i: i.call_id)
        assert proxy.reset() == 1
        assert call is not None and innovation.version == writer.current_version(iid)

        other = writer.load(Call, world.call_id)
        later = other.deadline + timedelta(days=7)
        other.change_deadline(world.ctx(world.admin), later, "diperpanjang")
        writer.save(other)
        fresh = writer.load(Innovation, iid)
        fresh.claim_indicator(op, RUBRIC, no=4, level=2)
        writer.save(fresh)
        proxy.reset()
        innovation, call = store.load_with(Innovation, iid, Call, lambda i: i.call_id)
        assert proxy.reset() == 1
        assert call is not None and call.deadline == later and call.version == other.version
        assert innovation.version == fresh.version and innovation.claims[4].level == 2
        # The cache took both in: the next load is one round trip again, and equal.
        again, again_call = store.load_with(Innovation, iid, Call, lambda i: i.call_id)
        assert proxy.reset() == 1
        assert again.version == fresh.version and again_call is not None
        assert again_call.deadline == later
    finally:
        store.close()
        writer.close()


def test_load_with_of_a_stream_not_held_loads_each_and_a_missing_call_is_none(
    postgres_settings: Settings, proxy: RoundTripProxy
) -> None:
    store = _store(postgres_settings, proxy)
    try:
        world = World(Commands(store))
        iid = world.complete_draft()
        store.cache.clear()
        innovation, call = store.load_with(Innovation, iid, Call, lambda i: i.call_id)
        assert call is not None and call.id == world.call_id and innovation.id == iid
        nothing = store.load_with(Innovation, iid, Call, lambda i: uuid4())
        assert nothing[1] is None and nothing[0].version == innovation.version
    finally:
        store.close()


def test_a_claim_is_two_round_trips_through_the_app(
    postgres_settings: Settings, proxy: RoundTripProxy
) -> None:
    """``PUT /api/innovations/{id}/indicators/{no}``: the innovation with its call and the
    bearer's session with its account's version (one statement: the session rides in the load,
    ``services.identity.auth.DeferredSession``; the principal held at that version), the save
    (one statement)."""
    from litestar.testing import TestClient

    from services.app import create_app
    from services.startup import start_runtime

    settings = msgspec.structs.replace(postgres_settings, database_url=proxy.url)
    # No projector, relay or notification runner here: their statements are not the claim's.
    with TestClient(create_app(runtime=start_runtime(settings, background=False))) as client:
        runtime = client.app.state.runtime
        world = World(runtime.commands)
        iid = world.complete_draft()
        token = runtime.sessions.issue(world.operator.account_id)[0]
        headers = {"Authorization": f"Bearer {token}"}

        def claim(no: int) -> None:
            answer = client.put(
                f"/api/innovations/{iid}/indicators/{no}",
                json={"level": 2, "note": "uji"},
                headers=headers,
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["call"]["id"] == str(world.call_id)

        for no in (1, 2, 3):  # every statement prepared on the connections
            claim(no)
        proxy.reset()
        counts = []
        for no in (4, 5, 6, 7):
            claim(no)
            counts.append(proxy.reset())
        assert counts == [2] * 4
