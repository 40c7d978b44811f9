"""Where read models live, and the connections that write them.

A ``Target`` is the read-model database of this deployment (PostgreSQL, or the SQLite file of the
embedded mode), optionally narrowed to a named *schema*: a separate PostgreSQL schema (through
``search_path``) or a separate SQLite file. Schemas hold read models rebuilt "as of" a past time
for auditors, and the scratch copies that ``verify`` compares against.

A runner writes through one dedicated ``Session``: on PostgreSQL that one connection also holds
the runner's advisory locks, so if the connection dies, the locks die with it and a standby takes
over; nothing can be written under a lock that is no longer held. On SQLite the locks are
``flock`` locks on small files next to the database (same semantics between processes).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from services.config import Settings
from services.db import Database, PipelinedTx, Tx

_IDLE = 0  # libpq's PQTRANS_IDLE: no transaction open on the connection
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
LOCK_NAMESPACE = "sirisma.projection:"


class InvalidSchema(ValueError):
    pass


def check_schema(schema: str) -> str:
    if not SCHEMA_NAME.match(schema) or schema in ("public", "pg_catalog", "information_schema"):
        raise InvalidSchema(
            f"Nama skema '{schema}' tidak valid: huruf kecil, angka dan garis bawah, "
            "diawali huruf, selain 'public'."
        )
    return schema


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a lock name."""
    digest = hashlib.blake2b((LOCK_NAMESPACE + name).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Target:
    def __init__(self, settings: Settings, schema: str | None = None) -> None:
        self.settings = settings
        self.schema = check_schema(schema) if schema else None
        self.dialect = "postgres" if settings.is_postgres else "sqlite"

    @property
    def label(self) -> str:
        return self.schema or "main"

    # -- PostgreSQL ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The database URL for this target (with ``search_path`` for a schema)."""
        url = self.settings.database_url
        if self.dialect != "postgres" or not self.schema:
            return url
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}options={quote(f'-c search_path={self.schema}')}"

    # -- SQLite ----------------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        if self.schema:
            return self.settings.data_path / f"readmodels-{self.schema}.sqlite3"
        return self.settings.read_db_path

    # -- connections -----------------------------------------------------------------------------

    def connect(self) -> Session:
        if self.dialect == "postgres":
            import psycopg

            if self.schema:
                with psycopg.connect(self.settings.database_url, autocommit=True) as admin:
                    admin.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            conn = psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=10,
                application_name="sirisma-projections",
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=5,
                keepalives_count=3,
            )
            # lz4 TOAST compression costs a fraction of pglz when profiles are written in bulk;
            # servers built without lz4 refuse the setting and keep their default.
            with contextlib.suppress(psycopg.Error):
                conn.execute("SET default_toast_compression = 'lz4'")
            return Session(self, conn)
        self.settings.data_path.mkdir(parents=True, exist_ok=True)
        lite: Any = sqlite3.connect(
            str(self.path), timeout=30, isolation_level=None, check_same_thread=False
        )
        lite.execute("PRAGMA journal_mode=WAL")
        lite.execute("PRAGMA synchronous=NORMAL")
        return Session(self, lite)

    def database(self) -> Database:
        """A pooled ``Database`` reading this target (what HTTP routes use)."""
        import msgspec

        if self.dialect == "postgres":
            return Database(msgspec.structs.replace(self.settings, database_url=self.url))
        db = Database(self.settings)
        db.path = str(self.path)
        return db

    def lock_dir(self) -> Path:
        folder = self.settings.data_path / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        return folder


class Session:
    """One connection: transactions, advisory locks and plain reads outside a transaction."""

    def __init__(self, target: Target, conn: Any) -> None:
        self.target = target
        self.conn = conn
        self.dialect = target.dialect
        self._locks: dict[str, Any] = {}

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Commit on success, roll back on any exception."""
        if self.dialect == "postgres":
            with self.conn.transaction():
                yield Tx(self.conn, "postgres")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield Tx(self.conn, "sqlite")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def pipelined(self) -> Iterator[Tx]:
        """A transaction sent in PostgreSQL's pipeline mode: BEGIN travels with the first query
        whose result is read, and every statement whose result is not read (the upserts, the
        position update) travels with COMMIT. A live step is then two or three round trips
        instead of seven or eight, and under a busy CPU each round trip is a wait for the
        server's process to be scheduled. Same atomicity: an error anywhere leaves nothing (the
        server skips to the sync, the transaction is rolled back). No COPY inside
        (``projections.sql.upsert`` checks ``in_pipeline``). SQLite: a plain transaction."""
        if self.dialect != "postgres":
            with self.transaction() as tx:
                yield tx
            return
        conn = self.conn
        try:
            with conn.pipeline():
                conn.execute("BEGIN")
                yield PipelinedTx(conn, "postgres")
                conn.execute("COMMIT")  # the pipeline's end sends the sync and reads it
        except BaseException:
            if not conn.closed and conn.pgconn.transaction_status != _IDLE:
                with contextlib.suppress(Exception):
                    conn.execute("ROLLBACK")
            raise

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """A read outside any explicit transaction (autocommit)."""
        tx = Tx(self.conn, self.dialect)
        return tx.execute(sql, params).fetchall()

    # -- locks -----------------------------------------------------------------------------------

    def try_lock(self, name: str) -> bool:
        """Take the exclusive lock ``name`` for this session, without waiting."""
        if name in self._locks:
            return True
        if self.dialect == "postgres":
            key = lock_key(f"{self.target.label}:{name}")
            got = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
            if got:
                self._locks[name] = key
            return bool(got)
        path = self.target.lock_dir() / f"{self.target.label}.{name}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._locks[name] = fd
        return True

    def unlock(self, name: str) -> None:
        held = self._locks.pop(name, None)
        if held is None:
            return
        if self.dialect == "postgres":
            with contextlib.suppress(Exception):
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (held,))
            return
        with contextlib.suppress(OSError):
            fcntl.flock(held, fcntl.LOCK_UN)
            os.close(held)

    @property
    def locks(self) -> set[str]:
        return set(self._locks)

    def close(self) -> None:
        for name in list(self._locks):
            if self.dialect == "postgres":
                self._locks.pop(name)  # closing the connection releases them
            else:
                self.unlock(name)
        with contextlib.suppress(Exception):
            self.conn.close()
