"""Value objects shared by events and aggregates: the innovation profile and its parts.

Enumerations use the Indonesian slugs of the national IID form, so exported data needs no mapping.
"""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from services.domain import labels


class Stage(StrEnum):
    INISIATIF = "inisiatif"
    UJI_COBA = "uji_coba"
    PENERAPAN = "penerapan"


STAGE_ORDER = (Stage.INISIATIF, Stage.UJI_COBA, Stage.PENERAPAN)
STAGE_LABELS = labels.STAGE


class Initiator(StrEnum):
    KEPALA_DAERAH = "kepala_daerah"
    DPRD = "dprd"
    OPD = "opd"
    ASN = "asn"
    MASYARAKAT = "masyarakat"


class InnovationKind(StrEnum):
    DIGITAL = "digital"
    NON_DIGITAL = "non_digital"


class InnovationForm(StrEnum):
    TATA_KELOLA = "tata_kelola"
    PELAYANAN_PUBLIK = "pelayanan_publik"
    LAINNYA = "lainnya"


class Theme(StrEnum):
    DIGITALISASI_LAYANAN = "digitalisasi_layanan"
    PENANGGULANGAN_KEMISKINAN = "penanggulangan_kemiskinan"
    KEMUDAHAN_INVESTASI = "kemudahan_investasi"
    PRIORITAS_AKTUAL_PRESIDEN = "prioritas_aktual_presiden"
    NON_TEMATIK = "non_tematik"


class DocumentKind(StrEnum):
    SK = "sk"
    PERKADA = "perkada"
    SOP = "sop"
    BUDGET = "budget"
    RKPD = "rkpd"
    REPORT = "report"
    PHOTO = "photo"
    VIDEO = "video"
    OTHER = "other"
    ENDORSEMENT = "endorsement"  # the head's signed endorsement letter (surat pengesahan)


class CallKind(StrEnum):
    ANNUAL = "annual"
    KRENOVA = "krenova"


class OrganisationKind(StrEnum):
    OPD = "opd"
    PUSKESMAS = "puskesmas"
    BUMD = "bumd"
    UPTD = "uptd"
    KECAMATAN = "kecamatan"


class KrenovaField(StrEnum):
    AGRIBISNIS_PANGAN = "agribisnis_pangan"
    ENERGI = "energi"
    LINGKUNGAN = "lingkungan"
    KELAUTAN = "kelautan"
    KESEHATAN = "kesehatan"
    PENDIDIKAN = "pendidikan"
    REKAYASA_MANUFAKTUR = "rekayasa_manufaktur"
    TIK = "tik"
    INDUSTRI_KREATIF = "industri_kreatif"
    SOSIAL = "sosial"


class ParticipantCategory(StrEnum):
    UMUM = "umum"
    PELAJAR = "pelajar"
    MAHASISWA = "mahasiswa"
    KELOMPOK = "kelompok"


class Design(msgspec.Struct, frozen=True, kw_only=True):
    """Rancang bangun: the design narrative, in the sections the IID form asks for."""

    legal_basis: str = ""  # dasar hukum
    problem: str = ""  # permasalahan
    strategic_issue: str = ""  # isu strategis
    method: str = ""  # metode pembaharuan
    novelty: str = ""  # keunggulan / kebaruan
    how_it_works: str = ""  # cara kerja

    def word_count(self) -> int:
        return _design_words(self)


@functools.lru_cache(maxsize=256)
def _design_words(design: Design) -> int:
    """Counted once per design text: every answer checks the design's word minimum."""
    return sum(len(text.split()) for text in msgspec.structs.astuple(design))


class Budget(msgspec.Struct, frozen=True, kw_only=True):
    """APBD support in rupiah for this year (T-0) and the two before; drives indicator 3."""

    apbd_t0: Decimal | None = None
    apbd_t1: Decimal | None = None
    apbd_t2: Decimal | None = None
    other_sources: str = ""


class KrenovaEntry(msgspec.Struct, frozen=True, kw_only=True):
    """The Krenova form: what a citizen fills instead of the IID profile."""

    field: KrenovaField | None = None  # bidang
    participant_category: ParticipantCategory | None = None
    abstract: str = ""
    advantages: str = ""  # keunggulan
    benefits: str = ""  # manfaat
    application: str = ""  # penerapan
    video_url: str = ""
    members: tuple[str, ...] = ()


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    """Every profile field of the national IID form. Drafts may leave any of them empty."""

    title: str = ""
    stage: Stage | None = None
    initiator: Initiator | None = None
    initiator_name: str = ""
    kind: InnovationKind | None = None
    form: InnovationForm | None = None
    theme: Theme | None = None
    urusan: str = ""  # main urusan code (services.domain.urusan), "" when not chosen
    urusan_lain: tuple[str, ...] = ()  # overlapping urusan codes
    # Free text of records made before urusan were codes that matched no code: kept and shown
    # as "perlu dipilih ulang" until the submitter picks a code (only upcasting sets them).
    urusan_unmatched: str = ""
    urusan_lain_unmatched: tuple[str, ...] = ()
    trial_date: date | None = None
    implementation_date: date | None = None
    design: Design = Design()
    goals: str = ""
    benefits: str = ""
    results: str = ""
    budget: Budget = Budget()
    krenova: KrenovaEntry | None = None


PROFILE_FIELDS: tuple[str, ...] = Profile.__struct_fields__


class ProfilePatch(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A partial profile: only the fields that are set are changed (UNSET is omitted on encode)."""

    title: str | UnsetType = UNSET
    stage: Stage | None | UnsetType = UNSET
    initiator: Initiator | None | UnsetType = UNSET
    initiator_name: str | UnsetType = UNSET
    kind: InnovationKind | None | UnsetType = UNSET
    form: InnovationForm | None | UnsetType = UNSET
    theme: Theme | None | UnsetType = UNSET
    urusan: str | UnsetType = UNSET
    urusan_lain: tuple[str, ...] | UnsetType = UNSET
    urusan_unmatched: str | UnsetType = UNSET
    urusan_lain_unmatched: tuple[str, ...] | UnsetType = UNSET
    trial_date: date | None | UnsetType = UNSET
    implementation_date: date | None | UnsetType = UNSET
    design: Design | UnsetType = UNSET
    goals: str | UnsetType = UNSET
    benefits: str | UnsetType = UNSET
    results: str | UnsetType = UNSET
    budget: Budget | UnsetType = UNSET
    krenova: KrenovaEntry | None | UnsetType = UNSET

    def changed(self) -> dict[str, Any]:
        return {
            name: value
            for name in self.__struct_fields__
            if (value := getattr(self, name)) is not UNSET
        }

    def apply_to(self, profile: Profile) -> Profile:
        changes = self.changed()
        return msgspec.structs.replace(profile, **changes) if changes else profile


class Document(msgspec.Struct, frozen=True, kw_only=True):
    """Metadata of a stored supporting document; the bytes live in the blob store by ``sha256``."""

    doc_id: UUID
    kind: DocumentKind
    name: str
    content_type: str
    size: int
    sha256: str
    storage_key: str
    indicator: int | None = None
    replaces: UUID | None = None
    url: str = ""  # for video links: no bytes are stored
    # On the public face of a published innovation (catalogue, anonymous API, downloads). Set by
    # the uploader; recorded with the attachment; older records without it are not public.
    public: bool = False


#: Kinds public unless the uploader says otherwise: the innovation video is made to be shown
#: (the IID form asks for a publicly viewable video). Everything else (SK, SOP, budget files,
#: reports, photos that may show citizens) stays internal unless marked public.
PUBLIC_BY_DEFAULT: frozenset[DocumentKind] = frozenset({DocumentKind.VIDEO})


class SpdValues(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Raw values of one SPD row as the owning organisation enters them: T-1 and T-2 figures,
    a count, or the chosen option (only what the row's kind needs; see
    services/domain/spd_rows.py)."""

    t1: Decimal | None = None
    t2: Decimal | None = None
    value: Decimal | None = None
    choice: str | None = None


class RevisionItem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing the reviewer asks to be fixed: a field, a document or an indicator."""

    kind: str  # "field" | "document" | "indicator"
    key: str
    note: str = ""


class IndicatorVerdict(msgspec.Struct, frozen=True, kw_only=True):
    no: int
    level: int
    note: str = ""


class Award(StrEnum):
    """Krenova prizes: juara (ranked winners) and harapan (honourable mentions)."""

    JUARA = "juara"
    HARAPAN = "harapan"


AWARD_LABELS = labels.AWARD


class CriterionScore(msgspec.Struct, frozen=True, kw_only=True):
    """A Krenova judge's score (0–100) on one criterion of the year's Krenova rubric."""

    key: str
    score: int
    note: str = ""
