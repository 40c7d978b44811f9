"""Quarantine: events a follower of the log (a read model, the notification relay) gave up on.

No single event may stop a follower: one that fails every time it is applied (a string
PostgreSQL's ``text`` cannot hold, a state no code can decode) is retried a bounded number of
times, then recorded here — follower, notification id, error — and the follower moves on. The
row stays until ``sirisma projections retry-quarantined`` (or the admin page) applies the event
again successfully, once the code or the data is fixed; it survives restarts because it is a
table next to the follower's tracking position, written in the same transaction that moves the
position past the event.

The price, accepted against halting every reader: until the retry succeeds, the follower is
inconsistent for that one stream (a read model misses one event of one innovation; the relay
sends nothing for it). The admin page and ``sirisma projections status`` say so.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from services.db import Tx

TABLE = "follower_quarantine"
RELAY = "relay"  # the notification relay's name as a follower; read models use their own

SCHEMA = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        follower TEXT NOT NULL,
        notification_id BIGINT NOT NULL,
        topic TEXT NOT NULL,
        originator_id TEXT,
        error TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        quarantined_at TEXT NOT NULL,
        retried_at TEXT,
        retry_error TEXT,
        PRIMARY KEY (follower, notification_id)
    )"""
]


class Item(msgspec.Struct, frozen=True, kw_only=True):
    follower: str
    notification_id: int
    topic: str
    originator_id: str | None
    error: str
    attempts: int
    quarantined_at: str
    retried_at: str | None = None
    retry_error: str | None = None


class RetryOutcome(msgspec.Struct, frozen=True, kw_only=True):
    follower: str
    notification_id: int
    released: bool
    error: str | None = None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def error_text(exc: BaseException) -> str:
    """The error as stored: bounded, and without the NUL that may have caused it."""
    return f"{type(exc).__name__}: {exc}".replace("\x00", "\\x00")[:2000]


def record(
    tx: Tx,
    follower: str,
    notification_id: int,
    topic: str,
    originator_id: str | None,
    error: str,
    attempts: int,
) -> None:
    tx.execute(
        f"INSERT INTO {TABLE} (follower, notification_id, topic, originator_id, error, attempts, "
        "quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (follower, notification_id) "
        "DO UPDATE SET error = excluded.error, attempts = excluded.attempts, "
        "quarantined_at = excluded.quarantined_at",
        (follower, notification_id, topic, originator_id, error, attempts, _now()),
    )


def release(tx: Tx, follower: str, notification_id: int) -> None:
    """The event was applied after all: it leaves quarantine."""
    tx.execute(
        f"DELETE FROM {TABLE} WHERE follower = ? AND notification_id = ?",
        (follower, notification_id),
    )


def retry_failed(tx: Tx, follower: str, notification_id: int, error: str) -> None:
    tx.execute(
        f"UPDATE {TABLE} SET retried_at = ?, retry_error = ? "
        "WHERE follower = ? AND notification_id = ?",
        (_now(), error, follower, notification_id),
    )


def forget(tx: Tx, follower: str) -> None:
    """A rebuilt follower starts over from the log: its old quarantine no longer applies."""
    tx.execute(f"DELETE FROM {TABLE} WHERE follower = ?", (follower,))


def items(tx: Tx, followers: list[str] | None = None) -> list[Item]:
    rows = tx.rows(
        f"SELECT * FROM {TABLE} ORDER BY follower, notification_id",
    )
    found = [msgspec.convert(r, Item) for r in rows]
    return [i for i in found if followers is None or i.follower in followers]


def counts(tx: Tx) -> dict[str, int]:
    rows = tx.execute(f"SELECT follower, COUNT(*) FROM {TABLE} GROUP BY follower").fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def ensure_schema(tx: Tx) -> None:
    for statement in SCHEMA:
        tx.execute(statement)
