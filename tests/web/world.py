"""A small regency for the page tests, seeded through the real command handlers.

Unlike ``tests.factories.World`` its accounts have real argon2 password hashes, because the page
tests log in through the login page like a person would.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from services.blobs import blob_store
from services.commands import account_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.values import (
    CallKind,
    Document,
    DocumentKind,
    IndicatorVerdict,
    KrenovaEntry,
    KrenovaField,
    OrganisationKind,
    ParticipantCategory,
    Profile,
    RevisionItem,
)
from services.identity.passwords import hash_password
from services.runtime import Runtime
from tests.factories import MANDATORY, complete_profile

PASSWORD = "sandi-uji-web-2025"
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class WebWorld:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        c = runtime.commands
        self.now = datetime.now(UTC)
        system = Context(actor=Actor.system(), correlation_id="web-test-seed")
        self.opd_id = c.register_organisation(
            system, kind=OrganisationKind.OPD, code="DISDUKCAPIL", name="Dinas Dukcapil"
        ).id
        self.other_opd_id = c.register_organisation(
            system, kind=OrganisationKind.OPD, code="DINKES", name="Dinas Kesehatan"
        ).id
        self.bappeda_id = c.register_organisation(
            system, kind=OrganisationKind.OPD, code="BAPPEDA", name="Bappeda Litbang"
        ).id
        self.inspektorat_id = c.register_organisation(
            system, kind=OrganisationKind.OPD, code="INSPEKTORAT", name="Inspektorat Daerah"
        ).id
        password_hash = hash_password(PASSWORD)
        self.operator = self._account(
            system, "op.dukcapil", Role.OPERATOR, self.opd_id, password_hash
        )
        self.other_operator = self._account(
            system, "op.dinkes", Role.OPERATOR, self.other_opd_id, password_hash
        )
        self.reviewer = self._account(
            system, "verifikator", Role.REVIEWER, self.bappeda_id, password_hash
        )
        self.admin = self._account(system, "admin", Role.ADMIN, self.bappeda_id, password_hash)
        self.auditor = self._account(
            system, "auditor", Role.AUDITOR, self.inspektorat_id, password_hash
        )
        self.participant = self._account(system, "peserta", Role.PARTICIPANT, None, password_hash)
        self.call_id = c.open_call(
            self.ctx(self.admin),
            kind=CallKind.ANNUAL,
            title=f"Inovasi Daerah {self.now.year}",
            budget_year=self.now.year,
            opens_at=self.now - timedelta(days=30),
            deadline=self.now + timedelta(days=30),
            eligible_kinds=("opd", "puskesmas", "bumd", "uptd", "kecamatan"),
            rubric_year=2025,
            required_documents=("sk",),
            threshold=60,
        ).id

    def _account(
        self, system: Context, username: str, role: Role, org: UUID | None, password_hash: str
    ) -> Actor:
        self.runtime.commands.create_account(
            system,
            username=username,
            full_name=f"{username.replace('.', ' ').title()} Uji",
            email=f"{username}@sragenkab.go.id",
            role=role,
            organisation_id=org,
            password_hash=password_hash,
        )
        return Actor(account_id=account_id_for(username), role=role, organisation_id=org)

    def ctx(self, actor: Actor) -> Context:
        return Context(actor=actor, correlation_id=f"web-{uuid4().hex[:8]}")

    # -- records in a given state, for pages that need them ---------------------------------

    def pdf(self, kind: DocumentKind, indicator: int | None) -> Document:
        stored = blob_store(self.runtime).put_bytes(MINIMAL_PDF + uuid4().hex.encode())
        return Document(
            doc_id=uuid4(),
            kind=kind,
            name=f"{kind}-{indicator or 0}.pdf",
            content_type="application/pdf",
            size=stored.size,
            sha256=stored.sha256,
            storage_key=stored.key,
            indicator=indicator,
        )

    def complete_draft(self, title: str = "Si Cepat Adminduk") -> UUID:
        c = self.runtime.commands
        op = self.ctx(self.operator)
        iid = c.propose(op, call_id=self.call_id, profile=complete_profile(title)).id
        for no in MANDATORY:
            doc = self.pdf(DocumentKind.SK if no == 1 else DocumentKind.REPORT, no)
            c.attach_document(op, iid, doc)
            c.claim_indicator(op, iid, no=no, level=3, evidence=[doc.doc_id])
        return iid

    def submitted(self, title: str) -> UUID:
        iid = self.complete_draft(title)
        self.runtime.commands.submit(self.ctx(self.operator), iid)
        return iid

    def under_review(self, title: str) -> UUID:
        iid = self.submitted(title)
        assert self.reviewer.account_id is not None
        self.runtime.commands.assign_reviewer(self.ctx(self.admin), iid, self.reviewer.account_id)
        return iid

    def revision_requested(self, title: str) -> UUID:
        iid = self.under_review(title)
        self.runtime.commands.request_revision(
            self.ctx(self.reviewer),
            iid,
            note="Lengkapi SK Kepala Daerah.",
            items=[RevisionItem(kind="indicator", key="1", note="SK Kepala Daerah")],
        )
        return iid

    def scored(self, title: str) -> UUID:
        c = self.runtime.commands
        iid = self.under_review(title)
        rev = self.ctx(self.reviewer)
        for state in list(c.innovation(iid).documents.values()):
            c.verify_document(rev, iid, state.document.doc_id, accepted=True, note="sah")
        c.score(
            rev,
            iid,
            [IndicatorVerdict(no=no, level=3, note="sesuai") for no in MANDATORY],
        )
        return iid

    def published(self, title: str) -> UUID:
        c = self.runtime.commands
        iid = self.scored(title)
        admin = self.ctx(self.admin)
        c.approve(admin, iid, "layak")
        c.establish(admin, iid, sk_number="188/1/2025", sk_date=date(2025, 10, 1))
        c.publish(admin, iid)
        return iid

    def krenova_call(self, deadline: datetime) -> UUID:
        return self.runtime.commands.open_call(
            self.ctx(self.admin),
            kind=CallKind.KRENOVA,
            title=f"Krenova Uji {uuid4().hex[:6]}",
            budget_year=self.now.year,
            opens_at=datetime.now(UTC) - timedelta(days=1),
            deadline=deadline,
            eligible_kinds=("masyarakat",),
            rubric_year=2025,
        ).id

    def krenova_draft(self, call_id: UUID) -> UUID:
        """A complete Krenova entry by the participant, ready to submit."""
        return self.runtime.commands.propose(
            self.ctx(self.participant),
            call_id=call_id,
            profile=Profile(
                title="Alat Pengering Gabah Tenaga Surya",
                krenova=KrenovaEntry(
                    field=KrenovaField.ENERGI,
                    participant_category=ParticipantCategory.UMUM,
                    abstract="Pengering gabah murah berbahan kaca bekas dan panel surya kecil.",
                    advantages="Biaya rendah, tidak bergantung cuaca.",
                    benefits="Kualitas gabah petani naik; susut panen turun.",
                    application="Diuji di Kelompok Tani Makmur, Desa Gesi.",
                ),
            ),
        ).id
