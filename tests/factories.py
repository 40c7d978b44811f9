"""Realistic building blocks shared by tests: a complete profile, documents, contexts, a world.

``World`` seeds one regency slice through the real command handlers: an OPD and its operator,
a reviewer from Bappeda, an admin, an open annual call. Every test that needs the workflow uses it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

from services.commands import Commands, account_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.values import (
    Budget,
    CallKind,
    Design,
    Document,
    DocumentKind,
    IndicatorVerdict,
    Initiator,
    InnovationForm,
    InnovationKind,
    OrganisationKind,
    Profile,
    Stage,
    Theme,
)

LOREM = (
    "Pelayanan administrasi kependudukan di kecamatan masih memerlukan antrean panjang dan "
    "kunjungan berulang sehingga warga kehilangan waktu kerja serta biaya transportasi. "
)


def words(n: int) -> str:
    base = LOREM.split()
    return " ".join(base[i % len(base)] for i in range(n))


def complete_profile(title: str = "Si Cepat Adminduk") -> Profile:
    return Profile(
        title=title,
        stage=Stage.PENERAPAN,
        initiator=Initiator.OPD,
        initiator_name="Kepala Dinas Kependudukan dan Pencatatan Sipil",
        kind=InnovationKind.DIGITAL,
        form=InnovationForm.PELAYANAN_PUBLIK,
        theme=Theme.DIGITALISASI_LAYANAN,
        urusan="2.12",
        trial_date=date(2023, 3, 1),
        implementation_date=date(2023, 9, 1),
        design=Design(
            legal_basis=words(60),
            problem=words(60),
            strategic_issue=words(50),
            method=words(50),
            novelty=words(40),
            how_it_works=words(60),
        ),
        goals="Mempercepat layanan dokumen kependudukan menjadi satu hari.",
        benefits="Warga tidak perlu datang berulang kali; biaya transportasi turun.",
        results="Waktu layanan turun dari 5 hari menjadi 1 hari untuk 3.200 warga.",
        budget=Budget(apbd_t0=None, apbd_t1=None, apbd_t2=None),
    )


def document(kind: DocumentKind = DocumentKind.SK, indicator: int | None = None) -> Document:
    content = uuid4().bytes
    digest = hashlib.sha256(content).hexdigest()
    return Document(
        doc_id=uuid4(),
        kind=kind,
        name=f"{kind}-{indicator or 0}.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=digest,
        storage_key=f"{digest[:2]}/{digest}",
        indicator=indicator,
    )


MANDATORY = (1, 2, 17, 18, 20)


class World:
    """A small regency, seeded through the command handlers (so tests exercise the real path)."""

    def __init__(self, commands: Commands, now: datetime | None = None) -> None:
        self.commands = commands
        self.now = now or datetime.now(UTC)
        system = Context(actor=Actor.system(), now=self.now)
        self.opd_id = commands.register_organisation(
            system, kind=OrganisationKind.OPD, code="DISDUKCAPIL", name="Dinas Dukcapil"
        ).id
        self.other_opd_id = commands.register_organisation(
            system, kind=OrganisationKind.OPD, code="DINKES", name="Dinas Kesehatan"
        ).id
        self.bappeda_id = commands.register_organisation(
            system, kind=OrganisationKind.OPD, code="BAPPEDA", name="Bappeda Litbang"
        ).id
        self.operator = self._account(system, "op.dukcapil", Role.OPERATOR, self.opd_id)
        self.other_operator = self._account(system, "op.dinkes", Role.OPERATOR, self.other_opd_id)
        self.reviewer = self._account(system, "rev.satu", Role.REVIEWER, self.bappeda_id)
        self.reviewer2 = self._account(system, "rev.dua", Role.REVIEWER, self.bappeda_id)
        self.conflicted_reviewer = self._account(system, "rev.dukcapil", Role.REVIEWER, self.opd_id)
        self.admin = self._account(system, "admin", Role.ADMIN, self.bappeda_id)
        self.call_id = commands.open_call(
            Context(actor=self.admin, now=self.now),
            kind=CallKind.ANNUAL,
            title="Inovasi Daerah 2025",
            budget_year=2025,
            opens_at=self.now - timedelta(days=30),
            deadline=self.now + timedelta(days=30),
            eligible_kinds=("opd", "puskesmas", "bumd", "uptd", "kecamatan"),
            rubric_year=2025,
            required_documents=("sk",),
            threshold=60,
        ).id

    def _account(self, system: Context, username: str, role: Role, org: UUID | None) -> Actor:
        self.commands.create_account(
            system,
            username=username,
            full_name=username.replace(".", " ").title(),
            email=f"{username}@sragenkab.go.id",
            role=role,
            organisation_id=org,
            password_hash="x",
        )
        return Actor(account_id=account_id_for(username), role=role, organisation_id=org)

    def ctx(self, actor: Actor) -> Context:
        return Context(actor=actor, correlation_id=str(uuid4()), now=self.now)

    def complete_draft(self, title: str = "Si Cepat Adminduk") -> UUID:
        """A draft with every required field, an SK and evidence on every mandatory indicator."""
        c = self.commands
        op = self.ctx(self.operator)
        iid = c.propose(op, call_id=self.call_id, profile=complete_profile(title)).id
        for no in MANDATORY:
            doc = document(DocumentKind.SK if no == 1 else DocumentKind.REPORT, indicator=no)
            c.attach_document(op, iid, doc)
            c.claim_indicator(op, iid, no=no, level=3, evidence=[doc.doc_id])
        return iid

    def verdicts(self, level: int = 3) -> list[IndicatorVerdict]:
        return [IndicatorVerdict(no=no, level=level, note="sesuai bukti") for no in MANDATORY]


def stored_event(oid: UUID, version: int, topic: str = "innovation.ProfileUpdated") -> StoredEvent:
    """A stored event as the mapper writes it: JSON carrying its own timestamp (the chain's ts)."""
    state = json.dumps(
        {"originator_id": str(oid), "originator_version": version,
         "timestamp": datetime.now(UTC).isoformat(), "n": version}
    ).encode()  # fmt: skip
    return StoredEvent(originator_id=oid, originator_version=version, topic=topic, state=state)
