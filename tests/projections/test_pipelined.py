"""``Session.pipelined``: a live step's transaction in PostgreSQL's pipeline mode keeps the
atomicity of a plain one (everything or nothing, an error leaves the connection usable) and
writes a large upsert without COPY, which pipeline mode cannot run."""

from __future__ import annotations

import time

import psycopg
import pytest

from projections.sql import upsert
from projections.target import Target
from services.config import Settings

ROWS = 500  # above COPY_THRESHOLD: outside a pipeline this upsert would COPY


def table(settings: Settings) -> Target:
    target = Target(settings)
    session = target.connect()
    try:
        session.conn.execute("CREATE TABLE IF NOT EXISTS piped (id BIGINT PRIMARY KEY, note TEXT)")
        session.conn.execute("TRUNCATE piped")
    finally:
        session.close()
    return target


def count(target: Target) -> int:
    session = target.connect()
    try:
        return int(session.rows("SELECT count(*) FROM piped")[0][0])
    finally:
        session.close()


def test_a_pipelined_transaction_commits_everything_it_queued(
    postgres_settings: Settings,
) -> None:
    target = table(postgres_settings)
    session = target.connect()
    try:
        with session.pipelined() as tx:
            upsert(tx, "piped", ("id", "note"), ("id",), [(i, "satu") for i in range(ROWS)])
            assert tx.scalar("SELECT count(*) FROM piped") == ROWS  # a read inside: flushed
            tx.execute("UPDATE piped SET note = ? WHERE id = ?", ("dua", 7))
        assert session.rows("SELECT note FROM piped WHERE id = 7") == [("dua",)]
    finally:
        session.close()
    assert count(target) == ROWS


def test_an_error_in_a_queued_statement_leaves_nothing(postgres_settings: Settings) -> None:
    """The failing statement's result is never read before COMMIT: the error comes at the sync,
    every statement of the transaction is undone, and the session goes on."""
    target = table(postgres_settings)
    session = target.connect()
    try:
        with pytest.raises(psycopg.errors.UniqueViolation), session.pipelined() as tx:
            tx.execute("INSERT INTO piped (id, note) VALUES (?, ?)", (1, "satu"))
            tx.execute("INSERT INTO piped (id, note) VALUES (?, ?)", (1, "lagi"))
            tx.execute("INSERT INTO piped (id, note) VALUES (?, ?)", (2, "dua"))
        assert count(target) == 0
        with session.pipelined() as tx:  # the same connection, usable again
            tx.execute("INSERT INTO piped (id, note) VALUES (?, ?)", (3, "tiga"))
    finally:
        session.close()
    assert count(target) == 1


def test_an_exception_in_the_block_rolls_back(postgres_settings: Settings) -> None:
    target = table(postgres_settings)
    session = target.connect()
    try:
        with pytest.raises(RuntimeError), session.pipelined() as tx:
            tx.execute("INSERT INTO piped (id, note) VALUES (?, ?)", (1, "satu"))
            assert tx.scalar("SELECT count(*) FROM piped") == 1
            raise RuntimeError("model gagal")
        assert session.rows("SELECT count(*) FROM piped") == [(0,)]
    finally:
        session.close()
    assert count(target) == 0


def test_a_read_after_many_queued_writes_gets_its_own_result(postgres_settings: Settings) -> None:
    """A large step queues many writes, then a model reads. The writes' results come back while
    the read is being sent; they belong to the statements that queued them, not to the read
    (on one shared cursor the read got "the last operation didn't produce records (INSERT 0
    1)"). Each write waits a little in the server, so they are all queued before the first
    answers come back, and the pause lets those answers reach the socket before the read."""
    target = table(postgres_settings)
    session = target.connect()
    try:
        with session.pipelined() as tx:
            tx.executemany(
                "INSERT INTO piped (id, note) SELECT ?, ? FROM pg_sleep(0.0005)",
                [(i, "satu") for i in range(1000)],
            )
            time.sleep(1.0)
            assert tx.execute("SELECT count(*) FROM piped").fetchall() == [(1000,)]
    finally:
        session.close()
    assert count(target) == 1000


def test_an_unread_result_never_answers_a_later_read(postgres_settings: Settings) -> None:
    """Statements whose rows nobody reads (large ones, sent back at once) then a read: the read
    gets its own rows, not an earlier statement's."""
    target = table(postgres_settings)
    session = target.connect()
    try:
        with session.pipelined() as tx:
            for _ in range(4):
                tx.execute("SELECT repeat('x', 65536)")
            time.sleep(0.3)
            assert tx.scalar("SELECT 42") == 42
    finally:
        session.close()


@pytest.mark.parametrize("rows", [1, 2, 3, 63, 64, 65, 130, 199])
def test_an_upsert_of_any_size_inserts_and_replaces_every_row(
    postgres_settings: Settings, rows: int
) -> None:
    """PostgreSQL writes an upsert as multi-row statements (64 rows, then powers of two): every
    row goes in once, an existing row is replaced, in a pipelined transaction and outside one."""
    target = table(postgres_settings)
    session = target.connect()
    try:
        with session.transaction() as tx:
            upsert(tx, "piped", ("id", "note"), ("id",), [(i, "satu") for i in range(0, rows, 2)])
        with session.pipelined() as tx:
            upsert(tx, "piped", ("id", "note"), ("id",), [(i, f"dua {i}") for i in range(rows)])
        assert session.rows("SELECT id, note FROM piped ORDER BY id") == [
            (i, f"dua {i}") for i in range(rows)
        ]
    finally:
        session.close()
