"""A PostgreSQL transaction sent as one psycopg pipeline: BEGIN … COMMIT in one round trip.

psycopg's ``conn.transaction()`` inside a pipeline syncs after BEGIN and again after COMMIT
(three waits for the server); a write of a few statements needs only one. ``one_round_trip``
queues BEGIN, the caller's statements and COMMIT, and lets the pipeline's exit send the single
Sync. A statement that fails makes the server skip the rest (COMMIT included) and its error is
raised at that Sync; any failure, in the database or in the caller's Python, then rolls back,
so nothing of the transaction is kept. Results stay on the caller's cursors for after the block.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row


@contextlib.contextmanager
def one_round_trip(conn: psycopg.Connection[Any]) -> Iterator[psycopg.Cursor[Any]]:
    """On an autocommit connection: yields a cursor for transaction control (SAVEPOINT …); run
    the statements on cursors of your own, then read their results after the block."""
    with conn.cursor() as tx:
        try:
            with conn.pipeline():
                tx.execute(b"BEGIN")
                yield tx
                tx.execute(b"COMMIT")
        except BaseException:
            rollback(conn)
            raise


def rollback(conn: psycopg.Connection[Any]) -> None:
    """End whatever transaction a failure left open (one round trip; none when idle)."""
    if not conn.closed and conn.pgconn.transaction_status != TransactionStatus.IDLE:
        with contextlib.suppress(psycopg.Error):
            conn.execute(b"ROLLBACK")


class Prepared:
    """A statement prepared on each connection that runs it. psycopg prepares with a round trip
    of its own (Parse, Sync) before the first execute outside a pipeline; the first execute on a
    connection is sent in one, so the Parse goes with it: one round trip from the start."""

    def __init__(self, statement: bytes) -> None:
        self.statement = statement
        self._on: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()

    def execute(self, curs: psycopg.Cursor[Any], params: Any) -> None:
        conn = curs.connection
        if conn in self._on:
            curs.execute(self.statement, params, prepare=True)
            return
        with conn.pipeline():
            curs.execute(self.statement, params, prepare=True)
        self._on.add(conn)


_KEPT = "_sirisma_tuple_cursor"


def kept_cursor(conn: psycopg.Connection[Any]) -> psycopg.Cursor[Any]:
    """A tuple-row cursor kept on its connection for the hot statements (a command's load and
    save). A new cursor learns its parameter dumpers and column loaders afresh at its first
    execute; the kept one has them from the last: about 12 µs of CPU per statement. Safe to
    share: a pooled connection serves one thread at a time, and each execute starts afresh.
    (Held as an attribute: a cursor refers to its connection, so a weak mapping keyed by the
    connection would keep every connection alive.)"""
    curs: psycopg.Cursor[Any] | None = getattr(conn, _KEPT, None)
    if curs is None or curs.closed:
        curs = conn.cursor(row_factory=tuple_row)
        setattr(conn, _KEPT, curs)
    return curs
