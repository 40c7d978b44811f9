"""The outbox: one row per side effect, the single source of truth of what is still to be done.

A row's primary key (source, recipient, channel) is the idempotency key of its side effect.
Its ``state`` moves pending → dispatched (the broker accepted a message for it) → done (the task
performed the effect, in the same transaction as the effect for in-app and audit rows), or dead
(retries exhausted; a dead letter records why). A dispatched row that is not done after
``task_redispatch_seconds`` (or whose broker restarted since) is dispatched again: messages can
be lost (Redis without persistence restarted, a worker killed holding them) and tasks are
idempotent, so sending again is always safe and nothing stays in limbo.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import msgspec

from services.db import Database, Tx
from services.notification.rules import Planned
from services.notification.schema import stamp, utcnow

PENDING, DISPATCHED, DONE, DEAD = "pending", "dispatched", "done", "dead"
OPEN_STATES = (PENDING, DISPATCHED)


class Key(msgspec.Struct, frozen=True, array_like=True):
    source_key: str
    recipient_id: str
    channel: str

    def as_kwargs(self) -> dict[str, str]:
        return {
            "source_key": self.source_key,
            "recipient_id": self.recipient_id,
            "channel": self.channel,
        }

    def __str__(self) -> str:
        return f"{self.source_key}/{self.recipient_id or '-'}/{self.channel}"


class Due(msgspec.Struct, frozen=True):
    key: Key
    notification_id: int | None
    attempts: int


_KEY_WHERE = "source_key = ? AND recipient_id = ? AND channel = ?"


def _key_params(key: Key) -> tuple[str, str, str]:
    return (key.source_key, key.recipient_id, key.channel)


def insert(tx: Tx, planned: Iterable[Planned], now: datetime | None = None) -> int:
    """Record planned side effects; a key already present is left as it is (never twice)."""
    created = stamp(now or utcnow())
    count = 0
    for p in planned:
        row = tx.execute(
            "INSERT INTO notification_outbox (source_key, recipient_id, channel, kind, "
            "notification_id, occurred_at, payload, state, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source_key, recipient_id, channel) DO NOTHING RETURNING source_key",
            (
                p.source_key,
                p.recipient_id,
                p.channel,
                p.kind,
                p.notification_id,
                p.occurred_at,
                json.dumps(p.payload, ensure_ascii=False),
                PENDING,
                created,
            ),
        ).fetchone()
        count += row is not None
    return count


def load(tx: Tx, key: Key) -> dict[str, Any] | None:
    rows = tx.rows(f"SELECT * FROM notification_outbox WHERE {_KEY_WHERE}", _key_params(key))
    if not rows:
        return None
    row = rows[0]
    row["payload"] = json.loads(row["payload"])
    return row


# ==== dispatch (distributed mode) ===============================================================


def due_for_dispatch(db: Database, redispatch_before: datetime, limit: int) -> list[Due]:
    """Pending rows, then dispatched rows not done since ``redispatch_before`` (lost messages)."""
    rows = db.rows(
        "SELECT source_key, recipient_id, channel, notification_id, attempts "
        "FROM notification_outbox WHERE state = ? "
        "UNION ALL SELECT source_key, recipient_id, channel, notification_id, attempts "
        "FROM notification_outbox WHERE state = ? AND dispatched_at < ? "
        "LIMIT ?",
        (PENDING, DISPATCHED, stamp(redispatch_before), limit),
    )
    return [_due(r) for r in rows]


def _due(r: dict[str, Any]) -> Due:
    key = Key(r["source_key"], r["recipient_id"], r["channel"])
    return Due(key, r["notification_id"], int(r["attempts"]))


def mark_dispatched(db: Database, keys: Sequence[Key], now: datetime | None = None) -> None:
    """After the broker accepted: a task that already finished keeps its 'done'."""
    if not keys:
        return
    moment = stamp(now or utcnow())
    with db.transaction() as tx:
        tx.executemany(
            "UPDATE notification_outbox SET state = ?, dispatched_at = ?, "
            f"dispatches = dispatches + 1 WHERE {_KEY_WHERE} AND state IN (?, ?)",
            [(DISPATCHED, moment, *_key_params(k), PENDING, DISPATCHED) for k in keys],
        )


# ==== in-process execution (embedded mode) ======================================================


def due_for_execution(db: Database, now: datetime, limit: int) -> list[Due]:
    rows = db.rows(
        "SELECT source_key, recipient_id, channel, notification_id, attempts "
        "FROM notification_outbox WHERE state IN (?, ?) "
        "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
        "ORDER BY created_at, source_key LIMIT ?",
        (PENDING, DISPATCHED, stamp(now), limit),
    )
    return [_due(r) for r in rows]


def defer(db: Database, key: Key, error: BaseException, delay: timedelta, attempts: int) -> None:
    """A transient failure in-process: try again after ``delay``, with ``attempts`` made."""
    now = utcnow()
    with db.transaction() as tx:
        tx.execute(
            "UPDATE notification_outbox SET attempts = ?, next_attempt_at = ?, "
            f"last_error = ? WHERE {_KEY_WHERE}",
            (attempts, stamp(now + delay), _error_text(error), *_key_params(key)),
        )


# ==== completion and dead letters ===============================================================


def complete(tx: Tx, key: Key, now: datetime | None = None, **extra: Any) -> None:
    """Mark done, inside the transaction that performed the effect."""
    sets = ", ".join(f"{name} = ?" for name in extra)
    tx.execute(
        f"UPDATE notification_outbox SET state = ?, completed_at = ?, next_attempt_at = NULL"
        f"{', ' + sets if sets else ''} WHERE {_KEY_WHERE}",
        (DONE, stamp(now or utcnow()), *extra.values(), *_key_params(key)),
    )


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def bury(
    db: Database,
    task: str,
    error: BaseException,
    *,
    key: Key | None = None,
    args: dict[str, Any] | None = None,
    attempts: int = 0,
    now: datetime | None = None,
) -> str | None:
    """Record a task that exhausted its retries; its outbox row (if any) becomes 'dead'.

    Returns the dead letter's id, or None when the row had meanwhile been done by another
    delivery of the same task (then there is nothing to retry).
    """
    moment = stamp(now or utcnow())
    detail = _error_text(error)
    tb = "".join(traceback.format_exception(error))[-4000:]
    with db.transaction() as tx:
        if key is not None:
            row = tx.execute(
                "UPDATE notification_outbox SET state = ?, last_error = ?, "
                f"attempts = CASE WHEN attempts > ? THEN attempts ELSE ? END "
                f"WHERE {_KEY_WHERE} AND state IN (?, ?) RETURNING source_key",
                (DEAD, detail, attempts, attempts, *_key_params(key), PENDING, DISPATCHED),
            ).fetchone()
            if row is None:
                return None
        letter_id = str(uuid4())
        tx.execute(
            "INSERT INTO notification_dead_letters (id, task, source_key, recipient_id, channel, "
            "args, error, attempts, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                letter_id,
                task,
                key.source_key if key else None,
                key.recipient_id if key else None,
                key.channel if key else None,
                json.dumps(args or {}, default=str),
                f"{detail}\n{tb}",
                attempts,
                moment,
            ),
        )
    return letter_id


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    task: str
    source_key: str | None
    recipient_id: str | None
    channel: str | None
    kind: str | None
    args: dict[str, Any]
    error: str
    attempts: int
    failed_at: str
    retried_at: str | None
    retried_by: str | None


def dead_letters(
    db: Database, *, include_retried: bool = False, limit: int = 200
) -> list[DeadLetter]:
    where = "" if include_retried else "WHERE d.retried_at IS NULL "
    rows = db.rows(
        "SELECT d.*, o.kind FROM notification_dead_letters d LEFT JOIN notification_outbox o "
        "ON o.source_key = d.source_key AND o.recipient_id = d.recipient_id "
        f"AND o.channel = d.channel {where}ORDER BY d.failed_at DESC, d.id LIMIT ?",
        (limit,),
    )
    for row in rows:
        row["args"] = json.loads(row["args"])
    return [msgspec.convert(r, DeadLetter) for r in rows]


def retry_dead_letter(db: Database, letter_id: str, by: str) -> DeadLetter | None:
    """Put a dead letter's work back in line. None if unknown or already retried.

    An outbox task goes back to 'pending' (the relay or the embedded runner picks it up);
    for a task without an outbox row (a schedule scan) the caller re-runs it from ``args``.
    """
    now = stamp(utcnow())
    with db.transaction() as tx:
        claimed = tx.execute(
            "UPDATE notification_dead_letters SET retried_at = ?, retried_by = ? "
            "WHERE id = ? AND retried_at IS NULL RETURNING id",
            (now, by, letter_id),
        ).fetchone()
        if claimed is None:
            return None
        row = tx.rows("SELECT * FROM notification_dead_letters WHERE id = ?", (letter_id,))[0]
        if row["source_key"] is not None:
            tx.execute(
                "UPDATE notification_outbox SET state = ?, attempts = 0, next_attempt_at = NULL, "
                f"dispatched_at = NULL, last_error = NULL WHERE {_KEY_WHERE} AND state = ?",
                (PENDING, row["source_key"], row["recipient_id"], row["channel"], DEAD),
            )
    row["args"] = json.loads(row["args"])
    row["kind"] = None
    return msgspec.convert(row, DeadLetter)


# ==== health ====================================================================================


class OutboxStats(msgspec.Struct, frozen=True, kw_only=True):
    pending: int
    dispatched: int
    done: int
    dead: int
    sending: int  # emails between 'sending' and 'sent' right now
    dead_letters_open: int


def stats(db: Database) -> OutboxStats:
    counts = dict.fromkeys((PENDING, DISPATCHED, DONE, DEAD), 0)
    with db.transaction() as tx:
        for state, n in tx.execute(
            "SELECT state, COUNT(*) FROM notification_outbox GROUP BY state"
        ).fetchall():
            counts[state] = int(n)
        sending = tx.scalar(
            "SELECT COUNT(*) FROM notification_outbox WHERE email_state = 'sending'"
        )
        letters = tx.scalar(
            "SELECT COUNT(*) FROM notification_dead_letters WHERE retried_at IS NULL"
        )
    return OutboxStats(
        pending=counts[PENDING],
        dispatched=counts[DISPATCHED],
        done=counts[DONE],
        dead=counts[DEAD],
        sending=int(sending or 0),
        dead_letters_open=int(letters or 0),
    )
