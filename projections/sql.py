"""Small SQL helpers shared by the read models: timestamps, keyed loads, and bulk writes.

Read models are written once per batch, so the writes are the hot path of a rebuild. ``upsert``
picks the fastest way each dialect offers: ``executemany`` of one ``INSERT … ON CONFLICT``
statement (SQLite, in-process), multi-row ``INSERT … VALUES … ON CONFLICT`` statements
(PostgreSQL), and on PostgreSQL, for large batches outside a pipelined transaction,
``COPY`` into the table (rows known to be new) or into a session temp table that is merged with
one ``INSERT … SELECT … ON CONFLICT`` (rows that may exist).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from services.db import Tx

T = TypeVar("T")

#: Above this many rows, PostgreSQL writes go through COPY.
COPY_THRESHOLD = 200
#: SQLite's default limit on bound parameters is 32766; stay far below it.
CHUNK = 500
#: Rows built and written at a time by a flush: bounds memory when a rebuild writes everything.
FLUSH_CHUNK = 2_000

_json = msgspec.json.Encoder()
_pack = msgspec.msgpack.Encoder()


def ts(moment: datetime | None) -> str | None:
    """A UTC timestamp as fixed-width ISO text, so text order is time order on both dialects."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC:  # decoded event times already are UTC: skip the conversion
        moment = (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(UTC)
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


def parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def to_json(value: Any) -> str:
    return _json.encode(value).decode()


def pack(value: Any) -> bytes:
    return _pack.encode(value)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def select_by_keys(
    tx: Tx, sql_table: str, columns: Sequence[str], key: str, keys: Iterable[Any]
) -> list[tuple[Any, ...]]:
    """Rows whose ``key`` is one of ``keys``: one query per chunk (``= ANY`` on PostgreSQL)."""
    wanted = list(keys)
    if not wanted:
        return []
    cols = ", ".join(columns)
    if tx.dialect == "postgres":
        return tx.execute(
            f"SELECT {cols} FROM {sql_table} WHERE {key} = ANY(?)", (wanted,)
        ).fetchall()
    rows: list[tuple[Any, ...]] = []
    for part in chunks(wanted):
        marks = ", ".join("?" * len(part))
        rows.extend(
            tx.execute(f"SELECT {cols} FROM {sql_table} WHERE {key} IN ({marks})", part).fetchall()
        )
    return rows


def upsert(
    tx: Tx,
    sql_table: str,
    columns: Sequence[str],
    keys: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    new: bool = False,
) -> None:
    """Insert or replace ``rows`` (each row at most once per call).

    ``new=True`` promises that no row exists yet (a rebuild's first write of a key), which lets
    PostgreSQL COPY straight into the table.
    """
    if not rows:
        return
    cols = ", ".join(columns)
    updates = [c for c in columns if c not in keys]
    conflict = (
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in updates)
        if updates
        else f"ON CONFLICT ({', '.join(keys)}) DO NOTHING"
    )
    if tx.dialect == "postgres" and len(rows) >= COPY_THRESHOLD and not in_pipeline(tx):
        if new:
            copy_rows(tx, sql_table, columns, rows)
            return
        stage = _stage(tx, sql_table)
        copy_rows(tx, stage, columns, rows)
        tx.execute(f"INSERT INTO {sql_table} ({cols}) SELECT {cols} FROM {stage} {conflict}")
        tx.execute(f"TRUNCATE {stage}")
        return
    if tx.dialect == "postgres":
        _insert_values(tx, f"INSERT INTO {sql_table} ({cols}) VALUES", len(columns), conflict, rows)
        return
    marks = ", ".join("?" * len(columns))
    tx.executemany(f"INSERT INTO {sql_table} ({cols}) VALUES ({marks}) {conflict}", rows)


#: The most rows one multi-row ``INSERT … VALUES`` statement carries.
VALUES_MOST = 64
_values_sql: dict[tuple[str, int, str, int], str] = {}


def _insert_values(
    tx: Tx, insert: str, width: int, conflict: str, rows: Sequence[Sequence[Any]]
) -> None:
    """PostgreSQL: rows in multi-row ``INSERT … VALUES`` statements, ``VALUES_MOST`` rows each
    and the rest in powers of two (64, then 32, 16, … 1), so a table has a few statement texts
    that psycopg prepares once. ``executemany`` sends and flushes each row on its own (a system
    call in the client and a wake-up of the server per row: most of a live step's CPU)."""
    at = 0
    while at < len(rows):
        size = min(VALUES_MOST, 1 << ((len(rows) - at).bit_length() - 1))
        key = (insert, width, conflict, size)
        sql = _values_sql.get(key)
        if sql is None:
            marks = (
                "(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")"
                for r in range(size)
            )
            sql = _values_sql[key] = f"{insert} {', '.join(marks)} {conflict}"
        tx.execute_numbered(sql, [value for row in rows[at : at + size] for value in row])
        at += size


def in_pipeline(tx: Tx) -> bool:
    """The transaction is sent in pipeline mode (``Session.pipelined``), where COPY cannot run."""
    return bool(tx.conn.pgconn.pipeline_status)


_BINARY_TYPES = {"text", "bigint", "integer", "bytea", "smallint", "boolean"}
_types: dict[tuple[str, tuple[str, ...]], list[str] | None] = {}


def copy_rows(
    tx: Tx, sql_table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """PostgreSQL COPY … FROM STDIN of Python values: binary when every column has a type
    psycopg dumps in binary (no escaping of ``bytea`` as hex text), text otherwise."""
    types = _column_types(tx, sql_table, tuple(columns))
    binary = " (FORMAT BINARY)" if types is not None else ""
    with tx.cursor.copy(f"COPY {sql_table} ({', '.join(columns)}) FROM STDIN{binary}") as copy:
        if types is not None:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _column_types(tx: Tx, sql_table: str, columns: tuple[str, ...]) -> list[str] | None:
    key = (sql_table, columns)
    if key not in _types:
        found = dict(
            tx.execute(
                "SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a "
                "WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped",
                (sql_table,),
            ).fetchall()
        )
        types = [found.get(c, "") for c in columns]
        _types[key] = types if all(t in _BINARY_TYPES for t in types) else None
    return _types[key]


def _stage(tx: Tx, sql_table: str) -> str:
    """A per-session temp table shaped like ``sql_table``, emptied at every commit."""
    stage = f"stage_{sql_table}"
    tx.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {sql_table} INCLUDING DEFAULTS) "
        "ON COMMIT DELETE ROWS"
    )
    return stage


#: The planner statistics target of the wide per-innovation tables' columns, and of their
#: indexes' expressions (PostgreSQL's default is 100). ANALYZE samples 300 rows per unit of the
#: highest target among them and works every column over the whole sample: at national scale
#: (30,000 innovations, 52 columns) an ANALYZE of ``rm_innovations`` took 0.35–0.5 s of a core
#: when idle (88 ms at 30) and 2–5 s under load, and each one held up the live projector enough
#: to put the lag's p99 over 100 ms (docs/benchmarks.md, "Thirteenth session"). 30 keeps a
#: 9,000-row sample: every status and stage among the common values, and histograms of 30
#: buckets; the read routes' plans and timings were the same at 30 as at 100.
WIDE_TABLE_STATISTICS = 30


def sampled_statistics(
    dialect: str, table: str, columns: Iterable[str | int], index: bool = False
) -> list[str]:
    """Set ``columns`` of ``table`` (with ``index``: the numbers of an index's expression
    columns) to ``WIDE_TABLE_STATISTICS``, on PostgreSQL (SQLite samples by its own rules).
    One statement, which ``services.ddl`` skips when it is already in place."""
    if dialect != "postgres":
        return []
    targets = ", ".join(f"ALTER COLUMN {c} SET STATISTICS {WIDE_TABLE_STATISTICS}" for c in columns)
    return [f"ALTER {'INDEX' if index else 'TABLE'} {table} {targets}"]


def blob_type(dialect: str) -> str:
    return "BYTEA" if dialect == "postgres" else "BLOB"
