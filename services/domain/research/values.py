"""Value objects of riset daerah: the research agenda's themes and a proposal's parts.

Enumerations use the Indonesian slugs of Permendagri 17/2016 practice, as the innovation
profile does with the IID form.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import msgspec


class ResearchKind(StrEnum):
    """Jenis kegiatan kelitbangan (Permendagri 17/2016)."""

    PENELITIAN = "penelitian"
    PENGKAJIAN = "pengkajian"
    PENGEMBANGAN = "pengembangan"
    PEREKAYASAAN = "perekayasaan"
    PENERAPAN = "penerapan"
    EVALUASI_KEBIJAKAN = "evaluasi_kebijakan"


KIND_LABELS = {
    ResearchKind.PENELITIAN: "Penelitian",
    ResearchKind.PENGKAJIAN: "Pengkajian",
    ResearchKind.PENGEMBANGAN: "Pengembangan",
    ResearchKind.PEREKAYASAAN: "Perekayasaan",
    ResearchKind.PENERAPAN: "Penerapan",
    ResearchKind.EVALUASI_KEBIJAKAN: "Evaluasi kebijakan",
}


class AgendaStatus(StrEnum):
    """The RIPJ PID / agenda document's standing: what SPD 14 reads (level 1, 2, 3)."""

    RANCANGAN = "rancangan"
    DISEPAKATI = "disepakati"
    DITETAPKAN = "ditetapkan"


AGENDA_STATUS_LABELS = {
    AgendaStatus.RANCANGAN: "Rancangan",
    AgendaStatus.DISEPAKATI: "Disepakati",
    AgendaStatus.DITETAPKAN: "Ditetapkan Perkada",
}


class Priority(StrEnum):
    TINGGI = "tinggi"
    SEDANG = "sedang"
    RENDAH = "rendah"


class Theme(msgspec.Struct, frozen=True, kw_only=True):
    """One theme of the year's agenda and the planning goals it serves."""

    code: str
    title: str
    priority: Priority = Priority.SEDANG
    rpjmd_goal: str = ""  # misi/sasaran RPJMD
    rkpd_goal: str = ""  # prioritas RKPD tahun ini
    urusan: str = ""  # kode urusan pemerintahan
    description: str = ""


class TeamMember(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    role: str  # ketua, anggota, narasumber, surveyor…
    institution: str = ""


class BudgetLine(msgspec.Struct, frozen=True, kw_only=True):
    """One RAB line: ``quantity`` × ``unit_cost`` rupiah."""

    item: str
    quantity: Decimal
    unit: str
    unit_cost: Decimal

    @property
    def total(self) -> Decimal:
        return self.quantity * self.unit_cost


class Step(msgspec.Struct, frozen=True, kw_only=True):
    """A step of the schedule (tahapan dan jangka waktu)."""

    name: str
    start: date
    end: date


class ProposalBody(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the proposer writes: the TOR (KAK) of the study."""

    title: str
    kind: ResearchKind = ResearchKind.PENELITIAN
    theme_code: str = ""  # the agenda theme it answers
    partner: str = ""  # mitra (perguruan tinggi, BRIN, LSM), if any
    background: str = ""
    legal_basis: str = ""
    questions: tuple[str, ...] = ()
    method: str = ""
    location: str = ""
    team: tuple[TeamMember, ...] = ()
    budget: tuple[BudgetLine, ...] = ()
    schedule: tuple[Step, ...] = ()

    @property
    def budget_total(self) -> Decimal:
        return sum((line.total for line in self.budget), Decimal(0))


class CriterionScore(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    score: int  # 0–100


class OutputKind(StrEnum):
    """What a study leaves behind; some are evidence for an SPD row (``SPD_ROWS``)."""

    LAPORAN_AKHIR = "laporan_akhir"
    RINGKASAN_EKSEKUTIF = "ringkasan_eksekutif"
    POLICY_BRIEF = "policy_brief"
    DATASET = "dataset"
    HAKI = "haki"
    DOKUMEN_RIPJ = "dokumen_ripj"


OUTPUT_LABELS = {
    OutputKind.LAPORAN_AKHIR: "Laporan akhir",
    OutputKind.RINGKASAN_EKSEKUTIF: "Ringkasan eksekutif",
    OutputKind.POLICY_BRIEF: "Policy brief / rekomendasi kebijakan",
    OutputKind.DATASET: "Data penelitian",
    OutputKind.HAKI: "Pendaftaran HAKI",
    OutputKind.DOKUMEN_RIPJ: "Dokumen RIPJ PID / rencana induk",
}


class OutputFile(msgspec.Struct, frozen=True, kw_only=True):
    """An uploaded output file as the log knows it: name, sniffed type, size and SHA-256; the
    bytes live in the blob store under ``storage_key`` (never in an event)."""

    name: str
    content_type: str
    size: int
    sha256: str
    storage_key: str


class Output(msgspec.Struct, frozen=True, kw_only=True):
    output_id: UUID
    kind: OutputKind
    title: str
    summary: str = ""
    url: str = ""  # repository, jurnal, portal data
    recommendations: tuple[str, ...] = ()  # for a policy brief: each recommendation
    file: OutputFile | None = None  # the current file (``ResearchOutputFileAttached``)


class FollowUpStatus(StrEnum):
    DIRENCANAKAN = "direncanakan"
    DILAKSANAKAN = "dilaksanakan"
    SELESAI = "selesai"
    TIDAK_DITINDAKLANJUTI = "tidak_ditindaklanjuti"


FOLLOW_UP_LABELS = {
    FollowUpStatus.DIRENCANAKAN: "Direncanakan",
    FollowUpStatus.DILAKSANAKAN: "Sedang dilaksanakan",
    FollowUpStatus.SELESAI: "Selesai",
    FollowUpStatus.TIDAK_DITINDAKLANJUTI: "Tidak ditindaklanjuti",
}


class LinkKind(StrEnum):
    """How a study relates to an innovation (iga-index.md (h) item 8)."""

    ASAL_INOVASI = "asal_inovasi"  # the innovation started from it
    MONEV_EKSTERNAL = "monev_eksternal"  # external monev based on research (SID level 3)
    DASAR_KAJIAN = "dasar_kajian"  # supports its design


LINK_LABELS = {
    LinkKind.ASAL_INOVASI: "Melahirkan inovasi",
    LinkKind.MONEV_EKSTERNAL: "Monev eksternal berbasis riset",
    LinkKind.DASAR_KAJIAN: "Dasar kajian rancang bangun",
}
