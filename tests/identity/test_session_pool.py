"""The session lookup on the event loop (``services.identity.session_pool``): taken on
PostgreSQL once the app's lifespan opened its pool, the threaded lookup elsewhere (SQLite, no
lifespan), and as strict as the threaded one (revocation and expiry: test_principal_cache)."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from services.app import create_app
from services.config import Settings
from services.identity import auth, session_pool
from services.startup import start_runtime
from tests.factories import World
from tests.identity.conftest import Api


def _threaded_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = auth._resolve

    def counted(runtime: Any, token: str) -> Any:
        calls.append(token)
        return real(runtime, token)

    monkeypatch.setattr(auth, "_resolve", counted)
    return calls


def test_postgresql_looks_sessions_up_on_the_event_loop(
    api_any: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = api_any.bearer("op.dukcapil")
    calls = _threaded_calls(monkeypatch)
    for _ in range(3):
        assert api_any.client.get("/api/me", headers=headers).json()["username"] == "op.dukcapil"
    on_postgres = api_any.runtime.settings.is_postgres
    assert (session_pool.STATE_KEY in api_any.client.app.state) is on_postgres
    assert len(calls) == (0 if on_postgres else 3)


def test_unknown_tokens_are_refused_on_the_event_loop(api_any: Api) -> None:
    answer = api_any.client.get("/api/me", headers={"Authorization": "Bearer no-such-token"})
    assert answer.status_code == 401


def test_a_pool_connection_the_server_killed_is_replaced(
    postgres_settings: Settings, postgres_url: str
) -> None:
    runtime = start_runtime(postgres_settings)
    try:
        world = World(runtime.commands)
        assert world.operator.account_id is not None
        token, _ = runtime.sessions.issue(world.operator.account_id)
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(create_app(runtime=runtime)) as client:
            assert client.get("/api/me", headers=headers).status_code == 200
            with psycopg.connect(postgres_url, autocommit=True) as admin:
                killed = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = %s",
                    (session_pool.APPLICATION_NAME,),
                ).fetchone()
            assert killed and killed[0] >= 1
            time.sleep(0.2)  # the FATAL message and the close reach the socket
            for _ in range(3):
                assert client.get("/api/me", headers=headers).status_code == 200
    finally:
        runtime.close()


def test_the_lifespan_opens_and_closes_the_pool(postgres_settings: Settings) -> None:
    runtime = start_runtime(postgres_settings)
    try:
        app = create_app(runtime=runtime)
        with TestClient(app):
            held = app.state[session_pool.STATE_KEY]
            assert not held.pool.closed
        assert held.pool.closed
        assert session_pool.STATE_KEY not in app.state
    finally:
        runtime.close()
