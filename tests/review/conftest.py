"""HTTP fixtures for the review tests: the served app on real PostgreSQL over a seeded regency.

One database and one app per test module (seeding is the expensive part). Operators' work
(proposing, uploading, claiming, submitting) is seeded through the real command handlers with
real blobs in the blob store; everything the review context does goes through HTTP, logged in
through ``POST /api/auth/login`` like a real client.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from services.app import create_app
from services.blobs import BlobStore
from services.commands import Commands, account_id_for, organisation_id_for
from services.config import load_settings
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.values import (
    CallKind,
    Document,
    DocumentKind,
    KrenovaEntry,
    KrenovaField,
    OrganisationKind,
    ParticipantCategory,
    Profile,
    Stage,
)
from services.identity.passwords import hash_password
from services.runtime import Runtime
from services.startup import start_runtime
from tests.factories import MANDATORY, complete_profile

PASSWORD = "sandi-review-2025"
ORG_CODES = (
    "DISDUKCAPIL",
    "DINKES",
    "DISDIK",
    "DINSOS",
    "DPMPTSP",
    "DISKOMINFO",
    "BPKPD",
    "DLH",
    "PKM-SRAGEN",
    "KEC-GEMOLONG",
)
# Indicators each seeded innovation documents: the mandatory five plus budget and work tools.
INDICATORS = (*MANDATORY, 3, 4)


def pdf_bytes(tag: str) -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        + f"% {tag}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


@dataclass
class Regency:
    """The seeded world plus an HTTP client that logs in as any seeded account."""

    client: TestClient[Litestar]
    runtime: Runtime
    now: datetime
    call_id: UUID
    krenova_call_id: UUID
    orgs: list[UUID]
    operators: dict[UUID, Actor]
    admin: Actor
    reviewers: dict[str, Actor]
    participants: list[Actor]
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def commands(self) -> Commands:
        return self.runtime.commands

    def ctx(self, actor: Actor) -> Context:
        return Context(actor=actor, correlation_id=uuid.uuid4().hex, now=datetime.now(UTC))

    # -- HTTP ----------------------------------------------------------------------------

    def auth(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            response = self.client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self.tokens[username] = response.json()["token"]
            self.client.cookies.clear()  # bearer tokens only: no cookie session, so no CSRF
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def call(self, method: str, url: str, as_: str | None, **kwargs: Any) -> Any:
        headers = {**(self.auth(as_) if as_ else {}), **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)

    def post(self, url: str, as_: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", url, as_, json=json, **kwargs)

    def get(self, url: str, as_: str, **kwargs: Any) -> Any:
        return self.call("GET", url, as_, **kwargs)

    def review(self, iid: UUID, as_: str = "admin") -> dict[str, Any]:
        response = self.get(f"/api/innovations/{iid}/review", as_)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def max_notification_id(self) -> int:
        return self.runtime.store.max_notification_id()

    # -- seeding through the command handlers (the operator's side) ---------------------

    def document(self, kind: DocumentKind, indicator: int | None, title: str) -> Document:
        body = pdf_bytes(f"{title} {kind} {indicator} {uuid.uuid4().hex}")
        stored = BlobStore(self.runtime.settings.blob_path).put_bytes(body)
        return Document(
            doc_id=uuid.uuid4(),
            kind=kind,
            name=f"{kind.value}-indikator-{indicator or 0}.pdf",
            content_type="application/pdf",
            size=stored.size,
            sha256=stored.sha256,
            storage_key=stored.key,
            indicator=indicator,
        )

    def submitted(
        self,
        org_index: int,
        title: str,
        *,
        levels: dict[int, int] | None = None,
        stage: Stage = Stage.PENERAPAN,
        implemented: date | None = None,
    ) -> UUID:
        """An innovation of ``orgs[org_index]`` with an SK and evidence on every documented
        indicator, claimed at ``levels`` (default 3), submitted."""
        c = self.commands
        operator = self.operators[self.orgs[org_index]]
        op = self.ctx(operator)
        profile = complete_profile(title)
        if stage != Stage.PENERAPAN or implemented is not None:
            import msgspec

            profile = msgspec.structs.replace(
                profile,
                stage=stage,
                implementation_date=(
                    (implemented or date(2024, 9, 1)) if stage == Stage.PENERAPAN else None
                ),
            )
        iid = c.propose(op, call_id=self.call_id, profile=profile).id
        for no in INDICATORS:
            kind = (
                DocumentKind.SK
                if no == 1
                else (DocumentKind.BUDGET if no == 3 else DocumentKind.REPORT)
            )
            doc = self.document(kind, no, title)
            c.attach_document(op, iid, doc)
            level = (levels or {}).get(no, 3)
            c.claim_indicator(op, iid, no=no, level=level, evidence=[doc.doc_id])
        c.submit(op, iid)
        return iid

    def walk(self, org_index: int, title: str, to: str, reviewer: str = "rev.satu") -> UUID:
        """Set-up through the command handlers: a submitted innovation taken to ``to``
        (``under_review`` assigned to ``reviewer``; ``scored`` with every document accepted and
        level 3 everywhere; ``approved``; ``rejected``)."""
        c = self.commands
        iid = self.submitted(org_index, title)
        if to == "submitted":
            return iid
        actor = self.reviewers[reviewer]
        assert actor.account_id is not None
        c.assign_reviewer(self.ctx(self.admin), iid, actor.account_id)
        if to == "under_review":
            return iid
        rev = self.ctx(actor)
        for state in list(c.innovation(iid).documents.values()):
            c.verify_document(rev, iid, state.document.doc_id, accepted=True, note="sah")
        from services.domain.values import IndicatorVerdict

        c.score(rev, iid, [IndicatorVerdict(no=no, level=3) for no in INDICATORS])
        if to == "scored":
            return iid
        if to == "rejected":
            c.reject(self.ctx(self.admin), iid, "Belum memenuhi")
            return iid
        c.approve(self.ctx(self.admin), iid, note="layak")
        assert to == "approved", to
        return iid

    def krenova_entry(self, participant: Actor, title: str) -> UUID:
        c = self.commands
        ctx = self.ctx(participant)
        profile = Profile(
            title=title,
            krenova=KrenovaEntry(
                field=KrenovaField.ENERGI,
                participant_category=ParticipantCategory.UMUM,
                abstract=f"Abstrak {title}.",
                advantages="Biaya rendah.",
                benefits="Susut panen turun.",
                application="Diuji di Desa Gesi.",
                video_url="https://video.example/krenova",
            ),
        )
        iid = c.propose(ctx, call_id=self.krenova_call_id, profile=profile).id
        c.submit(ctx, iid)
        return iid


def _seed(runtime: Runtime) -> dict[str, Any]:
    c = runtime.commands
    now = datetime.now(UTC)
    system = Context(actor=Actor.system(), now=now - timedelta(days=60))
    password_hash = hash_password(PASSWORD)

    def account(username: str, role: Role, org: UUID | None, name: str) -> Actor:
        c.create_account(
            system,
            username=username,
            full_name=name,
            email=f"{username}@sragenkab.go.id",
            role=role,
            organisation_id=org,
            password_hash=password_hash,
        )
        return Actor(account_id=account_id_for(username), role=role, organisation_id=org)

    c.register_organisation(
        system, kind=OrganisationKind.OPD, code="BAPPEDA", name="Bappeda Litbang"
    )
    bappeda = organisation_id_for("BAPPEDA")
    orgs, operators = [], {}
    for code in ORG_CODES:
        kind = (
            OrganisationKind.PUSKESMAS
            if code.startswith("PKM")
            else (OrganisationKind.KECAMATAN if code.startswith("KEC") else OrganisationKind.OPD)
        )
        c.register_organisation(system, kind=kind, code=code, name=f"Perangkat {code.title()}")
        org = organisation_id_for(code)
        orgs.append(org)
        operators[org] = account(f"op.{code.lower()}", Role.OPERATOR, org, f"Operator {code}")
    admin = account("admin", Role.ADMIN, bappeda, "Admin Bappeda")
    reviewers = {
        "rev.satu": account("rev.satu", Role.REVIEWER, bappeda, "Sri Wahyuni"),
        "rev.dua": account("rev.dua", Role.REVIEWER, bappeda, "Bambang Sutrisno"),
        # A reviewer seconded from the first organisation: a conflict of interest on its items.
        "rev.org0": account("rev.org0", Role.REVIEWER, orgs[0], "Dwi Lestari"),
    }
    account("auditor", Role.AUDITOR, None, "Auditor Inspektorat")
    participants = [
        account(f"peserta.{i}", Role.PARTICIPANT, None, f"Peserta Krenova {i}") for i in range(4)
    ]
    admin_ctx = Context(actor=admin, now=now - timedelta(days=30))
    call_id = c.open_call(
        admin_ctx,
        kind=CallKind.ANNUAL,
        title="Inovasi Daerah 2025",
        budget_year=2025,
        opens_at=now - timedelta(days=30),
        deadline=now + timedelta(days=30),
        eligible_kinds=("opd", "puskesmas", "bumd", "uptd", "kecamatan"),
        rubric_year=2025,
        required_documents=("sk",),
        threshold=60,
    ).id
    krenova_call_id = c.open_call(
        admin_ctx,
        kind=CallKind.KRENOVA,
        title="Krenova Sragen 2025",
        budget_year=2025,
        opens_at=now - timedelta(days=30),
        deadline=now + timedelta(days=30),
        eligible_kinds=("masyarakat",),
        rubric_year=2025,
    ).id
    return {
        "now": now,
        "call_id": call_id,
        "krenova_call_id": krenova_call_id,
        "orgs": orgs,
        "operators": operators,
        "admin": admin,
        "reviewers": reviewers,
        "participants": participants,
    }


@pytest.fixture(scope="module")
def regency(postgres_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Regency]:
    """A fresh PostgreSQL database, the app on it, and the seeded regency (per test module)."""
    postgres_server.ensure_running()
    name = f"review_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    settings = load_settings(
        env={},
        data_dir=str(tmp_path_factory.mktemp("review") / "data"),
        database_url=url,
        score_margin=10,
    )
    runtime = start_runtime(settings)
    served = False
    try:
        seeded = _seed(runtime)
        # The projector, in a thread as the embedded mode runs it: the queue is a read model.
        runtime.read_models.start()
        runtime.on_close(runtime.read_models.stop)
        served = True  # from here the app's shutdown closes the runtime
        with TestClient(create_app(runtime=runtime)) as client:
            yield Regency(client=client, runtime=runtime, **seeded)
    finally:
        if not served:
            runtime.close()
        postgres_server.ensure_running()
        postgres_server.drop_database(name)
