"""Fixtures for the read-model tests: scenarios through the real command handlers, helpers that
catch the read models up and compare them with a rebuild from scratch, and an HTTP client.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from projections.runner import Runner
from projections.verify import compare
from services.commands import Commands, account_id_for
from services.config import Settings, load_settings
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.values import (
    CallKind,
    KrenovaEntry,
    KrenovaField,
    ParticipantCategory,
    Profile,
)
from services.eventstore.store import EventStore
from tests.factories import World

PASSWORD = "sandi-proyeksi-2025"


def catch_up(settings: Settings, store: EventStore, **options: Any) -> int:
    """Apply the whole log to the live read models, as ``sirisma project --once`` does."""
    runner = Runner(settings, store=store, **options)
    return runner.catch_up()


def assert_equal_to_rebuild(settings: Settings, store: EventStore) -> None:
    """Every read model equals one rebuilt from scratch from the log, row for row."""
    result = compare(settings, store=store)
    assert result.equal, (result.positions, result.differences)
    assert sum(result.rows.values()) > 0


@pytest.fixture(scope="package", autouse=True)
def cheap_argon2() -> Iterator[None]:
    """Minimal argon2 cost in these tests (same code paths); production keeps the defaults."""
    from argon2 import PasswordHasher

    from services.identity import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        patch.setattr(passwords, "_DUMMY_HASH", cheap.hash("sirisma-no-such-account"))
        yield


def open_krenova(world: World) -> UUID:
    return world.commands.open_call(
        Context(actor=world.admin, now=world.now),
        kind=CallKind.KRENOVA,
        title="Krenova 2025",
        budget_year=2025,
        opens_at=world.now - timedelta(days=10),
        deadline=world.now + timedelta(days=10),
        eligible_kinds=("masyarakat",),
        rubric_year=2025,
    ).id


def participant(world: World, username: str = "warga.satu") -> Actor:
    world.commands.create_account(
        Context(actor=Actor.system(), now=world.now),
        username=username,
        full_name="Warga Satu",
        email=f"{username}@contoh.id",
        role=Role.PARTICIPANT,
        organisation_id=None,
        password_hash="x",
    )
    return Actor(account_id=account_id_for(username), role=Role.PARTICIPANT)


def krenova_profile(title: str) -> Profile:
    return Profile(
        title=title,
        krenova=KrenovaEntry(
            field=KrenovaField.ENERGI,
            participant_category=ParticipantCategory.UMUM,
            abstract=f"Abstrak {title}: pengering gabah tenaga surya.",
            advantages="Biaya rendah.",
            benefits="Susut panen turun.",
            application="Diuji di Desa Gesi.",
        ),
    )


@dataclass
class Api:
    """The served app over a seeded world, logging in through POST /api/auth/login."""

    client: TestClient[Litestar]
    runtime: Any
    world: World
    auditor: Actor
    participant: Actor
    krenova_call: UUID
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def commands(self) -> Commands:
        return self.runtime.commands

    def headers(self, username: str | None) -> dict[str, str]:
        if username is None:
            return {}
        if username not in self.tokens:
            self.client.cookies.clear()
            response = self.client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self.client.cookies.clear()
            self.tokens[username] = response.json()["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def get(self, url: str, as_: str | None = None, **kwargs: Any) -> Any:
        headers = {**self.headers(as_), **kwargs.pop("headers", {})}
        return self.client.get(url, headers=headers, **kwargs)

    def ctx(self, actor: Actor) -> Context:
        return Context(actor=actor, correlation_id=uuid.uuid4().hex, now=self.world.now)


def build_api(settings: Settings) -> Iterator[Api]:
    from services.app import create_app
    from services.identity.passwords import hash_password
    from services.startup import start_runtime

    runtime = start_runtime(settings)
    if not settings.embedded:  # the distributed shape: a runner of our own in this process
        runtime.read_models.start(poll_interval=0.5)
        runtime.on_close(runtime.read_models.stop)  # else it outlives its database
    world = World(runtime.commands, now=datetime.now(UTC))
    system = Context(actor=Actor.system(), now=world.now)
    runtime.commands.create_account(
        system,
        username="auditor",
        full_name="Auditor Inspektorat",
        email="auditor@sragenkab.go.id",
        role=Role.AUDITOR,
        organisation_id=None,
        password_hash="x",
    )
    auditor = Actor(account_id=account_id_for("auditor"), role=Role.AUDITOR)
    citizen = participant(world)
    krenova_call = open_krenova(world)
    hashed = hash_password(PASSWORD)
    for username in (
        "op.dukcapil",
        "op.dinkes",
        "rev.satu",
        "rev.dua",
        "rev.dukcapil",
        "admin",
        "auditor",
        "warga.satu",
    ):
        runtime.commands.reset_password(system, account_id_for(username), hashed)
    app = create_app(runtime=runtime)
    with TestClient(app) as client:
        yield Api(client, runtime, world, auditor, citizen, krenova_call)


def module_settings(tmp_path_factory: pytest.TempPathFactory, database_url: str = "") -> Settings:
    folder = tmp_path_factory.mktemp("proj")
    return load_settings(env={}, data_dir=str(folder / "data"), database_url=database_url)
