"""CSRF, security headers, body limits, scoping by organisation and the refusal log."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from litestar import Litestar, Request, post
from litestar.middleware import DefineMiddleware
from litestar.testing import TestClient

from services.config import load_settings
from services.http import problems
from services.http.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    JSON_MAX_BYTES,
    MIB,
    BodyLimitMiddleware,
    SessionCSRFMiddleware,
    upload_limit,
)
from services.identity.auth import COOKIE
from tests.identity.conftest import PASSWORD, Api


@pytest.fixture
def api(shared_api: Api) -> Api:
    """These tests share one app per module: each leaves the accounts as it found them."""
    return shared_api


def new_org() -> dict[str, str]:
    return {"kind": "opd", "code": f"UJI-{uuid4().hex[:8]}", "name": "Dinas Uji"}


def page_token(client: Any) -> str:
    """The CSRF token a page hands its scripts (``<meta name="csrf-token">``)."""
    html = client.get("/", headers={"accept": "text/html"}).text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def _cookie_session(api: Api, username: str = "admin") -> str:
    """Sign in the way a browser does: keep the cookies, fetch a page to get the CSRF token."""
    api.client.cookies.clear()
    response = api.client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    assert api.client.get("/api/me").status_code == 200  # cookie-authenticated
    return page_token(api.client)


# --- CSRF ---------------------------------------------------------------------------------


def test_cookie_authenticated_post_needs_the_csrf_token(api: Api) -> None:
    token = _cookie_session(api)
    before = api.runtime.store.max_notification_id()

    refused = api.client.post("/api/organisations", json=new_org())
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/csrf")
    forged = api.client.post("/api/organisations", json=new_org(), headers={CSRF_HEADER: "f" * 128})
    assert forged.status_code == 403
    assert api.runtime.store.max_notification_id() == before  # nothing recorded

    odd = api.client.post(
        "/api/organisations", json=new_org(), headers={CSRF_HEADER: "é".encode("latin-1") * 64}
    )
    assert odd.status_code == 403  # not a server error

    accepted = api.client.post("/api/organisations", json=new_org(), headers={CSRF_HEADER: token})
    assert accepted.status_code == 201, accepted.text


def test_form_post_carries_the_token_as_a_hidden_field(api: Api) -> None:
    token = _cookie_session(api, "op.dukcapil")
    assert api.client.post("/api/auth/logout", data={"x": "1"}).status_code == 403
    assert api.client.get("/api/me").status_code == 200  # the refused logout changed nothing
    logout = api.client.post("/api/auth/logout", data={CSRF_FIELD: token})
    assert logout.status_code == 204
    assert api.client.get("/api/me").status_code == 401


def test_bearer_requests_need_no_csrf_token(api: Api) -> None:
    _cookie_session(api)  # a session cookie is present too, but the bearer is what authenticates
    bearer = api.bearer("admin")
    api.client.cookies.set(COOKIE, "whatever")
    response = api.client.post("/api/organisations", json=new_org(), headers=bearer)
    assert response.status_code == 201


def test_requests_without_a_session_need_no_csrf_token(api: Api) -> None:
    api.client.cookies.clear()
    assert api.login("op.dukcapil").status_code == 200
    assert api.client.post("/api/auth/logout").status_code == 204


def test_safe_requests_hand_out_the_csrf_cookie(api: Api) -> None:
    api.client.cookies.clear()
    response = api.client.get("/api/me")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=") and "HttpOnly" in cookie and "SameSite" in cookie
    assert "Path=/" in cookie
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    assert len(value) >= 40
    assert "set-cookie" not in api.client.get("/api/me").headers  # the browser has it now


def test_bearer_requests_get_no_csrf_cookie(api: Api) -> None:
    """An API client sends its token itself: nothing a forged form could ride on, so no cookie
    (and no cost of making one) on its reads."""
    token = api.login("op.dukcapil").json()["token"]
    api.client.cookies.clear()
    response = api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert "set-cookie" not in response.headers


# --- security headers ---------------------------------------------------------------------


def test_every_response_carries_the_security_headers(api: Api) -> None:
    for method, path in [
        ("GET", "/api/me"),
        ("GET", "/health/live"),
        ("GET", "/tidak-ada"),
        ("GET", "/schema/openapi.json"),
        ("DELETE", "/api/me"),
        ("POST", "/api/auth/login"),
    ]:
        headers = api.client.request(method, path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp, path
        script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"


def test_the_api_reference_is_served_from_this_origin_under_the_normal_csp(api: Api) -> None:
    """Before: Scalar came unpinned from jsDelivr and /schema had a wider CSP for it."""
    from services.http.security import CSP

    page = api.client.get("/schema")
    assert page.headers["content-security-policy"] == CSP
    assert "https://" not in page.text and "<script>" not in page.text  # no CDN, no inline
    scripts = re.findall(r'<script src="([^"]+)"></script>', page.text)
    assert scripts and all(api.client.get(src).status_code == 200 for src in scripts)


# --- body limits --------------------------------------------------------------------------


def test_oversized_json_is_refused_and_changes_nothing(api: Api) -> None:
    admin = api.bearer("admin")
    before = api.runtime.store.max_notification_id()
    big = {**new_org(), "name": "x" * (JSON_MAX_BYTES + 10)}
    response = api.client.post("/api/organisations", json=big, headers=admin)
    assert response.status_code == 413
    assert response.json()["type"].endswith("/too-large")
    # Streamed without a Content-Length: refused while reading.
    chunks = iter([b'{"kind": "opd", "code": "X", "name": "', b"x" * JSON_MAX_BYTES, b'"}'])
    streamed = api.client.post(
        "/api/organisations",
        content=chunks,
        headers={**admin, "content-type": "application/json"},
    )
    assert streamed.status_code == 413
    assert api.runtime.store.max_notification_id() == before


@pytest.fixture
def upload_client(tmp_path: Any) -> Iterator[TestClient[Litestar]]:
    """A bare app with the body limiter, to test the upload limit without a document route."""

    @post("/upload", status_code=200)
    async def upload(request: Request[Any, Any, Any]) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    settings = load_settings(env={}, data_dir=str(tmp_path), max_upload_mb=2)
    app = Litestar(
        [upload],
        middleware=[DefineMiddleware(BodyLimitMiddleware, settings=settings)],
        plugins=[problems.plugin()],
    )
    with TestClient(app) as client:
        yield client


def test_uploads_may_be_larger_than_json_up_to_the_configured_limit(
    upload_client: TestClient[Litestar],
) -> None:
    payload = b"%PDF-1.4\n" + b"0" * int(1.5 * MIB)
    files = {"file": ("sk.pdf", payload, "application/pdf")}
    assert upload_client.post("/upload", files=files).status_code == 200
    as_json = upload_client.post(
        "/upload", content=payload, headers={"content-type": "application/json"}
    )
    assert as_json.status_code == 413
    too_big = {"file": ("sk.pdf", b"0" * (3 * MIB), "application/pdf")}
    response = upload_client.post("/upload", files=too_big)
    assert response.status_code == 413
    assert "2 MB" in response.json()["detail"]


# --- organisation scoping -----------------------------------------------------------------


def test_operator_of_another_organisation_cannot_read_a_draft_even_by_id(api: Api) -> None:
    draft = api.world.complete_draft()
    own = api.client.get(f"/api/innovations/{draft}", headers=api.bearer("op.dukcapil"))
    assert own.status_code == 200
    other = api.client.get(f"/api/innovations/{draft}", headers=api.bearer("op.dinkes"))
    missing = api.client.get(
        "/api/innovations/00000000-0000-0000-0000-000000000000", headers=api.bearer("op.dinkes")
    )
    assert other.status_code == missing.status_code == 404  # not 403: the id does not leak
    assert other.json()["type"] == missing.json()["type"]
    assert other.json()["title"] == missing.json()["title"]
    anonymous = api.client.get(f"/api/innovations/{draft}")
    assert anonymous.status_code in (401, 404)


# --- the refusal log ----------------------------------------------------------------------


def _security_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "sirisma.security"]


def test_refusals_are_logged_with_account_route_and_reason(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    operator = api.bearer("op.dukcapil")
    draft = api.world.complete_draft()
    caplog.set_level(logging.INFO)
    api.client.post("/api/accounts", json={"username": "x"}, headers=operator)
    api.client.get(f"/api/innovations/{draft}", headers=api.bearer("op.dinkes"))
    api.client.post("/api/organisations", json=new_org())

    records = _security_records(caplog)
    forbidden = next(r for r in records if getattr(r, "route", None) == "/api/accounts")
    assert forbidden.status == 403  # type: ignore[attr-defined]
    assert forbidden.account_id == str(api.world.operator.account_id)  # type: ignore[attr-defined]
    assert forbidden.role == "operator"  # type: ignore[attr-defined]
    assert forbidden.reason_code == "forbidden"  # type: ignore[attr-defined]
    assert forbidden.method == "POST"  # type: ignore[attr-defined]
    hidden = next(r for r in records if getattr(r, "reason_code", None) == "hidden")
    assert hidden.status == 404  # type: ignore[attr-defined]
    assert hidden.route == "/api/innovations/{id}"  # type: ignore[attr-defined]
    assert hidden.account_id == str(api.world.other_operator.account_id)  # type: ignore[attr-defined]
    anonymous = next(r for r in records if getattr(r, "route", None) == "/api/organisations")
    assert anonymous.status == 401 and anonymous.account_id is None  # type: ignore[attr-defined]


def test_logs_never_contain_a_password_or_a_token(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = api.token("op.dukcapil")
    api.login("op.dukcapil", "rahasia-salah-123")
    api.client.post(
        "/api/accounts", json={"username": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    api.client.get("/api/me", headers={"Authorization": "Bearer token-palsu-rahasia"})
    api.client.post(
        f"/api/accounts/{api.world.reviewer.account_id}/reset-password",
        json={"password": PASSWORD},  # the same one again: later tests still sign in
        headers=api.bearer("admin"),
    )
    secrets = (PASSWORD, "rahasia-salah-123", token, "token-palsu-rahasia")
    assert caplog.records
    for record in caplog.records:
        text = record.getMessage() + " " + repr(vars(record))
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked into log {record.name}"


# --- throttling building blocks -----------------------------------------------------------


def test_address_rate_limit_answers_with_problem_json_and_retry_after(tmp_path: Any) -> None:
    """Litestar's limiter on the login route, its 429 in our shape (tiny limit, own app)."""
    from litestar import get
    from litestar.middleware.rate_limit import RateLimitConfig

    from services.http.security import LoginRateLimitMiddleware

    config = RateLimitConfig(rate_limit=("minute", 2), middleware_class=LoginRateLimitMiddleware)

    @get("/limited", sync_to_thread=False, middleware=[config.middleware])
    def limited() -> dict[str, str]:
        return {"ok": "ya"}

    with TestClient(Litestar([limited], plugins=[problems.plugin()])) as client:
        assert [client.get("/limited").status_code for _ in range(2)] == [200, 200]
        refused = client.get("/limited")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/too-many-requests")
    assert 0 < int(refused.headers["retry-after"]) <= 60


def test_login_failures_are_shared_through_redis_between_processes(redis_url: str) -> None:
    """Two services (or workers) with their own stores over one Redis see the same counts."""
    import anyio

    from services.http.security import stores
    from services.identity.throttle import LOGIN_THROTTLE_STORE, PAIR_FAILURES, LoginThrottle

    settings = load_settings(env={}, redis_url=redis_url)

    async def scenario() -> tuple[int | None, int | None, int | None]:
        first = LoginThrottle(stores(settings)[LOGIN_THROTTLE_STORE])
        second = LoginThrottle(stores(settings)[LOGIN_THROTTLE_STORE])
        for _ in range(PAIR_FAILURES):
            await first.failed("op.dukcapil", "10.0.0.7")
        seen_by_second = await second.retry_after("op.dukcapil", "10.0.0.7")
        other_account = await second.retry_after("op.dinkes", "10.0.0.8")
        await second.succeeded("op.dukcapil", "10.0.0.7")
        after_success = await first.retry_after("op.dukcapil", "10.0.0.7")
        return seen_by_second, other_account, after_success

    seen, other, after = anyio.run(scenario)
    assert seen is not None and 0 < seen <= 15 * 60
    assert other is None
    assert after is None


def test_concurrent_failures_from_two_workers_all_count(redis_url: str) -> None:
    """Forty failures at once from two workers' stores over one Redis: the count is forty (a
    read-then-write counter lost some of them, and a guesser got free tries)."""
    import anyio

    from services.http.security import stores
    from services.identity.throttle import LOGIN_THROTTLE_STORE, LoginThrottle

    settings = load_settings(env={}, redis_url=redis_url)

    async def scenario() -> bytes | None:
        first_store = stores(settings)[LOGIN_THROTTLE_STORE]
        second_store = stores(settings)[LOGIN_THROTTLE_STORE]
        await first_store.delete("address:10.9.9.9")
        workers = [LoginThrottle(first_store), LoginThrottle(second_store)]
        async with anyio.create_task_group() as group:
            for n in range(40):
                group.start_soon(workers[n % 2].failed, f"tebak{n}", "10.9.9.9")
        return await first_store.get("address:10.9.9.9")

    raw = anyio.run(scenario)
    assert raw is not None and raw.decode().split(":")[0] == "40"


def test_throttle_keeps_counting_in_memory_while_redis_is_down(redis_server: Any) -> None:
    """A Redis outage must not lock anyone out: counters fall back to this process's memory."""
    import anyio

    from services.http.security import stores
    from services.identity.throttle import LOGIN_THROTTLE_STORE, PAIR_FAILURES, LoginThrottle

    if not redis_server.managed:
        import pytest

        pytest.skip("needs a Redis this test may stop")
    settings = load_settings(env={}, redis_url=redis_server.url)
    throttle = LoginThrottle(stores(settings)[LOGIN_THROTTLE_STORE])
    redis_server.stop()
    try:

        async def scenario() -> tuple[int | None, int | None]:
            before = await throttle.retry_after("op.dukcapil", "10.0.0.7")
            for _ in range(PAIR_FAILURES):
                await throttle.failed("op.dukcapil", "10.0.0.7")
            return before, await throttle.retry_after("op.dukcapil", "10.0.0.7")

        before, after = anyio.run(scenario)
    finally:
        redis_server.start()
    assert before is None
    assert after is not None and after > 0


def test_form_token_check_leaves_the_body_for_a_streaming_handler(tmp_path: Any) -> None:
    """A browser upload carrying the token as the form's first field: the CSRF check reads that
    part only, the handler still streams every byte (as the document upload route does)."""
    from litestar import get

    from services.http.security import csrf_token_for

    @get("/form", sync_to_thread=False)
    def form_page(request: Request[Any, Any, Any]) -> dict[str, str]:
        return {"token": csrf_token_for(request)}

    @post("/stream", status_code=200)
    async def stream(request: Request[Any, Any, Any]) -> dict[str, int]:
        import anyio

        with anyio.fail_after(10):  # a drained body would wait forever: fail instead
            return {"bytes": sum([len(chunk) async for chunk in request.stream()])}

    settings = load_settings(env={}, data_dir=str(tmp_path))
    app = Litestar(
        [form_page, stream],
        middleware=[DefineMiddleware(SessionCSRFMiddleware, settings=settings)],
        plugins=[problems.plugin()],
    )
    with TestClient(app) as client:
        client.cookies.set(COOKIE, "sesi-browser")
        token = client.get("/form").json()["token"]
        payload = b"%PDF-1.4\n" + b"1" * 300_000
        files = {"file": ("sk.pdf", payload, "application/pdf")}
        refused = client.post("/stream", files=files)
        accepted = client.post("/stream", files=files, data={CSRF_FIELD: token})
    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert accepted.json()["bytes"] > len(payload)  # the whole multipart body, file included


# --- CSRF bound to the session (issue 15 item 9) -------------------------------------------


def test_a_token_from_an_anonymous_visit_does_not_ride_on_a_victims_session(api: Api) -> None:
    """Double-submit cookies let any pair from any visit pass; the token is bound to the session."""
    api.client.cookies.clear()
    attacker_token = page_token(api.client)  # an anonymous visit: its own cookie and token
    attacker_cookie = api.client.cookies.get(CSRF_COOKIE)
    assert attacker_token and attacker_cookie
    _cookie_session(api)  # the victim signs in
    api.client.cookies.set(CSRF_COOKIE, attacker_cookie)  # planted (e.g. by a sibling domain)
    forged = api.client.post(
        "/api/organisations", json=new_org(), headers={CSRF_HEADER: attacker_token}
    )
    assert forged.status_code == 403 and forged.json()["type"].endswith("/csrf")


def test_a_token_of_one_session_is_worthless_in_another(api: Api) -> None:
    first = _cookie_session(api, "admin")
    second = _cookie_session(api, "admin")  # a new session: a new token
    assert first != second
    refused = api.client.post("/api/organisations", json=new_org(), headers={CSRF_HEADER: first})
    assert refused.status_code == 403
    ok = api.client.post("/api/organisations", json=new_org(), headers={CSRF_HEADER: second})
    assert ok.status_code == 201, ok.text


def test_login_api_takes_json_only(api: Api) -> None:
    """A cross-site form can send text/plain without a preflight: login refuses it."""
    api.client.cookies.clear()
    body = json.dumps({"username": "admin", "password": PASSWORD})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = api.client.post(
            "/api/auth/login", content=body, headers={"content-type": content_type}
        )
        assert response.status_code == 415, content_type
        assert response.json()["type"].endswith("/json-required")
        assert COOKIE not in response.headers.get("set-cookie", "")


def test_an_api_client_with_an_old_session_cookie_can_still_log_in(api: Api) -> None:
    api.client.cookies.clear()
    api.client.cookies.set(COOKIE, "sesi-lama-yang-sudah-kedaluwarsa")
    response = api.client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    assert response.status_code == 200, response.text


def test_the_login_form_needs_the_token_of_this_visitor(api: Api) -> None:
    """Login CSRF: a cross-site form must not sign the victim into the attacker's account."""
    html = {"accept": "text/html"}
    api.client.cookies.clear()
    form = {"username": "admin", "password": PASSWORD}
    forged = api.client.post("/masuk", data=form, headers=html, follow_redirects=False)
    assert forged.status_code == 403
    assert COOKIE not in forged.headers.get("set-cookie", "")
    page = api.client.get("/masuk", headers=html).text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert token
    signed_in = api.client.post(
        "/masuk", data={**form, CSRF_FIELD: token.group(1)}, headers=html, follow_redirects=False
    )
    assert signed_in.status_code == 303


# --- CSRF decided before a large body is read (issue 15 item 4) -----------------------------


@pytest.fixture
def served_csrf_app(tmp_path: Any) -> Iterator[tuple[int, list[int]]]:
    """The CSRF middleware in front of a streaming handler, served by a real uvicorn (the
    in-process test client sends a body whole, so it cannot show when the server answers)."""
    import uvicorn

    from services.ops.servers import free_port

    received: list[int] = []

    @post("/upload", status_code=200)
    async def upload(request: Request[Any, Any, Any]) -> dict[str, int]:
        size = sum([len(chunk) async for chunk in request.stream()])
        received.append(size)
        return {"bytes": size}

    settings = load_settings(env={}, data_dir=str(tmp_path))
    app = Litestar(
        [upload],
        middleware=[
            DefineMiddleware(BodyLimitMiddleware, settings=settings),
            DefineMiddleware(SessionCSRFMiddleware, settings=settings),
        ],
        plugins=[problems.plugin()],
        request_max_body_size=upload_limit(settings),
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    from tests.ops.procs import wait_for

    wait_for(lambda: server.started, timeout=20, what="uvicorn started")
    yield port, received
    server.should_exit = True
    thread.join(timeout=20)


def _multipart_head(port: int, first_part: bytes, total: int, cookie: str) -> bytes:
    return (
        f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: {COOKIE}={cookie}\r\n"
        "Content-Type: multipart/form-data; boundary=BATAS\r\n"
        f"Content-Length: {total}\r\n\r\n"
    ).encode() + first_part


def _answer(sock: socket.socket) -> bytes:
    sock.settimeout(15)  # a server that waits for the rest of the body never answers
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_a_refused_upload_is_answered_before_its_body_is_read(
    served_csrf_app: tuple[int, list[int]],
) -> None:
    """A session cookie, a 20 MB multipart body, no token: 403 after the first part, with the
    other 19.99 MB never sent."""
    port, received = served_csrf_app
    file_part = (
        b'--BATAS\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n" + b"0" * 1000
    )
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(_multipart_head(port, file_part, 20 * MIB, "sesi-siapa-saja"))
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]
    assert received == []  # the handler never ran


def test_a_token_first_upload_streams_through_to_the_handler(
    served_csrf_app: tuple[int, list[int]],
) -> None:
    from services.http.security import csrf_token_bound_to

    port, received = served_csrf_app
    token = csrf_token_bound_to(load_settings(env={}).secret_key, "session:sesi-browser")
    body = (
        f'--BATAS\r\nContent-Disposition: form-data; name="{CSRF_FIELD}"\r\n\r\n{token}\r\n'
        '--BATAS\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = b"\r\n--BATAS--\r\n"
    payload = b"%PDF-1.4\n" + b"1" * (2 * MIB)
    total = len(body) + len(payload) + len(tail)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(_multipart_head(port, body, total, "sesi-browser"))
        for start in range(0, len(payload), 256 * 1024):
            sock.sendall(payload[start : start + 256 * 1024])
        sock.sendall(tail)
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert received == [total]
