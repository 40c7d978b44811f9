"""The one image serves as either HTTP service: SIRISMA_SERVICE picks the routes."""

from __future__ import annotations

import gc

import pytest

from services.app import contexts_for, create_app
from services.config import load_settings


def paths(service: str, tmp_path) -> set[str]:  # type: ignore[no-untyped-def]
    settings = load_settings(env={}, data_dir=str(tmp_path / service), service=service)
    app = create_app(settings)
    try:
        return {route.path for route in app.routes}
    finally:
        app.state.runtime.close()


def test_submission_and_review_split_the_routes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    everything = paths("all", tmp_path)
    submission = paths("submission", tmp_path)
    review = paths("review", tmp_path)
    assert "/api/innovations/{id:uuid}/submit" in submission
    assert "/api/innovations/{id:uuid}/submit" not in review
    assert "/api/innovations/{id:uuid}/approve" in review
    assert "/api/innovations/{id:uuid}/approve" not in submission
    for shared in ("/api/auth/login", "/api/me", "/health/ready"):
        assert shared in submission and shared in review
    assert submission | review == everything


def test_unknown_service_is_refused() -> None:
    with pytest.raises(ValueError, match="SIRISMA_SERVICE"):
        contexts_for("billing")


@pytest.mark.parametrize("service", ["all", "submission", "review"])
def test_no_handler_goes_through_the_thread_pool_twice(service: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Litestar 2.25 registers a path's handlers again each time another method joins the path,
    and wraps a ``sync_to_thread=True`` handler for the thread pool once more each time: two
    thread hops per request, and a handler returning a ``Response`` then answers 500. Handlers
    on a path with several methods must be ``async`` (handing their work to a thread
    themselves)."""
    from litestar.utils.sync import AsyncCallable

    settings = load_settings(env={}, data_dir=str(tmp_path / service), service=service)
    app = create_app(settings)
    try:
        twice = []
        for route in app.routes:
            for handler in getattr(route, "route_handlers", []):
                fn, depth = handler.fn, 0
                while isinstance(fn, AsyncCallable):
                    depth, fn = depth + 1, fn.func
                if depth > 1:
                    twice.append(f"{sorted(handler.http_methods)} {route.path}")
        assert twice == []
    finally:
        app.state.runtime.close()


def test_every_response_hook_runs_on_the_event_loop(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A plain-function ``before_send`` hook is run in the thread pool by Litestar: two hooks cost
    four thread hops on every response (``/health/live`` took 1.2 ms instead of 0.2 ms). They do
    no I/O, so they are ``async``."""
    from litestar.utils.sync import AsyncCallable

    settings = load_settings(env={}, data_dir=str(tmp_path / "hooks"), service="all")
    app = create_app(settings)
    try:
        assert app.before_send
        assert [h for h in app.before_send if isinstance(h, AsyncCallable)] == []
    finally:
        app.state.runtime.close()


def test_the_liveness_probe_skips_the_request_layers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``/health/live`` is probed many times a second: no correlation id, metrics, session lookup,
    CSRF cookie or idempotency for it (issue 19), but the security headers still come on."""
    from litestar.testing import TestClient

    settings = load_settings(env={}, data_dir=str(tmp_path / "probe"), service="all")
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            live = client.get("/health/live", headers={"Authorization": "Bearer no-such-token"})
            me = client.get("/api/me", headers={"X-Correlation-ID": "abc-123"})
            scrape = client.get("/metrics").text
        assert live.status_code == 200 and live.json() == {"status": "ok"}
        assert live.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in live.headers["content-security-policy"]
        assert "x-correlation-id" not in live.headers and "set-cookie" not in live.headers
        assert me.headers["x-correlation-id"] == "abc-123"  # the layers run on other routes
        assert "set-cookie" in me.headers
        assert 'route="/health/live"' not in scrape and 'route="/api/me"' in scrape
    finally:
        app.state.runtime.close()


def test_a_server_worker_freezes_its_start_up_heap_and_a_test_client_does_not(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``settle_heap`` (an app start-up hook) freezes in a process whose main thread serves (a
    uvicorn worker), once; a test client starts the app in a thread and leaves the collector."""
    import subprocess
    import sys
    from pathlib import Path

    from litestar.testing import TestClient

    from services.config import load_settings

    before = gc.get_freeze_count()
    with TestClient(create_app(load_settings(env={}, data_dir=str(tmp_path)))) as client:
        assert client.get("/health/live").status_code == 200
    assert gc.get_freeze_count() == before
    code = (
        "import gc; from services.app import settle_heap; "
        "settle_heap(); n = gc.get_freeze_count(); settle_heap(); "
        "print(n > 0 and gc.get_freeze_count() == n)"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True", out.stderr
