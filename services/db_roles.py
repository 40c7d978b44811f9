"""Two PostgreSQL roles, so that whoever runs the services cannot rewrite the record.

* The **owner** role owns the database and its ``public`` schema. Only ``sirisma migrate`` runs
  as the owner (``SIRISMA_MIGRATE_DATABASE_URL``): it creates the event log, its hash chain and
  snapshots, the audit-trail records and digests (``OWNER_TABLES``) with their append-only
  triggers, and grants the app role SELECT and INSERT on them, nothing more.
* The **app** role runs every service (``SIRISMA_DATABASE_URL``). It owns a schema named after
  itself, which PostgreSQL's default ``search_path`` (``"$user", public``) puts first: read
  models, sessions, idempotency keys, the outbox and inbox live there, created by ``migrate``
  connected as the app role, and the projector may rebuild them (shadow tables swapped in) at
  run time. It may also create schemas (``CREATE`` on the database) for read models as of a past
  date. It is not a superuser, so ``SET session_replication_role`` (which would silence the
  triggers) is refused, and as it owns none of the log's tables it cannot alter, drop or
  disable their triggers, nor UPDATE, DELETE or TRUNCATE them.

With one role for both (``SIRISMA_MIGRATE_DATABASE_URL`` unset), everything is as before: the
tables live in ``public`` and the services create what is missing at start-up.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from psycopg.sql import SQL, Composed, Identifier, Literal

from services.config import Settings

#: Tables besides the event store's that only ever grow and that the app role may only append to.
OWNER_TABLES = ("notification_audit_records", "notification_audit_digests")

_OWNER_TABLE = re.compile(r"\b(" + "|".join(OWNER_TABLES) + r")\b")


def is_owner_statement(statement: str) -> bool:
    """Whether a schema statement concerns an owner table (so it runs as the owner)."""
    return bool(_OWNER_TABLE.search(statement))


def url_user(url: str) -> str:
    return unquote(urlsplit(url).username or "postgres")


def split(settings: Settings) -> bool:
    """Whether migrations run as another role than the services (the least-privilege shape)."""
    return (
        settings.is_postgres
        and bool(settings.migrate_database_url)
        and url_user(settings.migrate_database_url) != url_user(settings.database_url)
    )


def owner_settings(settings: Settings) -> Settings:
    import msgspec

    return msgspec.structs.replace(settings, database_url=settings.migrate_database_url)


def create_role_statements(
    database: str,
    owner: str,
    app: str,
    owner_password: str | None = None,
    app_password: str | None = None,
) -> list[SQL | Composed]:
    """Run once by a superuser (``sirisma db roles``; compose's init script does the same):
    both roles, neither a superuser; the owner owns the database and its ``public`` schema."""
    statements: list[SQL | Composed] = []
    for role, password in ((owner, owner_password), (app, app_password)):
        name = Identifier(role)
        statements.append(
            SQL(
                "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {n}) "
                "THEN CREATE ROLE {r}; END IF; END$$"
            ).format(n=Literal(role), r=name)
        )
        statements.append(
            SQL(
                "ALTER ROLE {r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            ).format(r=name)
        )
        if password:
            statements.append(
                SQL("ALTER ROLE {r} PASSWORD {p}").format(r=name, p=Literal(password))
            )
    db = Identifier(database)
    statements += [
        SQL("ALTER DATABASE {d} OWNER TO {o}").format(d=db, o=Identifier(owner)),
        SQL("ALTER SCHEMA public OWNER TO {o}").format(o=Identifier(owner)),
        # PostgreSQL before 15 lets everyone create tables in public; nobody but the owner may.
        SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
    ]
    return statements


def grant_statements(recorder: Any, database: str, app: str) -> list[SQL | Composed]:
    """Run by ``migrate`` as the owner: the right to create schemas (its own, and read models
    as of a past date), and SELECT/INSERT (never more) on the log and the audit tables."""
    role = Identifier(app)
    statements: list[SQL | Composed] = [
        SQL("GRANT CONNECT, TEMPORARY, CREATE ON DATABASE {d} TO {r}").format(
            d=Identifier(database), r=role
        ),
        *recorder.grant_statements(app),
    ]
    for table in OWNER_TABLES:
        statements += [
            SQL("REVOKE ALL ON public.{t} FROM {r}").format(t=Identifier(table), r=role),
            SQL("GRANT SELECT, INSERT ON public.{t} TO {r}").format(t=Identifier(table), r=role),
        ]
    return statements
