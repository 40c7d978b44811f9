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
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger("sirisma.metrics")

REGISTRY = CollectorRegistry(auto_describe=True)

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


@get("/metrics", include_in_schema=True, sync_to_thread=True, tags=["operations"])
def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text exposition of this process's metrics (read-model lag included)."""
    return Response(render(request.app.state.runtime), media_type=CONTENT_TYPE_LATEST)


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
