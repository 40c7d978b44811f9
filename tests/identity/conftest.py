"""HTTP fixtures for the identity tests: a served app over a seeded world, with real passwords.

``api`` runs on SQLite (fast); ``api_any`` runs once on SQLite and once on real PostgreSQL, for
the behaviours that depend on the session table and the event store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from services.app import create_app
from services.config import Settings
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.identity.passwords import hash_password
from services.runtime import Runtime
from services.startup import start_runtime
from tests.factories import World

PASSWORD = "sandi-uji-2025"


@pytest.fixture(scope="package", autouse=True)
def cheap_argon2() -> Iterator[None]:
    """Argon2 with minimal cost inside these tests: the same code paths (including the dummy
    hash for unknown accounts, at the same cost as real ones) without seconds per login on CI.
    Production keeps argon2-cffi's RFC 9106 defaults."""
    from argon2 import PasswordHasher

    from services.identity import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        patch.setattr(passwords, "_DUMMY_HASH", cheap.hash("sirisma-no-such-account"))
        yield


@dataclass
class Api:
    client: TestClient[Litestar]
    runtime: Runtime
    world: World
    auditor: Actor

    def login(self, username: str, password: str = PASSWORD) -> Any:
        """A login as a fresh API client does it: no cookies kept from earlier calls (so each
        test's cookie-authenticated requests start from the session it creates)."""
        self.client.cookies.clear()
        response = self.client.post(
            "/api/auth/login", json={"username": username, "password": password}
        )
        self.client.cookies.clear()
        return response

    def token(self, username: str, password: str = PASSWORD) -> str:
        response = self.login(username, password)
        assert response.status_code == 200, response.text
        return str(response.json()["token"])

    def bearer(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username, password)}"}

    def events(self, aggregate_id: Any) -> list[Any]:
        return self.runtime.store.events(aggregate_id)


def _serve(settings: Settings, wrap: Any = None) -> Iterator[Api]:
    """``wrap``: an ASGI middleware around the app (e.g. uvicorn's proxy headers, so a test
    can speak from several client addresses)."""
    runtime = start_runtime(settings)
    world = World(runtime.commands)
    system = Context(actor=Actor.system())
    auditor = world._account(system, "auditor", Role.AUDITOR, None)
    hashed = hash_password(PASSWORD)
    for actor in (world.admin, world.operator, world.other_operator, world.reviewer):
        assert actor.account_id is not None
        runtime.commands.reset_password(system, actor.account_id, hashed)
    app: Any = create_app(runtime=runtime)
    with TestClient(wrap(app) if wrap else app) as client:
        yield Api(client=client, runtime=runtime, world=world, auditor=auditor)


@pytest.fixture
def api(sqlite_settings: Settings) -> Iterator[Api]:
    yield from _serve(sqlite_settings)


@pytest.fixture
def proxied_api(sqlite_settings: Settings) -> Iterator[Api]:
    """Behind a proxy the test trusts: ``X-Forwarded-For`` picks each request's client address."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    yield from _serve(sqlite_settings, lambda app: ProxyHeadersMiddleware(app, trusted_hosts="*"))


@pytest.fixture
def api_any(settings: Settings) -> Iterator[Api]:
    yield from _serve(settings)


@pytest.fixture(scope="module")
def _module_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from services.config import load_settings

    settings = load_settings(env={}, data_dir=str(tmp_path_factory.mktemp("identity") / "data"))
    yield from _serve(settings)


@pytest.fixture
def shared_api(_module_api: Api) -> Iterator[Api]:
    """One app per module for tests that leave accounts as they found them; throttling
    counters and cookies start empty for each test."""
    from litestar.stores.base import Store

    from services.http.security import RATE_LIMIT_STORE
    from services.identity.throttle import LOGIN_THROTTLE_STORE

    def reset() -> None:
        _module_api.client.cookies.clear()
        for name in (LOGIN_THROTTLE_STORE, RATE_LIMIT_STORE):
            store: Store = _module_api.client.app.stores.get(name)
            _module_api.client.blocking_portal.call(store.delete_all)

    reset()
    yield _module_api
    reset()


@pytest.fixture
def other(api_any: Api) -> Iterator[Runtime]:
    """Another process on the same databases: nothing it holds is shared with the app's."""
    runtime = start_runtime(api_any.runtime.settings, background=False)
    yield runtime
    runtime.close()


def record_settles(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per deferred credential settled (``auth.DeferredSession``): True when the
    command's load answered the session lookup."""
    from services.identity import auth

    seen: list[bool] = []
    real = auth.DeferredSession.settle

    def settle(self: auth.DeferredSession, rider: Any = None) -> Any:
        seen.append(rider is not None and rider.answered)
        return real(self, rider)

    monkeypatch.setattr(auth.DeferredSession, "settle", settle)
    return seen
