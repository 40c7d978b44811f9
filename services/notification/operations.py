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
