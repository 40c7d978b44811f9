"""Tables of the notification context (run by ``services.migrate``), and how times are stored.

* ``notification_tracking``: the relay's position in the notification log.
* ``notification_accounts|organisations|calls|innovations``: the relay's own small picture of the
  world (who is operator of what, open calls, what waits in review), folded from the log in the
  same transaction as the relay's position, so recipients are resolved exactly as of the event.
* ``notification_outbox``: one row per side effect, keyed by (source, recipient, channel). The
  primary key is what makes every side effect happen once: the relay inserts with ``ON CONFLICT DO
  NOTHING``; the row's ``state`` says whether the task still has to run (pending / dispatched),
  has run (done) or gave up (dead). For email it is also the idempotency record of the SMTP send
  (``email_state`` sending → sent).
* ``notification_inbox``: the in-app channel, unique per (source, recipient).
* ``notification_dead_letters``: tasks that exhausted their retries, for admins and the CLI.
* ``notification_audit_records`` / ``notification_audit_digests``: the audit-trail worker's
  human-readable record of every event and the daily HMAC-signed hash chain over it.

Times are TEXT in one fixed UTC format (``stamp``), so they compare correctly as strings on both
SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from services import ddl
from services.db import Tx

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
#: Exactly what ``stamp`` writes (fixed width, so text order is time order).
STAMP_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def stamp(moment: datetime) -> str:
    """A UTC timestamp as sortable text: '2025-03-05T07:03:22.000000Z'."""
    return moment.astimezone(UTC).strftime(STAMP_FORMAT)


def parse_stamp(text: str) -> datetime:
    """A ``stamp`` back as an aware datetime; ValueError for any other text. The shape is
    checked first, then C's ISO parser reads it: ``strptime`` took about 13 µs a stamp, most
    of an inbox page's Python at 20 rows (issue 19, target 5)."""
    if not STAMP_SHAPE.fullmatch(text):
        raise ValueError(f"not a stamp: {text!r}")
    return datetime.fromisoformat(text)


def utcnow() -> datetime:
    return datetime.now(UTC)


SCHEMA = [
    """CREATE TABLE IF NOT EXISTS notification_tracking (
        name TEXT PRIMARY KEY,
        position BIGINT NOT NULL DEFAULT 0,
        last_event_at TEXT,
        broker_run_id TEXT,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS notification_accounts (
        account_id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        full_name TEXT NOT NULL,
        email TEXT NOT NULL,
        role TEXT NOT NULL,
        organisation_id TEXT,
        disabled INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS notification_accounts_role "
    "ON notification_accounts (role, organisation_id)",
    """CREATE TABLE IF NOT EXISTS notification_organisations (
        organisation_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        code TEXT NOT NULL,
        name TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS notification_calls (
        call_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        budget_year INTEGER NOT NULL,
        opens_at TEXT NOT NULL,
        deadline TEXT NOT NULL,
        eligible_kinds TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS notification_innovations (
        innovation_id TEXT PRIMARY KEY,
        call_id TEXT,
        call_kind TEXT NOT NULL,
        organisation_id TEXT,
        submitter_id TEXT,
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        budget_year INTEGER NOT NULL,
        reviewers TEXT NOT NULL DEFAULT '[]',
        review_since TEXT,
        submitted_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS notification_innovations_call "
    "ON notification_innovations (call_id, organisation_id)",
    "CREATE INDEX IF NOT EXISTS notification_innovations_status "
    "ON notification_innovations (status)",
    """CREATE TABLE IF NOT EXISTS notification_outbox (
        source_key TEXT NOT NULL,
        recipient_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        kind TEXT NOT NULL,
        notification_id BIGINT,
        occurred_at TEXT,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        created_at TEXT NOT NULL,
        dispatched_at TEXT,
        dispatches INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        email_state TEXT,
        sending_at TEXT,
        sent_at TEXT,
        message_id TEXT,
        completed_at TEXT,
        last_error TEXT,
        PRIMARY KEY (source_key, recipient_id, channel)
    )""",
    "CREATE INDEX IF NOT EXISTS notification_outbox_open "
    "ON notification_outbox (state, dispatched_at)",
    "CREATE INDEX IF NOT EXISTS notification_outbox_event ON notification_outbox (notification_id)",
    """CREATE TABLE IF NOT EXISTS notification_inbox (
        id TEXT PRIMARY KEY,
        source_key TEXT NOT NULL,
        recipient_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        innovation_id TEXT,
        call_id TEXT,
        notification_id BIGINT,
        created_at TEXT NOT NULL,
        read_at TEXT,
        UNIQUE (source_key, recipient_id)
    )""",
    # A page is the recipient's newest messages in (created_at, id) order, the same order as
    # its cursor: read straight off this index, however many messages the recipient has.
    "CREATE INDEX IF NOT EXISTS notification_inbox_page "
    "ON notification_inbox (recipient_id, created_at, id)",
    "DROP INDEX IF EXISTS notification_inbox_recipient",  # its prefix, superseded
    # The unread count reads only unread messages, however many the recipient has read.
    "CREATE INDEX IF NOT EXISTS notification_inbox_unread "
    "ON notification_inbox (recipient_id) WHERE read_at IS NULL",
    # The bell's number per recipient, kept by every write to the inbox in that write's own
    # transaction (``services.notification.inbox``): one row read, however many messages.
    """CREATE TABLE IF NOT EXISTS notification_unread (
        recipient_id TEXT PRIMARY KEY,
        unread BIGINT NOT NULL
    )""",
    # Recipients it does not know yet (the first start after it was added) are counted once;
    # a known one is never recounted here (its row is already right).
    "INSERT INTO notification_unread (recipient_id, unread) "
    "SELECT recipient_id, COUNT(*) FROM notification_inbox WHERE read_at IS NULL "
    "GROUP BY recipient_id ON CONFLICT (recipient_id) DO NOTHING",
    """CREATE TABLE IF NOT EXISTS notification_dead_letters (
        id TEXT PRIMARY KEY,
        task TEXT NOT NULL,
        source_key TEXT,
        recipient_id TEXT,
        channel TEXT,
        args TEXT NOT NULL,
        error TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        failed_at TEXT NOT NULL,
        retried_at TEXT,
        retried_by TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS notification_dead_letters_open "
    "ON notification_dead_letters (retried_at, failed_at)",
    """CREATE TABLE IF NOT EXISTS notification_audit_records (
        notification_id BIGINT PRIMARY KEY,
        day TEXT NOT NULL,
        originator_id TEXT NOT NULL,
        originator_version INTEGER NOT NULL,
        topic TEXT NOT NULL,
        actor_id TEXT,
        actor_role TEXT NOT NULL,
        actor_name TEXT,
        occurred_at TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        summary TEXT NOT NULL,
        changes TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS notification_audit_records_day "
    "ON notification_audit_records (day, notification_id)",
    """CREATE TABLE IF NOT EXISTS notification_audit_digests (
        day TEXT PRIMARY KEY,
        record_count INTEGER NOT NULL,
        first_notification_id BIGINT,
        last_notification_id BIGINT,
        records_hash TEXT NOT NULL,
        previous_digest TEXT NOT NULL,
        digest TEXT NOT NULL,
        sealed_at TEXT NOT NULL
    )""",
    # Riset daerah: which organisation proposed which research (services/notification/research.py).
    """CREATE TABLE IF NOT EXISTS notification_research (
        proposal_id TEXT PRIMARY KEY,
        organisation_id TEXT,
        title TEXT NOT NULL
    )""",
    # Monev visits, for the due reminders (services/notification/monev.py).
    """CREATE TABLE IF NOT EXISTS notification_monev_visits (
        visit_id TEXT PRIMARY KEY,
        innovation_id TEXT NOT NULL,
        organisation_id TEXT,
        kind TEXT NOT NULL,
        due_on TEXT NOT NULL,
        reported INTEGER NOT NULL DEFAULT 0
    )""",
]


#: Audit-trail records are append-only, like the event log they describe: a record is written
#: once by its task (``INSERT … ON CONFLICT DO NOTHING``) and never changed or removed; the daily
#: digests catch tampering by whoever bypasses this, the trigger stops everyone else.
APPEND_ONLY_TABLES = ("notification_audit_records",)
APPEND_ONLY_MESSAGE = "SI-RISMA: catatan jejak audit hanya dapat ditambah (append-only)"


def install_append_only(tx: Tx) -> None:
    """Install the append-only triggers (idempotent; serialised with other processes; nothing
    runs when they are in place). DDL on the owner's tables: ``services.migrate`` runs it as
    whoever owns them."""
    for table in APPEND_ONLY_TABLES:
        if tx.dialect == "postgres":
            ddl.run_missing(
                tx,
                [
                    "CREATE OR REPLACE FUNCTION sirisma_records_append_only() RETURNS trigger "
                    "LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION USING MESSAGE = "
                    f"'{APPEND_ONLY_MESSAGE} (' || TG_OP || ' ' || TG_TABLE_NAME || ')', "
                    "ERRCODE = 'insufficient_privilege'; END$$",
                    f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON "
                    f"{table} FOR EACH ROW EXECUTE FUNCTION sirisma_records_append_only()",
                    f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION sirisma_records_append_only()",
                ],
                ddl.SCHEMA_LOCK,
            )
            continue
        for op in ("UPDATE", "DELETE"):
            tx.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )
