"""Demo research: the regency's agenda for the year and a proposal at every stage of the
research lifecycle, seeded through the real command handlers (called from ``services.demo``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid5

from services.blobs import BlobStore
from services.domain.actor import Actor
from services.domain.aggregate import Context
from services.domain.call import jakarta_date
from services.domain.research import criteria
from services.domain.research.lifecycle import Status
from services.domain.research.values import (
    AgendaStatus,
    BudgetLine,
    CriterionScore,
    FollowUpStatus,
    LinkKind,
    Output,
    OutputFile,
    OutputKind,
    Priority,
    ProposalBody,
    ResearchKind,
    Step,
    TeamMember,
    Theme,
)
from services.eventstore.store import EventStore
from services.research.service import ResearchCommands

THEMES = (
    Theme(
        code="R1",
        title="Percepatan penurunan stunting",
        priority=Priority.TINGGI,
        rpjmd_goal="Misi 2: SDM sehat dan cerdas",
        rkpd_goal="Prioritas RKPD: kesehatan ibu dan anak",
        urusan="1.02",
    ),
    Theme(
        code="R2",
        title="Digitalisasi layanan publik",
        priority=Priority.TINGGI,
        rpjmd_goal="Misi 1: tata kelola pemerintahan yang bersih dan digital",
        rkpd_goal="Prioritas RKPD: SPBE",
        urusan="2.16",
    ),
    Theme(
        code="R3",
        title="Ketahanan pangan dan nilai tambah pertanian",
        priority=Priority.SEDANG,
        rpjmd_goal="Misi 3: ekonomi kerakyatan",
        rkpd_goal="Prioritas RKPD: ketahanan pangan",
        urusan="3.27",
    ),
)

# (title, theme, kind, the stage to drive it to)
PROPOSALS: tuple[tuple[str, str, ResearchKind, Status], ...] = (
    ("Kajian Efektivitas Posyandu Digital", "R1", ResearchKind.PENGKAJIAN, Status.DISSEMINATED),
    ("Evaluasi Layanan Adminduk Daring", "R2", ResearchKind.EVALUASI_KEBIJAKAN, Status.COMPLETED),
    ("Rantai Pasok Beras Organik Sragen", "R3", ResearchKind.PENELITIAN, Status.EXECUTING),
    ("Model Pendampingan Gizi Ibu Hamil", "R1", ResearchKind.PENGEMBANGAN, Status.APPROVED),
    ("Kepuasan Pengguna Aplikasi Lapor Bupati", "R2", ResearchKind.PENELITIAN, Status.UNDER_REVIEW),
    ("Potensi Irigasi Tenaga Surya", "R3", ResearchKind.PEREKAYASAAN, Status.REVISION_REQUESTED),
    ("Pemetaan Desa Rawan Pangan", "R3", ResearchKind.PENGKAJIAN, Status.SUBMITTED),
    ("Kajian Tarif Retribusi Pasar", "R2", ResearchKind.PENGKAJIAN, Status.REJECTED),
    ("Survei Literasi Digital ASN", "R2", ResearchKind.PENELITIAN, Status.DRAFT),
    ("Studi Kelayakan Rumah Gizi", "R1", ResearchKind.PENGKAJIAN, Status.WITHDRAWN),
)
NAMESPACE = UUID("6f1c1a52-52a4-4c9b-9f5c-0b8f3c1d2e77")


def body(title: str, theme: str, kind: ResearchKind, year: int) -> ProposalBody:
    return ProposalBody(
        title=title,
        kind=kind,
        theme_code=theme,
        partner="Universitas Sebelas Maret",
        background=f"{title}: data terakhir menunjukkan capaian di bawah target RPJMD.",
        legal_basis="Permendagri 17/2016 tentang Pedoman Penelitian dan Pengembangan.",
        questions=(
            "Faktor apa yang paling memengaruhi capaian saat ini?",
            "Intervensi apa yang paling efektif dan terjangkau?",
        ),
        method="Metode campuran: survei rumah tangga, wawancara mendalam dan FGD.",
        location="Kecamatan Sragen, Gemolong dan Sumberlawang",
        team=(
            TeamMember(name="Dr. Ani Susanti", role="ketua", institution="UNS"),
            TeamMember(name="Budi Hartono, S.E.", role="anggota", institution="Bappeda"),
        ),
        budget=(
            BudgetLine(
                item="Honor enumerator", quantity=Decimal(12), unit="OB", unit_cost=Decimal(750000)
            ),
            BudgetLine(
                item="Seminar hasil", quantity=Decimal(1), unit="paket", unit_cost=Decimal(6500000)
            ),
        ),
        schedule=(
            Step(name="Pengumpulan data", start=date(year, 3, 1), end=date(year, 5, 31)),
            Step(name="Analisis dan laporan", start=date(year, 6, 1), end=date(year, 8, 31)),
        ),
    )


def demo_pdf(blobs: BlobStore, title: str) -> OutputFile:
    """A small real PDF in the blob store, so the demo's output downloads work."""
    data = (
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        "2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        f"% {title}\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    ).encode()
    stored = blobs.put_bytes(data)
    name = "".join(c if c.isalnum() or c in " -" else "_" for c in title)[:120].strip()
    return OutputFile(
        name=f"{name}.pdf",
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
    )


def seed_research(
    store: EventStore,
    *,
    admin: Actor,
    reviewer: Actor,
    operators: Sequence[Actor],
    now: datetime,
    year: int,
    innovations: Sequence[UUID] = (),
    blobs: BlobStore | None = None,
) -> dict[str, UUID]:
    """The agenda and one proposal per stage; returns the proposal ids by status. With
    ``blobs`` every output gets its PDF; the disseminated study's follow-ups name the adopting
    organisations and link ``innovations[0]`` as the innovation it led to."""
    r = ResearchCommands(store)
    n = 0

    def ctx(actor: Actor) -> Context:
        nonlocal n
        n += 1
        return Context(actor=actor, correlation_id=f"demo-riset-{n}", now=now)

    today = jakarta_date(now)

    if r.agenda(year) is None:
        r.open_agenda(ctx(admin), year, f"Agenda Riset Daerah {year}", "2021–2026")
        for theme in THEMES:
            r.set_theme(ctx(admin), year, theme)
        r.agenda_status(ctx(admin), year, AgendaStatus.DISEPAKATI)
    assert reviewer.account_id is not None
    scores = tuple(CriterionScore(key=c.key, score=82) for c in criteria.criteria(year))
    ids: dict[str, UUID] = {}
    for i, (title, code, kind, target) in enumerate(PROPOSALS):
        op = operators[i % len(operators)]
        pid = uuid5(NAMESPACE, f"{year}/{title}")
        r.propose(ctx(op), year=year, body=body(title, code, kind, year), id=pid)
        ids[str(target)] = pid
        if target == Status.DRAFT:
            continue
        if target == Status.WITHDRAWN:
            r.withdraw(ctx(op), pid, "Digabung dengan kajian lain.")
            continue
        r.submit(ctx(op), pid)
        if target == Status.SUBMITTED:
            continue
        r.assign_reviewer(ctx(admin), pid, reviewer.account_id)
        if target == Status.REVISION_REQUESTED:
            r.request_revision(ctx(admin), pid, "Perjelas metode sampling dan rincian RAB.")
            continue
        r.score(ctx(reviewer), pid, scores, "Relevan dengan agenda; RAB wajar.")
        if target == Status.UNDER_REVIEW:
            continue
        if target == Status.REJECTED:
            r.reject(ctx(admin), pid, "Sudah dikaji BPKPD tahun lalu.")
            continue
        r.approve(ctx(admin), pid, "Layak didanai.", Decimal(15500000))
        if target == Status.APPROVED:
            continue
        r.start(ctx(op), pid, "kerja sama", today - timedelta(days=90), f"PKS/{i:02d}/{year}")
        r.report_progress(ctx(op), pid, "Pengumpulan data", 60, today - timedelta(days=30))
        if target == Status.EXECUTING:
            continue
        r.report_progress(ctx(op), pid, "Seminar hasil", 100, today - timedelta(days=10))
        brief = Output(
            output_id=uuid5(NAMESPACE, f"{pid}/brief"),
            kind=OutputKind.POLICY_BRIEF,
            title=f"Rekomendasi kebijakan: {title}",
            summary="Ringkasan temuan dan rekomendasi untuk perangkat daerah.",
            recommendations=(
                "Tetapkan standar layanan minimal di setiap kecamatan.",
                "Alokasikan anggaran pendampingan pada sub-kegiatan terkait.",
                "Integrasikan data lintas OPD dalam satu dasbor.",
            ),
        )
        report = Output(
            output_id=uuid5(NAMESPACE, f"{pid}/report"),
            kind=OutputKind.LAPORAN_AKHIR,
            title=f"Laporan akhir {title}",
            url="https://repositori.sragenkab.go.id/riset",
        )
        for output in (brief, report):
            r.add_output(ctx(op), pid, output)
            if blobs is not None:
                r.attach_output_file(ctx(op), pid, output.output_id, demo_pdf(blobs, output.title))
        r.complete(ctx(admin), pid, "Laporan akhir diterima.")
        if target == Status.COMPLETED:
            continue
        recipients = tuple(o.organisation_id for o in operators if o.organisation_id)
        r.disseminate(ctx(admin), pid, "Seminar hasil riset daerah", today, recipients)
        for op_ in operators[:2]:
            if op_.organisation_id is not None:
                r.record_follow_up(
                    ctx(admin),
                    pid,
                    brief.output_id,
                    0,
                    op_.organisation_id,
                    FollowUpStatus.DILAKSANAKAN,
                    "Masuk rencana kerja tahun depan.",
                )
        if innovations:
            r.link_innovation(ctx(admin), pid, innovations[0], LinkKind.ASAL_INOVASI)
    return ids


def seed_demo_research(
    store: EventStore,
    actors: dict[str, Actor],
    now: datetime,
    year: int,
    blobs: BlobStore | None = None,
    innovations: Sequence[UUID] = (),
) -> None:
    """The demo regency's research (``services.demo`` calls this with its demo accounts, its
    blob store and its published innovations)."""
    seed_research(
        store,
        admin=actors["admin"],
        reviewer=actors["penilai"],
        operators=[actors["operator.dinkes"], actors["operator"]],
        now=now,
        year=year,
        innovations=innovations,
        blobs=blobs,
    )
