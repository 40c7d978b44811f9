"""Schema set-up sends only what is missing, so a process starting on a busy, up-to-date
database locks no table (services/ddl.py)."""

from __future__ import annotations

import threading
from typing import Any

import psycopg

from services import ddl

FUNCTION = (
    "CREATE OR REPLACE FUNCTION t_guard() RETURNS trigger LANGUAGE plpgsql AS "
    "$$BEGIN RAISE EXCEPTION 'no'; END$$"
)
STATEMENTS = [
    "CREATE TABLE IF NOT EXISTS t_plain (id TEXT PRIMARY KEY, at TEXT)",
    "CREATE INDEX IF NOT EXISTS t_plain_at ON t_plain (at)",
    'CREATE TABLE IF NOT EXISTS "public"."t_Quoted" (id BIGINT)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "t_Quoted_id" ON "public"."t_Quoted" (id)',
    "ALTER TABLE t_plain ADD COLUMN IF NOT EXISTS note TEXT",
    FUNCTION,
    "CREATE OR REPLACE TRIGGER t_plain_guard BEFORE UPDATE OR DELETE ON t_plain "
    "FOR EACH ROW EXECUTE FUNCTION t_guard()",
    "SELECT 1",  # not recognised: always kept
]


def test_each_kind_of_statement_is_recognised() -> None:
    checks = [ddl._check(s) for s in STATEMENTS]
    assert checks == [
        ("relation", "t_plain"),
        ("relation", "t_plain_at"),
        ("relation", '"public"."t_Quoted"'),
        ("relation", '"public"."t_Quoted_id"'),
        ("column", "t_plain", "note"),
        ("function", "t_guard", "BEGIN RAISE EXCEPTION 'no'; END"),
        ("trigger", "t_plain", "t_plain_guard"),
        None,
    ]


def test_only_what_is_missing_or_changed_is_pending(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert ddl.pending(conn, STATEMENTS) == STATEMENTS
        for statement in STATEMENTS:
            conn.execute(statement)
        assert ddl.pending(conn, STATEMENTS) == ["SELECT 1"]

        conn.execute("ALTER TABLE t_plain DROP COLUMN note")
        conn.execute('DROP INDEX "t_Quoted_id"')
        changed = FUNCTION.replace("'no'", "'still no'")
        assert ddl.pending(conn, [*STATEMENTS, changed]) == [
            STATEMENTS[3],
            STATEMENTS[4],
            "SELECT 1",
            changed,
        ]


def _hold_row_exclusive_on_every_table(url: str) -> psycopg.Connection[Any]:
    """A session with a write in flight on every table (the lock an INSERT or UPDATE holds
    until its commit), left open."""
    conn = psycopg.connect(url)
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT quote_ident(relname) FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace"
        ).fetchall()
    ]
    assert "sirisma_events" in tables and "projection_tracking" in tables
    for table in tables:
        conn.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")
    return conn


def test_a_process_starting_on_a_busy_database_waits_for_no_write(
    postgres_settings: Any,
) -> None:
    """Before: every start sent ``CREATE INDEX IF NOT EXISTS`` (SHARE lock), ``CREATE OR REPLACE
    TRIGGER`` and ``ALTER TABLE … ADD COLUMN IF NOT EXISTS`` (ACCESS EXCLUSIVE on the tracking
    table): it waited for every write in flight and held up every write behind it."""
    from projections import registry, tracking
    from services.startup import start_runtime

    start_runtime(postgres_settings, background=False).close()  # the schema, once
    writer = _hold_row_exclusive_on_every_table(postgres_settings.database_url)
    done: list[BaseException | None] = []

    def start() -> None:
        try:
            runtime = start_runtime(postgres_settings, background=False)
            try:
                with runtime.db.transaction() as tx:  # a runner's own set-up
                    tracking.ensure_schema(tx, registry.schema_statements(tx.dialect))
            finally:
                runtime.close()
            done.append(None)
        except BaseException as exc:
            done.append(exc)

    try:
        thread = threading.Thread(target=start, daemon=True)
        thread.start()
        thread.join(60)  # blocked behind the open writes, it would never end before they do
        assert done == [None], "the start waited for the writes in flight"
    finally:
        writer.rollback()
        writer.close()
        thread.join(60)


def test_a_missing_index_or_column_is_still_created_at_start(postgres_settings: Any) -> None:
    from projections import registry, tracking
    from services.startup import start_runtime

    start_runtime(postgres_settings, background=False).close()
    with psycopg.connect(postgres_settings.database_url, autocommit=True) as conn:
        conn.execute("DROP INDEX rm_innovations_by_doc")
        conn.execute("ALTER TABLE projection_tracking DROP COLUMN signature")
    runtime = start_runtime(postgres_settings, background=False)
    try:
        with runtime.db.transaction() as tx:  # a runner's own set-up adds the column
            tracking.ensure_schema(tx, registry.schema_statements(tx.dialect))
    finally:
        runtime.close()
    with psycopg.connect(postgres_settings.database_url) as conn:
        assert conn.execute("SELECT to_regclass('rm_innovations_by_doc')").fetchone() != (None,)
        assert conn.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = 'projection_tracking' "
            "AND column_name = 'signature'"
        ).fetchone()


def test_sqlite_runs_every_statement() -> None:
    ran: list[str] = []

    class Tx:
        dialect = "sqlite"

        def execute(self, statement: str) -> None:
            ran.append(statement)

    ddl.run_missing(Tx(), ["CREATE TABLE IF NOT EXISTS a (x)", "SELECT 1"], "LOCK")  # type: ignore[arg-type]
    assert ran == ["CREATE TABLE IF NOT EXISTS a (x)", "SELECT 1"]
