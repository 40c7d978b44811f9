"""The event store's PostgreSQL factory: no ping before each query, a lost server noticed once.

The library's ``POSTGRES_PRE_PING`` runs a query on every connection the pool hands out: one
extra round trip before every load and every save. Instead the pool's check is
``services.pg_check.idle_check``: no round trip for a quiet idle connection; one the server
closed (a PostgreSQL restart) polls readable, fails the real check and is replaced, and the pool
then checks every idle connection at once (``pool.check()``) rather than finding the dead ones
one by one behind its backoff. A connection that dies later, mid-statement, fails that
statement; the library's recorders retry such failures (its ``retry`` on
``InterfaceError``/``OperationalError``), and this datastore first has the pool check every idle
connection, so the retry gets a live one rather than the next dead one.

The pool hands out its most recently returned connection first (``RecentFirstPool``): under
load a few warm connections serve the statements instead of every connection in turn.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from typing import Any

import psycopg
from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)
from eventsourcing.postgres import ConnectionPool, PostgresDatastore, PostgresFactory
from psycopg.types.composite import register_composite
from psycopg_pool import PoolTimeout

from services.pg_check import idle_check


class ReconnectingDatastore(PostgresDatastore):
    def get_connection(self) -> Any:
        """The library's ``get_connection`` as one object (``Checkout``), and on a lost
        connection the pool checks every idle one."""
        return Checkout(self)

    def lost(self) -> None:
        with contextlib.suppress(Exception):
            self.pool.check()  # replaces every dead idle connection now


# psycopg's errors as the library's ``PostgresDatastore.get_connection`` raises them, most
# specific first (``tests/test_pg_pool.py`` compares the two for every class).
_MAPPED: tuple[tuple[type[psycopg.Error], type[PersistenceError]], ...] = (
    (psycopg.InterfaceError, InterfaceError),
    (psycopg.OperationalError, OperationalError),
    (psycopg.DataError, DataError),
    (psycopg.IntegrityError, IntegrityError),
    (psycopg.InternalError, InternalError),
    (psycopg.ProgrammingError, ProgrammingError),
    (psycopg.NotSupportedError, NotSupportedError),
    (psycopg.DatabaseError, DatabaseError),
    (psycopg.Error, PersistenceError),
)


def persistence_error(exc: psycopg.Error) -> PersistenceError:
    for theirs, ours in _MAPPED:
        if isinstance(exc, theirs):
            return ours(str(exc))
    return PersistenceError(str(exc))  # pragma: no cover - psycopg.Error is the last row


class Checkout:
    """A pooled connection for a ``with`` block: what the library's generator-based
    ``get_connection`` does (open the pool on first use, hand out a connection, commit or roll
    back as ``with conn:`` does, return it, raise psycopg's errors as the library's), without
    its three nested generator context managers and a pool ``open`` (a lock) on every call:
    two checkouts a command, ~5 µs each."""

    __slots__ = ("conn", "datastore")

    def __init__(self, datastore: ReconnectingDatastore) -> None:
        self.datastore = datastore
        self.conn: Any = None

    def __enter__(self) -> Any:
        datastore = self.datastore
        pool = datastore.pool
        try:
            if pool.closed:
                timeout = datastore.pool_open_timeout
                pool.open(timeout is not None, timeout or 30.0)
            conn = self.conn = pool.getconn()
        except psycopg.Error as exc:
            raise self._raised(exc) from exc
        for info in datastore.psycopg_type_adapters.values():
            if not conn.adapters.types.get(info.oid):
                register_composite(info, conn)
        return conn

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        conn, pool = self.conn, self.datastore.pool
        self.conn = None
        try:
            conn.__exit__(kind, exc, tb)  # commit, or roll back after an error
        except psycopg.Error as failed:
            if exc is None:
                raise self._raised(failed) from failed
        finally:
            pool.putconn(conn)
        if isinstance(exc, psycopg.Error):
            raise self._raised(exc) from exc
        if isinstance(exc, (InterfaceError, OperationalError)):
            self.datastore.lost()

    def _raised(self, exc: psycopg.Error) -> PersistenceError:
        mapped = persistence_error(exc)
        if isinstance(mapped, (InterfaceError, OperationalError)):
            self.datastore.lost()
        return mapped


class SirismaPostgresFactory(PostgresFactory):
    def __init__(self, env: Any) -> None:
        super().__init__(env)
        # The library builds a PostgresDatastore; this one hands out connections by Checkout.
        self.datastore.__class__ = ReconnectingDatastore
        pool = self.datastore.pool
        pool.__class__ = RecentFirstPool  # the library builds a ConnectionPool: same state
        # psycopg_pool takes ``check`` only as a constructor argument, and the library builds
        # the pool (unopened) with ``check=None`` unless POSTGRES_PRE_PING: set it before use.
        pool._check = idle_check(functools.partial(_check_all, weakref.ref(pool)))


def _check_all(pool_ref: weakref.ref[Any]) -> None:
    pool = pool_ref()  # a weak reference: the pool's own check must not keep it alive
    if pool is not None:
        with contextlib.suppress(Exception):
            pool.check()


FACTORY_TOPIC = f"{__name__}:{SirismaPostgresFactory.__qualname__}"


class RecentFirstPool(ConnectionPool[Any]):
    """psycopg_pool hands out its idle connections oldest first (a queue), so a process's
    statements go round every connection it holds, each with its own server process: every
    statement then meets a backend (and a client connection) whose memory the CPU caches lost
    since its last turn. This pool hands out the most recently returned one first (a stack): a
    few connections, kept warm, serve the load, and the rest wait for a burst (the pool still
    shrinks from its least recently used end). It overrides psycopg_pool's private
    ``_get_ready_connection`` (3.3, pinned in uv.lock): ``tests/test_pg_pool.py`` fails if an
    upgrade changes it."""

    def _get_ready_connection(self, timeout: float | None) -> Any:
        if timeout is not None and timeout <= 0.0:
            raise PoolTimeout()
        if self._pool:
            conn = self._pool.pop()  # the most recently returned
            if len(self._pool) < self._nconns_min:
                self._nconns_min = len(self._pool)
            return conn
        return super()._get_ready_connection(timeout)
