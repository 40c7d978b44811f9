"""PostgreSQL down: requests get a 503 problem (RFC 9457) with ``Retry-After``, not a 500; once
the server is back the same app answers again without being restarted.

The session lookup (services/identity/sessions.py; on PostgreSQL run by session_pool.py) is the
first database access of every authenticated request, the ``Idempotency-Key`` claim
(services/http/idempotency.py) that of an anonymous POST; services/http/problems.py maps their
``psycopg.OperationalError`` (here the pool's ``PoolTimeout``) to the 503.
"""

from __future__ import annotations

import logging

import pytest

from services.config import Settings
from services.identity import session_pool
from tests.identity.conftest import Api
from tests.servers import PostgresServer


@pytest.fixture
def settings(postgres_settings: Settings) -> Settings:
    """``api_any`` on PostgreSQL only: an outage of the embedded SQLite file is not a thing."""
    return postgres_settings


def test_a_postgres_outage_answers_503_problem_and_the_app_recovers(
    api_any: Api, postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    if not postgres_server.managed:
        pytest.skip("server comes from an environment variable; cannot stop it")
    api = api_any
    headers = api.bearer("op.dukcapil")
    assert api.client.get("/api/me", headers=headers).status_code == 200

    # The test waits 2 s for a connection, not the default 30 s: in the app's pool and in the
    # session lookup's own (services/identity/session_pool.py).
    pools = [api.runtime.db._pool, api.client.app.state[session_pool.STATE_KEY].pool]
    waited = [pool.timeout for pool in pools]
    for pool in pools:
        pool.timeout = 2.0
    postgres_server.stop()
    caplog.set_level(logging.INFO, logger="sirisma.http")
    caplog.clear()
    try:
        for method, path, sent in (
            ("GET", "/api/me", headers),  # the session lookup fails
            # No token, so no session lookup: the Idempotency-Key claim is what fails.
            ("POST", "/api/me/notifications/read-all", {"Idempotency-Key": "outage-1"}),
        ):
            response = api.client.request(method, path, headers=sent)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["retry-after"].isdigit()
            body = response.json()
            assert body["status"] == 503
            assert body["type"].endswith("/database-unavailable")
            assert body["detail"]
            # The access log and request metrics count what the client got, not a 500.
            (line,) = [r for r in caplog.records if r.name == "sirisma.http" and r.path == path]
            assert line.status == 503
            caplog.clear()
    finally:
        postgres_server.start()
        for pool, timeout in zip(pools, waited, strict=True):
            pool.timeout = timeout

    me = api.client.get("/api/me", headers=headers)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "op.dukcapil"
