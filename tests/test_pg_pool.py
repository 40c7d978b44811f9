"""The event store's connection pool hands out its most recently returned connection first
(``services/eventstore/pg_factory.py`` ``RecentFirstPool``), on real PostgreSQL.

A queue (psycopg_pool's own order) sends a process's statements round every connection it
holds, each to a backend whose memory the CPU caches lost since its last turn; a stack keeps a
few connections warm. What must still hold: every connection is handed out and taken back, a
caller waiting on a full pool is served, an idle connection the server closed is replaced, and
the pool still shrinks from its least recently used end.
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg

from services.eventstore.pg_factory import RecentFirstPool
from services.eventstore.store import EventStore


def test_the_store_pool_hands_out_the_most_recently_returned_connection(
    postgres_settings: Any,
) -> None:
    store = EventStore(postgres_settings)
    try:
        pool = store.recorder.datastore.pool  # type: ignore[attr-defined]
        assert isinstance(pool, RecentFirstPool)
        pool.wait(timeout=30)
        held = [pool.getconn() for _ in range(3)]
        for conn in held:
            pool.putconn(conn)
        # A stack: the last returned first, then the one before it.
        assert pool.getconn() is held[2]
        assert pool.getconn() is held[1]
        pool.putconn(held[1])
        pool.putconn(held[2])
        # Loads and saves run on the warm ones: one statement after another, the same connection.
        with store.recorder.datastore.get_connection() as first:  # type: ignore[attr-defined]
            pass
        with store.recorder.datastore.get_connection() as again:  # type: ignore[attr-defined]
            assert again is first
    finally:
        store.close()


def test_a_caller_waiting_on_a_full_pool_is_served_and_a_dead_idle_connection_replaced(
    postgres_url: str,
) -> None:
    pool = RecentFirstPool(
        postgres_url, min_size=1, max_size=1, open=True, kwargs={"autocommit": True}
    )
    try:
        pool.wait(timeout=30)
        conn = pool.getconn()
        got: list[Any] = []
        waiter = threading.Thread(target=lambda: got.append(pool.getconn(timeout=20)))
        waiter.start()
        pool.putconn(conn)  # the waiting caller gets it
        waiter.join(30)
        assert got == [conn]
        pool.putconn(conn)
        # The server ends the idle connection: the pool's check finds it on the next getconn.
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            pid = conn.info.backend_pid
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        pool.check()
        with pool.connection(timeout=20) as fresh:
            assert fresh.execute("SELECT 1").fetchone() == (1,)
            assert fresh.info.backend_pid != pid
    finally:
        pool.close()


def test_the_pool_shrinks_from_its_least_recently_used_end(postgres_url: str) -> None:
    pool = RecentFirstPool(
        postgres_url, min_size=1, max_size=3, open=True, kwargs={"autocommit": True}
    )
    try:
        pool.wait(timeout=30)
        held = [pool.getconn() for _ in range(3)]  # grows to three
        for conn in held:
            pool.putconn(conn)
        pool._shrink_pool()  # the scheduler's idle check: notes how many stayed unused
        pool._shrink_pool()  # ... and closes one of them: the least recently used
        assert held[0].closed and not held[1].closed and not held[2].closed
        assert pool.getconn() is held[2]  # the most recent is served first
    finally:
        pool.close()
