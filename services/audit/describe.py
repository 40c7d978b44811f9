"""Every event as one human-readable audit line (Bahasa Indonesia) plus field-level changes.

``describe(event, before)`` is pure: it reads the event and, when given, the record as it stood
just before the event (an ``Innovation`` aggregate, an ``InnovationState``, a bare ``Profile``,
or the ``Call``/``Organisation``/``Account`` aggregate of the stream). Without ``before`` the
"before" side of each change is ``None`` (unknown), never a guess. Used by the history endpoint,
the audit-trail export and the notification engineer's audit-trail worker, so its signature is
stable: ``describe(event, before=None, *, who=None) -> AuditLine``.

Password hashes are never described, in any form.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import msgspec

from services.domain import events as ev
from services.domain.actor import Role
from services.domain.call import JAKARTA, format_jakarta
from services.domain.lifecycle import STATUS_LABELS, Status
from services.domain.rubric import DOCUMENT_KIND_LABELS, Rubric, UnknownRubricYear, load_rubric
from services.domain.values import AWARD_LABELS, STAGE_LABELS, Profile

__all__ = [
    "JAKARTA",
    "ROLE_LABELS",
    "AuditLine",
    "FieldChange",
    "describe",
    "describe_stream",
    "jakarta_time",
]


ROLE_LABELS: dict[str, str] = {
    Role.OPERATOR: "Operator",
    Role.REVIEWER: "Verifikator",
    Role.ADMIN: "Admin",
    Role.AUDITOR: "Auditor",
    Role.PARTICIPANT: "Peserta Krenova",
    Role.SYSTEM: "Sistem",
}

# Labels of every profile field an auditor can see change (nested structs are flattened).
PROFILE_LABELS: dict[str, str] = {
    "title": "Nama inovasi",
    "stage": "Tahapan inovasi",
    "initiator": "Inisiator inovasi",
    "initiator_name": "Nama inisiator",
    "kind": "Jenis inovasi",
    "form": "Bentuk inovasi",
    "theme": "Tematik",
    "urusan": "Urusan pemerintahan (utama)",
    "urusan_lain": "Urusan beririsan",
    "urusan_unmatched": "Urusan lama (perlu dipilih ulang)",
    "urusan_lain_unmatched": "Urusan beririsan lama (perlu dipilih ulang)",
    "trial_date": "Waktu uji coba",
    "implementation_date": "Waktu penerapan",
    "design.legal_basis": "Rancang bangun: dasar hukum",
    "design.problem": "Rancang bangun: permasalahan",
    "design.strategic_issue": "Rancang bangun: isu strategis",
    "design.method": "Rancang bangun: metode pembaharuan",
    "design.novelty": "Rancang bangun: keunggulan/kebaruan",
    "design.how_it_works": "Rancang bangun: cara kerja",
    "goals": "Tujuan inovasi",
    "benefits": "Manfaat inovasi",
    "results": "Hasil inovasi",
    "budget.apbd_t0": "Anggaran APBD tahun berjalan (T-0)",
    "budget.apbd_t1": "Anggaran APBD T-1",
    "budget.apbd_t2": "Anggaran APBD T-2",
    "budget.other_sources": "Sumber anggaran lain",
    "krenova": "Formulir Krenova",
    "krenova.field": "Krenova: bidang",
    "krenova.participant_category": "Krenova: kategori peserta",
    "krenova.abstract": "Krenova: abstrak",
    "krenova.advantages": "Krenova: keunggulan",
    "krenova.benefits": "Krenova: manfaat",
    "krenova.application": "Krenova: penerapan",
    "krenova.video_url": "Krenova: tautan video",
    "krenova.members": "Krenova: anggota kelompok",
}


class FieldChange(msgspec.Struct, frozen=True, kw_only=True):
    """One field's value before and after the event (JSON builtins; ``None`` = empty/unknown)."""

    field: str
    label: str
    before: Any = None
    after: Any = None


class AuditLine(msgspec.Struct, frozen=True, kw_only=True):
    summary: str
    changes: list[FieldChange] = msgspec.field(default_factory=list)


# ==== formatting ================================================================================


def jakarta_time(moment: datetime) -> str:
    """'5 Maret 2025 14.03.22 WIB': seconds matter when an auditor orders decisions."""
    return format_jakarta(moment, seconds=True)


def _plain(value: Any) -> Any:
    """A JSON-friendly value: enums to their slug, dates to ISO, structs to dicts."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return msgspec.to_builtins(value)


def _short(account_id: UUID | None) -> str:
    return str(account_id)[:8] if account_id else "-"


def _who(event: ev.Event, who: str | None) -> str:
    role = ROLE_LABELS.get(event.actor.role, str(event.actor.role))
    if event.actor.role == Role.SYSTEM and event.actor.account_id is None:
        return "Sistem"
    name = who or f"akun {_short(event.actor.account_id)}"
    return f"{role} {name}"


def _status_label(status: Any) -> str:
    return STATUS_LABELS.get(str(status), str(status))


def _rubric(year: int | None) -> Rubric | None:
    if not year:
        return None
    try:
        return load_rubric(year)
    except UnknownRubricYear:
        return None


def _indicator_label(rubric: Rubric | None, no: int) -> str:
    if rubric is not None:
        for ind in rubric.indicators:
            if ind.no == no:
                return f"Indikator {no} {ind.name}"
    return f"Indikator {no}"


def _flatten_profile(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Nested parts of the profile (design, budget, krenova) as dotted leaf fields."""
    if isinstance(value, msgspec.Struct) and name in ("design", "budget", "krenova"):
        for sub in value.__struct_fields__:
            yield f"{name}.{sub}", getattr(value, sub)
    else:
        yield name, value


def _profile_changes(before: Profile | None, after: dict[str, Any]) -> list[FieldChange]:
    changes: list[FieldChange] = []
    for name, new in after.items():
        old = getattr(before, name) if before is not None else None
        if name == "krenova" and (new is None) != (old is None):
            # Whole Krenova form added or removed: list its leaf fields on the side that exists.
            side_old = dict(_flatten_profile(name, old)) if old is not None else {}
            side_new = dict(_flatten_profile(name, new)) if new is not None else {}
            for key in dict.fromkeys([*side_old, *side_new]):
                changes.append(_change(key, side_old.get(key), side_new.get(key)))
            continue
        new_leaves = dict(_flatten_profile(name, new))
        old_leaves = dict(_flatten_profile(name, old)) if old is not None else {}
        for key, value in new_leaves.items():
            previous = old_leaves.get(key) if before is not None else None
            if before is not None and previous == value:
                continue
            changes.append(_change(key, previous, value))
    return changes


def _change(key: str, before: Any, after: Any, label: str | None = None) -> FieldChange:
    return FieldChange(
        field=key,
        label=label or PROFILE_LABELS.get(key, key),
        before=_plain(before),
        after=_plain(after),
    )


# ==== the record before the event, whatever shape it was given in ==============================


class _Before:
    """A uniform read of ``before``: attribute lookups that answer None when unknown."""

    def __init__(self, before: Any) -> None:
        self.raw = before
        self.known = before is not None and not isinstance(before, Profile)
        self.profile: Profile | None = None
        self.status: str | None = None
        self.rubric_year: int | None = None
        self.claims: dict[int, int] = {}
        self.verified: dict[int, int] = {}
        self.documents: dict[UUID, tuple[str, str, str, bool]] = {}  # name, kind, verdict, removed
        self.verified_total: int | None = None
        if before is None:
            return
        if isinstance(before, Profile):
            self.profile = before
            return
        self.profile = getattr(before, "profile", None)
        status = getattr(before, "status", None)
        self.status = str(status) if status is not None else None
        self.rubric_year = getattr(before, "rubric_year", None)
        claims = getattr(before, "claims", None)
        if isinstance(claims, dict):  # the aggregate
            self.claims = {no: c.level for no, c in claims.items()}
            self.verified = dict(getattr(before, "verified_levels", {}))
            for doc_id, d in getattr(before, "documents", {}).items():
                doc = d.document
                self.documents[doc_id] = (doc.name, str(doc.kind), d.verdict, d.removed)
            rubric = _rubric(self.rubric_year)
            if rubric is not None and hasattr(before, "scorecard"):
                self.verified_total = before.scorecard(rubric).verified_total
        elif isinstance(claims, list):  # InnovationState
            self.claims = {c.no: c.level for c in claims}
            self.verified = {int(k): v for k, v in getattr(before, "verified_levels", {}).items()}
            for d in getattr(before, "documents", []):
                self.documents[d.doc_id] = (d.name, str(d.kind), d.verdict, d.removed)
            card = getattr(before, "scorecard", None)
            self.verified_total = card.verified_total if card is not None else None

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self.raw, name, default) if self.known else default

    def title(self) -> str:
        return self.profile.title if self.profile is not None else ""


def _next_status(before: _Before, event: ev.Event) -> str | None:
    """The status after this event, read from the lifecycle table (None if not derivable)."""
    from services.domain.innovation import EVENT_COMMANDS
    from services.domain.lifecycle import _INDEX

    if isinstance(event, ev.Proposed):
        return Status.DRAFT.value
    command = EVENT_COMMANDS.get(type(event))
    if command is None or before.status is None:
        return None
    row = _INDEX.get((Status(before.status), command))
    if row is None:
        return None
    return str(row.target or before.status)


def _doc_label(before: _Before, doc_id: UUID) -> str:
    known = before.documents.get(doc_id)
    if known is None:
        return f"dokumen {_short(doc_id)}"
    name, kind, _, _ = known
    return f"dokumen '{name}' ({DOCUMENT_KIND_LABELS.get(kind, kind)})"


# ==== describe ==================================================================================


def describe(event: ev.Event, before: Any = None, *, who: str | None = None) -> AuditLine:
    """One audit line for any event of the catalogue.

    ``before``: the record just before ``event`` (see the module docstring) or None.
    ``who``: the actor's display name (username) if the caller knows it; else a short id.
    """
    b = _Before(before)
    actor = _who(event, who)
    when = jakarta_time(event.timestamp)
    handler = _HANDLERS.get(type(event))
    if handler is None:  # a topic added to the catalogue without a description: still readable
        return AuditLine(summary=f"{actor} mencatat {type(event).__name__} ({when}).")
    what, changes = handler(event, b)
    if isinstance(event, ev.InnovationEvent):
        status_after = _next_status(b, event)
        if status_after is not None and status_after != b.status:
            changes = [
                FieldChange(
                    field="status",
                    label="Status",
                    before=b.status,
                    after=status_after,
                ),
                *changes,
            ]
    return AuditLine(summary=f"{actor} {what} ({when}).", changes=changes)


def describe_stream(
    events: Iterable[ev.Event], names: dict[UUID, str] | None = None
) -> Iterator[tuple[ev.Event, AuditLine]]:
    """Describe a whole stream in one fold (O(n)): each event sees the record just before it."""
    from services.domain.call import Call
    from services.domain.innovation import Innovation
    from services.domain.organisation import Account, Organisation

    kinds: dict[str, type[Any]] = {
        "innovation": Innovation,
        "call": Call,
        "organisation": Organisation,
        "account": Account,
    }
    aggregate: Any = None
    names = names or {}
    for event in events:
        if aggregate is None:
            cls = kinds.get(event.TOPIC.split(".", 1)[0])
            if event.TOPIC.startswith("research."):  # agenda and proposal share the prefix
                from services.domain.research.streams import aggregate_of

                cls = aggregate_of(event)
            aggregate = cls(event.originator_id) if cls is not None else None
        line = describe(
            event,
            aggregate if aggregate is not None and aggregate.version else None,
            who=names.get(event.actor.account_id) if event.actor.account_id else None,
        )
        yield event, line
        if aggregate is not None:
            aggregate.apply(event)


# ---- per event ----------------------------------------------------------------------------------

Described = tuple[str, list[FieldChange]]


def _title(b: _Before, event: ev.Event) -> str:
    title = b.title()
    return f"inovasi '{title}'" if title else f"inovasi {_short(event.originator_id)}"


def _ministry_verdict(e: ev.MinistryVerdictRecorded, b: _Before) -> Described:
    from services.domain.ministry import VERDICT_LABELS

    how = "dari berkas unduhan Kemendagri" if e.source == "import" else "secara manual"
    text = f"mencatat keputusan Kemendagri atas {_title(b, e)} untuk IGA {e.year}: "
    text += VERDICT_LABELS.get(e.verdict, str(e.verdict))
    if e.reason:
        text += f" (alasan: {e.reason})"
    if e.note:
        text += f" ({e.note})"
    if e.decided_on is not None:
        text += f", tanggal {e.decided_on:%d-%m-%Y}"
    return f"{text}, dicatat {how}", [
        _change("ministry_verdict", b.get("ministry_verdict"), e.verdict, "Keputusan Kemendagri")
    ]


def _carried_forward(e: ev.CarriedForward, b: _Before) -> Described:
    return (
        f"membawa {_title(b, e)} ke tahun {e.to_year} sebagai draf baru {_short(e.to_id)}",
        [_change("carried_to", None, str(e.to_id), f"Dibawa ke tahun {e.to_year}")],
    )


def _spd_values(values: Any) -> str:
    names = {"t1": "T-1", "t2": "T-2", "value": "jumlah", "choice": "pilihan"}
    parts = [f"{names[k]} {v}" for k, v in msgspec.to_builtins(values).items() if v is not None]
    return ", ".join(parts) or "kosong"


def _spd_opened(e: ev.SpdSheetOpened, b: _Before) -> Described:
    return f"membuka lembar SPD tahun {e.year}", []


def _spd_assigned(e: ev.SpdRowAssigned, b: _Before) -> Described:
    owner = _short(e.organisation_id) if e.organisation_id else "tidak ada"
    return (
        f"menetapkan organisasi pemilik baris SPD {e.row_no}: {owner}",
        [_change(f"spd.{e.row_no}.owner", None, e.organisation_id, f"SPD {e.row_no}: pemilik")],
    )


def _spd_filled(e: ev.SpdRowFilled, b: _Before) -> Described:
    figure = f", angka turunan {e.figure}" if e.figure is not None else ""
    return (
        f"mengisi baris SPD {e.row_no} ({_spd_values(e.values)}{figure}) → level {e.level}",
        [_change(f"spd.{e.row_no}.level", None, e.level, f"SPD {e.row_no}: level klaim")],
    )


def _spd_evidence(e: ev.SpdEvidenceAttached, b: _Before) -> Described:
    d = e.document
    again = f", menggantikan {_short(d.replaces)}" if d.replaces else ""
    return (
        f"mengunggah bukti dukung baris SPD {e.row_no}: '{d.name}' "
        f"(jenis {d.kind}, sha256 {d.sha256[:12]}…{again})",
        [],
    )


def _spd_evidence_removed(e: ev.SpdEvidenceRemoved, b: _Before) -> Described:
    why = f" (alasan: {e.reason})" if e.reason else ""
    return f"menghapus bukti dukung {_short(e.doc_id)} dari baris SPD {e.row_no}{why}", []


def _spd_submitted(e: ev.SpdRowSubmitted, b: _Before) -> Described:
    return f"mengajukan baris SPD {e.row_no} (level {e.level}) untuk diverifikasi", []


def _spd_verified(e: ev.SpdRowVerified, b: _Before) -> Described:
    verdict = (
        f"menerima baris SPD {e.row_no} pada level {e.level}"
        if e.accepted
        else f"mengembalikan baris SPD {e.row_no} (alasan: {e.note})"
    )
    return (
        f"{verdict} (revisi {e.seen_revision})",
        [
            _change(
                f"spd.{e.row_no}.verified", None, e.level, f"SPD {e.row_no}: level terverifikasi"
            )
        ],
    )


def _proposed(e: ev.Proposed, b: _Before) -> Described:
    profile = {
        name: getattr(e.profile, name)
        for name in e.profile.__struct_fields__
        if getattr(e.profile, name) != getattr(Profile(), name)
    }
    changes = _profile_changes(None, profile)
    kind = "Krenova" if e.call_kind == "krenova" else f"tahun anggaran {e.budget_year}"
    if e.carried_from is not None:
        kind += f", dibawa dari {_short(e.carried_from)}, keikutsertaan ke-{e.entry_no}"
    return (
        f"mengusulkan inovasi '{e.profile.title}' ({kind}, rubrik {e.rubric_year})",
        changes,
    )


def _profile_updated(e: ev.ProfileUpdated, b: _Before) -> Described:
    changes = _profile_changes(b.profile, e.changes.changed())
    labels = ", ".join(dict.fromkeys(c.label.split(":")[0] for c in changes)) or "profil"
    return f"mengubah profil {_title(b, e)}: {labels}", changes


def _document_attached(e: ev.DocumentAttached, b: _Before) -> Described:
    d = e.document
    kind = DOCUMENT_KIND_LABELS.get(str(d.kind), str(d.kind))
    target = f" sebagai bukti indikator {d.indicator}" if d.indicator is not None else ""
    changes = [
        _change(
            f"documents.{d.doc_id}",
            None,
            {
                "name": d.name,
                "kind": d.kind,
                "sha256": d.sha256,
                "size": d.size,
                "public": d.public,
            },
            label=f"Dokumen {kind}",
        )
    ]
    shown = ", terbuka untuk umum" if d.public else ""
    text = f"mengunggah dokumen '{d.name}' ({kind}){target}{shown} pada {_title(b, e)}"
    if d.replaces is not None:
        changes.append(
            _change(f"documents.{d.replaces}.removed", False, True, label="Dokumen diganti")
        )
        text += f", menggantikan {_doc_label(b, d.replaces)}"
    return text, changes


def _document_removed(e: ev.DocumentRemoved, b: _Before) -> Described:
    reason = f" (alasan: {e.reason})" if e.reason else ""
    return (
        f"menghapus {_doc_label(b, e.doc_id)} dari {_title(b, e)}{reason}",
        [_change(f"documents.{e.doc_id}.removed", False, True, label="Dokumen dihapus")],
    )


def _indicator_claimed(e: ev.IndicatorClaimed, b: _Before) -> Described:
    rubric = _rubric(b.rubric_year)
    label = _indicator_label(rubric, e.no)
    before_level = b.claims.get(e.no, 0) if b.known else None
    changes = [_change(f"claims.{e.no}.level", before_level, e.level, f"{label}: level klaim")]
    if e.evidence:
        changes.append(
            _change(
                f"claims.{e.no}.evidence",
                None,
                [str(x) for x in e.evidence],
                f"{label}: bukti dukung",
            )
        )
    if e.level == 0:
        return f"menarik klaim {label} pada {_title(b, e)}", changes
    return f"mengisi penilaian mandiri {label} level {e.level} pada {_title(b, e)}", changes


def _submitted(e: ev.Submitted, b: _Before) -> Described:
    return (
        f"mengajukan {_title(b, e)} (kelengkapan {e.completeness}%, skor klaim {e.claimed_score})",
        [],
    )


def _withdrawn(e: ev.Withdrawn, b: _Before) -> Described:
    reason = f" (alasan: {e.reason})" if e.reason else ""
    return f"menarik {_title(b, e)}{reason}", []


def _reviewer_assigned(e: ev.ReviewerAssigned, b: _Before) -> Described:
    name = e.reviewer_name or f"akun {_short(e.reviewer_id)}"
    before = [str(r) for r in b.get("reviewers", [])] if b.known else None
    after = [*before, str(e.reviewer_id)] if before is not None else [str(e.reviewer_id)]
    return (
        f"menugaskan verifikator {name} untuk {_title(b, e)}",
        [_change("reviewers", before, after, "Verifikator")],
    )


def _seen(e: ev.DecisionEvent | ev.SeenEvent) -> str:
    rubric = f"rubrik {e.rubric_year}" if e.rubric_year is not None else "rubrik usulan"
    return f" [berdasarkan versi {e.seen_version}, {rubric}]"


def _document_checked(e: ev.DocumentVerified | ev.DocumentRejected, b: _Before) -> Described:
    accepted = isinstance(e, ev.DocumentVerified)
    known = b.documents.get(e.doc_id)
    before = known[2] if known is not None else None
    verb = "menerima" if accepted else "menolak"
    note = f" (catatan: {e.note})" if e.note else ""
    return (
        f"{verb} {_doc_label(b, e.doc_id)} pada {_title(b, e)}{note}{_seen(e)}",
        [
            _change(
                f"documents.{e.doc_id}.verdict",
                before,
                "accepted" if accepted else "rejected",
                "Hasil verifikasi dokumen",
            )
        ],
    )


def _revision_requested(e: ev.RevisionRequested, b: _Before) -> Described:
    items = "; ".join(f"{i.kind} {i.key}" + (f": {i.note}" if i.note else "") for i in e.items)
    extra = f" — butir: {items}" if items else ""
    return (
        f"meminta perbaikan putaran {e.round} atas {_title(b, e)}: {e.note}{extra}{_seen(e)}",
        [_change("revision_round", e.round - 1 if b.known else None, e.round, "Putaran perbaikan")],
    )


def _resubmitted(e: ev.Resubmitted, b: _Before) -> Described:
    note = f" (tanggapan: {e.note})" if e.note else ""
    return f"mengajukan ulang {_title(b, e)} setelah perbaikan putaran {e.round}{note}", []


def _scored(e: ev.Scored, b: _Before) -> Described:
    rubric = _rubric(e.rubric_year)
    changes = [
        _change(
            f"verified_levels.{v.no}",
            b.verified.get(v.no) if b.known else None,
            v.level,
            f"{_indicator_label(rubric, v.no)}: level terverifikasi",
        )
        for v in e.indicators
    ]
    changes.append(_change("verified_total", b.verified_total, e.total, "Skor kematangan"))
    return (
        f"menilai {len(e.indicators)} indikator {_title(b, e)}, skor kematangan {e.total}"
        f"{_seen(e)}",
        changes,
    )


def _recommended(e: ev.Recommended, b: _Before) -> Described:
    verdict = "setujui" if e.recommendation == "approve" else "tolak"
    note = f" (catatan: {e.note})" if e.note else ""
    return (
        f"merekomendasikan '{verdict}' untuk {_title(b, e)}{note}{_seen(e)}",
        [_change("recommendation", b.get("recommendation"), e.recommendation, "Rekomendasi")],
    )


def _approved(e: ev.Approved, b: _Before) -> Described:
    note = f" (catatan: {e.note})" if e.note else ""
    return (
        f"menyetujui {_title(b, e)} dengan skor terverifikasi {e.verified_score}{note}{_seen(e)}",
        [_change("decision_reason", b.get("decision_reason"), e.note, "Catatan keputusan")]
        if e.note
        else [],
    )


def _rejected(e: ev.Rejected, b: _Before) -> Described:
    return (
        f"menolak {_title(b, e)} (alasan: {e.reason}){_seen(e)}",
        [_change("decision_reason", b.get("decision_reason"), e.reason, "Alasan penolakan")],
    )


def _established(e: ev.Established, b: _Before) -> Described:
    return (
        f"menetapkan {_title(b, e)} dengan SK nomor {e.sk_number} tanggal {e.sk_date:%d-%m-%Y}"
        f"{_seen(e)}",
        [
            _change("sk_number", b.get("sk_number") or None, e.sk_number, "Nomor SK"),
            _change("sk_date", b.get("sk_date"), e.sk_date, "Tanggal SK"),
        ],
    )


def _selected(e: ev.SelectedForIGA, b: _Before) -> Described:
    return (
        f"memilih {_title(b, e)} untuk IGA {e.year}{_seen(e)}",
        [_change("iga_year", b.get("iga_year"), e.year, "Tahun IGA")],
    )


def _reported(e: ev.ReportedToIGA, b: _Before) -> Described:
    return (
        f"melaporkan {_title(b, e)} ke Kemendagri untuk IGA {e.year} "
        f"(laporan {_short(e.report_id)}){_seen(e)}",
        [_change("iga_report_id", b.get("iga_report_id"), e.report_id, "Laporan IGA")],
    )


def _stage_advanced(e: ev.StageAdvanced, b: _Before) -> Described:
    changes = [_change("stage", e.from_stage, e.to_stage)]
    p = b.profile
    if e.to_stage == "uji_coba" and (p is None or p.trial_date is None):
        changes.append(_change("trial_date", None, e.on))
    if e.to_stage == "penerapan" and (p is None or p.implementation_date is None):
        changes.append(_change("implementation_date", None, e.on))
    src = STAGE_LABELS.get(e.from_stage, "-") if e.from_stage else "-"
    return (
        f"menaikkan tahapan {_title(b, e)} dari {src} ke {STAGE_LABELS[e.to_stage]} "
        f"(per {e.on:%d-%m-%Y})",
        changes,
    )


def _published(e: ev.Published, b: _Before) -> Described:
    return (
        f"mempublikasikan {_title(b, e)} di portal publik{_seen(e)}",
        [_change("published", False if b.known else None, True, "Dipublikasikan")],
    )


def _administration_passed(e: ev.AdministrationPassed, b: _Before) -> Described:
    note = f" (catatan: {e.note})" if e.note else ""
    return (
        f"meluluskan seleksi administrasi {_title(b, e)}{note}{_seen(e)}",
        [_change("administration", b.get("administration"), "passed", "Seleksi administrasi")],
    )


def _administration_failed(e: ev.AdministrationFailed, b: _Before) -> Described:
    return (
        f"menggugurkan {_title(b, e)} pada seleksi administrasi (alasan: {e.reason}){_seen(e)}",
        [_change("administration", b.get("administration"), "failed", "Seleksi administrasi")],
    )


def _krenova_judged(e: ev.KrenovaJudged, b: _Before) -> Described:
    previous = b.get("judgements", {}).get(e.judge_id) if b.known else None
    old_scores = {s.key: s.score for s in previous.scores} if previous is not None else {}
    changes = [
        _change(
            f"judgements.{e.judge_id}.{s.key}",
            old_scores.get(s.key),
            s.score,
            f"Nilai juri: {s.key}",
        )
        for s in e.scores
    ]
    changes.append(
        _change(
            f"judgements.{e.judge_id}.total",
            previous.total if previous is not None else None,
            e.total,
            "Nilai juri (tertimbang)",
        )
    )
    return f"menilai {_title(b, e)} sebagai juri Krenova, total {e.total}{_seen(e)}", changes


def _shortlisted(e: ev.Shortlisted, b: _Before) -> Described:
    note = f" (catatan: {e.note})" if e.note else ""
    return (
        f"memasukkan {_title(b, e)} ke daftar nominasi peringkat {e.rank} "
        f"(rata-rata nilai {e.mean_total}){note}{_seen(e)}",
        [_change("shortlist_rank", b.get("shortlist_rank"), e.rank, "Peringkat nominasi")],
    )


def _awarded(e: ev.Awarded, b: _Before) -> Described:
    label = AWARD_LABELS.get(e.award, str(e.award))
    note = f" (catatan: {e.note})" if e.note else ""
    return (
        f"menetapkan {_title(b, e)} sebagai {label} {e.rank} Krenova{note}{_seen(e)}",
        [
            _change("award", b.get("award"), e.award, "Penghargaan"),
            _change("award_rank", b.get("award_rank"), e.rank, "Peringkat penghargaan"),
        ],
    )


def _call_opened(e: ev.CallOpened, b: _Before) -> Described:
    kind = "Krenova" if e.kind == "krenova" else "tahunan"
    changes = [
        _change("title", None, e.title, "Judul panggilan"),
        _change("kind", None, e.kind, "Jenis panggilan"),
        _change("budget_year", None, e.budget_year, "Tahun anggaran"),
        _change("opens_at", None, e.opens_at, "Dibuka"),
        _change("deadline", None, e.deadline, "Batas waktu"),
        _change("rubric_year", None, e.rubric_year, "Rubrik"),
        _change("eligible_kinds", None, list(e.eligible_kinds), "Pengusul yang berhak"),
        _change("required_documents", None, list(e.required_documents), "Dokumen wajib"),
        _change("threshold", None, e.threshold, "Ambang kematangan"),
    ]
    return (
        f"membuka panggilan {kind} '{e.title}' (tahun {e.budget_year}, batas waktu "
        f"{jakarta_time(e.deadline)})",
        changes,
    )


def _deadline_changed(e: ev.DeadlineChanged, b: _Before) -> Described:
    title = b.get("title")
    what = f"panggilan '{title}'" if title else f"panggilan {_short(e.originator_id)}"
    return (
        f"mengubah batas waktu {what} menjadi {jakarta_time(e.deadline)} (alasan: {e.reason})",
        [_change("deadline", b.get("deadline"), e.deadline, "Batas waktu")],
    )


def _organisation_registered(e: ev.OrganisationRegistered, b: _Before) -> Described:
    return (
        f"mendaftarkan organisasi {e.code} '{e.name}' ({str(e.kind).upper()})",
        [
            _change("code", None, e.code, "Kode organisasi"),
            _change("name", None, e.name, "Nama organisasi"),
            _change("kind", None, e.kind, "Jenis organisasi"),
        ],
    )


def _organisation_renamed(e: ev.OrganisationRenamed, b: _Before) -> Described:
    return (
        f"mengganti nama organisasi {b.get('code') or _short(e.originator_id)} menjadi '{e.name}'",
        [_change("name", b.get("name"), e.name, "Nama organisasi")],
    )


def _account_name(b: _Before, e: ev.Event) -> str:
    username = b.get("username")
    return f"akun '{username}'" if username else f"akun {_short(e.originator_id)}"


def _account_created(e: ev.AccountCreated, b: _Before) -> Described:
    # Deliberately no password hash: not in the summary, not in the changes.
    return (
        f"membuat akun '{e.username}' ({e.full_name}) dengan peran "
        f"{ROLE_LABELS.get(e.role, str(e.role))}",
        [
            _change("username", None, e.username, "Nama pengguna"),
            _change("full_name", None, e.full_name, "Nama lengkap"),
            _change("email", None, e.email, "Surel"),
            _change("role", None, e.role, "Peran"),
            _change("organisation_id", None, e.organisation_id, "Organisasi"),
        ],
    )


def _role_changed(e: ev.RoleChanged, b: _Before) -> Described:
    return (
        f"mengubah peran {_account_name(b, e)} dari "
        f"{ROLE_LABELS.get(e.previous, str(e.previous))} menjadi "
        f"{ROLE_LABELS.get(e.role, str(e.role))}",
        [_change("role", e.previous, e.role, "Peran")],
    )


def _organisation_changed(e: ev.OrganisationChanged, b: _Before) -> Described:
    return (
        f"memindahkan {_account_name(b, e)} ke organisasi "
        f"{_short(e.organisation_id) if e.organisation_id else '(tanpa organisasi)'}",
        [_change("organisation_id", e.previous, e.organisation_id, "Organisasi")],
    )


def _account_disabled(e: ev.AccountDisabled, b: _Before) -> Described:
    reason = f" (alasan: {e.reason})" if e.reason else ""
    return (
        f"menonaktifkan {_account_name(b, e)}{reason}",
        [_change("disabled", False, True, "Nonaktif")],
    )


def _account_enabled(e: ev.AccountEnabled, b: _Before) -> Described:
    return f"mengaktifkan kembali {_account_name(b, e)}", [
        _change("disabled", True, False, "Nonaktif")
    ]


def _password_reset(e: ev.PasswordReset, b: _Before) -> Described:
    # The hash is a secret: the line says that it changed, never what it is.
    return f"mengatur ulang kata sandi {_account_name(b, e)}", []


def _signing_key_activated(e: ev.SigningKeyActivated, b: _Before) -> Described:
    return (
        f"mengaktifkan kunci penanda tangan audit {e.key_id[:16]}… "
        f"(berlaku sejak {jakarta_time(e.valid_from)})",
        [_change("signing_key", None, e.key_id, "Kunci penanda tangan")],
    )


_HANDLERS: dict[type[ev.Event], Any] = {
    ev.Proposed: _proposed,
    ev.ProfileUpdated: _profile_updated,
    ev.DocumentAttached: _document_attached,
    ev.DocumentRemoved: _document_removed,
    ev.IndicatorClaimed: _indicator_claimed,
    ev.Submitted: _submitted,
    ev.Withdrawn: _withdrawn,
    ev.ReviewerAssigned: _reviewer_assigned,
    ev.DocumentVerified: _document_checked,
    ev.DocumentRejected: _document_checked,
    ev.RevisionRequested: _revision_requested,
    ev.Resubmitted: _resubmitted,
    ev.Scored: _scored,
    ev.Recommended: _recommended,
    ev.Approved: _approved,
    ev.Rejected: _rejected,
    ev.Established: _established,
    ev.SelectedForIGA: _selected,
    ev.ReportedToIGA: _reported,
    ev.StageAdvanced: _stage_advanced,
    ev.Published: _published,
    ev.AdministrationPassed: _administration_passed,
    ev.AdministrationFailed: _administration_failed,
    ev.KrenovaJudged: _krenova_judged,
    ev.Shortlisted: _shortlisted,
    ev.Awarded: _awarded,
    ev.MinistryVerdictRecorded: _ministry_verdict,
    ev.CarriedForward: _carried_forward,
    ev.SpdSheetOpened: _spd_opened,
    ev.SpdRowAssigned: _spd_assigned,
    ev.SpdRowFilled: _spd_filled,
    ev.SpdEvidenceAttached: _spd_evidence,
    ev.SpdEvidenceRemoved: _spd_evidence_removed,
    ev.SpdRowSubmitted: _spd_submitted,
    ev.SpdRowVerified: _spd_verified,
    ev.CallOpened: _call_opened,
    ev.DeadlineChanged: _deadline_changed,
    ev.OrganisationRegistered: _organisation_registered,
    ev.OrganisationRenamed: _organisation_renamed,
    ev.AccountCreated: _account_created,
    ev.RoleChanged: _role_changed,
    ev.OrganisationChanged: _organisation_changed,
    ev.AccountDisabled: _account_disabled,
    ev.AccountEnabled: _account_enabled,
    ev.PasswordReset: _password_reset,
    ev.SigningKeyActivated: _signing_key_activated,
}


# Riset daerah describes its own events (services/audit/research.py).
from services.audit.research import HANDLERS as _RESEARCH  # noqa: E402

_HANDLERS.update(_RESEARCH)


def described_topics() -> frozenset[str]:
    """Topics with a dedicated description (the test checks this covers the catalogue)."""
    return frozenset(cls.TOPIC for cls in _HANDLERS)
