"""The event store's PostgreSQL factory: no ping before each query, a lost server noticed once.

The library's ``POSTGRES_PRE_PING`` runs a query on every connection the pool hands out: one
extra round trip before every load and every save. Without it, a connection a PostgreSQL restart
killed fails its first statement instead; the library's recorders retry such failures (its
``retry`` on ``InterfaceError``/``OperationalError``), and this datastore first has the pool
check every idle connection at once (``pool.check()``), so the retry gets a live one rather than
the next dead one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresDatastore, PostgresFactory


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


FACTORY_TOPIC = f"{__name__}:{SirismaPostgresFactory.__qualname__}"
