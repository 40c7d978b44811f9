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
from tests.factories import World

PASSWORD = "sandi-uji-2025"


@dataclass
class Api:
    client: TestClient[Litestar]
    runtime: Runtime
    world: World
    auditor: Actor

    def login(self, username: str, password: str = PASSWORD) -> Any:
        """A login as a fresh API client does it: no cookies kept from earlier calls (a browser
        that already holds a session must send the CSRF token, see test_security)."""
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


def _serve(settings: Settings) -> Iterator[Api]:
    runtime = Runtime(settings)
    world = World(runtime.commands)
    system = Context(actor=Actor.system())
    auditor = world._account(system, "auditor", Role.AUDITOR, None)
    hashed = hash_password(PASSWORD)
    for actor in (world.admin, world.operator, world.other_operator, world.reviewer):
        assert actor.account_id is not None
        runtime.commands.reset_password(system, actor.account_id, hashed)
    with TestClient(create_app(runtime=runtime)) as client:
        yield Api(client=client, runtime=runtime, world=world, auditor=auditor)


@pytest.fixture
def api(sqlite_settings: Settings) -> Iterator[Api]:
    yield from _serve(sqlite_settings)


@pytest.fixture
def api_any(settings: Settings) -> Iterator[Api]:
    yield from _serve(settings)
