"""The fault test: a burst of 500+ events while the Celery worker is SIGKILLed holding tasks and
Redis (without persistence) is restarted. Afterwards every expected notification exists exactly
once, every event has its audit record, and nothing is left in limbo."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any
from uuid import UUID

import pytest

from services.notification import outbox
from services.notification.relay import QUEUE
from services.runtime import Runtime
from tests.notification.conftest import NotifyWorld, RelayThread, SmtpServer, wait_until
from tests.servers import RedisServer

pytestmark = pytest.mark.slow

INNOVATIONS = 36  # 14 events each (propose, 5 documents, 5 claims, submit, assign, revision)
EMAIL = "{}@sragenkab.go.id"


def burst(world: NotifyWorld, created: list[UUID], faulted: threading.Event) -> None:
    """The burst; its last third waits for the fault if it gets there first (a fast machine
    once finished the whole burst before Redis was restarted), so events still flow after it."""
    c = world.commands
    for n in range(INNOVATIONS):
        if n == INNOVATIONS * 2 // 3:
            faulted.wait(120)
        iid = world.complete_draft(f"Inovasi Uji {n:02d}")
        c.submit(world.ctx(world.operator), iid)
        c.assign_reviewer(world.ctx(world.admin), iid, world.reviewer.account_id)
        c.request_revision(world.ctx(world.reviewer), iid, note=f"Perbaiki {n:02d}")
        created.append(iid)


def test_worker_sigkill_and_redis_restart_during_a_burst(
    distributed_runtime: Runtime,
    relay_thread: RelayThread,
    worker_factory: Any,
    smtp: SmtpServer,
    redis_server: RedisServer,
) -> None:
    rt = distributed_runtime
    first = worker_factory()
    world = NotifyWorld(rt)
    start = rt.store.max_notification_id()
    created: list[UUID] = []
    faulted = threading.Event()
    producer = threading.Thread(target=burst, args=(world, created, faulted), daemon=True)
    producer.start()
    redis = redis_server.client()

    # The worker is busy and holds unacknowledged messages: kill it there, without warning.
    # ``held`` is what was seen when the wait ended (a second read could find the worker had
    # just acknowledged them all).
    unacked: list[int] = []

    def holding() -> bool:
        if rt.db.scalar("SELECT COUNT(*) FROM notification_outbox WHERE state = 'done'") < 30:
            return False
        unacked.append(redis.hlen("unacked"))
        return unacked[-1] > 0

    wait_until(holding, timeout=60, interval=0.02, what="the worker to hold tasks")
    held = unacked[-1]
    first.kill()
    redis_server.restart()  # no persistence: every queued message is gone
    restarted_during_burst = producer.is_alive()
    faulted.set()
    worker_factory()
    producer.join(180)
    assert not producer.is_alive()
    assert held > 0 and restarted_during_burst
    events = rt.store.max_notification_id() - start
    assert events >= 500 and len(created) == INNOVATIONS

    redis = redis_server.client()

    def settled() -> Any:
        stats = outbox.stats(rt.db)
        position = rt.db.scalar("SELECT position FROM notification_tracking WHERE name = 'relay'")
        quiet = redis.llen(QUEUE) == 0 and redis.hlen("unacked") == 0
        caught_up = position == rt.store.max_notification_id()
        idle = stats.pending == stats.dispatched == stats.sending == 0
        return caught_up and idle and quiet and stats

    stats = wait_until(settled, timeout=240, interval=0.5, what="the system to settle")
    assert stats.dead == 0 and stats.dead_letters_open == 0
    from services.notification.operations import check

    limbo = check(rt)
    assert limbo.ok, limbo

    # Every expected in-app message exactly once, and nothing else.
    expected: Counter[tuple[str, str, str]] = Counter()
    for iid in created:
        expected[(str(iid), "submission_received", "admin")] += 1
        expected[(str(iid), "reviewer_assigned", "rev.satu")] += 1
        expected[(str(iid), "revision_requested", "op.dukcapil")] += 1
    rows = rt.db.rows(
        "SELECT i.innovation_id, i.kind, a.username FROM notification_inbox i "
        "JOIN notification_accounts a ON a.account_id = i.recipient_id"
    )
    assert Counter((r["innovation_id"], r["kind"], r["username"]) for r in rows) == expected

    # Every event of the log has exactly one audit record.
    audit = [
        r["notification_id"]
        for r in rt.db.rows("SELECT notification_id FROM notification_audit_records")
    ]
    assert sorted(audit) == list(range(1, rt.store.max_notification_id() + 1))

    # Every expected mail arrived. SMTP cannot deduplicate, so a mail the killed worker had
    # handed to the server but not yet recorded may arrive twice, with the same Message-ID;
    # at most one per task the worker was running (concurrency 4).
    email_rows = rt.db.rows(
        "SELECT o.message_id, o.email_state, a.username FROM notification_outbox o "
        "JOIN notification_accounts a ON a.account_id = o.recipient_id WHERE o.channel = 'email'"
    )
    assert len(email_rows) == 3 * INNOVATIONS
    assert {r["email_state"] for r in email_rows} == {"sent"}
    received = Counter(m["Message-ID"] for _, m in smtp.mailbox.received())
    assert set(received) == {r["message_id"] for r in email_rows}
    duplicates = sum(received.values()) - len(received)
    assert duplicates <= 4, f"{duplicates} mails arrived twice"
    per_person = Counter(rcpt for rcpt, _ in smtp.mailbox.received())
    for username in ("admin", "rev.satu", "op.dukcapil"):
        assert INNOVATIONS <= per_person[EMAIL.format(username)] <= INNOVATIONS + 4
    print(
        f"\n{events} events, {len(rows)} in-app messages, {len(audit)} audit records, "
        f"{len(received)} distinct mails ({duplicates} resent after the kill), "
        f"{held} messages held by the killed worker"
    )
