"""Seeded, realistic season data for the benchmarks: N regencies, one annual call each.

Per regency: the demo's ~50 organisations (OPD, Puskesmas, BUMD, UPTD, Kecamatan, codes prefixed
with the regency), one operator per organisation, three Bappeda verifiers plus one outside
Bappeda (for Bappeda's own innovations: conflict of interest), an admin, and ~600 innovations
(``--per-regency``) that live a real season: proposed (most at the *penerapan* stage), profile
edits, supporting documents and self-assessed indicators, submission before the deadline (some
stay drafts, a few are withdrawn), assignment, document verification (some rejected), revision
rounds, scoring, recommendation, approval or rejection, SK, stage advances, publication and IGA
selection — about 33 events per innovation, so one regency is ~20,000 events and 50 regencies
(the "national" scale) ~1,000,000.

Everything goes through the real domain and the real store: organisations, accounts and calls
through ``Commands``; innovations through the ``Innovation`` aggregate's own commands (every rule
checked, events built by the aggregate), saved with ``EventStore.save`` — the real msgspec mapper
and the real recorder, hash chain included — many aggregates per transaction, one lifecycle phase
at a time across all innovations, so each stream is spread over the whole log and the log's
timestamps rise with its notification ids over a 300-day season ending yesterday.

Usage::

    uv run python bench/datagen.py --database-url postgresql://… --regencies 1 [--verify]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.commands import Commands, account_id_for, organisation_id_for  # noqa: E402
from services.domain.actor import Actor, Role  # noqa: E402
from services.domain.aggregate import Context  # noqa: E402
from services.domain.call import Call  # noqa: E402
from services.domain.innovation import Innovation  # noqa: E402
from services.domain.rubric import load_rubric  # noqa: E402
from services.domain.values import (  # noqa: E402
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
    ProfilePatch,
    RevisionItem,
    Stage,
    Theme,
)
from services.eventstore.store import EventStore  # noqa: E402

PER_REGENCY = 600
CHUNK = 400  # aggregates per save (one transaction)
SEASON_DAYS = 300
RUBRIC_YEAR = 2025
PASSWORD = "bench-sirisma-2026"  # every generated account's password (documented in the report)
MANDATORY = (1, 2, 17, 18, 20)
OPTIONAL = (3, 4, 6, 10, 12, 13, 15, 19)

REGENCIES = [
    "Sragen",
    "Boyolali",
    "Klaten",
    "Sukoharjo",
    "Wonogiri",
    "Karanganyar",
    "Grobogan",
    "Blora",
    "Rembang",
    "Pati",
    "Kudus",
    "Jepara",
    "Demak",
    "Semarang",
    "Temanggung",
    "Kendal",
    "Batang",
    "Pekalongan",
    "Pemalang",
    "Tegal",
    "Brebes",
    "Cilacap",
    "Banyumas",
    "Purbalingga",
    "Banjarnegara",
    "Kebumen",
    "Purworejo",
    "Wonosobo",
    "Magelang",
    "Sleman",
    "Bantul",
    "Gunungkidul",
    "Kulon Progo",
    "Ngawi",
    "Madiun",
    "Magetan",
    "Ponorogo",
    "Pacitan",
    "Trenggalek",
    "Tulungagung",
    "Blitar",
    "Kediri",
    "Malang",
    "Lumajang",
    "Jember",
    "Banyuwangi",
    "Bondowoso",
    "Situbondo",
    "Probolinggo",
    "Pasuruan",
    "Sidoarjo",
    "Mojokerto",
    "Jombang",
    "Nganjuk",
]

PREFIXES = [
    "Si",
    "Gerakan",
    "Layanan",
    "Sistem",
    "Jemput Bola",
    "Gerai",
    "Kampung",
    "Rumah",
    "Sekolah",
    "Pasar",
    "Desa",
    "Kartu",
    "Aplikasi",
    "Program",
    "Posyandu",
    "Klinik",
    "Bank",
    "Lumbung",
]
SUBJECTS = [
    "Adminduk",
    "Stunting",
    "Lansia",
    "Sampah",
    "Perizinan",
    "UMKM",
    "Pajak Daerah",
    "Air Bersih",
    "Kesehatan Ibu",
    "Anak Sekolah",
    "Petani",
    "Nelayan",
    "Pengaduan",
    "Data Kemiskinan",
    "Bencana",
    "Pariwisata",
    "Perpustakaan",
    "Imunisasi",
    "Gizi",
    "Ketahanan Pangan",
    "Disabilitas",
    "Ketenagakerjaan",
    "Arsip",
    "Parkir",
    "Pasar Rakyat",
    "Sanitasi",
    "Literasi",
    "Tuberkulosis",
]
QUALIFIERS = [
    "Digital",
    "Terpadu",
    "Tanpa Antre",
    "Satu Hari",
    "Daring",
    "Keliling",
    "Cerdas",
    "Mandiri",
    "Ramah",
    "Cepat",
    "Sehat",
    "Berdaya",
    "Lestari",
    "Tangguh",
]
PARAGRAPH = (
    "Permasalahan pelayanan publik di daerah ini ditandai oleh waktu layanan yang panjang, "
    "kunjungan berulang, dan data yang tersebar di beberapa perangkat daerah. Inovasi ini "
    "menyederhanakan alur layanan, memanfaatkan data yang sudah ada, dan melibatkan pemerintah "
    "desa, kader, serta masyarakat sehingga manfaatnya dapat dirasakan langsung oleh warga. "
)
_WORDS = PARAGRAPH.split()
_TEXTS = [" ".join(_WORDS[(i + s) % len(_WORDS)] for i in range(60)) for s in range(16)]
THEMES = list(Theme)
# Main urusan codes: the six basic-service urusan weighted in, as a regency's list tends to be.
URUSAN_CODES = ["1.01", "1.02", "1.03", "1.04", "1.05", "1.06", "1.02", "2.12", "2.16", "3.27"]


class Summary(msgspec.Struct):
    regencies: int
    organisations: int
    accounts: int
    calls: int
    innovations: int
    events: int
    head: int
    seconds: float
    statuses: dict[str, int]
    stages: dict[str, int]


@dataclass
class Regency:
    code: str
    name: str
    organisations: list[tuple[UUID, OrganisationKind, str]] = field(default_factory=list)
    operators: dict[UUID, Actor] = field(default_factory=dict)  # organisation → operator
    operator_names: dict[UUID, str] = field(default_factory=dict)  # organisation → username
    reviewers: list[tuple[Actor, str]] = field(default_factory=list)  # Bappeda verifiers
    outside_reviewer: tuple[Actor, str] | None = None
    admin: Actor | None = None
    bappeda: UUID | None = None
    call: Call | None = None


@dataclass
class Plan:
    """What one innovation will live through, drawn once from the seeded generator."""

    innovation: Innovation
    regency: Regency
    operator: Actor
    edits: int
    documents: list[tuple[int | None, DocumentKind]]
    submits: bool
    withdraws: bool
    revisions: int
    outcome: str  # "none" | "review" | "scored" | "approve" | "reject"
    establish: bool
    publish: bool
    iga: bool
    advance: bool
    reviewer: tuple[Actor, str] | None = None


class Clock:
    """Phase windows inside the season; within a phase, time rises with each command."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.now = start

    def window(self, first_day: float, last_day: float, count: int) -> Callable[[int], datetime]:
        begin = self.start + timedelta(days=first_day)
        step = timedelta(days=last_day - first_day) / max(count, 1)

        def at(i: int) -> datetime:
            moment = begin + step * i
            self.now = max(self.now + timedelta(milliseconds=1), moment)
            return self.now

        return at


class SeededIds:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)


def _orgs() -> list[tuple[OrganisationKind, str, str]]:
    from services.demo import ORGANISATIONS

    return list(ORGANISATIONS)


def setup_regencies(
    commands: Commands, count: int, start: datetime, password_hash: str
) -> list[Regency]:
    """Organisations, accounts and one open annual call per regency, through ``Commands``."""
    regencies: list[Regency] = []
    system = Context(actor=Actor.system(), correlation_id="bench-setup", now=start)
    for r in range(count):
        name = REGENCIES[r % len(REGENCIES)] + ("" if r < len(REGENCIES) else f" {r}")
        regency = Regency(code=f"R{r + 1:02d}", name=name)
        for kind, code, org_name in _orgs():
            full_code = f"{regency.code}-{code}"
            oid = commands.register_organisation(
                system, kind=kind, code=full_code, name=f"{org_name} Kab. {name}"
            ).id
            regency.organisations.append((oid, kind, code))
            if code == "BAPPEDA":
                regency.bappeda = oid
        assert regency.bappeda is not None

        def account(username: str, role: Role, org: UUID, full_name: str) -> Actor:
            commands.create_account(
                system,
                username=username,
                full_name=full_name,
                email=f"{username}@bench.sirisma.local",
                role=role,
                organisation_id=org,
                password_hash=password_hash,
            )
            return Actor(account_id=account_id_for(username), role=role, organisation_id=org)

        for oid, _, code in regency.organisations:
            username = f"op.{regency.code}.{code}".lower()
            regency.operators[oid] = account(
                username, Role.OPERATOR, oid, f"Operator {code} {regency.name}"
            )
            regency.operator_names[oid] = username
        for k in range(3):
            username = f"rev{k + 1}.{regency.code}".lower()
            actor = account(username, Role.REVIEWER, regency.bappeda, f"Verifikator {k + 1}")
            regency.reviewers.append((actor, f"Verifikator {k + 1} {regency.name}"))
        kominfo = organisation_id_for(f"{regency.code}-DISKOMINFO")
        username = f"rev.luar.{regency.code}".lower()
        regency.outside_reviewer = (
            account(username, Role.REVIEWER, kominfo, "Verifikator Luar Bappeda"),
            "Verifikator Luar Bappeda",
        )
        regency.admin = account(
            f"admin.{regency.code}".lower(), Role.ADMIN, regency.bappeda, f"Admin {regency.name}"
        )
        account(f"auditor.{regency.code}".lower(), Role.AUDITOR, regency.bappeda, "Auditor")
        admin_ctx = Context(actor=regency.admin, correlation_id="bench-setup", now=start)
        call_id = commands.open_call(
            admin_ctx,
            kind=CallKind.ANNUAL,
            title=f"Inovasi Daerah {start.year + (1 if start.month > 6 else 0)} — {regency.name}",
            budget_year=(start + timedelta(days=SEASON_DAYS // 2)).year,
            opens_at=start + timedelta(days=5),
            deadline=start + timedelta(days=180),
            eligible_kinds=("opd", "puskesmas", "bumd", "uptd", "kecamatan"),
            rubric_year=RUBRIC_YEAR,
            required_documents=("sk",),
            threshold=60,
        ).id
        regency.call = commands.call(call_id)
        regencies.append(regency)
    return regencies


def _profile(rng: random.Random, serial: int) -> Profile:
    stage = rng.choices([Stage.PENERAPAN, Stage.UJI_COBA, Stage.INISIATIF], weights=[72, 18, 10])[0]
    title = (
        f"{rng.choice(PREFIXES)} {rng.choice(SUBJECTS)} {rng.choice(QUALIFIERS)} {serial % 997 + 1}"
    )
    theme = rng.choice(THEMES)
    trial = date(2025, rng.randint(1, 12), rng.randint(1, 28))
    apbd = rng.random() < 0.55
    return Profile(
        title=title,
        stage=stage,
        initiator=rng.choice(list(Initiator)),
        initiator_name="Kepala Perangkat Daerah",
        kind=rng.choice(list(InnovationKind)),
        form=rng.choice([InnovationForm.PELAYANAN_PUBLIK, InnovationForm.TATA_KELOLA]),
        theme=theme,
        # Valid codes (services/domain/reference/urusan.json), mostly the six basic-service urusan.
        urusan=rng.choice(URUSAN_CODES),
        trial_date=trial if stage != Stage.INISIATIF else None,
        implementation_date=trial + timedelta(days=120) if stage == Stage.PENERAPAN else None,
        design=Design(
            legal_basis=_TEXTS[rng.randrange(16)],
            problem=_TEXTS[rng.randrange(16)],
            strategic_issue=_TEXTS[rng.randrange(16)],
            method=_TEXTS[rng.randrange(16)],
            novelty=_TEXTS[rng.randrange(16)],
            how_it_works=_TEXTS[rng.randrange(16)],
        ),
        goals="Mempercepat dan mempermudah layanan bagi warga.",
        benefits="Waktu dan biaya warga berkurang; data layanan lebih akurat.",
        results="Jumlah warga terlayani naik dan keluhan turun selama penerapan.",
        budget=Budget(apbd_t0=Decimal(rng.randint(10, 900) * 1_000_000)) if apbd else Budget(),
    )


def _document(
    ids: SeededIds, rng: random.Random, kind: DocumentKind, indicator: int | None
) -> Document:
    digest = f"{rng.getrandbits(256):064x}"
    return Document(
        doc_id=ids(),
        kind=kind,
        name=f"{kind}-indikator-{indicator or 0}.pdf",
        content_type="application/pdf",
        size=rng.randint(40_000, 4_000_000),
        sha256=digest,
        storage_key=f"{digest[:2]}/{digest}",
        indicator=indicator,
    )


def _plan(
    rng: random.Random, ids: SeededIds, regency: Regency, org: UUID, serial: int, at: datetime
) -> Plan:
    operator = regency.operators[org]
    assert regency.call is not None
    ctx = Context(actor=operator, correlation_id=f"bench-{serial}", now=at)
    kind = next(k for o, k, _ in regency.organisations if o == org)
    innovation = Innovation.propose(
        ctx,
        ids(),
        call=regency.call,
        organisation_id=org,
        submitter_kind=str(kind),
        profile=_profile(rng, serial),
    )
    documents: list[tuple[int | None, DocumentKind]] = [
        (no, DocumentKind.SK if no == 1 else DocumentKind.REPORT) for no in MANDATORY
    ]
    for no in rng.sample(OPTIONAL, rng.randint(0, 4)):
        documents.append((no, DocumentKind.BUDGET if no == 3 else DocumentKind.REPORT))
    submits = rng.random() < 0.88
    roll = rng.random()
    outcome = (
        "review"
        if roll < 0.08
        else "scored"
        if roll < 0.14
        else "reject"
        if roll < 0.26
        else "approve"
    )
    reviewer = regency.outside_reviewer if org == regency.bappeda else rng.choice(regency.reviewers)
    return Plan(
        innovation=innovation,
        regency=regency,
        operator=operator,
        edits=rng.randint(2, 7),
        documents=documents,
        submits=submits,
        withdraws=not submits and rng.random() < 0.3,
        revisions=rng.choices([0, 1, 2], weights=[50, 38, 12])[0] if submits else 0,
        outcome=outcome if submits else "none",
        establish=rng.random() < 0.8,
        publish=rng.random() < 0.85,
        iga=rng.random() < 0.3,
        advance=rng.random() < 0.35,
        reviewer=reviewer,
    )


def generate(
    store: EventStore,
    regencies: int = 1,
    per_regency: int = PER_REGENCY,
    seed: int = 2026,
    progress: Callable[[str, int], None] | None = None,
    end: datetime | None = None,
    keep: list[Regency] | None = None,
) -> Summary:
    """Seed ``regencies`` × ``per_regency`` innovations with their whole season (see module doc).
    ``keep``: a list the regencies (ids of their organisations, accounts and call) are added to,
    for a bench that drives them afterwards."""
    from services.identity.passwords import hash_password

    started = time.perf_counter()
    rng = random.Random(seed)
    ids = SeededIds(random.Random(seed + 1))
    end = end or (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    clock = Clock(end - timedelta(days=SEASON_DAYS))
    commands = Commands(store)
    password_hash = hash_password(PASSWORD)  # argon2 once; every account shares it
    regions = setup_regencies(commands, regencies, clock.start, password_hash)
    if keep is not None:
        keep.extend(regions)
    rubric = load_rubric(RUBRIC_YEAR)
    events = 0

    def save(plans: list[Plan]) -> None:
        nonlocal events
        for begin in range(0, len(plans), CHUNK):
            part = [
                p.innovation for p in plans[begin : begin + CHUNK] if p.innovation.pending_events
            ]
            if part:
                events += sum(len(a.pending_events) for a in part)
                store.save(*part)

    # Phase 1: proposals, spread over the organisations (bigger OPDs propose more).
    total = regencies * per_regency
    at = clock.window(10, 60, total)
    plans: list[Plan] = []
    serial = 0
    for regency in regions:
        weights = [3 if k == OrganisationKind.OPD else 1 for _, k, _ in regency.organisations]
        orgs = rng.choices([o for o, _, _ in regency.organisations], weights=weights, k=per_regency)
        for org in orgs:
            plans.append(_plan(rng, ids, regency, org, serial, at(serial)))
            serial += 1
    rng.shuffle(plans)  # regencies propose at the same time of year
    save(plans)
    if progress:
        progress("proposed", events)

    def ctx(actor: Actor, when: datetime) -> Context:
        return Context(actor=actor, correlation_id=f"bench-{rng.getrandbits(32):08x}", now=when)

    def phase(
        name: str, days: tuple[float, float], act: Callable[[Plan, Callable[[], datetime]], None]
    ) -> None:
        at = clock.window(days[0], days[1], len(plans))
        for i, plan in enumerate(plans):
            base = at(i)
            ticks = iter(range(1, 10_000))

            def when(base: datetime = base, ticks: Any = ticks) -> datetime:
                moment = base + timedelta(seconds=next(ticks))
                clock.now = max(clock.now, moment)
                return moment

            act(plan, when)
        save(plans)
        if progress:
            progress(name, events)

    def drafting(p: Plan, when: Callable[[], datetime]) -> None:
        for k in range(p.edits):
            patch = (
                ProfilePatch(goals=f"Tujuan diperbarui ({k + 1}): layanan lebih cepat dan murah.")
                if k % 2 == 0
                else ProfilePatch(
                    results=f"Hasil terukur tahap {k + 1}: {rng.randint(100, 9000)} warga."
                )
            )
            p.innovation.update_profile(ctx(p.operator, when()), patch)

    def attach_as_evidence(p: Plan, when: Callable[[], datetime], doc: Document) -> None:
        """A replacement file, claimed again as its indicator's evidence (at level 3)."""
        p.innovation.attach_document(ctx(p.operator, when()), doc, rubric)
        if doc.indicator is not None:
            p.innovation.claim_indicator(
                ctx(p.operator, when()), rubric, no=doc.indicator, level=3, evidence=[doc.doc_id]
            )

    def documents(p: Plan, when: Callable[[], datetime]) -> None:
        inn = p.innovation
        for no, kind in p.documents:
            doc = _document(ids, rng, kind, no)
            inn.attach_document(ctx(p.operator, when()), doc, rubric)
            level = rng.choices([1, 2, 3], weights=[20, 35, 45])[0]
            inn.claim_indicator(
                ctx(p.operator, when()), rubric, no=no or 1, level=level, evidence=[doc.doc_id]
            )
        if rng.random() < 0.08:  # a wrong file replaced
            victim = next(iter(inn.documents))
            inn.remove_document(ctx(p.operator, when()), victim, "Salah unggah berkas")
            original = inn.documents[victim].document
            doc = _document(ids, rng, original.kind, original.indicator)
            attach_as_evidence(p, when, doc)

    def submit(p: Plan, when: Callable[[], datetime]) -> None:
        assert p.regency.call is not None
        if p.submits:
            p.innovation.submit(ctx(p.operator, when()), p.regency.call, rubric)
        elif p.withdraws:
            p.innovation.withdraw(ctx(p.operator, when()), "Belum siap tahun ini")

    def review(p: Plan, when: Callable[[], datetime]) -> None:
        if not p.submits or p.reviewer is None:
            return
        admin = p.regency.admin
        assert admin is not None
        reviewer, name = p.reviewer
        assert reviewer.account_id is not None
        p.innovation.assign_reviewer(
            ctx(admin, when()),
            reviewer_id=reviewer.account_id,
            reviewer_organisation_id=reviewer.organisation_id,
            reviewer_name=name,
        )
        _verify_pending(p, when, reject_share=0.12 if p.revisions else 0.0)

    def _verify_pending(p: Plan, when: Callable[[], datetime], reject_share: float) -> None:
        assert p.reviewer is not None
        for doc_id, state in list(p.innovation.documents.items()):
            if state.removed or state.verdict != "pending":
                continue
            accepted = rng.random() >= reject_share
            p.innovation.verify_document(
                ctx(p.reviewer[0], when()),
                doc_id=doc_id,
                accepted=accepted,
                note="Sesuai" if accepted else "Dokumen tidak terbaca / bukan versi final",
            )

    def revision(round_no: int) -> Callable[[Plan, Callable[[], datetime]], None]:
        def act(p: Plan, when: Callable[[], datetime]) -> None:
            if p.revisions < round_no or p.reviewer is None:
                return
            p.innovation.request_revision(
                ctx(p.reviewer[0], when()),
                note=f"Perbaikan putaran {round_no}: lengkapi bukti dan perjelas hasil.",
                items=[
                    RevisionItem(kind="indicator", key="18", note="Data penerima manfaat"),
                    RevisionItem(kind="field", key="results", note="Sebutkan angka"),
                ],
            )

        return act

    def revise(round_no: int) -> Callable[[Plan, Callable[[], datetime]], None]:
        def act(p: Plan, when: Callable[[], datetime]) -> None:
            if p.revisions < round_no:
                return
            inn = p.innovation
            assert p.regency.call is not None
            inn.update_profile(
                ctx(p.operator, when()),
                ProfilePatch(
                    results=f"Hasil (revisi {round_no}): {rng.randint(500, 20000)} warga terlayani."
                ),
            )
            for doc_id, state in list(inn.documents.items()):
                if state.removed or state.verdict != "rejected":
                    continue
                old = state.document
                doc = msgspec.structs.replace(
                    _document(ids, rng, old.kind, old.indicator), replaces=doc_id
                )
                attach_as_evidence(p, when, doc)
            inn.resubmit(ctx(p.operator, when()), p.regency.call, rubric, note="Sudah diperbaiki")
            _verify_pending(p, when, reject_share=0.1 if p.revisions > round_no else 0.0)

        return act

    def score(p: Plan, when: Callable[[], datetime]) -> None:
        if p.outcome in ("none", "review") or p.reviewer is None:
            return
        claimed = sorted({no for no, _ in p.documents if no is not None})
        verdicts = [IndicatorVerdict(no=no, level=rng.choice((1, 2, 3, 3))) for no in claimed]
        p.innovation.score(ctx(p.reviewer[0], when()), rubric, verdicts)
        if p.outcome != "scored":
            p.innovation.recommend(
                ctx(p.reviewer[0], when()),
                recommendation="reject" if p.outcome == "reject" else "approve",
                note="Rekomendasi tim penilai",
            )

    def decide(p: Plan, when: Callable[[], datetime]) -> None:
        admin = p.regency.admin
        assert admin is not None
        if p.outcome == "approve":
            p.innovation.approve(ctx(admin, when()), rubric, "Memenuhi ambang kematangan")
        elif p.outcome == "reject":
            p.innovation.reject(ctx(admin, when()), "Belum memenuhi ambang kematangan")

    def establish(p: Plan, when: Callable[[], datetime]) -> None:
        admin = p.regency.admin
        assert admin is not None
        inn = p.innovation
        if p.outcome != "approve" or not p.establish:
            return
        inn.establish(
            ctx(admin, when()),
            sk_number=f"188/{rng.randint(1, 999)}/{p.regency.code}/{clock.now.year}",
            sk_date=clock.now.date(),
        )
        if p.advance and inn.profile.stage in (Stage.INISIATIF, Stage.UJI_COBA):
            nxt = Stage.UJI_COBA if inn.profile.stage == Stage.INISIATIF else Stage.PENERAPAN
            inn.advance_stage(ctx(admin, when()), to_stage=nxt, on=clock.now.date())
        if p.publish:
            inn.publish(ctx(admin, when()))

    def iga(p: Plan, when: Callable[[], datetime]) -> None:
        admin = p.regency.admin
        assert admin is not None
        if p.outcome == "approve" and p.establish and p.iga:
            p.innovation.select_for_iga(ctx(admin, when()), clock.now.year)

    phase("drafted", (60, 110), drafting)
    phase("documents", (110, 150), documents)
    phase("submitted", (150, 175), submit)
    phase("reviewed", (180, 200), review)
    phase("revision 1", (200, 210), revision(1))
    phase("revised 1", (210, 225), revise(1))
    phase("revision 2", (225, 230), revision(2))
    phase("revised 2", (230, 245), revise(2))
    phase("scored", (245, 262), score)
    phase("decided", (262, 272), decide)
    phase("established", (272, 288), establish)
    phase("iga", (288, 298), iga)

    statuses: dict[str, int] = {}
    stages: dict[str, int] = {}
    for p in plans:
        statuses[str(p.innovation.status)] = statuses.get(str(p.innovation.status), 0) + 1
        stage = str(p.innovation.profile.stage)
        stages[stage] = stages.get(stage, 0) + 1
    organisations = sum(len(r.organisations) for r in regions)
    return Summary(
        regencies=regencies,
        organisations=organisations,
        accounts=sum(len(r.operators) + len(r.reviewers) + 3 for r in regions),
        calls=len(regions),
        innovations=len(plans),
        events=store.max_notification_id(),
        head=store.max_notification_id(),
        seconds=round(time.perf_counter() - started, 1),
        statuses=dict(sorted(statuses.items(), key=lambda kv: -kv[1])),
        stages=stages,
    )


def verify(store: EventStore) -> Any:
    """``sirisma audit verify``'s check: every stored event's chain link, recomputed."""
    from services.audit.integrity import verify_store

    return verify_store(store)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--regencies", type=int, default=1)
    parser.add_argument("--per-regency", type=int, default=PER_REGENCY)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--verify", action="store_true", help="recompute the hash chain after")
    args = parser.parse_args(argv)
    import tempfile

    from services.config import load_settings

    settings = load_settings(
        env={}, data_dir=tempfile.mkdtemp(prefix="sirisma-datagen-"), database_url=args.database_url
    )
    store = EventStore(settings)
    try:
        summary = generate(
            store,
            args.regencies,
            args.per_regency,
            args.seed,
            progress=lambda name, n: print(f"  {name:<12} {n:>9} events", flush=True),
        )
        print(msgspec.json.format(msgspec.json.encode(summary)).decode())
        if args.verify:
            report = verify(store)
            print(report.message)
            return 0 if report.ok else 1
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
