"""Celery workers: logs with the command's correlation id, task metrics, a metrics endpoint.

``install()`` connects receivers to Celery's signals; ``sirisma worker`` and ``sirisma beat``
call it before Celery starts (``services/cli.py``).

* ``setup_logging``: Celery leaves the logging set-up to ``services.ops.logs`` (JSON with
  ``SIRISMA_LOG_JSON``), so worker lines look like every other service's.
* ``task_prerun``: a task carrying ``notification_id`` works on one event of the log; its
  correlation id is read from that event (the id of the HTTP request that recorded it), so the
  task's log lines, including Celery's own "Task … succeeded", carry it. Other tasks (beat's
  scans) use ``task:<task id>``.
* ``task_success`` / ``task_retry`` / ``task_failure``: ``sirisma_tasks_total{task,outcome}`` and
  ``sirisma_task_duration_seconds``. A failure is a dead letter: the task base class records it
  when retries are exhausted (``services.notification.celery_app``).
* ``worker_ready``: with ``SIRISMA_METRICS_PORT`` set, the worker serves ``/metrics``.

Graceful shutdown is Celery's warm shutdown: on SIGTERM a worker stops taking messages and
finishes the tasks it runs; tasks are acknowledged late, so a worker killed outright leaves its
messages to be delivered to another.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache
from typing import Any

from celery import signals

from services import metrics
from services.config import load_settings
from services.ops import logs

log = logging.getLogger("sirisma.tasks")

_installed = False
_started: dict[str, tuple[float, Any]] = {}  # task id → (start, context token)
_lock = threading.Lock()


def _receivers() -> list[tuple[Any, Any]]:
    return [
        (signals.setup_logging, _setup_logging),
        (signals.task_prerun, _prerun),
        (signals.task_postrun, _postrun),
        (signals.task_success, _success),
        (signals.task_retry, _retry),
        (signals.task_failure, _failure),
        (signals.worker_ready, _serve_metrics),
        (signals.worker_shutting_down, _shutting_down),
    ]


def install(service: str = "worker") -> None:
    """Connect the receivers (once per process)."""
    global _installed, _service
    _service = service
    if _installed:
        return
    _installed = True
    for signal, receiver in _receivers():
        signal.connect(receiver, weak=False)


def uninstall() -> None:
    """Disconnect them again (when the command that installed them ends)."""
    global _installed
    if not _installed:
        return
    _installed = False
    for signal, receiver in _receivers():
        signal.disconnect(receiver)


_service = "worker"


def _setup_logging(**_: Any) -> None:
    logs.configure(load_settings(), _service)


@lru_cache(maxsize=4096)
def correlation_of(notification_id: int) -> str | None:
    """The correlation id recorded on the event with this notification id (None if unknown)."""
    from services.eventstore.store import decode_event
    from services.notification.celery_app import runtime

    found = runtime().store.notifications(notification_id, 1)
    if not found or found[0].id != notification_id:
        return None
    event = decode_event(found[0].topic, found[0].state)
    return str(getattr(event, "correlation_id", "") or "") or None


def _correlation_for(task_id: str, kwargs: dict[str, Any]) -> str:
    notification_id = kwargs.get("notification_id")
    if isinstance(notification_id, int):
        try:
            found = correlation_of(notification_id)
        except Exception:  # the database may be down: the task will fail and retry anyway
            found = None
        if found:
            return found
    return f"task:{task_id}"


def _prerun(
    task_id: str = "", task: Any = None, kwargs: dict[str, Any] | None = None, **_: Any
) -> None:
    kwargs = kwargs or {}
    token = logs.CORRELATION.set(_correlation_for(task_id, kwargs))
    with _lock:
        _started[task_id] = (time.perf_counter(), token)
    log.info(
        "task %s started",
        getattr(task, "name", "?"),
        extra={
            "task": getattr(task, "name", None),
            "task_id": task_id,
            "notification_id": kwargs.get("notification_id"),
            "source_key": kwargs.get("source_key"),
            "channel": kwargs.get("channel"),
        },
    )


def _postrun(task_id: str = "", **_: Any) -> None:
    with _lock:
        started = _started.pop(task_id, None)
    if started is not None:
        try:
            logs.CORRELATION.reset(started[1])
        except ValueError:  # set in another context: just clear it
            logs.CORRELATION.set(None)


def _elapsed(task_id: str) -> float | None:
    with _lock:
        started = _started.get(task_id)
    return None if started is None else time.perf_counter() - started[0]


def _finished(sender: Any, outcome: str, task_id: str | None) -> None:
    name = getattr(sender, "name", None) or str(sender)
    metrics.TASKS.labels(task=name, outcome=outcome).inc()
    elapsed = _elapsed(task_id) if task_id else None
    if elapsed is not None:
        metrics.TASK_LATENCY.labels(task=name).observe(elapsed)


def _success(sender: Any = None, **_: Any) -> None:
    request = getattr(sender, "request", None)
    _finished(sender, "succeeded", getattr(request, "id", None))


def _retry(sender: Any = None, request: Any = None, **_: Any) -> None:
    _finished(sender, "retry", getattr(request, "id", None))


def _failure(sender: Any = None, task_id: str | None = None, **_: Any) -> None:
    _finished(sender, "dead_letter", task_id)


def _serve_metrics(**_: Any) -> None:
    settings = load_settings()
    if not settings.metrics_port:
        return
    from prometheus_client import start_http_server

    start_http_server(settings.metrics_port, addr=settings.host, registry=metrics.REGISTRY)
    log.info("metrics on %s:%d/metrics", settings.host, settings.metrics_port)


def _shutting_down(sender: Any = None, sig: Any = None, how: str = "", **_: Any) -> None:
    with _lock:
        running = len(_started)
    log.info(
        "worker %s: %s shutdown on %s, %d task(s) running finish first",
        sender, how.lower(), sig, running,
        extra={"shutdown": how.lower(), "running_tasks": running},
    )  # fmt: skip
