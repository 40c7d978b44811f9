"""The Litestar application: mounts every bounded context's routes on one app.

``create_app`` is used by ``sirisma serve``, the tests and the container images alike. Each
context exposes ``route_handlers`` (a list) from its ``routes`` module; adding a context is one
line here.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.response import Response
from litestar.routes import HTTPRoute

from projections.queries.common import ALL_MARKS_SQL
from services import care_evidence as care_evidence_routes
from services import metrics
from services.audit import routes as audit_routes
from services.config import Settings, load_settings
from services.http import input_guard, openapi, problems, security
from services.http.idempotency import IdempotencyMiddleware
from services.identity import routes as identity_routes
from services.identity import session_pool
from services.identity.auth import TokenAuthenticationMiddleware, settle_pending
from services.identity.denials import log_denied
from services.iga import routes as iga_routes
from services.mentoring import routes as mentoring_routes
from services.monev import routes as monev_routes
from services.notification import routes as notification_routes
from services.ops import health, http, instrument, logs
from services.reads import leadership_routes
from services.reads import routes as projection_routes
from services.research import routes as research_routes
from services.review import routes as review_routes
from services.runtime import Runtime
from services.spd import routes as spd_routes
from services.startup import start_runtime
from services.submission import routes as submission_routes
from services.web import api_docs, pages

# One line per bounded context: each module exposes ``route_handlers``.
CONTEXTS = (
    identity_routes,
    submission_routes,
    review_routes,
    audit_routes,
    notification_routes,
    projection_routes,
    iga_routes,
    spd_routes,
    mentoring_routes,
    monev_routes,
    research_routes,
    leadership_routes,
    metrics,
    pages,
    care_evidence_routes,
)
# The distributed shape runs two HTTP services from one image (SIRISMA_SERVICE); the proxy in
# deploy/nginx.conf routes by path. Identity, read models and inbox are served by both.
ONLY_IN = {"review": (review_routes, audit_routes), "submission": (submission_routes, pages)}


def contexts_for(service: str) -> tuple[Any, ...]:
    if service == "all":
        return CONTEXTS
    if service not in ONLY_IN:
        raise ValueError(f"SIRISMA_SERVICE must be all, submission or review, not {service!r}")
    excluded = {id(m) for name, mods in ONLY_IN.items() if name != service for m in mods}
    return tuple(c for c in CONTEXTS if id(c) not in excluded)


@get("/health/live", include_in_schema=False, sync_to_thread=False, opt=security.PROBE_OPT)
def live() -> dict[str, str]:
    """The process is up (no dependency checked): for restarts by an orchestrator. The request
    layers skip it (``PROBE_OPT``): probed many times a second, it costs what Litestar costs."""
    return {"status": "ok"}


@get("/health/ready", include_in_schema=False, sync_to_thread=True)
def ready(state: State) -> Response[dict[str, Any]]:
    """Ready to serve: the event store answers (and Redis, where configured)."""
    runtime: Runtime = state.runtime
    checks: dict[str, str] = {}
    try:
        runtime.store.ping()
        checks["event_store"] = "ok"
    except Exception as exc:  # a readiness probe reports, it does not raise
        checks["event_store"] = f"error: {type(exc).__name__}"
    for name, probe in runtime.extensions.get("readiness", {}).items():
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    optional = health.optional_checks(runtime)  # Redis: reported, degrades but never 503
    checks.update(optional)
    status = "unavailable" if not healthy else "ok"
    if healthy and any(v != "ok" for v in optional.values()):
        status = "degraded"
    return Response({"status": status, "checks": checks}, status_code=200 if healthy else 503)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Litestar:
    settings = settings or (runtime.settings if runtime else load_settings())
    runtime = runtime or start_runtime(settings)
    instrument.instrument(runtime.commands)  # sirisma_commands_total by command and outcome
    handlers: list[Any] = [live, ready, api_docs.assets_router()]
    for context in contexts_for(settings.service):
        handlers.extend(context.route_handlers)

    app = Litestar(
        route_handlers=handlers,
        state=State(
            {
                "runtime": runtime,
                # A read's session lookup also reads the read models' marks (kept answers).
                session_pool.RIDER_KEY: ALL_MARKS_SQL,
            }
        ),
        # Pages: HTML error pages for browsers wrap the problem handlers, so order matters.
        plugins=[problems.plugin(), pages.html_errors_plugin()],
        template_config=pages.template_config(),
        # Order matters: body limits first, then who is calling, then CSRF (services.http.security).
        middleware=[
            http.RequestMiddleware(),  # outermost: correlation id, request metrics, access log
            *security.outer_middleware(settings),
            DefineMiddleware(TokenAuthenticationMiddleware),
            *security.inner_middleware(settings),
            IdempotencyMiddleware(),  # after auth: keys are scoped per caller
        ],
        before_request=input_guard.check_request,  # 401 and bad text before any body is read
        before_send=[security.add_security_headers, http.add_correlation_header],
        after_exception=[settle_pending, log_denied],  # the caller checked, then logged
        logging_config=logs.litestar_config(),  # one format for every line (services.ops.logs)
        stores=security.stores(settings),
        request_max_body_size=security.upload_limit(settings),
        openapi_config=OpenAPIConfig(
            title="SI-RISMA API",
            version="0.1.0",
            description="Sistem Informasi Riset Inovasi Pemerintah dan Masyarakat",
            path="/schema",
            render_plugins=[api_docs.OfflineScalarRenderPlugin()],  # vendored, offline
        ),
        on_startup=[session_pool.open_pool, settle_heap],  # session lookup on the event loop
        on_shutdown=[session_pool.close_pool, runtime.close],
        debug=False,
    )
    allow_every_method(app)
    openapi.install(app)  # securitySchemes, problem answers, headers (services/http/openapi.py)
    return app


def settle_heap() -> None:
    """In a server's worker process (its main thread runs the event loop), freeze what start-up
    left alive, as ``sirisma project`` does (``projections.heap``): the collector's full passes
    then skip the imported code, routes, templates and schema. Measured on the read routes at
    national scale (``bench/read_routes.py``, one run each, same database): p99 of the status
    board 166 → 33 ms, review queue 244 → 65 ms, ranked catalogue 1,510 / 601 → 40 / 25 ms.
    A test client or a server in a thread of a test process leaves the host's collector alone."""
    from projections import heap

    if heap.owns_process():
        heap.settle()


def allow_every_method(app: Litestar) -> None:
    """Litestar builds a path's automatic OPTIONS handler with the first handler registered for
    it and keeps it when more handlers join the path, so ``Allow`` listed too few methods (GET
    missing from ``/api/innovations``). Point each such handler at the route it now serves."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            fn = handler.fn
            if getattr(fn, "__name__", "") == "options_handler" and fn.__closure__:
                for cell in fn.__closure__:
                    if isinstance(cell.cell_contents, HTTPRoute):
                        cell.cell_contents = route
