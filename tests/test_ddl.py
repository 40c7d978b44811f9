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
    "CREATE INDEX IF NOT EXISTS t_plain_lower ON t_plain (lower(at))",
    "ALTER INDEX t_plain_lower ALTER COLUMN 1 SET STATISTICS 30",
    'CREATE TABLE IF NOT EXISTS "public"."t_Quoted" (id BIGINT)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "t_Quoted_id" ON "public"."t_Quoted" (id)',
    "ALTER TABLE t_plain ADD COLUMN IF NOT EXISTS note TEXT",
    "ALTER TABLE t_plain ALTER COLUMN id SET STATISTICS 30, ALTER COLUMN AT SET STATISTICS 30",
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
        ("relation", "t_plain_lower"),
        ("statistics", "t_plain_lower", "1=30"),
        ("relation", '"public"."t_Quoted"'),
        ("relation", '"public"."t_Quoted_id"'),
        ("column", "t_plain", "note"),
        ("statistics", "t_plain", "id=30", "at=30"),
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
        conn.execute("ALTER TABLE t_plain ALTER COLUMN at SET STATISTICS 31")
        conn.execute("ALTER INDEX t_plain_lower ALTER COLUMN 1 SET STATISTICS -1")
        changed = FUNCTION.replace("'no'", "'still no'")
        assert ddl.pending(conn, [*STATEMENTS, changed]) == [
            STATEMENTS[3],
            STATEMENTS[5],
            STATEMENTS[6],
            STATEMENTS[7],
            "SELECT 1",
            changed,
        ]


def _start_like_a_runner(settings: Any) -> None:
    """A process's start, then a runner's own schema set-up."""
    from projections import registry, tracking
    from services.startup import start_runtime

    runtime = start_runtime(settings, background=False)
    try:
        with runtime.db.transaction() as tx:
            tracking.ensure_schema(tx, registry.schema_statements(tx.dialect))
    finally:
        runtime.close()


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
    from services.startup import start_runtime

    start_runtime(postgres_settings, background=False).close()  # the schema, once
    writer = _hold_row_exclusive_on_every_table(postgres_settings.database_url)
    done: list[BaseException | None] = []

    def start() -> None:
        try:
            _start_like_a_runner(postgres_settings)
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


def test_wide_read_models_sample_fewer_rows_from_the_start(postgres_settings: Any) -> None:
    """``rm_innovations`` and ``rm_catalogue`` get their statistics target at creation, and
    again at a start that finds it changed (projections/sql.py ``WIDE_TABLE_STATISTICS``)."""
    from projections.sql import WIDE_TABLE_STATISTICS
    from services.startup import start_runtime

    def targets(conn: psycopg.Connection[Any]) -> set[tuple[str, int]]:
        """Each table's (and the queue index's expression's) distinct targets."""
        return set(
            conn.execute(
                "SELECT attrelid::regclass::text, attstattarget FROM pg_attribute "
                "WHERE attrelid IN ('rm_innovations'::regclass, 'rm_catalogue'::regclass, "
                "'rm_innovations_queue_age'::regclass) AND attnum > 0 AND NOT attisdropped "
                "AND (attname <> 'id' OR attrelid <> 'rm_innovations_queue_age'::regclass)"
            ).fetchall()
        )

    wanted = {
        (table, WIDE_TABLE_STATISTICS)
        for table in ("rm_innovations", "rm_catalogue", "rm_innovations_queue_age")
    }
    start_runtime(postgres_settings, background=False).close()
    with psycopg.connect(postgres_settings.database_url, autocommit=True) as conn:
        assert targets(conn) == wanted
        conn.execute("ALTER TABLE rm_innovations ALTER COLUMN title SET STATISTICS -1")
        conn.execute("ALTER INDEX rm_innovations_queue_age ALTER COLUMN 1 SET STATISTICS -1")
        changed = {("rm_innovations", -1), ("rm_innovations_queue_age", -1)}
        assert targets(conn) == wanted - {("rm_innovations_queue_age", 30)} | changed
    _start_like_a_runner(postgres_settings)
    with psycopg.connect(postgres_settings.database_url) as conn:
        assert targets(conn) == wanted


def test_sqlite_runs_every_statement() -> None:
    ran: list[str] = []

    class Tx:
        dialect = "sqlite"

        def execute(self, statement: str) -> None:
            ran.append(statement)

    ddl.run_missing(Tx(), ["CREATE TABLE IF NOT EXISTS a (x)", "SELECT 1"], "LOCK")  # type: ignore[arg-type]
    assert ran == ["CREATE TABLE IF NOT EXISTS a (x)", "SELECT 1"]
