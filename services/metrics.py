"""Prometheus metrics: one registry for the whole process, served at ``GET /metrics``.

Every context adds its metrics to ``REGISTRY`` (``Counter(..., registry=REGISTRY)``). Values that
live in the database rather than in this process (read-model lag, queue depths) are refreshed just
before each scrape by hooks registered with ``before_scrape(hook)``; a hook gets the ``Runtime``
and must be quick. Processes without HTTP (the projector, workers) can serve the same registry with
``serve(port, runtime)``.

With ``PROMETHEUS_MULTIPROC_DIR`` set (several HTTP worker processes), the scrape answers with
prometheus_client's multiprocess collector, which merges every worker's values; gauges refreshed
by hooks should then use ``multiprocess_mode="mostrecent"`` (they are read from the database, so
the most recent value is the right one).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from litestar import Request, get
from litestar.response import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

log = logging.getLogger("sirisma.metrics")

REGISTRY = CollectorRegistry(auto_describe=True)

# -- process metrics, counted where things happen (services/ops) ---------------------------------
# HTTP: services.ops.http.RequestMiddleware; route is the path template, never the raw path.
HTTP_REQUESTS = Counter(
    "sirisma_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "sirisma_http_request_duration_seconds",
    "Time from the request reaching the app to the end of its response.",
    ["method", "route"],
    registry=REGISTRY,
)
HTTP_IN_PROGRESS = Gauge(
    "sirisma_http_requests_in_progress",
    "HTTP requests being handled right now.",
    ["method"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
# Commands: services.ops.instrument; outcome is ok | conflict | refused | error.
COMMANDS = Counter(
    "sirisma_commands",
    "Commands handled, by command and outcome.",
    ["command", "outcome"],
    registry=REGISTRY,
)
CONFLICTS = Counter(
    "sirisma_command_conflicts",
    "Commands refused for a stale version (optimistic concurrency), by command.",
    ["command"],
    registry=REGISTRY,
)
# Celery tasks: services.ops.tasks, in the worker processes (served on SIRISMA_METRICS_PORT);
# outcome is succeeded | retry | dead_letter (retries exhausted, recorded as a dead letter).
TASKS = Counter(
    "sirisma_tasks",
    "Celery tasks finished, by task and outcome.",
    ["task", "outcome"],
    registry=REGISTRY,
)
TASK_LATENCY = Histogram(
    "sirisma_task_duration_seconds",
    "Run time of Celery tasks, by task.",
    ["task"],
    registry=REGISTRY,
)

Hook = Callable[[Any], None]
_hooks: list[Hook] = []


def before_scrape(hook: Hook) -> Hook:
    """Register ``hook(runtime)`` to refresh gauges before each scrape (usable as a decorator)."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def refresh(runtime: Any) -> None:
    for hook in list(_hooks):
        try:
            hook(runtime)
        except Exception:  # a broken hook must not take the other metrics down
            log.exception("metrics hook %s failed", getattr(hook, "__name__", hook))


def render(runtime: Any) -> bytes:
    refresh(runtime)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        return generate_latest(merged)
    return generate_latest(REGISTRY)


@get(
    "/metrics",
    include_in_schema=True,
    sync_to_thread=True,
    tags=["operations"],
    media_type="text/plain",  # Prometheus text exposition (the schema says so)
)
def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text exposition of this process's metrics (read-model lag included)."""
    # Litestar adds "; charset=utf-8" to text/* itself; the constant already has it
    media_type = CONTENT_TYPE_LATEST.replace("; charset=utf-8", "")
    return Response(render(request.app.state.runtime), media_type=media_type)


def serve(port: int, runtime: Any, host: str = "0.0.0.0", every: float = 5.0) -> threading.Thread:
    """Serve ``REGISTRY`` on ``host:port`` (for processes without HTTP), refreshing the hooks'
    gauges every ``every`` seconds in a daemon thread."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host, registry=REGISTRY)

    def loop() -> None:
        while True:
            refresh(runtime)
            time.sleep(every)

    thread = threading.Thread(target=loop, name="sirisma-metrics", daemon=True)
    thread.start()
    return thread


route_handlers: list[Any] = [metrics]
