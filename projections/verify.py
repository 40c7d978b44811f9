"""Check that read models equal a fresh rebuild from the log, row for row.

``compare`` rebuilds the named models into a scratch schema (a scratch SQLite file in the
embedded mode), compares every table with the live one as a multiset of rows, then drops the
scratch copy. Run it when writers are quiet: live models must have applied the same log.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

import msgspec

from projections import registry, tracking
from projections.rebuild import rebuild
from projections.target import Session, Target
from services.config import Settings
from services.eventstore.store import EventStore


class TableDifference(msgspec.Struct):
    model: str
    table: str
    only_live: int
    only_rebuilt: int
    sample_live: list[str]
    sample_rebuilt: list[str]


class Comparison(msgspec.Struct):
    equal: bool
    positions: dict[str, tuple[int, int]]  # model -> (live, rebuilt)
    differences: list[TableDifference]
    rows: dict[str, int]  # table -> rows compared


def table_rows(session: Session, table: str) -> list[tuple[Any, ...]]:
    """Every row of ``table`` as plain values (tsvector as text), in no particular order."""
    if session.dialect == "postgres":
        columns = [
            r[0]
            for r in session.rows(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s "
                "ORDER BY ordinal_position",
                (table,),
            )
        ]
        types = dict(
            session.rows(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s",
                (table,),
            )
        )
        select = ", ".join(f"{c}::text" if types[c] == "tsvector" else c for c in columns)
        return [tuple(_plain(v) for v in r) for r in session.rows(f"SELECT {select} FROM {table}")]
    if _is_fts(session, table):
        return session.rows(f"SELECT rowid, * FROM {table}")
    return [tuple(_plain(v) for v in r) for r in session.rows(f"SELECT * FROM {table}")]


def _is_fts(session: Session, table: str) -> bool:
    rows = session.rows("SELECT sql FROM sqlite_master WHERE name = ?", (table,))
    return bool(rows and rows[0][0] and "VIRTUAL TABLE" in rows[0][0].upper())


def _plain(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def diff_tables(
    live: Session, other: Session, model: str, tables: Sequence[str]
) -> tuple[list[TableDifference], dict[str, int]]:
    differences, counted = [], {}
    for table in tables:
        a, b = Counter(table_rows(live, table)), Counter(table_rows(other, table))
        counted[table] = sum(a.values())
        only_a, only_b = a - b, b - a
        if only_a or only_b:
            differences.append(
                TableDifference(
                    model=model,
                    table=table,
                    only_live=sum(only_a.values()),
                    only_rebuilt=sum(only_b.values()),
                    sample_live=[repr(r)[:400] for r in list(only_a)[:3]],
                    sample_rebuilt=[repr(r)[:400] for r in list(only_b)[:3]],
                )
            )
    return differences, counted


def compare(
    settings: Settings,
    names: Sequence[str] | None = None,
    *,
    store: EventStore | None = None,
    schema: str | None = None,
) -> Comparison:
    """Rebuild into a scratch target and compare with the live (or ``schema``) read models."""
    scratch = f"verify_{uuid.uuid4().hex[:12]}"
    projections = registry.select(names)
    rebuild(settings, [p.name for p in projections], schema=scratch, store=store)
    live = Target(settings, schema).connect()
    scratch_target = Target(settings, scratch)
    other = scratch_target.connect()
    try:
        with live.transaction() as tx:
            live_positions = tracking.read(tx)
        with other.transaction() as tx:
            rebuilt_positions = tracking.read(tx)
        positions = {
            p.name: (
                live_positions[p.name].position if p.name in live_positions else 0,
                rebuilt_positions[p.name].position if p.name in rebuilt_positions else 0,
            )
            for p in projections
        }
        differences: list[TableDifference] = []
        rows: dict[str, int] = {}
        for projection in projections:
            found, counted = diff_tables(live, other, projection.name, projection.tables)
            differences += found
            rows.update(counted)
        equal = not differences and all(a == b for a, b in positions.values())
        return Comparison(equal=equal, positions=positions, differences=differences, rows=rows)
    finally:
        live.close()
        other.close()
        drop_target(scratch_target)


def drop_target(target: Target) -> None:
    """Remove a schema target entirely (its PostgreSQL schema, or its SQLite file)."""
    if not target.schema:
        raise ValueError("refusing to drop the main read-model target")
    if target.dialect == "postgres":
        import psycopg

        with psycopg.connect(target.settings.database_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {target.schema} CASCADE")
        return
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            target.path.with_name(target.path.name + suffix).unlink()
