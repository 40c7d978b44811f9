"""The session lookup on the event loop (PostgreSQL): an async pool of its own (issue 19).

Every authenticated request looks its session up. Run through ``sync_to_thread`` it pays a hop
to a worker thread and back (its scheduling and the GIL handover cost more CPU than the
statement); here the one statement (``sessions.lookup_sql``) runs on the request's own event
loop, on a small ``AsyncConnectionPool`` that the app's lifespan opens and closes. The rule
(revoked, expired) is ``sessions.live_session``'s, the same as the threaded path's, which stays
for SQLite (the embedded mode) and for an app whose lifespan did not run. (A command route's
bearer request reads its session in its load's statement instead: ``auth.DeferredSession``.)
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.identity.sessions import Live, live_session, lookup_sql, token_hash

if TYPE_CHECKING:
    from litestar import Litestar

#: The app state's key for the pool (absent: the threaded lookup).
STATE_KEY = "session_pool"
#: How its connections show in ``pg_stat_activity``.
APPLICATION_NAME = "sirisma-sessions"
#: Connections per process: one statement each, on one event loop.
MAX_SIZE = 4
#: The app state's key for a scalar subquery read with the lookup of a GET request (absent:
#: none). The read routes put the read models' marks there (``services.reads.answers``): a
#: read then learns whether its kept answer stands without a round trip of its own.
RIDER_KEY = "session_lookup_rider"


class SessionPool:
    """The session lookup's statement on an ``AsyncConnectionPool`` (autocommit: one SELECT)."""

    def __init__(
        self, database_url: str, version_sql: str | None, rider_sql: str | None = None
    ) -> None:
        from psycopg_pool import AsyncConnectionPool

        from services.pg_check import async_idle_check

        self.version_sql = version_sql
        self.sql = lookup_sql(version_sql).replace("?", "%s")
        self.rider_sql = rider_sql
        self.sql_with_rider = lookup_sql(version_sql, rider_sql).replace("?", "%s")
        self.pool = AsyncConnectionPool(
            database_url,
            min_size=1,
            max_size=MAX_SIZE,
            open=False,
            # Prepared at its first run on a connection (psycopg's default waits for five;
            # its preparing costs a round trip): the statement never changes.
            kwargs={
                "autocommit": True,
                "application_name": APPLICATION_NAME,
                "prepare_threshold": 0,
            },
            check=async_idle_check(self._lost),  # no round trip unless the server spoke
        )

    async def _lost(self) -> None:
        """As ``Database._lost``: a dead connection means the server went away; drop them all."""
        with contextlib.suppress(Exception):
            await self.pool.check()

    async def lookup(self, token: str, now: datetime | None = None) -> Live | None:
        """The live session behind ``token`` (None: unknown, expired or revoked)."""
        return (await self.lookup_with_rider(token, now, rider=False))[0]

    async def lookup_with_rider(
        self, token: str, now: datetime | None = None, *, rider: bool = True
    ) -> tuple[Live | None, Any]:
        """The live session behind ``token`` and, with ``rider`` (and a ``rider_sql``), the
        rider's value read by the same statement (None without). A read, so a dead connection
        is retried once (as ``Database._single`` does)."""
        rider = rider and self.rider_sql is not None
        sql = self.sql_with_rider if rider else self.sql
        row = await self._read_one(sql, (token_hash(token),))
        if row is None:
            return None, None
        found: tuple[Any, ...] = tuple(row)
        ridden = found[-1] if rider else None
        if rider:
            found = found[:-1]
        if not self.version_sql:
            found = (*found, None)
        return live_session(found, now, with_version=self.version_sql is not None), ridden

    async def read_rider(self) -> Any:
        """The rider's value alone (one statement on this pool; None without a ``rider_sql``):
        what a caller with no session to look up needs on the event loop (the public
        catalogue's kept answers). A read: a dead connection is retried once."""
        if self.rider_sql is None:
            return None
        row = await self._read_one(f"SELECT ({self.rider_sql})", ())
        return None if row is None else row[0]

    async def _read_one(self, sql: str, params: tuple[Any, ...]) -> Any:
        """One row of a read on this pool; a dead connection is retried once (as
        ``Database._single`` does)."""
        import psycopg

        for attempt in (1, 2):
            try:
                async with self.pool.connection() as conn:
                    cursor = await conn.execute(sql, params)
                    return await cursor.fetchone()
            except (psycopg.OperationalError, psycopg.InterfaceError):
                await self._lost()
                if attempt == 2:
                    raise
        return None  # not reached: the second failure raises


async def read_rider(app: Litestar) -> Any:
    """``SessionPool.read_rider`` of this process's pool (None without one: SQLite, or no
    lifespan)."""
    held: SessionPool | None = app.state.get(STATE_KEY)
    return None if held is None else await held.read_rider()


async def open_pool(app: Litestar) -> None:
    """Lifespan start: on PostgreSQL, open this process's pool for the session lookup."""
    from services.identity.auth import principals

    runtime = app.state.runtime
    if not runtime.settings.is_postgres:
        return
    held = SessionPool(
        runtime.settings.database_url,
        principals(runtime).version_sql,
        app.state.get(RIDER_KEY),
    )
    await held.pool.open()
    app.state[STATE_KEY] = held


async def close_pool(app: Litestar) -> None:
    """Lifespan end: close the pool (requests after it take the threaded path)."""
    held: SessionPool | None = app.state.pop(STATE_KEY, None) if STATE_KEY in app.state else None
    if held is not None:
        await held.pool.close()
