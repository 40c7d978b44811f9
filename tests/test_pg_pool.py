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
import time
from typing import Any

import psycopg

from services.eventstore.pg_factory import Checkout, RecentFirstPool
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


def _raised_by(manager: Any, exc: BaseException) -> BaseException:
    try:
        with manager:
            raise exc
    except BaseException as raised:  # noqa: BLE001 - what the block let out is the answer
        return raised
    raise AssertionError("nothing raised")


def _all_back(pool: Any, timeout: float = 5.0) -> bool:
    """Every connection of ``pool`` idle again. The pool takes a connection back, and grows,
    in its own worker threads, so its counts can lag the block's end by a moment."""
    deadline = time.monotonic() + timeout
    while True:
        stats = pool.get_stats()
        if stats["pool_available"] == stats["pool_size"]:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def test_a_checkout_raises_what_the_library_raised_and_commits_or_rolls_back_as_it_did(
    postgres_settings: Any,
) -> None:
    """``Checkout`` (one object instead of the library's nested generators): each psycopg error
    class raised in the block comes out as the library's ``get_connection`` raised it; other
    errors pass unchanged; the connection goes back to the pool every time; a lost connection
    has the pool check its idle ones; an open transaction is committed at the end of a clean
    block and rolled back after an error."""
    from eventsourcing.postgres import PostgresDatastore

    store = EventStore(postgres_settings)
    try:
        datastore = store.recorder.datastore  # type: ignore[attr-defined]
        assert isinstance(datastore.get_connection(), Checkout)
        classes = [psycopg.Error, *_subclasses(psycopg.Error)]
        checks: list[int] = []
        datastore.pool.check = lambda: checks.append(1)
        for cls in classes:
            exc = cls("boom")
            ours = _raised_by(datastore.get_connection(), exc)
            theirs = _raised_by(PostgresDatastore.get_connection(datastore), exc)
            assert type(ours) is type(theirs), cls
            assert str(ours) == str(theirs) and ours.__cause__ is exc
        assert len(checks) >= 2  # at least OperationalError and InterfaceError
        other = ValueError("not a database error")
        assert _raised_by(datastore.get_connection(), other) is other
        assert _all_back(datastore.pool)  # every connection back

        # A transaction opened in the block: committed when it ends cleanly, else rolled back.
        table = "checkout_probe"
        with datastore.get_connection() as conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (n int)")
            conn.execute(f"TRUNCATE {table}")
        with datastore.get_connection() as conn:
            conn.autocommit = False
            conn.execute(f"INSERT INTO {table} VALUES (1)")
        failed = _raised_by(_inserting(datastore, table, 2), RuntimeError("after the insert"))
        assert isinstance(failed, RuntimeError)
        with datastore.get_connection() as conn:
            rows = conn.execute(f"SELECT n FROM {table} ORDER BY n").fetchall()
            conn.execute(f"DROP TABLE {table}")
        assert [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in rows] == [(1,)]
    finally:
        store.close()


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


class _inserting:  # noqa: N801 - a with-block helper, read as a verb
    """A checkout whose block inserts ``n`` in a transaction before the caller's error."""

    def __init__(self, datastore: Any, table: str, n: int) -> None:
        self.checkout, self.table, self.n = datastore.get_connection(), table, n

    def __enter__(self) -> Any:
        conn = self.checkout.__enter__()
        conn.autocommit = False
        conn.execute(f"INSERT INTO {self.table} VALUES ({self.n})")
        return conn

    def __exit__(self, *exc: Any) -> Any:
        return self.checkout.__exit__(*exc)
