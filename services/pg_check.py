"""The pools' check of a connection before handing it out, without a round trip (issue 19).

psycopg_pool runs a pool's ``check`` on every connection it hands out. Its own
``ConnectionPool.check_connection`` (and the event-store library's ``POSTGRES_PRE_PING``) sends
an empty query: one round trip before every statement, most of a short command's waiting.

``check_idle`` asks the operating system instead. An idle connection in a pool has nothing to
read: the server only speaks when asked. When PostgreSQL shuts down or a backend is terminated
(a restart, ``pg_terminate_backend``, an idle timeout), the server sends its FATAL message and
closes the socket, which then polls readable. So a readable socket (or a closed or bad
connection) is checked the old way — which fails for a dead one, and the pool discards it and
hands out the next — and ``on_lost`` runs once, so the caller can have every idle connection
checked at once (a restart kills them all). A NOTIFY waiting on the socket also makes it
readable: that costs the old round trip, nothing worse.

What this does not see, the ping would have met as a long timeout anyway: a peer gone without a
word (a network cut, no FIN). The statement that then fails raises as it would after a ping that
passed a moment before the server died; reads are retried once by their callers.
"""

from __future__ import annotations

import select
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg import OperationalError
from psycopg.pq import ConnStatus, TransactionStatus
from psycopg_pool import AsyncConnectionPool, ConnectionPool


def has_unasked_input(conn: Any) -> bool:
    """The server sent something this idle connection did not ask for (or it is not usable)."""
    pgconn = conn.pgconn
    if conn.closed or pgconn.status != ConnStatus.OK:
        return True
    if pgconn.transaction_status != TransactionStatus.IDLE:
        return True
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def idle_check(on_lost: Callable[[], None] | None = None) -> Callable[[Any], None]:
    """A psycopg_pool ``check=``: free for a quiet idle connection, the empty query otherwise."""

    def check(conn: Any) -> None:
        if not has_unasked_input(conn):
            return
        try:
            ConnectionPool.check_connection(conn)
        except Exception:
            if on_lost is not None:
                on_lost()
            raise
        if conn.closed:  # pragma: no cover - the empty query succeeded on a closed connection
            raise OperationalError("connection closed")

    return check


def async_idle_check(
    on_lost: Callable[[], Awaitable[None]] | None = None,
) -> Callable[[Any], Awaitable[None]]:
    """``idle_check`` for an ``AsyncConnectionPool``: the same socket poll, the same fallback."""

    async def check(conn: Any) -> None:
        if not has_unasked_input(conn):
            return
        try:
            await AsyncConnectionPool.check_connection(conn)
        except Exception:
            if on_lost is not None:
                await on_lost()
            raise
        if conn.closed:  # pragma: no cover - the empty query succeeded on a closed connection
            raise OperationalError("connection closed")

    return check
