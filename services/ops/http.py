"""Per-request operations: correlation id, request metrics and one access-log line.

``RequestMiddleware`` is the outermost middleware of the app (``services/app.py``). For each
HTTP request it

* fixes the correlation id (the caller's ``X-Correlation-ID``/``X-Request-ID`` when sane, else a
  new one; ``services.http.context.correlation_id`` keeps the rule) before anything else runs, so
  authentication refusals, the command's events and every log line of the request carry it;
* counts the request by method, route template and status and times it
  (``sirisma_http_requests_total``, ``sirisma_http_request_duration_seconds``) and tracks the
  requests in flight (``sirisma_http_requests_in_progress``);
* writes one log line: method, path, route, status, duration.

Litestar's own ``PrometheusMiddleware`` is not used: it registers on prometheus_client's global
registry rather than ``services.metrics.REGISTRY`` and labels a request whose exception passes
through the middleware stack (a refusal raised by the authentication middleware) as status 200.

``add_correlation_header`` (a ``before_send`` hook) returns the id as ``X-Correlation-ID`` on
every response, error responses included.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from services import metrics
from services.http.context import scope_correlation_id
from services.http.problems import UNAVAILABLE
from services.ops.logs import CORRELATION

log = logging.getLogger("sirisma.http")
HEADER = "x-correlation-id"
_HEADER_RAW = HEADER.encode("latin-1")
QUIET_PATHS = ("/health/", "/metrics", "/static/")  # probes and scrapes: logged at DEBUG


def _status_of(exc: BaseException) -> int:
    """The status the app's exception handlers answer ``exc`` with (they run outside this
    middleware when ``exc`` comes from another middleware, e.g. the session lookup)."""
    if isinstance(exc, UNAVAILABLE):
        return 503
    for name in ("status_code", "status"):
        value = getattr(exc, name, None)
        if isinstance(value, int) and 100 <= value < 600:
            return value
    return 500


class _Series:
    """The metric children of each (method, route, status), looked up once: prometheus_client's
    ``labels()`` validates and locks on every call. Bounded: a client can send any method."""

    LIMIT = 4096

    def __init__(self) -> None:
        self._in_progress: dict[str, Any] = {}
        self._answered: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def in_progress(self, method: str) -> Any:
        child = self._in_progress.get(method)
        if child is None:
            child = metrics.HTTP_IN_PROGRESS.labels(method=method)
            if len(self._in_progress) < self.LIMIT:
                self._in_progress[method] = child
        return child

    def answered(self, method: str, route: str, status: int) -> tuple[Any, Any]:
        key = (method, route, status)
        children = self._answered.get(key)
        if children is None:
            children = (
                metrics.HTTP_REQUESTS.labels(method=method, route=route, status=str(status)),
                metrics.HTTP_LATENCY.labels(method=method, route=route),
            )
            if len(self._answered) < self.LIMIT:
                self._answered[key] = children
        return children


class RequestMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_opt_key = "probe"  # /health/live (services.http.security.PROBE_OPT): not counted
    series = _Series()

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        cid = scope_correlation_id(scope)  # stored in the scope state for the command context
        token = CORRELATION.set(cid)
        method = str(scope.get("method", "GET"))
        route = scope.get("path_template") or "unmatched"
        status = 500
        responded = False
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = int(message["status"]), True
            await send(message)

        in_progress = self.series.in_progress(method)
        in_progress.inc()
        try:
            await next_app(scope, receive, send_wrapper)
        except BaseException as exc:
            if not responded:  # else the caller already has its status, whatever failed after
                status = _status_of(exc)
            raise
        finally:
            elapsed = time.perf_counter() - started
            in_progress.dec()
            answered, latency = self.series.answered(method, route, status)
            answered.inc()
            latency.observe(elapsed)
            path = scope.get("path", "")
            level = logging.DEBUG if path.startswith(QUIET_PATHS) and status < 500 else logging.INFO
            if log.isEnabledFor(level):  # the line's fields built only when it is written
                access_line(level, method, path, route, status, elapsed)
            CORRELATION.reset(token)


def access_line(
    level: int, method: str, path: str, route: str, status: int, elapsed: float
) -> None:
    """The request's log line, handed to the logger's handlers as ``log.log(..., extra=...)``
    would, without what that adds on every request and no line uses: the search of the stack
    for the calling source line (``findCaller``) and the check that no extra field overwrites a
    record attribute (these five never do)."""
    record = logging.getLogRecordFactory()(
        log.name,
        level,
        __file__,
        0,
        "%s %s %d %.1fms",
        (method, path, status, elapsed * 1000),
        None,
    )
    fields = record.__dict__
    fields["method"] = method
    fields["path"] = path
    fields["route"] = route
    fields["status"] = status
    fields["duration_ms"] = round(elapsed * 1000, 1)
    log.handle(record)


async def add_correlation_header(message: Message, scope: Scope) -> None:
    """``before_send`` hook: echo the request's correlation id to the caller (unless the
    response names one already). Raw pairs, as ``security.add_security_headers`` does: every
    response passes here, and ``MutableScopeHeaders`` decodes the whole list per lookup."""
    if message["type"] != "http.response.start":
        return
    cid = scope.get("state", {}).get("correlation_id")
    if cid:
        headers = message.setdefault("headers", [])  # type: ignore[typeddict-item]
        if all(name.lower() != _HEADER_RAW for name, _ in headers):
            pair = (_HEADER_RAW, str(cid).encode("latin-1"))
            message["headers"] = [*headers, pair]  # type: ignore[typeddict-unknown-key]
