"""Schema for the non-event tables, collected from the modules that own them.

Idempotent (``CREATE … IF NOT EXISTS``, of which only what is missing is sent, see
``services.ddl``; then each module's ``upgrade`` adds columns that a table created by an earlier
version lacks): run at start-up in the embedded mode and as the
one-shot ``sirisma migrate`` in the distributed shape. The event tables are created by the
eventsourcing recorders themselves.
"""

from __future__ import annotations

from psycopg.sql import SQL, Identifier

from services import ddl
from services.audit import seals
from services.config import Settings
from services.db import Database
from services.http import idempotency
from services.identity import sessions
from services.notification import schema as notification_schema
from services.review import tables as review_tables

MODULES = (sessions, review_tables, idempotency, notification_schema, seals)


def schema_statements() -> list[str]:
    statements: list[str] = []
    for module in MODULES:
        statements.extend(module.SCHEMA)
    return statements


def migrate(db: Database) -> None:
    """Every non-event table. Statements about the owner's tables (``db_roles.OWNER_TABLES``)
    are skipped when those tables belong to another role: this is the app role of a split
    deployment, and ``sirisma migrate`` made them as the owner (``migrate_as_owner``)."""
    from services.db_roles import is_owner_statement

    statements = schema_statements()
    if not _owned_by_another_role(db):
        _migrate_owner_tables(db, statements)
    _run_missing(db, [s for s in statements if not is_owner_statement(s)])
    # Tables an earlier version created get the columns added since: a module's ``upgrade(tx)``.
    with db.transaction() as tx:
        for module in MODULES:
            upgrade = getattr(module, "upgrade", None)
            if upgrade is not None:
                upgrade(tx)
    # Read models (projections/): tracking positions and every registered model's tables.
    from projections.registry import schema_statements as read_model_statements
    from projections.tracking import LOCK_STATEMENT

    # Serialised with runners creating the same tables.
    _run_missing(db, read_model_statements(db.dialect), LOCK_STATEMENT)


def _run_missing(db: Database, statements: list[str], lock: str = ddl.SCHEMA_LOCK) -> None:
    """Only what is missing, so a process starting on an up-to-date database locks no table
    (``services.ddl``); with set-up serialised across processes when something is."""
    with db.transaction() as tx:
        ddl.run_missing(tx, statements, lock)


def _migrate_owner_tables(db: Database, statements: list[str]) -> None:
    """The owner's tables (``db_roles.OWNER_TABLES``) and their append-only triggers: run by
    whoever owns them, the single role or ``sirisma migrate``'s owner role."""
    from services.db_roles import is_owner_statement

    _run_missing(db, [s for s in statements if is_owner_statement(s)])
    with db.transaction() as tx:
        notification_schema.install_append_only(tx)


def _owned_by_another_role(db: Database) -> bool:
    if db.dialect != "postgres":
        return False
    from services.db_roles import OWNER_TABLES

    return bool(
        db.scalar(
            "SELECT bool_or(pg_get_userbyid(relowner) <> current_user) FROM pg_class "
            "WHERE oid = to_regclass(?)",
            (f"public.{OWNER_TABLES[0]}",),
        )
    )


def migrate_as_owner(settings: Settings) -> None:
    """``sirisma migrate`` in the split shape (services/db_roles.py): the event log and the
    audit tables as the owner, grants to the app role, then the app role's own tables."""
    import psycopg

    from services import db_roles
    from services.eventstore.store import EventStore

    owner_settings = db_roles.owner_settings(settings)
    app = db_roles.url_user(settings.database_url)
    store = EventStore(owner_settings)  # creates the event, chain and snapshot tables
    owner_db = Database(owner_settings)
    try:
        _migrate_owner_tables(owner_db, schema_statements())
        with psycopg.connect(owner_settings.database_url, autocommit=True) as conn:
            database = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
            with conn.transaction():
                for statement in db_roles.grant_statements(store.recorder, database, app):
                    conn.execute(statement)
    finally:
        owner_db.close()
        store.close()
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {s}").format(s=Identifier(app)))
