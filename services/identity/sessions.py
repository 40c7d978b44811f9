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
from typing import Any, NamedTuple
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


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Live(NamedTuple):
    """A live session: its account and, when asked for, that account's stream version now."""

    account_id: UUID
    account_version: int | None


def lookup_sql(version_sql: str | None = None, rider_sql: str | None = None) -> str:
    """The one statement that finds a session by its token's hash (``?`` for the hash): its
    account, expiry and revocation, with ``version_sql`` its account's stream version, and with
    ``rider_sql`` (a scalar subquery another module asks to ride along) that as its last
    column."""
    version = f", ({version_sql}) AS account_version" if version_sql else ""
    rider = f", ({rider_sql}) AS rider" if rider_sql else ""
    return (
        f"SELECT account_id, expires_at, revoked_at{version}{rider} FROM auth_sessions "
        "WHERE token_hash = ?"
    )


def live_session(
    row: tuple[Any, ...], now: datetime | None = None, *, with_version: bool = False
) -> Live | None:
    """The rule, in one place: a session row ``(account_id, expires_at, revoked_at,
    account_version)`` is live unless revoked or expired at ``now``."""
    account_id, expires_at, revoked_at, version = row
    now = now or datetime.now(UTC)
    if revoked_at or datetime.fromisoformat(expires_at) <= now:
        return None
    return Live(UUID(account_id), int(version or 0) if with_version else None)


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
                (token_hash(token), str(account_id), now.isoformat(), expires.isoformat()),
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
        rows = self.db.rows(lookup_sql(version_sql), (token_hash(token),))
        if not rows:
            return None
        row = rows[0]
        found = (row["account_id"], row["expires_at"], row["revoked_at"])
        return live_session(
            (*found, row.get("account_version")), now, with_version=version_sql is not None
        )

    def revoke(self, token: str, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE auth_sessions SET revoked_at = ? "
                "WHERE token_hash = ? AND revoked_at IS NULL",
                (now.isoformat(), token_hash(token)),
            )

    def revoke_all(self, account_id: UUID, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE auth_sessions SET revoked_at = ? "
                "WHERE account_id = ? AND revoked_at IS NULL",
                (now.isoformat(), str(account_id)),
            )
