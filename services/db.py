"""SQL database for everything that is not the event log: read models, sessions, idempotency
keys, inbox and task bookkeeping. PostgreSQL (psycopg 3 pool) or an SQLite file in embedded mode.

Statements are written once with ``?`` placeholders; on PostgreSQL they become ``%s``. Keep SQL
to the common subset (``INSERT … ON CONFLICT``, ``RETURNING``) so both dialects run the same text.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from services.config import Settings

_PLACEHOLDER = re.compile(r"\?")


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Tx:
    """One transaction: ``execute``/``fetch*`` with ``?`` placeholders on either dialect."""

    def __init__(self, conn: Any, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect
        self.cursor = conn.cursor()
        self._raw: Any = None

    def _sql(self, sql: str) -> str:
        return _PLACEHOLDER.sub("%s", sql) if self.dialect == "postgres" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Tx:
        self.cursor.execute(self._sql(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(self._sql(sql), [tuple(r) for r in rows])

    def execute_numbered(self, sql: str, params: Sequence[Any]) -> None:
        """PostgreSQL: ``sql`` with ``$1, $2, …`` placeholders, whose rows nobody reads, passed
        to the server as written. psycopg parses a ``%s`` text on every call when it has more
        than 50 parameters (it caches only shorter ones): a multi-row insert would pay that
        parsing each time."""
        if self._raw is None:
            from psycopg import RawCursor

            self._raw = RawCursor(self.conn)  # one per transaction: its results are never read
        self._raw.execute(sql, params)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.cursor.fetchone()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self.cursor.fetchall())

    def later(self, sql: str, params: Sequence[Any] = ()) -> Callable[[], list[tuple[Any, ...]]]:
        """Run ``sql``; its rows when the returned function is called. Here they are read at
        once; a pipelined transaction reads them only when asked, so they travel with the next
        statement whose result is read (no round trip of their own)."""
        rows = self.execute(sql, params).fetchall()
        return lambda: rows

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.execute(sql, params).fetchone()
        return row[0] if row else None

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self.execute(sql, params)
        names = self._names()
        return [dict(zip(names, row, strict=True)) for row in self.cursor.fetchall()]

    def _names(self) -> list[str]:
        """The result's column names; on PostgreSQL from the result itself, as psycopg's own
        ``dict_row`` reads them (``description`` builds a column object per column)."""
        result = getattr(self.cursor, "pgresult", None)
        if result is None:
            return [d[0] for d in self.cursor.description or ()]
        return [result.fname(i).decode() for i in range(result.nfields)]


class PipelinedTx(Tx):
    """A transaction sent in psycopg's pipeline mode (``projections.target.Session.pipelined``):
    every statement gets a cursor of its own. A result reaches the cursor that queued its
    statement whenever it arrives, often while a LATER statement is being sent; on one shared
    cursor a read then found an earlier statement's result already there and returned it (an
    earlier query's rows, or "the last operation didn't produce records (INSERT 0 1)")."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Tx:
        self.cursor = self.conn.cursor()
        return super().execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor = self.conn.cursor()
            super().executemany(sql, rows)

    def later(self, sql: str, params: Sequence[Any] = ()) -> Callable[[], list[tuple[Any, ...]]]:
        cursor = self.execute(sql, params).cursor
        return lambda: list(cursor.fetchall())


class Database:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dialect = "postgres" if settings.is_postgres else "sqlite"
        self._local = threading.local()
        self._pool: Any = None
        if self.dialect == "postgres":
            from psycopg_pool import ConnectionPool

            from services.pg_check import idle_check

            self._pool = ConnectionPool(
                settings.database_url,
                min_size=1,
                max_size=settings.pool_size,
                open=True,
                kwargs={"autocommit": False},
                check=idle_check(self._lost),  # no round trip unless the server spoke
            )
        else:
            settings.data_path.mkdir(parents=True, exist_ok=True)
            self.path = str(settings.read_db_path)

    # -- connections -------------------------------------------------------------------------

    def _lost(self) -> None:
        """A connection the pool was about to hand out is dead (services/pg_check.py): the
        server went away, so every idle connection is dead too. The pool waits 1 s, 2 s, 4 s…
        between failed checks, so finding them one by one would stall a caller for seconds (ten
        of them: past the 30 s pool timeout); ``pool.check()`` instead discards all the dead
        idle connections at once and opens new ones."""
        with contextlib.suppress(Exception):
            self._pool.check()

    def _single(self, sql: str, params: Sequence[Any], fetch: str) -> Any:
        """One statement on an autocommit connection: no BEGIN/COMMIT round trips around it (one
        statement is atomic on its own). A read that met a dead connection is run again once; a
        write is not (it may have been applied before the connection died)."""
        import psycopg

        retry = sql.lstrip()[:6].upper() == "SELECT"
        for attempt in (1, 2):
            try:
                with self._pool.connection() as conn:
                    conn.autocommit = True
                    try:
                        tx = Tx(conn, self.dialect)
                        return tx.rows(sql, params) if fetch == "rows" else tx.scalar(sql, params)
                    finally:
                        if not conn.closed:
                            conn.autocommit = False
            except (psycopg.OperationalError, psycopg.InterfaceError):
                self._lost()
                if attempt == 2 or not retry:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _sqlite(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Commit on success, roll back on any exception (nothing partial is kept)."""
        if self._pool is not None:
            with self._pool.connection() as conn, conn.transaction():
                yield Tx(conn, self.dialect)
            return
        conn = self._sqlite()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield Tx(conn, self.dialect)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A raw connection (psycopg or sqlite3) for COPY, LISTEN or advisory locks."""
        if self._pool is not None:
            with self._pool.connection() as conn:
                yield conn
        else:
            yield self._sqlite()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        if self._pool is not None:
            return self._single(sql, params, "rows")  # type: ignore[no-any-return]
        with self.transaction() as tx:
            return tx.rows(sql, params)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self._pool is not None:
            return self._single(sql, params, "scalar")
        with self.transaction() as tx:
            return tx.scalar(sql, params)

    def execute_script(self, statements: Sequence[str]) -> None:
        with self.transaction() as tx:
            for statement in statements:
                tx.execute(statement)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
