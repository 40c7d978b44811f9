"""Tracking positions: how far each read model has applied the notification log.

The position is written in the same transaction as the read model's rows. Before applying a
batch, the writer locks the model's row (``FOR UPDATE`` on PostgreSQL; SQLite's write
transactions are exclusive) and checks that the position is still the one the batch was read
after. So even two writers that both believe they own a model can never apply an event twice:
the second one finds the position moved and re-reads instead.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from projections.sql import ts
from services import ddl, quarantine
from services.db import Tx

TABLE = "projection_tracking"

SCHEMA = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        name TEXT PRIMARY KEY,
        position BIGINT NOT NULL DEFAULT 0,
        event_time TEXT,
        updated_at TEXT,
        owner TEXT,
        until TEXT,
        signature TEXT
    )"""
]


def owner_id() -> str:
    """Who holds a model's lease: this host, process and a random tag (runner or rebuild)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


#: Transaction-level advisory lock taken before creating read-model tables on PostgreSQL:
#: concurrent ``CREATE TABLE IF NOT EXISTS`` of the same table can otherwise fail.
SCHEMA_LOCK = 5_151_001
LOCK_STATEMENT = f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})"


def ensure_schema(tx: Tx, statements: list[str] | None = None) -> None:
    """Create the tracking table (and ``statements``), serialised with other processes; on an
    up-to-date database nothing runs and no table is locked (``services.ddl``)."""
    if tx.dialect != "postgres":
        tx.execute(SCHEMA[0])
        quarantine.ensure_schema(tx)
        _add_signature_column(tx)
        for statement in statements or []:
            tx.execute(statement)
        return
    ddl.run_missing(
        tx,
        [SCHEMA[0], *quarantine.SCHEMA, SIGNATURE_COLUMN, *(statements or [])],
        LOCK_STATEMENT,
    )


def hold_schema(tx: Tx) -> None:
    """Keep every other process's ``ensure_schema`` waiting until this transaction ends, even
    when nothing is missing here (``ensure_schema`` then takes no lock). A rebuild's swap holds
    it: a runner setting up a model's tables beside the swap would otherwise create the table
    the swap is about to rename its shadow to, and the swap fail on the name."""
    if tx.dialect == "postgres":
        tx.execute(LOCK_STATEMENT)


#: Tracking tables created before ``signature`` existed get the column.
SIGNATURE_COLUMN = f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS signature TEXT"


def _add_signature_column(tx: Tx) -> None:
    """SQLite has no ``ADD COLUMN IF NOT EXISTS``."""
    columns = [r[1] for r in tx.execute(f"PRAGMA table_info({TABLE})").fetchall()]
    if "signature" not in columns:
        tx.execute(f"ALTER TABLE {TABLE} ADD COLUMN signature TEXT")


def signature(projection: Any, dialect: str) -> str:
    """What a model's stored shape is checked against: its table definitions and ``version``.
    Change either and the runner rebuilds the model (through shadow tables) before using it."""
    text = (
        "\n".join(projection.schema(dialect, "")) + f"\nversion={getattr(projection, 'version', 1)}"
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Position(msgspec.Struct, frozen=True):
    name: str
    position: int
    event_time: str | None
    updated_at: str | None
    owner: str | None
    until: str | None
    signature: str | None = None


def lock(tx: Tx, name: str) -> int:
    """The model's position, locked for this transaction (the row is created at 0 if missing)."""
    return lock_owned(tx, name)[0]


def lock_owned(tx: Tx, name: str) -> tuple[int, str | None]:
    """``lock``, and who wrote the row last (``owner``): every writer of a model's tables
    stamps the row in the same transaction, so a runner that finds another name there knows
    the tables changed under the state it keeps in memory."""
    tx.execute(
        f"INSERT INTO {TABLE} (name, position) VALUES (?, 0) ON CONFLICT (name) DO NOTHING",
        (name,),
    )
    suffix = " FOR UPDATE" if tx.dialect == "postgres" else ""
    row = tx.execute(f"SELECT position, owner FROM {TABLE} WHERE name = ?{suffix}", (name,))
    position, owner = row.fetchone() or (0, None)
    return int(position), owner


def advance(
    tx: Tx,
    name: str,
    position: int,
    *,
    event_time: datetime | None,
    owner: str,
    until: datetime | None = None,
    signature: str | None = None,
) -> None:
    tx.execute(
        f"UPDATE {TABLE} SET position = ?, event_time = COALESCE(?, event_time), "
        "updated_at = ?, owner = ?, until = ?, signature = COALESCE(?, signature) WHERE name = ?",
        (position, ts(event_time), ts(datetime.now(UTC)), owner, ts(until), signature, name),
    )


def stamp(tx: Tx, name: str, owner: str) -> None:
    """Mark the model's tables as written by ``owner`` in this transaction, its position
    unchanged (a writer other than the runner: a quarantined event applied later)."""
    tx.execute(
        f"UPDATE {TABLE} SET owner = ?, updated_at = ? WHERE name = ?",
        (owner, ts(datetime.now(UTC)), name),
    )


def lock_all(tx: Tx, names: list[str]) -> Callable[[], dict[str, tuple[int, str | None]]]:
    """Lock the named models' rows for this transaction in one statement (in name order, so two
    writers locking several rows cannot deadlock); their positions and last writers
    (``lock_owned``) when the returned function is called (a missing row is left out). In a
    pipelined transaction the statement is sent now and locks at once, but its result travels
    with the models' own reads: the caller applies the batch first and checks the positions
    before it commits. One ``?`` per name, not an array: psycopg dumps a list element by
    element in Python, a cost paid on every live step."""
    marks = ", ".join("?" * len(names))
    lock = " ORDER BY name FOR UPDATE" if tx.dialect == "postgres" else ""  # SQLite: exclusive
    rows = tx.later(
        f"SELECT name, position, owner FROM {TABLE} WHERE name IN ({marks}){lock}", names
    )
    return lambda: {r[0]: (int(r[1]), r[2]) for r in rows()}


_ADVANCE_ALL: dict[int, str] = {}


def advance_all(tx: Tx, moves: list[tuple[str, int, datetime | None]], *, owner: str) -> None:
    """``advance`` of several models (name, position, event time) in one statement (PostgreSQL:
    the moves as a ``VALUES`` list of ``$n`` parameters, not arrays, as ``lock_all``)."""
    now = ts(datetime.now(UTC))
    if tx.dialect != "postgres":
        tx.executemany(
            f"UPDATE {TABLE} SET position = ?, event_time = COALESCE(?, event_time), "
            "updated_at = ?, owner = ?, until = NULL WHERE name = ?",
            [(position, ts(when), now, owner, name) for name, position, when in moves],
        )
        return
    sql = _ADVANCE_ALL.get(len(moves))
    if sql is None:
        values = ", ".join(
            f"(${3 * i + 3}, ${3 * i + 4}::bigint, ${3 * i + 5})" for i in range(len(moves))
        )
        sql = _ADVANCE_ALL[len(moves)] = (
            f"UPDATE {TABLE} AS t SET position = m.position, "
            "event_time = COALESCE(m.event_time, t.event_time), updated_at = $1, owner = $2, "
            f"until = NULL FROM (VALUES {values}) AS m(name, position, event_time) "
            "WHERE t.name = m.name"
        )
    params: list[Any] = [now, owner]
    for name, position, when in moves:
        params += (name, position, ts(when))
    tx.execute_numbered(sql, params)


def read(tx: Tx, names: list[str] | None = None) -> dict[str, Position]:
    rows = tx.execute(
        f"SELECT name, position, event_time, updated_at, owner, until, signature FROM {TABLE}"
    ).fetchall()
    found = {r[0]: Position(r[0], int(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows}
    if names is None:
        return found
    return {n: found[n] for n in names if n in found}


def remove(tx: Tx, name: str) -> None:
    tx.execute(f"DELETE FROM {TABLE} WHERE name = ?", (name,))
