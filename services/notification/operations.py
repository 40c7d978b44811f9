"""Operating the notification service: retrying dead letters and reading its health.

Shared by the admin routes and the CLI so both do exactly the same thing.
"""

from __future__ import annotations

from typing import Any

import msgspec

from services.notification import outbox, relay
from services.notification.delivery import Services
from services.notification.outbox import DeadLetter


def retry(rt: Services, letter_id: str, by: str) -> DeadLetter | None:
    """Give a dead letter another go; None when unknown or already retried.

    A delivery or audit task goes back to 'pending' in the outbox and is picked up by the relay
    (or the embedded runner) like new work. A scheduled scan has no outbox row: it is sent to the
    broker again, or run right here in the embedded mode.
    """
    letter = outbox.retry_dead_letter(rt.db, letter_id, by)
    if letter is None:
        return None
    if letter.source_key is not None:
        runner = getattr(rt, "extensions", {}).get("notifications")
        if runner is not None:  # embedded: pick it up now, not at the next idle check
            runner.wake()
        return letter
    if rt.settings.redis_url:
        from services.notification.celery_app import make_app

        make_app(rt.settings).send_task(letter.task, kwargs=letter.args)
    else:
        _run_inline(rt, letter.task, letter.args)
    return letter


def _run_inline(rt: Services, task: str, args: dict[str, Any]) -> None:
    from services.notification import audit_trail, schedules
    from services.notification.celery_app import SCAN_TASK, SEAL_TASK

    now = schedules.parse_now(args.get("now"))
    if task == SCAN_TASK:
        schedules.plan_due(rt, now)
    elif task == SEAL_TASK:
        audit_trail.seal(rt, now)
    else:
        raise ValueError(f"unknown task {task}")


class Status(msgspec.Struct, frozen=True, kw_only=True):
    mode: str  # "embedded" | "distributed"
    relay: dict[str, Any]
    outbox: outbox.OutboxStats


def status(rt: Services) -> Status:
    return Status(
        mode="distributed" if rt.settings.redis_url else "embedded",
        relay=relay.lag(rt),
        outbox=outbox.stats(rt.db),
    )


class DeliveryCheck(msgspec.Struct, frozen=True, kw_only=True):
    """Is anything in limbo? ``ok`` when every event is planned, every task finished or
    dead-lettered visibly, no email is caught mid-send and every event has its audit record."""

    ok: bool
    head: int
    relay_position: int
    open_tasks: int
    emails_sending: int
    dead_letters: int
    events_without_audit_record: int
    first_missing_audit: list[int]


def check(rt: Services, chunk: int = 10_000) -> DeliveryCheck:
    """Compare the log with the audit records chunk by chunk (bounded memory on long logs)."""
    lag = relay.lag(rt)
    stats = outbox.stats(rt.db)
    head = int(lag["head"])
    missing: list[int] = []
    missing_count = 0
    start = 1
    while start <= head:
        log_ids = [n.id for n in rt.store.notifications(start, chunk)]
        if not log_ids:
            break
        rows = rt.db.rows(
            "SELECT notification_id FROM notification_audit_records "
            "WHERE notification_id BETWEEN ? AND ?",
            (log_ids[0], log_ids[-1]),
        )
        recorded = {int(r["notification_id"]) for r in rows}
        gaps = [i for i in log_ids if i not in recorded]
        missing_count += len(gaps)
        missing += gaps[: max(0, 20 - len(missing))]
        start = log_ids[-1] + 1
    open_tasks = stats.pending + stats.dispatched
    return DeliveryCheck(
        ok=lag["behind"] == 0
        and open_tasks == 0
        and stats.sending == 0
        and missing_count == 0
        and stats.dead_letters_open == 0,
        head=head,
        relay_position=int(lag["position"]),
        open_tasks=open_tasks,
        emails_sending=stats.sending,
        dead_letters=stats.dead_letters_open,
        events_without_audit_record=missing_count,
        first_missing_audit=missing,
    )
