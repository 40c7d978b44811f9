"""``Session.pipelined``: a live step's transaction in PostgreSQL's pipeline mode keeps the
atomicity of a plain one (everything or nothing, an error leaves the connection usable) and
writes a large upsert without COPY, which pipeline mode cannot run."""

from __future__ import annotations

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
