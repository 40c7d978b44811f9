"""The relay: follows the notification log and hands side effects to the workers (outbox pattern).

Two steps per round, each safe to crash in:

1. **Plan** (one database transaction): read the next events after the relay's tracking
   position, fold them into the relay's directory, insert one outbox row per side effect
   (``ON CONFLICT DO NOTHING`` on its key) and advance the position. Nothing here needs Redis,
   so a broker outage never stops the relay from keeping up with the log, and request handlers
   never enqueue anything themselves.
2. **Dispatch**: publish a Celery task (carrying the row's key and the event's notification id)
   for every pending row, and mark a row dispatched only after the broker accepted its message.
   When Redis is down, rows simply stay pending and go out when it is back. Rows dispatched but
   not done are sent again when Redis restarted since (its ``run_id`` changed: an unpersisted
   queue lost them) or when the queue is empty and they are older than
   ``task_redispatch_seconds`` (a worker died holding them). Tasks are idempotent, so a message
   sent twice performs its side effect once.

On PostgreSQL a relay holds an advisory lock while active; a second relay waits as a hot standby.

No single event stops the planning (``Planner``): when a batch fails, the next events are
planned one per transaction; one that fails ``attempts`` times is quarantined
(``services.quarantine``, follower ``relay``) in the transaction that moves the position past
it, keeping only its audit task (so the audit trail still shows the gap as unfinished work),
and ``sirisma projections retry-quarantined`` plans it again later.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from services import quarantine
from services.db import Tx
from services.eventstore.store import EventStore, decode_event
from services.notification import outbox, rules
from services.notification.delivery import Services
from services.notification.outbox import Due, Key
from services.notification.rules import AUDIT, Planned
from services.notification.schema import parse_stamp, stamp, utcnow

log = logging.getLogger("sirisma.notification.relay")

TRACKING_NAME = "relay"
LOCK_KEY = zlib.crc32(b"sirisma.notification.relay")  # the advisory lock's id
QUEUE = "sirisma"
NOTIFY_TASK = "sirisma.notify"
AUDIT_TASK = "sirisma.audit_record"


def task_name(channel: str) -> str:
    return AUDIT_TASK if channel == AUDIT else NOTIFY_TASK


class Broker(Protocol):
    def run_id(self) -> str:
        """Identity of the broker's current process (changes when it restarts)."""
        ...

    def backlog(self) -> int:
        """Messages waiting in the queue."""
        ...

    def publish(self, items: Sequence[Due]) -> list[Key]:
        """Publish in order; return the keys accepted (stops at the first refusal)."""
        ...


class Tracking:
    """The relay's row in ``notification_tracking``."""

    def __init__(self, name: str = TRACKING_NAME) -> None:
        self.name = name

    def read(self, tx: Tx, *, lock: bool) -> dict[str, Any]:
        tx.execute(
            "INSERT INTO notification_tracking (name, position, updated_at) VALUES (?, 0, ?) "
            "ON CONFLICT (name) DO NOTHING",
            (self.name, stamp(utcnow())),
        )
        suffix = " FOR UPDATE" if lock and tx.dialect == "postgres" else ""
        return tx.rows(
            "SELECT position, last_event_at, broker_run_id FROM notification_tracking "
            f"WHERE name = ?{suffix}",
            (self.name,),
        )[0]

    def advance(self, tx: Tx, position: int, last_event_at: str | None) -> None:
        tx.execute(
            "UPDATE notification_tracking SET position = ?, last_event_at = ?, updated_at = ? "
            "WHERE name = ?",
            (position, last_event_at, stamp(utcnow()), self.name),
        )

    def set_run_id(self, tx: Tx, run_id: str) -> None:
        tx.execute(
            "UPDATE notification_tracking SET broker_run_id = ? WHERE name = ?",
            (run_id, self.name),
        )


def _audit_only(notification_id: int, topic: str) -> Planned:
    """The audit task of an event the relay cannot plan otherwise (undecodable, quarantined):
    it fails into a dead letter, which holds back sealing of its day until someone looks."""
    return Planned(
        source_key=rules.event_source(notification_id),
        recipient_id="",
        channel=AUDIT,
        kind="audit",
        payload={"topic": topic},
        notification_id=notification_id,
    )


def _plan_one(
    tx: Tx, notification_id: int, topic: str, state: bytes, email: bool
) -> tuple[list[Planned], str | None]:
    try:
        event = decode_event(topic, state)
    except Exception:  # an undecodable record still gets its audit task (dead-lettered)
        log.exception("cannot decode notification %s (%s)", notification_id, topic)
        return [_audit_only(notification_id, topic)], None
    return rules.plan_event(tx, notification_id, event, email=email), stamp(event.timestamp)


def plan_batch(rt: Services, limit: int = 500) -> int:
    """Plan the next events of the log (step 1); returns how many events were planned."""
    tracking = Tracking()
    email = bool(rt.settings.smtp_host)
    with rt.db.transaction() as tx:
        position = int(tracking.read(tx, lock=True)["position"])
        batch = rt.store.notifications(position + 1, limit)
        if not batch:
            return 0
        planned: list[Planned] = []
        last_event_at: str | None = None
        for n in batch:
            found, moment = _plan_one(tx, n.id, n.topic, n.state, email)
            planned.extend(found)
            last_event_at = moment or last_event_at
        outbox.insert(tx, planned)
        tracking.advance(tx, batch[-1].id, last_event_at)
    return len(batch)


def replan_one(tx: Tx, store: EventStore, notification_id: int, *, email: bool) -> None:
    """Plan one (quarantined) event again, serialised with the relay by its tracking row; its
    side effects keep their keys, so whatever was planned before is not planned twice."""
    Tracking().read(tx, lock=True)
    found = store.notifications(notification_id, 1)
    if not found or found[0].id != notification_id:
        raise LookupError(f"notification {notification_id} is not in the log")
    n = found[0]
    planned, _ = _plan_one(tx, n.id, n.topic, n.state, email)
    outbox.insert(tx, planned)


DEFAULT_ATTEMPTS = 5


def _transient(exc: BaseException) -> bool:
    """A lost connection or a busy SQLite file: retried as long as it takes, never counted."""
    import psycopg

    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        return True
    return isinstance(exc, sqlite3.OperationalError)


class Planner:
    """``plan_batch`` for a loop (the relay, the embedded runner): no single event stops it.

    A failed batch is planned again one event per call; an event failing ``attempts`` calls in
    a row is quarantined and the position moves past it. The caller's loop keeps its backoff:
    ``plan`` re-raises every failure that did not end in quarantine.
    """

    def __init__(self, rt: Services, attempts: int = DEFAULT_ATTEMPTS) -> None:
        self.rt = rt
        self.attempts = max(1, attempts)
        self.failures = 0
        self.one_by_one = 0  # events still to plan one per transaction after a failed batch
        self.caught_up = False  # the last call planned everything there was

    def plan(self, limit: int = 500) -> int:
        single = self.one_by_one > 0 or limit == 1
        self.caught_up = False
        try:
            planned = plan_batch(self.rt, 1 if single else limit)
        except Exception as exc:
            if _transient(exc):
                raise
            if not single:
                log.warning("planning %d events failed (%s); one by one now", limit, exc)
                self.one_by_one = limit
                return 0
            self.failures += 1
            if self.failures < self.attempts:
                raise
            return self._quarantine(exc)
        self.failures = 0
        self.one_by_one = max(self.one_by_one - 1, 0) if planned else 0
        self.caught_up = planned < (1 if single else limit)
        return planned

    def _quarantine(self, exc: BaseException) -> int:
        tracking = Tracking()
        with self.rt.db.transaction() as tx:
            row = tracking.read(tx, lock=True)
            found = self.rt.store.notifications(int(row["position"]) + 1, 1)
            if not found:
                return 0
            n = found[0]
            error = quarantine.error_text(exc)
            quarantine.record(
                tx, quarantine.RELAY, n.id, n.topic, str(n.originator_id), error, self.failures
            )
            outbox.insert(tx, [_audit_only(n.id, n.topic)])
            tracking.advance(tx, n.id, row["last_event_at"])
        log.error(
            "relay: notification %d (%s) quarantined after %d attempts: %s",
            n.id,
            n.topic,
            self.failures,
            error,
        )
        self.failures = 0
        self.one_by_one = max(self.one_by_one - 1, 0)
        return 1


DIRECTORY_TABLES = (
    "notification_accounts",
    "notification_organisations",
    "notification_calls",
    "notification_innovations",
)


def replan(rt: Services) -> None:
    """Forget the directory and the position, so the next rounds plan the whole log again.

    Safe at any time: the directory is rebuilt in log order (so recipients come out as they did),
    and every side effect already in the outbox keeps its key, so nothing is sent twice.
    """
    with rt.db.transaction() as tx:
        Tracking().read(tx, lock=True)
        for table in DIRECTORY_TABLES:
            tx.execute(f"DELETE FROM {table}")
        tx.execute(
            "UPDATE notification_tracking SET position = 0, last_event_at = NULL WHERE name = ?",
            (TRACKING_NAME,),
        )


class Dispatcher:
    """Step 2: pending rows to the broker; lost messages sent again."""

    def __init__(self, rt: Services, broker: Broker, limit: int = 500) -> None:
        self.rt = rt
        self.broker = broker
        self.limit = limit
        self.restart_seen_at: datetime | None = None

    def dispatch_batch(self) -> int:
        """Publish one batch; returns how many messages the broker accepted."""
        tracking = Tracking()
        now = utcnow()
        run_id = self.broker.run_id()
        with self.rt.db.transaction() as tx:
            known_run_id = tracking.read(tx, lock=False)["broker_run_id"]
        restarted = run_id != known_run_id
        if restarted and self.restart_seen_at is None:
            log.warning("broker %s is new (was %s): resending", run_id, known_run_id)
            self.restart_seen_at = now
        cutoff = now - timedelta(seconds=self.rt.settings.task_redispatch_seconds)
        if self.restart_seen_at is not None:
            cutoff = max(cutoff, self.restart_seen_at)
        elif self.broker.backlog() > 0:
            cutoff = datetime.min.replace(tzinfo=now.tzinfo)  # queue busy: only pending rows
        due = outbox.due_for_dispatch(self.rt.db, cutoff, self.limit)
        accepted = self.broker.publish(due) if due else []
        outbox.mark_dispatched(self.rt.db, accepted, now)
        if restarted and len(due) < self.limit and len(accepted) == len(due):
            with self.rt.db.transaction() as tx:
                tracking.set_run_id(tx, run_id)
            self.restart_seen_at = None
        return len(accepted)


class AdvisoryLock:
    """One active relay per PostgreSQL database: a session-level advisory lock on its own
    connection. Losing the connection loses the lock, and the relay goes back to standby."""

    def __init__(self, database_url: str, key: int = LOCK_KEY) -> None:
        self.database_url = database_url
        self.key = key
        self._conn: Any = None

    def hold(self) -> bool:
        import psycopg

        try:
            if self._conn is not None:
                self._conn.execute("SELECT 1")
                return True
            conn = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5)
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            if got and got[0]:
                self._conn = conn
                log.info("relay is active (advisory lock %s)", self.key)
                return True
            conn.close()
            return False
        except psycopg.Error:
            self.release()
            return False

    def release(self) -> None:
        """Unlock before closing: a close returns before the server's backend has exited and let
        go of the lock, so a standby trying right after would still find it taken."""
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a broken connection has lost the lock anyway
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            with contextlib.suppress(Exception):  # closing a broken connection
                self._conn.close()
            self._conn = None


class Relay:
    """The loop: plan, dispatch, sleep when idle; errors are logged and retried with backoff."""

    def __init__(
        self,
        rt: Services,
        broker: Broker | None,
        *,
        poll_interval: float = 0.5,
        batch: int = 500,
    ) -> None:
        self.rt = rt
        self.dispatcher = Dispatcher(rt, broker, batch) if broker is not None else None
        self.poll_interval = poll_interval
        self.batch = batch
        self.lock = AdvisoryLock(rt.settings.database_url) if rt.settings.is_postgres else None
        self.broker_up = True
        self.planner = Planner(rt)

    def step(self) -> int:
        """One round (plan, then dispatch); returns the work done (0 = idle)."""
        work = self.planner.plan(self.batch)
        if self.dispatcher is not None:
            try:
                work += self.dispatcher.dispatch_batch()
                if not self.broker_up:
                    log.info("broker reachable again")
                self.broker_up = True
            except Exception as exc:  # broker down: rows stay pending, planning goes on
                if self.broker_up:
                    log.warning("broker unavailable, tasks stay pending: %s", exc)
                self.broker_up = False
        return work

    def run(self, stop: threading.Event) -> None:
        backoff = self.poll_interval
        while not stop.is_set():
            if self.lock is not None and not self.lock.hold():
                stop.wait(2.0)  # standby: another relay is active
                continue
            try:
                work = self.step()
                backoff = self.poll_interval
            except Exception:
                log.exception("relay round failed; retrying in %.1fs", backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if work == 0 or not self.broker_up:
                stop.wait(self.poll_interval)
        if self.lock is not None:
            self.lock.release()


def lag(rt: Services) -> dict[str, Any]:
    """Position, events behind and age of the newest planned event: for status and metrics."""
    with rt.db.transaction() as tx:
        row = Tracking().read(tx, lock=False)
    head = rt.store.max_notification_id()
    last = row["last_event_at"]
    return {
        "position": int(row["position"]),
        "head": head,
        "behind": max(head - int(row["position"]), 0),
        "last_event_at": parse_stamp(last).isoformat() if last else None,
        "broker_run_id": row["broker_run_id"],
    }
