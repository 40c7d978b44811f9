"""The Celery application: notification and audit-trail tasks, and the beat schedule.

``sirisma worker`` and ``sirisma beat`` run this app (``celery -A
services.notification.celery_app`` works too). Tasks are thin: they call the same functions the
embedded runner calls (``delivery.execute``, ``schedules.plan_due``, ``audit_trail.seal``).

Delivery guarantees come from the settings below plus idempotent tasks: ``acks_late`` (a message
is acknowledged only after its task finished, so a killed worker's messages are delivered again),
``reject_on_worker_lost``, prefetch of one, exponential backoff with jitter for transient SMTP and
database errors, and a dead letter when retries are exhausted.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from celery.signals import worker_shutdown

from services.config import Settings, load_settings
from services.notification.delivery import MAX_RETRIES, TRANSIENT_ERRORS, Busy
from services.notification.relay import AUDIT_TASK, NOTIFY_TASK, QUEUE

log = logging.getLogger("sirisma.notification.tasks")

SCAN_TASK = "sirisma.scan_schedules"
SEAL_TASK = "sirisma.seal_audit_digests"


def make_app(settings: Settings) -> Celery:
    app = Celery("sirisma", broker=settings.redis_url or "memory://", set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_expires=None,  # no result backend: no daily backend_cleanup task either
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits for Redis rather than exit
        broker_transport_options={"visibility_timeout": 3600},
        timezone="Asia/Jakarta",
        enable_utc=True,
        beat_schedule={
            "reminders-and-escalations": {
                "task": SCAN_TASK,
                "schedule": crontab(minute=30, hour="7,13"),  # twice: a missed run is caught
            },
            "seal-audit-digests": {
                "task": SEAL_TASK,
                "schedule": crontab(minute=15, hour="0,6"),
            },
        },
    )
    return app


app = make_app(load_settings())

# -- the worker's runtime: one per process, created on first use ---------------------------------

_runtime: Any = None
_runtime_lock = threading.Lock()


def runtime() -> Any:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            from services.runtime import Runtime

            _runtime = Runtime(load_settings())
        return _runtime


@worker_shutdown.connect
def _close_runtime(**_: Any) -> None:
    global _runtime
    with _runtime_lock:
        if _runtime is not None:
            _runtime.close()
            _runtime = None


class SirismaTask(Task):  # type: ignore[misc]
    """Idempotent tasks: late acks, retries with exponential backoff, dead letter at the end."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    dont_autoretry_for = (Busy,)
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = MAX_RETRIES

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        from services.notification import outbox
        from services.notification.outbox import Key

        key = None
        if {"source_key", "recipient_id", "channel"} <= set(kwargs or {}):
            key = Key(kwargs["source_key"], kwargs["recipient_id"], kwargs["channel"])
        try:
            letter = outbox.bury(
                runtime().db,
                self.name,
                exc,
                key=key,
                args=dict(kwargs or {}),
                attempts=self.request.retries + 1,
            )
            log.error("task %s gave up (%s); dead letter %s", self.name, exc, letter)
        except Exception:  # the row stays dispatched; the relay sends it again later
            log.exception("could not record the dead letter of %s", self.name)


def _deliver(task: Task, source_key: str, recipient_id: str, channel: str) -> str:
    from services.notification import delivery
    from services.notification.outbox import Key

    try:
        return delivery.execute(runtime(), Key(source_key, recipient_id, channel))
    except Busy as exc:  # another delivery holds the email's lease: come back when it ends
        raise task.retry(exc=exc, countdown=exc.retry_in) from exc


@app.task(name=NOTIFY_TASK, base=SirismaTask, bind=True)
def notify(
    self: Task,
    source_key: str,
    recipient_id: str,
    channel: str,
    notification_id: int | None = None,
) -> str:
    """Deliver one message (in-app or email) to one recipient, once."""
    return _deliver(self, source_key, recipient_id, channel)


@app.task(name=AUDIT_TASK, base=SirismaTask, bind=True)
def audit_record(
    self: Task,
    source_key: str,
    recipient_id: str,
    channel: str,
    notification_id: int | None = None,
) -> str:
    """Write the human-readable audit record of one event, once."""
    return _deliver(self, source_key, recipient_id, channel)


@app.task(name=SCAN_TASK, base=SirismaTask, bind=True)
def scan_schedules(self: Task, now: str | None = None) -> int:
    """Deadline reminders, the Perbup art. 38 reminder and SLA escalations due now."""
    from services.notification import schedules

    moment = schedules.parse_now(now)
    return schedules.plan_due(runtime(), moment)


@app.task(name=SEAL_TASK, base=SirismaTask, bind=True)
def seal_audit_digests(self: Task, now: str | None = None) -> list[str]:
    """Seal every complete past day of the audit trail with a signed digest."""
    from services.notification import audit_trail, schedules

    return audit_trail.seal(runtime(), schedules.parse_now(now))
