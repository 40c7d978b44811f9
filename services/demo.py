"""Demo data: a realistic regency seeded through the real command handlers.

About 50 organisations (OPD, Puskesmas, BUMD, Kecamatan), one account per role with the
passwords documented in the README, an open annual call and an open Krenova call, and
innovations in every workflow status, so every page has something true to show.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from services import demo_care, demo_care_files, demo_monev
from services.blobs import BlobStore
from services.commands import Commands, account_id_for, organisation_id_for
from services.config import Settings
from services.domain import spd_rows
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import JAKARTA
from services.domain.lifecycle import Status
from services.domain.ministry import MinistryVerdict
from services.domain.values import (
    CallKind,
    Design,
    Document,
    DocumentKind,
    IndicatorVerdict,
    Initiator,
    InnovationForm,
    InnovationKind,
    KrenovaEntry,
    KrenovaField,
    OrganisationKind,
    ParticipantCategory,
    Profile,
    ProfilePatch,
    RevisionItem,
    SpdValues,
    Stage,
    Theme,
)
from services.identity.passwords import hash_password
from services.research.demo import seed_demo_research
from services.runtime import Runtime
from services.spd.service import SpdCommands
from services.startup import start_runtime

ORGANISATIONS: list[tuple[OrganisationKind, str, str]] = [
    (OrganisationKind.OPD, "BAPPEDA", "Badan Perencanaan Pembangunan, Riset dan Inovasi Daerah"),
    (OrganisationKind.OPD, "DISDIK", "Dinas Pendidikan dan Kebudayaan"),
    (OrganisationKind.OPD, "DINKES", "Dinas Kesehatan"),
    (OrganisationKind.OPD, "DPUPR", "Dinas Pekerjaan Umum dan Penataan Ruang"),
    (OrganisationKind.OPD, "DISPERKIM", "Dinas Perumahan dan Kawasan Permukiman"),
    (OrganisationKind.OPD, "SATPOLPP", "Satuan Polisi Pamong Praja"),
    (OrganisationKind.OPD, "DINSOS", "Dinas Sosial"),
    (OrganisationKind.OPD, "DISNAKER", "Dinas Tenaga Kerja"),
    (OrganisationKind.OPD, "DP3AKB", "Dinas Pemberdayaan Perempuan, Perlindungan Anak dan KB"),
    (OrganisationKind.OPD, "DKP", "Dinas Ketahanan Pangan"),
    (OrganisationKind.OPD, "DLH", "Dinas Lingkungan Hidup"),
    (OrganisationKind.OPD, "DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil"),
    (OrganisationKind.OPD, "DPMD", "Dinas Pemberdayaan Masyarakat dan Desa"),
    (OrganisationKind.OPD, "DISHUB", "Dinas Perhubungan"),
    (OrganisationKind.OPD, "DISKOMINFO", "Dinas Komunikasi dan Informatika"),
    (OrganisationKind.OPD, "DISKOPUKM", "Dinas Koperasi, Usaha Kecil dan Menengah"),
    (OrganisationKind.OPD, "DPMPTSP", "Dinas Penanaman Modal dan PTSP"),
    (OrganisationKind.OPD, "DISPORAPAR", "Dinas Pemuda, Olahraga dan Pariwisata"),
    (OrganisationKind.OPD, "DISARPUS", "Dinas Arsip dan Perpustakaan"),
    (OrganisationKind.OPD, "DISPERTAN", "Dinas Pertanian"),
    (OrganisationKind.OPD, "DISPERINDAG", "Dinas Perindustrian dan Perdagangan"),
    (OrganisationKind.OPD, "BPKPD", "Badan Pengelolaan Keuangan dan Pendapatan Daerah"),
    (OrganisationKind.OPD, "BKPSDM", "Badan Kepegawaian dan Pengembangan SDM"),
    (OrganisationKind.OPD, "BPBD", "Badan Penanggulangan Bencana Daerah"),
    (OrganisationKind.OPD, "INSPEKTORAT", "Inspektorat Daerah"),
    (OrganisationKind.OPD, "RSUD", "RSUD dr. Soehadi Prijonegoro"),
    (OrganisationKind.PUSKESMAS, "PKM-SRAGEN", "Puskesmas Sragen"),
    (OrganisationKind.PUSKESMAS, "PKM-KARANGMALANG", "Puskesmas Karangmalang"),
    (OrganisationKind.PUSKESMAS, "PKM-GEMOLONG", "Puskesmas Gemolong"),
    (OrganisationKind.PUSKESMAS, "PKM-SUMBERLAWANG", "Puskesmas Sumberlawang"),
    (OrganisationKind.PUSKESMAS, "PKM-TANON", "Puskesmas Tanon I"),
    (OrganisationKind.PUSKESMAS, "PKM-MASARAN", "Puskesmas Masaran I"),
    (OrganisationKind.PUSKESMAS, "PKM-SAMBUNGMACAN", "Puskesmas Sambungmacan I"),
    (OrganisationKind.PUSKESMAS, "PKM-KALIJAMBE", "Puskesmas Kalijambe"),
    (OrganisationKind.PUSKESMAS, "PKM-MONDOKAN", "Puskesmas Mondokan"),
    (OrganisationKind.PUSKESMAS, "PKM-GESI", "Puskesmas Gesi"),
    (OrganisationKind.BUMD, "PDAM", "Perumda Air Minum Tirto Negoro"),
    (OrganisationKind.BUMD, "BPR", "Perumda BPR Bank Djoko Tingkir"),
    (OrganisationKind.BUMD, "BKK", "PT BPR BKK Sragen"),
    (OrganisationKind.UPTD, "UPTD-LABKES", "UPTD Laboratorium Kesehatan"),
    (OrganisationKind.UPTD, "UPTD-PASAR", "UPTD Pengelolaan Pasar"),
    (OrganisationKind.KECAMATAN, "KEC-SRAGEN", "Kecamatan Sragen"),
    (OrganisationKind.KECAMATAN, "KEC-GEMOLONG", "Kecamatan Gemolong"),
    (OrganisationKind.KECAMATAN, "KEC-MASARAN", "Kecamatan Masaran"),
    (OrganisationKind.KECAMATAN, "KEC-TANGEN", "Kecamatan Tangen"),
    (OrganisationKind.KECAMATAN, "KEC-JENAR", "Kecamatan Jenar"),
    (OrganisationKind.KECAMATAN, "KEC-PLUPUH", "Kecamatan Plupuh"),
    (OrganisationKind.KECAMATAN, "KEC-KEDAWUNG", "Kecamatan Kedawung"),
    (OrganisationKind.KECAMATAN, "KEC-SIDOHARJO", "Kecamatan Sidoharjo"),
    (OrganisationKind.KECAMATAN, "KEC-NGRAMPAL", "Kecamatan Ngrampal"),
]

# username, password, role, organisation code, full name — documented in the README.
DEMO_ACCOUNTS: list[tuple[str, str, Role, str | None, str]] = [
    ("admin", "admin-demo-2025", Role.ADMIN, "BAPPEDA", "Admin Bappeda Litbang"),
    ("verifikator", "verifikator-demo-2025", Role.REVIEWER, "BAPPEDA", "Sri Wahyuni (Verifikator)"),
    ("penilai", "penilai-demo-2025", Role.REVIEWER, "BAPPEDA", "Bambang Sutrisno (Tim Penilai)"),
    ("operator", "operator-demo-2025", Role.OPERATOR, "DISDUKCAPIL", "Operator Disdukcapil"),
    ("operator.dinkes", "operator-demo-2025", Role.OPERATOR, "DINKES", "Operator Dinas Kesehatan"),
    (
        "operator.pkm",
        "operator-demo-2025",
        Role.OPERATOR,
        "PKM-SRAGEN",
        "Operator Puskesmas Sragen",
    ),
    ("auditor", "auditor-demo-2025", Role.AUDITOR, "INSPEKTORAT", "Auditor Inspektorat"),
    ("peserta", "peserta-demo-2025", Role.PARTICIPANT, None, "Rina Kartika (Peserta Krenova)"),
]

URUSAN = {
    "1.01": "Pendidikan",
    "1.02": "Kesehatan",
    "1.03": "Pekerjaan Umum dan Penataan Ruang",
    "1.04": "Perumahan Rakyat dan Kawasan Permukiman",
    "1.05": "Ketenteraman, Ketertiban Umum, dan Pelindungan Masyarakat",
    "1.06": "Sosial",
    "2.07": "Tenaga Kerja",
    "2.08": "Pemberdayaan Perempuan dan Pelindungan Anak",
    "2.09": "Pangan",
    "2.11": "Lingkungan Hidup",
    "2.12": "Administrasi Kependudukan dan Pencatatan Sipil",
    "2.15": "Perhubungan",
    "2.16": "Komunikasi dan Informatika",
    "2.17": "Koperasi, Usaha Kecil, dan Menengah",
    "2.18": "Penanaman Modal",
    "2.23": "Perpustakaan",
    "3.27": "Pertanian",
    "5.02": "Keuangan",
}

# (organisation, title, theme, urusan utama code of the IGA list): the basic-service urusan
# (1.01–1.06) are covered, so the gate on the count score is met by the demo regency.
TITLES = [
    ("DISDUKCAPIL", "Si Cepat Adminduk", Theme.DIGITALISASI_LAYANAN, "2.12"),
    ("DISDUKCAPIL", "Jemput Bola KTP-el Lansia", Theme.NON_TEMATIK, "2.12"),
    ("DISDUKCAPIL", "Akta Lahir Langsung dari Bidan", Theme.DIGITALISASI_LAYANAN, "2.12"),
    ("DINKES", "Sragen Sehat Ibu dan Anak (SIHATI)", Theme.PRIORITAS_AKTUAL_PRESIDEN, "1.02"),
    ("DINKES", "Gerakan Cegah Stunting Desa", Theme.PRIORITAS_AKTUAL_PRESIDEN, "1.02"),
    ("PKM-SRAGEN", "Posyandu Remaja Digital", Theme.DIGITALISASI_LAYANAN, "1.02"),
    ("PKM-GEMOLONG", "Kunjungan Rumah Pasien TB", Theme.NON_TEMATIK, "1.02"),
    ("DPMPTSP", "Izin Usaha Sehari Jadi", Theme.KEMUDAHAN_INVESTASI, "2.18"),
    ("DINSOS", "Data Terpadu Kemiskinan Desa", Theme.PENANGGULANGAN_KEMISKINAN, "1.06"),
    ("DISPERTAN", "Kartu Tani Pintar", Theme.PENANGGULANGAN_KEMISKINAN, "3.27"),
    ("DISKOMINFO", "Sragen Satu Data", Theme.DIGITALISASI_LAYANAN, "2.16"),
    ("BPKPD", "Bayar PBB Lewat Warung", Theme.DIGITALISASI_LAYANAN, "5.02"),
    ("DLH", "Bank Sampah Sekolah", Theme.NON_TEMATIK, "2.11"),
    ("DISHUB", "Parkir Non Tunai Alun-alun", Theme.DIGITALISASI_LAYANAN, "2.15"),
    ("PDAM", "Tagihan Air Lewat WhatsApp", Theme.DIGITALISASI_LAYANAN, "1.03"),
    ("DISDIK", "Guru Berbagi Modul Daring", Theme.NON_TEMATIK, "1.01"),
    ("KEC-GEMOLONG", "Layanan Kecamatan Tanpa Antre", Theme.DIGITALISASI_LAYANAN, "2.12"),
    ("DISKOPUKM", "Pasar UMKM Daring Sukowati", Theme.KEMUDAHAN_INVESTASI, "2.17"),
    ("BPBD", "Peringatan Dini Banjir Bengawan", Theme.NON_TEMATIK, "1.05"),
    ("RSUD", "Antrean Poli Daring", Theme.DIGITALISASI_LAYANAN, "1.02"),
    ("DP3AKB", "Rumah Aman Anak", Theme.NON_TEMATIK, "2.08"),
    ("DISNAKER", "Bursa Kerja Desa", Theme.PENANGGULANGAN_KEMISKINAN, "2.07"),
    ("DKP", "Lumbung Pangan Keluarga", Theme.PENANGGULANGAN_KEMISKINAN, "2.09"),
    ("DISARPUS", "Perpustakaan Keliling Desa", Theme.NON_TEMATIK, "2.23"),
    ("DISPERKIM", "Bedah Rumah Gotong Royong", Theme.PENANGGULANGAN_KEMISKINAN, "1.04"),
    ("DISDIK", "Sekolah Ramah Disabilitas", Theme.NON_TEMATIK, "1.01"),
    ("DINSOS", "Kartu Lansia Sejahtera", Theme.PENANGGULANGAN_KEMISKINAN, "1.06"),
    ("SATPOLPP", "Patroli Trantib Berbasis Aplikasi", Theme.DIGITALISASI_LAYANAN, "1.05"),
]

# The status each demo innovation ends in: every status at least once, and most of the year's
# approved innovations reported to IGA, as a regency does, so the index lands in a real band.
R, S = Status.REPORTED_TO_IGA, Status.SELECTED_FOR_IGA
TARGETS = [
    R, S, R, R, R, R, S, R, R, Status.APPROVED, Status.ESTABLISHED, R, Status.REJECTED, R,
    R, R, Status.SCORED, Status.UNDER_REVIEW, R, R, Status.REVISION_REQUESTED,
    Status.RESUBMITTED, Status.SUBMITTED, Status.DRAFT, R, Status.WITHDRAWN, R, R,
]  # fmt: skip

PARAGRAPH = (
    "Permasalahan pelayanan publik di Kabupaten Sragen selama ini ditandai oleh waktu layanan "
    "yang panjang, kunjungan berulang, dan data yang tersebar di beberapa perangkat daerah. "
    "Inovasi ini menyederhanakan alur layanan, memanfaatkan data yang sudah ada, dan melibatkan "
    "pemerintah desa, kader, serta masyarakat sehingga manfaatnya dapat dirasakan langsung. "
)


# Overlapping urusan (services/domain/reference/urusan.json) for a few innovations.
OTHER_URUSAN: dict[str, tuple[str, ...]] = {
    "Gerakan Cegah Stunting Desa": ("2.09", "2.13"),
    "Data Terpadu Kemiskinan Desa": ("2.12",),
    "Bank Sampah Sekolah": ("1.01",),
}


def _text(words: int, seed: int) -> str:
    base = PARAGRAPH.split()
    return " ".join(base[(i + seed) % len(base)] for i in range(words))


def _profile(title: str, theme: Theme, affair: str, rng: random.Random) -> Profile:
    stage = rng.choices([Stage.PENERAPAN, Stage.UJI_COBA, Stage.INISIATIF], weights=[86, 7, 7])[0]
    trial = date(2024, rng.randint(1, 12), rng.randint(1, 28))
    return Profile(
        title=title,
        stage=stage,
        initiator=rng.choice([Initiator.OPD, Initiator.ASN, Initiator.KEPALA_DAERAH]),
        initiator_name="Kepala Perangkat Daerah",
        kind=InnovationKind.DIGITAL
        if "Digital" in title or "Daring" in title or theme == Theme.DIGITALISASI_LAYANAN
        else InnovationKind.NON_DIGITAL,
        form=rng.choice([InnovationForm.PELAYANAN_PUBLIK, InnovationForm.TATA_KELOLA]),
        theme=theme,
        urusan=affair,
        urusan_lain=OTHER_URUSAN.get(title, ()),
        trial_date=trial if stage != Stage.INISIATIF else None,
        implementation_date=trial + timedelta(days=120) if stage == Stage.PENERAPAN else None,
        design=Design(
            legal_basis=_text(55, 1),
            problem=_text(60, 2),
            strategic_issue=_text(50, 3),
            method=_text(50, 4),
            novelty=_text(45, 5),
            how_it_works=_text(60, 6),
        ),
        goals="Mempercepat dan mempermudah layanan bagi warga.",
        benefits="Waktu dan biaya warga berkurang; data layanan lebih akurat.",
        results="Jumlah warga terlayani naik dan keluhan turun selama penerapan.",
    )


def _document(kind: DocumentKind, indicator: int | None, title: str, store: BlobStore) -> Document:
    """A small real PDF in the blob store, so downloads in the demo work."""
    body = (
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        "2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        f"% {title} — {kind} — indikator {indicator}\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    ).encode()
    stored = store.put_bytes(body)
    return Document(
        doc_id=uuid4(),
        kind=kind,
        name=f"{kind.value}-indikator-{indicator or 0}.pdf",
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        indicator=indicator,
    )


def is_empty(runtime: Runtime) -> bool:
    return runtime.store.max_notification_id() == 0


def seed_if_empty(settings: Settings) -> str | None:
    runtime = start_runtime(settings)
    try:
        if not is_empty(runtime):
            return None
        return _seed(runtime)
    finally:
        runtime.close()


def seed(settings: Settings) -> str:
    runtime = start_runtime(settings)
    try:
        return _seed(runtime)
    finally:
        runtime.close()


def _seed(runtime: Runtime) -> str:
    rng = random.Random(2025)
    c: Commands = runtime.commands
    blobs = BlobStore(runtime.settings.blob_path)
    now = datetime.now(UTC)
    system = Context(actor=Actor.system(), correlation_id="demo-seed", now=now)
    # Argon2 is slow on purpose (about a second here): hash each documented demo password once
    # and share the hash between the demo accounts that use it, so the demo starts quickly.
    hashed = functools.cache(hash_password)
    actors = _seed_accounts(c, system, hashed)
    admin = actors["admin"]
    demo_care.seed_heads(c, system, hashed)

    def ctx(actor: Actor) -> Context:
        return Context(actor=actor, correlation_id=f"demo-{uuid4().hex[:8]}", now=now)

    year = now.astimezone(JAKARTA).year  # the regency's budget year, not the server's zone
    annual, krenova = _open_calls(c, ctx, admin, now, year)
    operators = _seed_operators(c, system, actors, hashed)
    reviewers = [actors["verifikator"], actors["penilai"]]
    counts: dict[str, int] = {}
    published: list[UUID] = []  # research links the first as the innovation a study led to
    for index, (code, title, theme, affair) in enumerate(TITLES):
        target = TARGETS[index]
        iid = _drive(
            c,
            blobs,
            rng,
            annual,
            operators[code],
            admin,
            reviewers,
            title,
            theme,
            affair,
            target,
            ctx,
            year,
        )
        counts[str(c.innovation(iid).status)] = counts.get(str(c.innovation(iid).status), 0) + 1
        if c.innovation(iid).published:
            published.append(iid)
    _seed_spd(runtime, blobs, admin, year)
    demo_care.seed_mentoring(runtime, ctx, admin, hashed)
    demo_monev.seed_monev(runtime, ctx, admin)
    demo_care_files.seed_care_files(runtime, ctx, admin)
    seed_demo_research(runtime.store, actors, now, year, blobs, published[:1])
    _seed_krenova_entry(c, ctx(actors["peserta"]), krenova)
    by_status = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    return (
        f"Data demo terisi: {len(ORGANISATIONS)} organisasi, {len(DEMO_ACCOUNTS)} akun demo, "
        f"2 panggilan, {len(TITLES)} inovasi ({by_status}), 1 usulan Krenova."
    )


def _seed_accounts(c: Commands, system: Context, hashed: Callable[[str], str]) -> dict[str, Actor]:
    """The organisations and the documented demo accounts, as actors by username."""
    for kind, code, name in ORGANISATIONS:
        c.register_organisation(system, kind=kind, code=code, name=name)
    actors: dict[str, Actor] = {}
    for username, password, role, org_code, full_name in DEMO_ACCOUNTS:
        org = organisation_id_for(org_code) if org_code else None
        c.create_account(
            system,
            username=username,
            full_name=full_name,
            email=f"{username}@sragenkab.go.id",
            role=role,
            organisation_id=org,
            password_hash=hashed(password),
            phone="081234567890" if role == Role.PARTICIPANT else "",
        )
        actors[username] = Actor(
            account_id=account_id_for(username), role=role, organisation_id=org
        )
    return actors


def _open_calls(
    c: Commands, mk: Callable[[Actor], Context], admin: Actor, now: datetime, year: int
) -> tuple[UUID, UUID]:
    """This year's annual call (endorsement required) and the Krenova contest."""
    annual = c.open_call(
        mk(admin),
        kind=CallKind.ANNUAL,
        title=f"Inovasi Daerah Tahun {year}",
        budget_year=year,
        opens_at=now - timedelta(days=60),
        deadline=now + timedelta(days=21),
        eligible_kinds=("opd", "puskesmas", "bumd", "uptd", "kecamatan"),
        rubric_year=2025,
        required_documents=("sk",),
        threshold=100,
        description="Setiap perangkat daerah wajib mengusulkan minimal satu inovasi "
        "(Perbup Sragen 87/2021 pasal 38).",
        requires_endorsement=True,
    ).id
    krenova = c.open_call(
        mk(admin),
        kind=CallKind.KRENOVA,
        title=f"Krenova Sragen {year}",
        budget_year=year,
        opens_at=now - timedelta(days=20),
        deadline=now + timedelta(days=9, hours=5),
        eligible_kinds=("masyarakat",),
        rubric_year=2025,
        description="Lomba Kreativitas dan Inovasi Masyarakat. Perorangan atau kelompok "
        "(maksimal 5 orang).",
    ).id
    return annual, krenova


def _seed_operators(
    c: Commands, system: Context, actors: dict[str, Actor], hashed: Callable[[str], str]
) -> dict[str, Actor]:
    """One operator per proposing organisation (demo operators for the documented three)."""
    operators: dict[str, Actor] = {
        "DISDUKCAPIL": actors["operator"],
        "DINKES": actors["operator.dinkes"],
        "PKM-SRAGEN": actors["operator.pkm"],
    }
    for code, _title, _theme, _affair in TITLES:
        if code not in operators:
            username = f"op.{code.lower()}"
            org = organisation_id_for(code)
            c.create_account(
                system,
                username=username,
                full_name=f"Operator {code}",
                email=f"{username}@sragenkab.go.id",
                role=Role.OPERATOR,
                organisation_id=org,
                password_hash=hashed("operator-demo-2025"),
            )
            operators[code] = Actor(
                account_id=account_id_for(username), role=Role.OPERATOR, organisation_id=org
            )
    return operators


def _seed_krenova_entry(c: Commands, ctx: Context, krenova: UUID) -> None:
    """One group's Krenova entry, submitted."""
    entry = c.propose(
        ctx,
        call_id=krenova,
        profile=Profile(
            title="Alat Pengering Gabah Tenaga Surya",
            krenova=KrenovaEntry(
                field=KrenovaField.ENERGI,
                participant_category=ParticipantCategory.KELOMPOK,
                abstract="Pengering gabah murah berbahan kaca bekas dan panel surya kecil.",
                advantages="Biaya rendah, tidak bergantung cuaca.",
                benefits="Kualitas gabah petani naik; susut panen turun.",
                application="Diuji di Kelompok Tani Makmur, Desa Gesi.",
                video_url="https://video.example/pengering-gabah",
                members=("Rina Kartika", "Agus Salim", "Dewi Lestari"),
            ),
        ),
    ).id
    c.submit(ctx, entry)


def _drive(
    c: Commands,
    blobs: BlobStore,
    rng: random.Random,
    call_id: UUID,
    operator: Actor,
    admin: Actor,
    reviewers: list[Actor],
    title: str,
    theme: Theme,
    affair: str,
    target: Status,
    mk: Callable[[Actor], Context],
    year: int,
) -> UUID:
    """Walk one innovation along the lifecycle until it reaches ``target``."""
    op = mk(operator)
    iid = c.propose(op, call_id=call_id, profile=_profile(title, theme, affair, rng)).id
    if target == Status.WITHDRAWN:
        c.withdraw(op, iid, "Digabung dengan inovasi lain")
        return iid
    _claim_indicators(c, blobs, rng, op, iid, title)
    if target == Status.DRAFT:
        return iid
    demo_care.endorse(
        c, mk, operator, iid, lambda: _document(DocumentKind.ENDORSEMENT, None, title, blobs)
    )
    c.submit(op, iid)
    if target == Status.SUBMITTED:
        return iid
    reviewer = reviewers[rng.randrange(len(reviewers))]
    rev = mk(reviewer)
    assert reviewer.account_id is not None
    c.assign_reviewer(mk(admin), iid, reviewer.account_id)
    if target == Status.UNDER_REVIEW:
        return iid
    if target in (Status.REVISION_REQUESTED, Status.RESUBMITTED) or rng.random() < 0.3:
        c.request_revision(
            rev,
            iid,
            note="Lengkapi SK Kepala Daerah dan data jumlah pengguna.",
            items=[
                RevisionItem(kind="indicator", key="1", note="SK Kepala Daerah"),
                RevisionItem(kind="field", key="results", note="Sebutkan jumlah pengguna"),
            ],
        )
        if target == Status.REVISION_REQUESTED:
            return iid
        c.update_profile(
            op,
            iid,
            ProfilePatch(results="Sebanyak 2.150 warga terlayani pada tahun pertama penerapan."),
        )
        c.resubmit(op, iid, "SK dan data pengguna sudah dilengkapi.")
        if target == Status.RESUBMITTED:
            return iid
    innovation = c.innovation(iid)
    for state in list(innovation.documents.values()):
        c.verify_document(rev, iid, state.document.doc_id, accepted=True, note="Sesuai")
    verdicts = [
        IndicatorVerdict(no=no, level=claim.level, note="Sesuai bukti dukung")
        for no, claim in sorted(c.innovation(iid).claims.items())
    ]
    c.score(rev, iid, verdicts)
    if target == Status.SCORED:
        return iid
    _decide_and_report(c, rng, mk(admin), iid, target, year)
    return iid


def _claim_indicators(
    c: Commands, blobs: BlobStore, rng: random.Random, op: Context, iid: UUID, title: str
) -> None:
    """Each claimed indicator with one document as its evidence."""
    # The mandatory indicators and, as real submissions do, most of the others: verified
    # maturity then spreads over about 55–95 of 111, like the innovations regencies report.
    optional = [no for no in (4, 5, 6, 9, 10, 12, 13, 14, 15, 16, 19) if rng.random() < 0.7]
    for no in (1, 2, 3, 17, 18, 20, *optional):
        kind = (
            DocumentKind.SK
            if no in (1, 2)
            else (DocumentKind.BUDGET if no == 3 else DocumentKind.REPORT)
        )
        doc = _document(kind, no, title, blobs)
        c.attach_document(op, iid, doc)
        c.claim_indicator(op, iid, no=no, level=rng.choice([2, 3, 3]), evidence=[doc.doc_id])


def _decide_and_report(
    c: Commands, rng: random.Random, a: Context, iid: UUID, target: Status, year: int
) -> None:
    """From a scored innovation on: the admin's decision, SK, publication and the IGA report."""
    if target == Status.REJECTED:
        c.reject(a, iid, "Belum menunjukkan kebaruan dibanding layanan sebelumnya.")
        return
    c.approve(a, iid, "Layak ditetapkan.")
    if target == Status.APPROVED:
        return
    c.establish(a, iid, sk_number=f"188/{rng.randint(100, 999)}/{year}", sk_date=date(year, 1, 15))
    c.publish(a, iid)
    if target == Status.ESTABLISHED:
        return
    c.select_for_iga(a, iid, year)
    if target == Status.SELECTED_FOR_IGA:
        return
    c.report_to_iga(a, iid, year=year, report_id=uuid4())
    # What Kemendagri decided on it (by hand here; a real Bappeda imports the download).
    c.record_ministry_verdict(a, iid, year=year, verdict=MinistryVerdict.ACCEPTED)


# The demo SPD sheet: a few rows owned, filled and some verified, the rest still open.
SPD_DEMO: list[tuple[str, str, SpdValues, str]] = [
    ("4", "BAPPEDA", SpdValues(t1=Decimal("38500000"), t2=Decimal("36900000")), "verified"),
    ("5b", "BAPPEDA", SpdValues(t1=Decimal("4.12")), "verified"),
    ("7", "BPKPD", SpdValues(t1=Decimal("412000000000"), t2=Decimal("371000000000")), "submitted"),
    ("8", "INSPEKTORAT", SpdValues(choice="wtp"), "filled"),
    ("3", "DPMPTSP", SpdValues(), "assigned"),
]


def _seed_spd(runtime: Runtime, blobs: BlobStore, admin: Actor, year: int) -> None:
    if year not in spd_rows.known_years():
        return  # no SPD catalogue for this year yet
    spd = SpdCommands(runtime.store)
    reviewer = Context(actor=admin, correlation_id="demo-seed")
    for no, org_code, values, stage in SPD_DEMO:
        ctx = Context(actor=admin, correlation_id="demo-seed")
        spd.fill(ctx, year, no, values, assign=True, owner=organisation_id_for(org_code))
        if stage in ("assigned", "filled"):
            continue
        spd.attach(ctx, year, no, _document(DocumentKind.REPORT, None, f"SPD {year} {no}", blobs))
        spd.submit(ctx, year, no)
        if stage == "verified":
            spd.verify(reviewer, year, no, accepted=True, note="")
