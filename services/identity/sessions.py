"""Login tokens: random, stored only as SHA-256 hashes, with an expiry; revoked on logout.

A token is a credential, not domain state, so it lives in a table rather than the event log;
the login and logout themselves are logged. The account (role, organisation, disabled) is checked
against its event stream on every request (``services.identity.auth``), so a disabled account's
tokens stop working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from services.db import Database

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS auth_sessions (
        token_hash TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS auth_sessions_account ON auth_sessions (account_id)",
]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Live(NamedTuple):
    """A live session: its account and, when asked for, that account's stream version now."""

    account_id: UUID
    account_version: int | None


class SessionStore:
    def __init__(self, db: Database, ttl: timedelta) -> None:
        self.db = db
        self.ttl = ttl

    def issue(self, account_id: UUID, now: datetime | None = None) -> tuple[str, datetime]:
        now = now or datetime.now(UTC)
        token = secrets.token_urlsafe(32)
        expires = now + self.ttl
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO auth_sessions (token_hash, account_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (_hash(token), str(account_id), now.isoformat(), expires.isoformat()),
            )
        return token, expires

    def resolve(self, token: str, now: datetime | None = None) -> UUID | None:
        """The account behind a live token, or None (unknown, expired or revoked)."""
        live = self.lookup(token, now)
        return live.account_id if live else None

    def lookup(
        self, token: str, now: datetime | None = None, version_sql: str | None = None
    ) -> Live | None:
        """The live session behind ``token`` (None: unknown, expired or revoked), in one
        statement. ``version_sql``: a scalar subquery over ``auth_sessions.account_id`` giving
        the account's stream version, read in the same statement (the caller's principal is
        then checked against the log without a second round trip)."""
        now = now or datetime.now(UTC)
        version = f", ({version_sql}) AS account_version" if version_sql else ""
        rows = self.db.rows(
            f"SELECT account_id, expires_at, revoked_at{version} FROM auth_sessions "
            "WHERE token_hash = ?",
            (_hash(token),),
        )
        if not rows:
            return None
        row = rows[0]
        if row["revoked_at"] or datetime.fromisoformat(row["expires_at"]) <= now:
            return None
        found = row.get("account_version")
        return Live(UUID(row["account_id"]), int(found or 0) if version_sql else None)

    def revoke(self, token: str, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE auth_sessions SET revoked_at = ? "
                "WHERE token_hash = ? AND revoked_at IS NULL",
                (now.isoformat(), _hash(token)),
            )

    def revoke_all(self, account_id: UUID, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE auth_sessions SET revoked_at = ? "
                "WHERE account_id = ? AND revoked_at IS NULL",
                (now.isoformat(), str(account_id)),
            )
