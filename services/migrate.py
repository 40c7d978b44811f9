"""Schema for the non-event tables, collected from the modules that own them.

Idempotent (``CREATE … IF NOT EXISTS``, then each module's ``upgrade`` adds columns that a
table created by an earlier version lacks): run at start-up in the embedded mode and as the
one-shot ``sirisma migrate`` in the distributed shape. The event tables are created by the
eventsourcing recorders themselves.
"""

from __future__ import annotations

from services.audit import seals
from services.db import Database
from services.identity import sessions
from services.notification import schema as notification_schema
from services.review import tables as review_tables
from services.web import idempotency

MODULES = (sessions, review_tables, idempotency, notification_schema, seals)


def schema_statements() -> list[str]:
    statements: list[str] = []
    for module in MODULES:
        statements.extend(module.SCHEMA)
    return statements


def migrate(db: Database) -> None:
    db.execute_script(schema_statements())
    # Tables an earlier version created get the columns added since: a module's ``upgrade(tx)``.
    with db.transaction() as tx:
        for module in MODULES:
            upgrade = getattr(module, "upgrade", None)
            if upgrade is not None:
                upgrade(tx)
    # Read models (projections/): tracking positions and every registered model's tables.
    from projections.registry import schema_statements as read_model_statements

    statements = read_model_statements(db.dialect)
    if db.dialect == "postgres":  # serialise with runners creating the same tables
        statements.insert(0, "SELECT pg_advisory_xact_lock(5151001)")
    db.execute_script(statements)
