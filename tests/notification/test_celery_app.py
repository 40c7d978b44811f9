"""The Celery app's delivery settings and the process commands: what the guarantees rest on."""

from __future__ import annotations

import psycopg
from click.testing import CliRunner

from services.cli import main
from services.config import Settings
from services.notification import celery_app
from services.notification.mailer import PermanentError, TransientError
from tests.notification.conftest import settings_env

TASKS = ("sirisma.notify", "sirisma.audit_record", "sirisma.scan_schedules")


def test_tasks_ack_late_retry_transient_errors_and_never_permanent_ones() -> None:
    app = celery_app.app
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    for name in (*TASKS, "sirisma.seal_audit_digests"):
        task = app.tasks[name]
        assert task.acks_late and task.reject_on_worker_lost
        assert TransientError in task.autoretry_for
        assert psycopg.OperationalError in task.autoretry_for
        assert PermanentError not in task.autoretry_for
        assert task.retry_backoff and task.retry_jitter and task.max_retries >= 5


def test_beat_schedules_the_scans_in_office_hours_and_the_digest_at_night() -> None:
    schedule = celery_app.app.conf.beat_schedule
    scans = schedule["reminders-and-escalations"]
    assert scans["task"] in celery_app.app.tasks
    assert scans["schedule"].hour == {7, 13} and scans["schedule"].minute == {30}
    seal = schedule["seal-audit-digests"]
    assert seal["task"] in celery_app.app.tasks and seal["schedule"].hour == {0, 6}
    assert celery_app.app.conf.timezone == "Asia/Jakarta"


def test_distributed_processes_refuse_to_start_without_redis(sqlite_settings: Settings) -> None:
    env = settings_env(sqlite_settings)
    for command in ("relay", "worker", "beat"):
        result = CliRunner().invoke(main, [command], env=env)
        assert result.exit_code != 0
        assert "SIRISMA_REDIS_URL" in result.output
