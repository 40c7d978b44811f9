"""Audit fixtures: a long innovation history built through the real command handlers.

``long_history`` builds a ~300-event innovation (drafting, many revision rounds, verification,
scoring, decision, IGA) and records ``to_state()`` right after every save, so tests can compare
what the log rebuilds with what the aggregate really was. It is session-scoped per backend: the
build costs seconds, and the tests that use it only read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from services.commands import Commands, Outcome
from services.config import Settings, load_settings
from services.domain.innovation_views import InnovationState, to_state
from services.domain.rubric import load_rubric
from services.domain.values import (
    Budget,
    DocumentKind,
    IndicatorVerdict,
    ProfilePatch,
    RevisionItem,
)
from services.eventstore.store import EventStore
from services.identity.passwords import hash_password
from tests.factories import MANDATORY, World, complete_profile, document

PASSWORD = "kata-sandi-audit-123"


@dataclass
class LongHistory:
    settings: Settings
    store: EventStore
    world: World
    innovation_id: UUID
    states: dict[int, InnovationState]  # version → to_state() right after that save
    rounds: int


def record_states(
    world: World, target: int = 300, min_rounds: int = 0
) -> tuple[UUID, dict[int, InnovationState], int]:
    """Drive one innovation through ``target`` events, recording its state after each save."""
    c: Commands = world.commands
    states: dict[int, InnovationState] = {}
    call = c.call(world.call_id)
    op, rev, admin = world.ctx(world.operator), world.ctx(world.reviewer), world.ctx(world.admin)

    def saved(outcome: Outcome) -> Outcome:
        innovation = c.innovation(outcome.id)
        assert innovation.version == outcome.version
        states[outcome.version] = to_state(innovation, load_rubric(innovation.rubric_year), call)
        return outcome

    iid = saved(c.propose(op, call_id=world.call_id, profile=complete_profile())).id
    for no in MANDATORY:  # what World.complete_draft does, recorded save by save
        doc = document(DocumentKind.SK if no == 1 else DocumentKind.REPORT, indicator=no)
        saved(c.attach_document(op, iid, doc))
        saved(c.claim_indicator(op, iid, no=no, level=3, evidence=[doc.doc_id]))

    # Drafting: many edits, evidence for optional indicators, a document removed and replaced.
    for i in range(30):
        saved(c.update_profile(op, iid, ProfilePatch(goals=f"Tujuan versi {i}")))
    for no in (3, 4, 5, 6, 7, 8):
        doc = document(DocumentKind.BUDGET if no == 3 else DocumentKind.REPORT, indicator=no)
        saved(c.attach_document(op, iid, doc))
        saved(c.claim_indicator(op, iid, no=no, level=2, evidence=[doc.doc_id]))
    extra = document(DocumentKind.PHOTO)
    saved(c.attach_document(op, iid, extra))
    saved(c.remove_document(op, iid, extra.doc_id, reason="salah unggah"))
    saved(c.update_profile(op, iid, ProfilePatch(budget=Budget(apbd_t0=None, other_sources="CSR"))))
    saved(c.submit(op, iid))
    saved(c.assign_reviewer(admin, iid, world.reviewer.account_id))

    rounds = 0
    while c.innovation(iid).version < target - 45 or rounds < min_rounds:
        rounds += 1
        saved(
            c.request_revision(
                rev,
                iid,
                note=f"Putaran {rounds}: perbaiki rancang bangun dan bukti",
                items=[RevisionItem(kind="indicator", key="3", note="DPA belum jelas")],
            )
        )
        for k in range(4):
            saved(c.update_profile(op, iid, ProfilePatch(results=f"Hasil r{rounds}.{k}")))
        doc = document(DocumentKind.BUDGET, indicator=3)
        saved(c.attach_document(op, iid, doc))
        saved(c.claim_indicator(op, iid, no=3, level=3, evidence=[doc.doc_id]))
        saved(c.claim_indicator(op, iid, no=9, level=rounds % 3 + 1, evidence=[doc.doc_id]))
        saved(c.resubmit(op, iid, note=f"Sudah diperbaiki putaran {rounds}"))
        saved(c.verify_document(rev, iid, doc.doc_id, accepted=True, note="sesuai"))
        saved(c.verify_document(rev, iid, doc.doc_id, accepted=rounds % 2 == 0, note="cek ulang"))

    live = [d.document.doc_id for d in c.innovation(iid).documents.values() if not d.removed]
    for doc_id in live[:20]:
        saved(c.verify_document(rev, iid, doc_id, accepted=True, note="sah"))
    verdicts = [IndicatorVerdict(no=no, level=3, note="sesuai bukti") for no in (*MANDATORY, 3)]
    version = saved(c.score(rev, iid, verdicts)).version
    i = 0
    while version < target - 6:  # reviewers re-check evidence while scored: pads to the target
        version = saved(c.verify_document(rev, iid, live[i % len(live)], accepted=True)).version
        i += 1
    saved(c.recommend(rev, iid, recommendation="approve", note="layak"))
    saved(c.approve(admin, iid, note="memenuhi ambang"))
    saved(c.establish(admin, iid, sk_number="188/45/2025", sk_date=date(2025, 10, 1)))
    saved(c.publish(admin, iid))
    saved(c.select_for_iga(admin, iid, 2025))
    final = saved(c.report_to_iga(admin, iid, year=2025, report_id=uuid.uuid4()))
    assert sorted(states) == list(range(1, final.version + 1))
    return iid, states, rounds


def _settings_for(kind: str, tmp: Any, postgres_server: Any) -> tuple[Settings, str | None]:
    data_dir = str(tmp / "data")
    if kind == "sqlite":
        return load_settings(env={}, data_dir=data_dir), None
    name = f"test_audit_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    return load_settings(env={}, data_dir=data_dir, database_url=url), name


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def long_history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LongHistory]:
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    settings, dbname = _settings_for(request.param, tmp_path_factory.mktemp("audit"), server)
    store = EventStore(settings)
    try:
        world = World(Commands(store))
        iid, states, rounds = record_states(world)
        yield LongHistory(settings, store, world, iid, states, rounds)
    finally:
        store.close()
        if dbname is not None and server is not None:
            server.drop_database(dbname)


def seed_logins(world: World) -> dict[str, str]:
    """Give the world's accounts real passwords and add an auditor; returns role → username."""
    from services.domain.actor import Actor, Role
    from services.domain.aggregate import Context

    system = Context(actor=Actor.system(), now=world.now)
    c = world.commands
    c.create_account(
        system,
        username="auditor.inspektorat",
        full_name="Auditor Inspektorat",
        email="auditor@sragenkab.go.id",
        role=Role.AUDITOR,
        organisation_id=None,
        password_hash=hash_password(PASSWORD),
    )
    from services.commands import account_id_for

    for username in ("admin", "op.dukcapil", "rev.satu"):
        c.reset_password(system, account_id_for(username), hash_password(PASSWORD))
    return {
        "auditor": "auditor.inspektorat",
        "admin": "admin",
        "operator": "op.dukcapil",
        "reviewer": "rev.satu",
    }


@dataclass
class AuditApp:
    client: Any
    runtime: Any
    world: World
    innovation_id: UUID
    states: dict[int, InnovationState]
    logins: dict[str, str]
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        if role not in self.tokens:
            self.client.cookies.clear()
            response = self.client.post(
                "/api/auth/login", json={"username": self.logins[role], "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self.tokens[role] = response.json()["token"]
            self.client.cookies.clear()  # bearer tokens only: no cookie session, no CSRF
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def get(self, path: str, role: str = "auditor", **params: Any) -> Any:
        return self.client.get(path, params=params or None, headers=self.headers(role))


@pytest.fixture(scope="module")
def audit_app(postgres_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditApp]:
    """The served app on PostgreSQL with a ~100-event innovation that went through 2+ rounds."""
    from litestar.testing import TestClient

    from services.app import create_app
    from services.startup import start_runtime

    settings, dbname = _settings_for(
        "postgres", tmp_path_factory.mktemp("audit-app"), postgres_server
    )
    runtime = start_runtime(settings, background=False)
    served = False
    try:
        world = World(runtime.commands)
        logins = seed_logins(world)
        iid, states, _ = record_states(world, target=100, min_rounds=2)
        served = True  # from here the app's shutdown closes the runtime
        with TestClient(create_app(runtime=runtime)) as client:
            yield AuditApp(client, runtime, world, iid, states, logins, {})
    finally:
        if not served:
            runtime.close()
        if dbname is not None:
            postgres_server.drop_database(dbname)
