"""The least-privilege shape on PostgreSQL: `sirisma db roles`, `sirisma migrate` as the owner,
then the whole app (HTTP, projector, relay, audit-trail tasks) as the app role, which cannot
rewrite the record (services/db_roles.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from services.app import create_app
from services.cli import main
from services.config import load_settings
from services.db_roles import is_owner_statement
from services.startup import start_runtime
from tests.web.world import PASSWORD, WebWorld

PROTECTED = (
    "sirisma_events",
    "sirisma_events_chain",
    "notification_audit_records",
    "notification_audit_digests",
)


def as_role(url: str, role: str, password: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}:{password}@{parts.netloc.split('@')[-1]}"))


@pytest.fixture
def roles(postgres_url: str) -> Iterator[tuple[str, str]]:
    """Fresh owner and app roles (roles are cluster-wide: unique names, dropped afterwards)."""
    suffix = uuid.uuid4().hex[:8]
    owner, app = f"own_{suffix}", f"app_{suffix}"
    yield owner, app
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        me = conn.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]
        database = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        conn.execute(f'ALTER DATABASE "{database}" OWNER TO "{me}"')
        for role in (app, owner):
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(f'DROP OWNED BY "{role}" CASCADE')
                conn.execute(f'DROP ROLE "{role}"')


def wait(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_the_app_runs_as_the_app_role_which_cannot_rewrite_the_record(
    postgres_url: str, roles: tuple[str, str], tmp_path: Path
) -> None:
    owner, app = roles
    superuser_env = {"SIRISMA_DATABASE_URL": postgres_url, "SIRISMA_DATA_DIR": str(tmp_path)}
    created = CliRunner(env=superuser_env).invoke(
        main,
        ["db", "roles", "--owner", owner, "--app", app]
        + ["--owner-password", "sandi-pemilik", "--app-password", "sandi-aplikasi"],
    )
    assert created.exit_code == 0, created.output
    owner_url = as_role(postgres_url, owner, "sandi-pemilik")
    app_url = as_role(postgres_url, app, "sandi-aplikasi")
    env = {
        "SIRISMA_DATABASE_URL": app_url,
        "SIRISMA_MIGRATE_DATABASE_URL": owner_url,
        "SIRISMA_DATA_DIR": str(tmp_path),
    }
    for _ in range(2):  # idempotent: a second migrate (the next release) passes too
        migrated = CliRunner(env=env).invoke(main, ["migrate"])
        assert migrated.exit_code == 0, (migrated.output, migrated.exception)

    with psycopg.connect(postgres_url) as conn:
        owners = dict(
            conn.execute(
                "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            ).fetchall()
        )
        for table in PROTECTED:
            assert owners[table] == owner, table
        assert owners["auth_sessions"] == app
        assert owners["idempotency_keys"] == app
        assert owners["notification_outbox"] == app
        assert owners["projection_tracking"] == app
        super_app = conn.execute(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %s", (app,)
        ).fetchone()[0]  # type: ignore[index]
        assert super_app is False

    # The whole app as the app role: start-up, commands, projector and relay/tasks threads.
    settings = load_settings(env={}, data_dir=str(tmp_path), database_url=app_url)
    runtime = start_runtime(settings)
    runtime.read_models.start()
    runtime.on_close(runtime.read_models.stop)
    try:
        world = WebWorld(runtime)
        world.submitted("Si Cepat Adminduk")
        head = runtime.store.max_notification_id()
        assert runtime.read_models.wait_for(head, 60)
        wait(
            lambda: runtime.db.scalar("SELECT COUNT(*) FROM notification_audit_records") > 0,
            "the audit-trail worker's records",
        )
        with TestClient(create_app(runtime=runtime), base_url="http://testserver.local") as web:
            login = web.post(
                "/api/auth/login", json={"username": "op.dukcapil", "password": PASSWORD}
            )
            assert login.status_code in (200, 201), login.text
            mine = web.get("/api/innovations")
            assert mine.status_code == 200, mine.text
            assert "Si Cepat Adminduk" in mine.text
        # The app role may build read models as of a past moment into a schema of its own.
        from datetime import UTC, datetime

        from projections.as_of import AsOfModels
        from projections.rebuild import rebuild

        rebuild(settings, until=datetime.now(UTC), schema="asof_20000101", store=runtime.store)
        assert AsOfModels(settings, runtime.store).built() == ["asof_20000101"]
    finally:
        runtime.close()

    refused = [
        *(f"UPDATE {t} SET {c} = {c}" for t, c in _columns()),
        *(f"DELETE FROM {t}" for t in PROTECTED),
        *(f"TRUNCATE {t}" for t in PROTECTED),
        "ALTER TABLE sirisma_events DISABLE TRIGGER USER",
        "ALTER TRIGGER sirisma_events_append_only ON sirisma_events RENAME TO x",
        "DROP TRIGGER sirisma_events_append_only ON sirisma_events",
        "DROP TRIGGER sirisma_events_chain_no_truncate ON sirisma_events_chain",
        "DROP TABLE sirisma_events_chain",
        "SET session_replication_role = replica",
        "CREATE TABLE public.sirisma_shadow (x int)",
    ]
    with psycopg.connect(app_url, autocommit=True) as conn:
        for statement in refused:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        # What it may do: read and append to the log, own its read models.
        assert conn.execute("SELECT COUNT(*) FROM sirisma_events").fetchone()[0] > 0  # type: ignore[index]
        conn.execute("DELETE FROM auth_sessions")


def _columns() -> list[tuple[str, str]]:
    return [
        ("sirisma_events", "topic"),
        ("sirisma_events_chain", "hash"),
        ("notification_audit_records", "summary"),
        ("notification_audit_digests", "digest"),
    ]


def test_owner_statements_are_the_audit_tables_only() -> None:
    from services.migrate import schema_statements

    owned = [s for s in schema_statements() if is_owner_statement(s)]
    assert owned and all("notification_audit_" in s for s in owned)
    assert not any(is_owner_statement(s) for s in ("CREATE TABLE auth_sessions (x int)",))


def test_compose_init_script_makes_the_roles_migrate_and_the_app_expect(
    postgres_server: Any, tmp_path: Path
) -> None:
    """deploy/postgres-init/10-roles.sh (compose's first start) run by psql as the image runs
    it, then `sirisma migrate` with compose's two URLs: the log belongs to the owner."""
    import os
    import subprocess

    from services.ops.servers import find_postgres_bin

    name = f"init_{uuid.uuid4().hex[:8]}"
    url = postgres_server.create_database(name)
    parts = urlsplit(url)
    script = Path(__file__).resolve().parents[1] / "deploy" / "postgres-init" / "10-roles.sh"
    env = {
        **os.environ,
        "PATH": f"{Path(find_postgres_bin('psql')).parent}:{os.environ['PATH']}",
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGPASSWORD": parts.password or "",
        "POSTGRES_USER": parts.username or "postgres",
        "POSTGRES_DB": name,
        "POSTGRES_OWNER_PASSWORD": "pemilik-uji",
        "POSTGRES_APP_PASSWORD": "aplikasi-uji",
    }
    try:
        done = subprocess.run(
            ["sh", str(script)], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        migrated = CliRunner(
            env={
                "SIRISMA_DATABASE_URL": as_role(url, "sirisma_app", "aplikasi-uji"),
                "SIRISMA_MIGRATE_DATABASE_URL": as_role(url, "sirisma_owner", "pemilik-uji"),
                "SIRISMA_DATA_DIR": str(tmp_path),
            }
        ).invoke(main, ["migrate"])
        assert migrated.exit_code == 0, (migrated.output, migrated.exception)
        with psycopg.connect(url) as conn:
            owner = conn.execute(
                "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'sirisma_events'"
            ).fetchone()[0]  # type: ignore[index]
            assert owner == "sirisma_owner"
    finally:
        postgres_server.drop_database(name)
        with psycopg.connect(postgres_server.url_for("postgres"), autocommit=True) as conn:
            for role in ("sirisma_app", "sirisma_owner"):
                if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                    conn.execute(f'DROP OWNED BY "{role}" CASCADE')
                    conn.execute(f'DROP ROLE "{role}"')
