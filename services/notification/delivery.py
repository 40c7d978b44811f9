"""The task bodies: perform one outbox row's side effect, exactly once where that is possible.

The same functions run in a Celery worker and, in the embedded mode, in a thread of the web
process. Each starts from the outbox row (by its key) and ends by marking it done:

* in-app: the inbox row and "done" are written in one transaction, and the inbox is unique per
  (source, recipient): exactly once, whatever is retried or redelivered.
* audit: the same, with the audit record keyed by the event's notification id.
* email: SMTP cannot take an idempotency key, so the outbox row is the idempotency record.
  The task first claims it ("sending", with a lease), then talks to the mail server, then
  records "sent" (retrying that write a few times). A redelivered task finds "sent" and stops,
  or finds a live "sending" and backs off. Only a crash *between* the server's acceptance and the
  "sent" write (a window of milliseconds) makes a later attempt send again once the lease has
  expired: at-least-once, chosen because a reminder that never arrives is worse than a rare
  duplicate. Both copies then carry the same Message-ID, so mail systems can fold them.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from datetime import timedelta
from typing import Any, Protocol
from uuid import UUID, uuid4

import msgspec
import psycopg
import psycopg_pool

from services.config import Settings
from services.db import Database
from services.domain.aggregate import Aggregate
from services.domain.call import JAKARTA, Call
from services.domain.events import Event
from services.domain.innovation import Innovation
from services.domain.organisation import Account, Organisation
from services.eventstore.store import EventStore, decode_event
from services.notification import directory, inbox, mailer, outbox
from services.notification.mailer import PermanentError, TransientError
from services.notification.outbox import DONE, OPEN_STATES, Key
from services.notification.rules import AUDIT, EMAIL, INAPP
from services.notification.schema import parse_stamp, stamp, utcnow

log = logging.getLogger("sirisma.notification")


class Busy(Exception):
    """Another delivery of the same email holds a live 'sending' lease: try again later."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"surel sedang dikirim oleh proses lain; coba lagi {retry_in:.0f} detik")
        self.retry_in = retry_in


MAX_RETRIES = 8  # backoff 2, 4, 8 … capped at 5 minutes: about 17 minutes in all

# Errors worth retrying with backoff: the mail server, the database or a lease busy right now.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientError,
    Busy,
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
    sqlite3.OperationalError,
)


class Services(Protocol):
    settings: Settings
    store: EventStore
    db: Database


def lease(settings: Settings) -> timedelta:
    """How long a 'sending' claim is trusted: two full SMTP timeouts and a margin."""
    return timedelta(seconds=2 * settings.smtp_timeout + 5)


def execute(rt: Services, key: Key) -> str:
    """Perform the row's side effect unless it is already done; returns the row's outcome."""
    with rt.db.transaction() as tx:
        row = outbox.load(tx, key)
    if row is None:
        log.warning("no outbox row for %s", key)
        return "missing"
    if row["state"] not in OPEN_STATES:
        return str(row["state"])
    if key.channel == INAPP:
        return _inapp(rt, key, row)
    if key.channel == EMAIL:
        return _email(rt, key, row)
    if key.channel == AUDIT:
        return _audit(rt, key, row)
    raise PermanentError(f"unknown channel {key.channel!r}")


# ==== in-app ====================================================================================


def _inapp(rt: Services, key: Key, row: dict[str, Any]) -> str:
    payload = row["payload"]
    rendered = mailer.render(payload["kind"], payload["params"], payload["recipient"]["name"])
    params = payload["params"]
    with rt.db.transaction() as tx:
        tx.execute(
            "INSERT INTO notification_inbox (id, source_key, recipient_id, kind, title, body, "
            "innovation_id, call_id, notification_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source_key, recipient_id) DO NOTHING",
            (
                str(uuid4()),
                key.source_key,
                key.recipient_id,
                payload["kind"],
                rendered.subject,
                rendered.summary,
                params.get("innovation_id"),
                params.get("call_id"),
                row["notification_id"],
                stamp(utcnow()),
            ),
        )
        inbox.count_new(tx, key.recipient_id, max(tx.cursor.rowcount, 0))
        outbox.complete(tx, key)
    return DONE


# ==== email =====================================================================================

_CLAIM = (
    "UPDATE notification_outbox SET email_state = 'sending', sending_at = ?, "
    "attempts = attempts + 1 WHERE source_key = ? AND recipient_id = ? AND channel = ? "
    "AND state IN (?, ?) AND (email_state IS NULL OR "
    "(email_state = 'sending' AND sending_at < ?)) RETURNING attempts"
)


def _email(rt: Services, key: Key, row: dict[str, Any]) -> str:
    settings = rt.settings
    if not settings.smtp_host:
        raise PermanentError("SMTP belum dikonfigurasi (SIRISMA_SMTP_HOST kosong).")
    payload = row["payload"]
    recipient = payload["recipient"]
    now = utcnow()
    claimed_at = stamp(now)
    with rt.db.transaction() as tx:
        claimed = tx.execute(
            _CLAIM,
            (claimed_at, *_params(key), *OPEN_STATES, stamp(now - lease(settings))),
        ).fetchone()
        if claimed is None:
            current = outbox.load(tx, key)
            if current is None or current["state"] not in OPEN_STATES:
                return str(current["state"]) if current else "missing"
            if current["email_state"] == "sent":  # sent, but "done" was not recorded
                outbox.complete(tx, key)
                return DONE
            held_since = current["sending_at"] or claimed_at
            remaining = (parse_stamp(held_since) + lease(settings) - now).total_seconds()
            raise Busy(max(remaining, 1.0))
    rendered = mailer.render(payload["kind"], payload["params"], recipient["name"])
    mid = mailer.message_id(settings, str(key))
    message = mailer.build(settings, recipient["name"], recipient["email"], rendered, mid)
    try:
        mailer.send(settings, message)
    except BaseException as exc:
        # Not accepted by the server: release the claim so a retry sends at once.
        _release(rt.db, key, claimed_at, exc)
        raise
    _record_sent(rt.db, key, mid)
    return DONE


def _params(key: Key) -> tuple[str, str, str]:
    return (key.source_key, key.recipient_id, key.channel)


def _release(db: Database, key: Key, claimed_at: str, exc: BaseException) -> None:
    try:
        with db.transaction() as tx:
            tx.execute(
                "UPDATE notification_outbox SET email_state = NULL, sending_at = NULL, "
                "last_error = ? WHERE source_key = ? AND recipient_id = ? AND channel = ? "
                "AND email_state = 'sending' AND sending_at = ?",
                (f"{type(exc).__name__}: {exc}"[:2000], *_params(key), claimed_at),
            )
    except Exception:  # the lease will expire by itself
        log.exception("could not release the sending claim of %s", key)


def _record_sent(db: Database, key: Key, mid: str, attempts: int = 6) -> None:
    """The mail is out: record it, trying hard, because a lost record means a resend."""
    for attempt in range(attempts):
        try:
            with db.transaction() as tx:
                outbox.complete(
                    tx, key, email_state="sent", sent_at=stamp(utcnow()), message_id=mid
                )
            return
        except TRANSIENT_ERRORS:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * 2**attempt)


# ==== audit trail ===============================================================================

_AGGREGATES: dict[str, type[Aggregate]] = {
    "innovation": Innovation,
    "call": Call,
    "organisation": Organisation,
    "account": Account,
}


def _before(store: EventStore, topic: str, event: Event) -> Aggregate | None:
    """The record just before the event (what ``describe`` compares against)."""
    cls = _AGGREGATES.get(topic.split(".", 1)[0])
    if topic.startswith("research."):  # two aggregates share the prefix
        from services.domain.research.streams import aggregate_of

        cls = aggregate_of(event)
    if cls is None or event.originator_version <= 1:
        return None
    return store.load(cls, event.originator_id, event.originator_version - 1)


def _audit(rt: Services, key: Key, row: dict[str, Any]) -> str:
    from services.audit.describe import describe

    notification_id = int(row["notification_id"])
    found = rt.store.notifications(notification_id, 1)
    if not found or found[0].id != notification_id:
        raise PermanentError(f"notifikasi {notification_id} tidak ada di log")
    stored = found[0]
    event = decode_event(stored.topic, stored.state)
    before = _before(rt.store, stored.topic, event)
    with rt.db.transaction() as tx:
        who = directory.username(tx, event.actor.account_id)
    line = describe(event, before, who=who)
    changes = json.dumps(msgspec.to_builtins(line.changes), ensure_ascii=False, sort_keys=True)
    with rt.db.transaction() as tx:
        tx.execute(
            "INSERT INTO notification_audit_records (notification_id, day, originator_id, "
            "originator_version, topic, actor_id, actor_role, actor_name, occurred_at, "
            "correlation_id, summary, changes, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (notification_id) DO NOTHING",
            (
                notification_id,
                event.timestamp.astimezone(JAKARTA).date().isoformat(),
                str(event.originator_id),
                event.originator_version,
                stored.topic,
                _str(event.actor.account_id),
                str(event.actor.role),
                who,
                stamp(event.timestamp),
                event.correlation_id,
                line.summary,
                changes,
                stamp(utcnow()),
            ),
        )
        outbox.complete(tx, key)
    return DONE


def _str(value: UUID | None) -> str | None:
    return str(value) if value is not None else None
