"""Schema statements that would change nothing are not sent.

On PostgreSQL, ``IF NOT EXISTS`` is checked only after the table lock is taken: ``CREATE INDEX
IF NOT EXISTS`` of an index that exists still takes its table's SHARE lock (it waits for every
write in flight, and every write queued behind it waits too), ``ALTER TABLE … ADD COLUMN IF NOT
EXISTS`` an ACCESS EXCLUSIVE one, ``CREATE OR REPLACE TRIGGER`` a SHARE ROW EXCLUSIVE one. Every
process starts by bringing the schema up to date (web workers, runners, the relay, each CLI
command), so on a busy database each start held up the commands and the read models for as long
as the slowest write, or an autovacuum, took to let go. ``pending`` asks the catalogue first
and keeps only the statements whose object is missing or different; on an up-to-date database
that is none, and no lock is taken at all.

``ALTER TABLE|INDEX … ALTER COLUMN … SET STATISTICS`` (a SHARE UPDATE EXCLUSIVE lock, which
waits for an autovacuum of the table) is checked against each column's target the same way.

Statements it does not recognise are always kept (they run as before).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.db import Tx

#: Serialises schema set-up across processes: services starting together (the cluster, compose
#: replicas) would otherwise deadlock on the triggers' table locks.
SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('sirisma-schema'))"

_NAME = r'(?:"[^"]+"|[A-Za-z_][\w$]*)'
_QNAME = rf"({_NAME}(?:\.{_NAME})?)"

_TABLE = re.compile(rf"\s*CREATE\s+(?:UNLOGGED\s+)?TABLE\s+IF\s+NOT\s+EXISTS\s+{_QNAME}", re.I)
_INDEX = re.compile(
    rf"\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+IF\s+NOT\s+EXISTS\s+({_NAME})\s+ON\s+(?:ONLY\s+)?{_QNAME}",
    re.I,
)
_COLUMN = re.compile(
    rf"\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QNAME}\s+ADD\s+COLUMN\s+IF\s+NOT\s+EXISTS\s+({_NAME})\s",
    re.I,
)
_STATISTICS = re.compile(
    rf"\s*ALTER\s+(?:TABLE|INDEX)\s+{_QNAME}\s+"
    rf"((?:,?\s*ALTER\s+COLUMN\s+(?:{_NAME}|\d+)\s+SET\s+STATISTICS\s+-?\d+\s*)+)$",
    re.I,
)
#: One column's target; an index's expression columns go by number (``ALTER INDEX``).
_TARGET = re.compile(rf"ALTER\s+COLUMN\s+({_NAME}|\d+)\s+SET\s+STATISTICS\s+(-?\d+)", re.I)
_TRIGGER = re.compile(
    rf"\s*CREATE\s+OR\s+REPLACE\s+TRIGGER\s+({_NAME})\s.*?\sON\s+{_QNAME}\s", re.I | re.S
)
_FUNCTION = re.compile(
    rf"\s*CREATE\s+OR\s+REPLACE\s+FUNCTION\s+{_QNAME}\s*\(\s*\).*?\$\$(.*)\$\$", re.I | re.S
)


def pending(conn: Any, statements: Sequence[str]) -> list[str]:
    """The statements still to run, in their order. ``conn``: a psycopg connection (its
    transaction is used; its row factory does not matter)."""
    from psycopg.rows import tuple_row

    checks = [_check(s) for s in statements]
    relations = sorted({a for c in checks if c and c[0] == "relation" for a in c[1:]})
    columns = sorted({c[1:] for c in checks if c and c[0] == "column"})
    triggers = sorted({c[1:] for c in checks if c and c[0] == "trigger"})
    targets = sorted({(c[1], t) for c in checks if c and c[0] == "statistics" for t in c[2:]})
    functions = sorted({c[1] for c in checks if c and c[0] == "function"})
    with conn.cursor(row_factory=tuple_row) as cur:
        have_relation = {
            name
            for name, found in cur.execute(
                "SELECT x, to_regclass(x) IS NOT NULL FROM unnest(%s::text[]) AS x",
                (relations,),
            ).fetchall()
            if found
        }
        have_column = _present(
            cur,
            "pg_attribute WHERE attrelid = to_regclass(t) AND attname = n AND NOT attisdropped",
            columns,
        )
        have_trigger = _present(
            cur, "pg_trigger WHERE tgrelid = to_regclass(t) AND tgname = n", triggers
        )
        have_target = _present(  # n: "column=target", an index's column by number
            cur,
            "pg_attribute WHERE attrelid = to_regclass(t) AND NOT attisdropped "
            "AND n IN (attname || '=' || attstattarget, attnum || '=' || attstattarget)",
            targets,
        )
        bodies = dict(
            cur.execute(
                "SELECT x, p.prosrc FROM unnest(%s::text[]) AS x "
                "JOIN pg_proc p ON p.oid = to_regproc(x)",
                (functions,),
            ).fetchall()
        )
    out = []
    for statement, check in zip(statements, checks, strict=True):
        if check is None:
            out.append(statement)
        elif check[0] == "relation":
            if not set(check[1:]) <= have_relation:
                out.append(statement)
        elif check[0] == "column":
            if check[1:] not in have_column:
                out.append(statement)
        elif check[0] == "trigger":
            if check[1:] not in have_trigger:
                out.append(statement)
        elif check[0] == "statistics":
            if not {(check[1], t) for t in check[2:]} <= have_target:
                out.append(statement)
        elif bodies.get(check[1]) != check[2]:
            out.append(statement)
    return out


def _present(cur: Any, where: str, pairs: Sequence[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """The (table, name) pairs with a catalogue row ``where``."""
    rows = cur.execute(
        f"SELECT t, n FROM unnest(%s::text[], %s::text[]) AS u(t, n) "
        f"WHERE EXISTS (SELECT 1 FROM {where})",
        ([t for t, _ in pairs], [n for _, n in pairs]),
    ).fetchall()
    return set(rows)


def _check(statement: str) -> tuple[str, ...] | None:
    """What shows that ``statement`` has nothing left to do, or None (always run it)."""
    if m := _TABLE.match(statement):
        return ("relation", m[1])
    if m := _INDEX.match(statement):
        return ("relation", _beside(m[1], m[2]))
    if m := _COLUMN.match(statement):
        return ("column", m[1], _plain(m[2]))
    if m := _TRIGGER.match(statement):
        return ("trigger", m[2], _plain(m[1]))
    if m := _STATISTICS.match(statement):
        return ("statistics", m[1], *(f"{_plain(c)}={n}" for c, n in _TARGET.findall(m[2])))
    if m := _FUNCTION.match(statement):
        return ("function", m[1], m[2])
    return None


def _beside(index: str, table: str) -> str:
    """An index lives in its table's schema."""
    parts = re.findall(_NAME, table)
    return f"{parts[0]}.{index}" if len(parts) == 2 else index


def _plain(name: str) -> str:
    """An identifier as the catalogue stores it: quoted as written, unquoted folded to lower."""
    return name[1:-1] if name.startswith('"') else name.lower()


def run_missing(tx: Tx, statements: Sequence[str], lock: str | None = None) -> None:
    """Run in ``tx`` what ``statements`` still have to do. On PostgreSQL nothing at all, not
    even ``lock`` (the statement serialising set-up across processes), when nothing is missing;
    otherwise ``lock`` first and the catalogue asked again, since another process may have
    created the rest meanwhile. SQLite runs them all (its ``IF NOT EXISTS`` takes no lock that
    other writers queue behind beyond the write transaction's own)."""
    if tx.dialect != "postgres":
        for statement in statements:
            tx.execute(statement)
        return
    apply_missing(tx.conn, statements, lock, tx.execute)


def apply_missing(
    conn: Any, statements: Sequence[str], lock: str | None, execute: Callable[[str], Any]
) -> None:
    """``run_missing`` on a psycopg connection, each statement sent through ``execute`` (the
    event recorder's cursor)."""
    if not pending(conn, statements):
        return
    if lock is not None:
        execute(lock)
    for statement in pending(conn, statements):
        execute(statement)
