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
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Iterator
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresDatastore, PostgresFactory

from services.pg_check import idle_check


class ReconnectingDatastore(PostgresDatastore):
    @contextlib.contextmanager
    def get_connection(self) -> Iterator[Any]:
        try:
            with super().get_connection() as conn:
                yield conn
        except (InterfaceError, OperationalError):
            with contextlib.suppress(Exception):
                self.pool.check()  # replaces every dead idle connection now
            raise


class SirismaPostgresFactory(PostgresFactory):
    def __init__(self, env: Any) -> None:
        super().__init__(env)
        # The library builds a PostgresDatastore; this one only adds the except clause above.
        self.datastore.__class__ = ReconnectingDatastore
        pool = self.datastore.pool
        # psycopg_pool takes ``check`` only as a constructor argument, and the library builds
        # the pool (unopened) with ``check=None`` unless POSTGRES_PRE_PING: set it before use.
        pool._check = idle_check(functools.partial(_check_all, weakref.ref(pool)))


def _check_all(pool_ref: weakref.ref[Any]) -> None:
    pool = pool_ref()  # a weak reference: the pool's own check must not keep it alive
    if pool is not None:
        with contextlib.suppress(Exception):
            pool.check()


FACTORY_TOPIC = f"{__name__}:{SirismaPostgresFactory.__qualname__}"
