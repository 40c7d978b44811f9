"""The SQL database helper (services/db.py) on real PostgreSQL: pooled connections that a server
restart killed are never handed out, so the first statements after the restart succeed.

With a full pool of dead connections, checking them one at a time is not enough either: the pool
backs off 1 s, 2 s, 4 s… between failed checks, and ten dead connections outlast its 30 s
timeout (``PoolTimeout``). The database discards them all at the first failed check."""

from __future__ import annotations

import threading
from contextlib import ExitStack

import pytest

from services.config import Settings
from services.db import Database
from tests.servers import PostgresServer


def _skip_unless_managed(server: PostgresServer) -> None:
    if not server.managed:
        pytest.skip("server comes from an environment variable; cannot restart it")


def _fill_pool(db: Database, count: int) -> None:
    """Make the pool hold ``count`` open connections (all idle again when this returns)."""
    with ExitStack() as stack:
        for _ in range(count):
            conn = stack.enter_context(db.connection())
            conn.execute("SELECT 1")


def test_rows_and_transactions_work_right_after_a_postgres_restart(
    postgres_server: PostgresServer, postgres_settings: Settings
) -> None:
    _skip_unless_managed(postgres_server)
    db = Database(postgres_settings)
    try:
        db.execute_script(["CREATE TABLE kv (k text PRIMARY KEY, v integer NOT NULL)"])
        with db.transaction() as tx:
            tx.execute("INSERT INTO kv (k, v) VALUES (?, ?)", ("satu", 1))
        _fill_pool(db, postgres_settings.pool_size)  # every one of these dies with the restart

        postgres_server.restart()

        assert db.rows("SELECT k, v FROM kv ORDER BY k") == [{"k": "satu", "v": 1}]
        with db.transaction() as tx:
            tx.execute("INSERT INTO kv (k, v) VALUES (?, ?)", ("dua", 2))
        assert db.scalar("SELECT count(*) FROM kv") == 2
        # Concurrent callers right after a second restart each get a live connection too.
        _fill_pool(db, postgres_settings.pool_size)
        postgres_server.restart()
        errors: list[BaseException] = []

        def read() -> None:
            try:
                assert db.scalar("SELECT count(*) FROM kv") == 2
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
    finally:
        db.close()


def test_a_failed_transaction_keeps_nothing_and_the_pool_stays_usable(
    postgres_settings: Settings,
) -> None:
    db = Database(postgres_settings)
    try:
        db.execute_script(["CREATE TABLE kv (k text PRIMARY KEY, v integer NOT NULL)"])
        with pytest.raises(RuntimeError), db.transaction() as tx:
            tx.execute("INSERT INTO kv (k, v) VALUES (?, ?)", ("satu", 1))
            raise RuntimeError("boom")
        assert db.rows("SELECT k FROM kv") == []
    finally:
        db.close()
