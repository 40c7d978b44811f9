"""Shared pytest fixtures.

The markers (postgres, redis, browser, slow) are declared in pyproject.toml. Tests that use the
real-server fixtures below get the ``postgres`` / ``redis`` marker automatically, so
``pytest -m "not postgres and not redis"`` runs without servers.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.servers import PostgresServer, RedisServer, start_postgres, start_redis

SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "web"

# Property tests check what holds, not how fast: a per-example deadline only fails them when the
# machine is busy (CI runs four xdist workers beside PostgreSQL, Redis and Chromium on 2 cores).
settings.register_profile("sirisma", deadline=None)
settings.load_profile("sirisma")


def pytest_sessionstart(session: pytest.Session) -> None:
    """This run's screenshots only: emptied once by the controller (or a run without workers),
    never by an xdist worker, which would delete what another worker has already saved."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(SCREENSHOTS, ignore_errors=True)


# ============================================================================================
# Real servers (tests/servers.py): one PostgreSQL and one Redis per session, started lazily.
# ============================================================================================

_POSTGRES_FIXTURES = {"postgres_server", "postgres_url"}
_REDIS_FIXTURES = {"redis_server", "redis_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & _POSTGRES_FIXTURES:
            item.add_marker(pytest.mark.postgres)
        if names & _REDIS_FIXTURES:
            item.add_marker(pytest.mark.redis)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL (``$SIRISMA_TEST_POSTGRES_URL`` or a throwaway cluster)."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """URL of a fresh, empty database for this test; dropped (WITH FORCE) afterwards."""
    postgres_server.ensure_running()  # in case an earlier test stopped it
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.ensure_running()
        postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's Redis (``$SIRISMA_TEST_REDIS_URL`` or a throwaway server)."""
    server = start_redis()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """URL of an empty Redis (the whole server is flushed before and after the test)."""
    redis_server.ensure_running()
    redis_server.flushall()
    yield redis_server.url
    redis_server.ensure_running()
    redis_server.flushall()


# ============================================================================================
# Other shared fixtures: append below, one section per area, with a header like the one above.
# ============================================================================================


# ============================================================================================
# Event store and the command service, on the embedded default (SQLite) and on PostgreSQL.
# ============================================================================================


@pytest.fixture
def sqlite_settings(tmp_path):  # type: ignore[no-untyped-def]
    from services.config import load_settings

    return load_settings(env={}, data_dir=str(tmp_path / "data"))


@pytest.fixture
def postgres_settings(postgres_url: str, tmp_path):  # type: ignore[no-untyped-def]
    from services.config import load_settings

    return load_settings(env={}, data_dir=str(tmp_path / "data"), database_url=postgres_url)


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Both backends: a test using this runs once on SQLite and once on real PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_settings")


@pytest.fixture
def store(settings):  # type: ignore[no-untyped-def]
    from services.eventstore.store import EventStore

    event_store = EventStore(settings)
    yield event_store
    event_store.close()


@pytest.fixture
def commands(store):  # type: ignore[no-untyped-def]
    from services.commands import Commands

    return Commands(store)


@pytest.fixture
def world(commands):  # type: ignore[no-untyped-def]
    from tests.factories import World

    return World(commands)
