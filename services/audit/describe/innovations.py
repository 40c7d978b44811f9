"""Audit lines of an innovation's events: proposal, editing, review, decisions, IGA, Krenova."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.audit.describe.lines import (
    Described,
    _Before,
    _change,
    _doc_label,
    _indicator_label,
    _profile_changes,
    _rubric,
    _seen,
    _short,
    _title,
)
from services.domain import events as ev
from services.domain import labels
from services.domain.lifecycle import EVENT_COMMANDS, Status, status_after
from services.domain.rubric import DOCUMENT_KIND_LABELS, Rubric
from services.domain.values import AWARD_LABELS, STAGE_LABELS, Profile, RevisionItem


def _next_status(before: _Before, event: ev.Event) -> str | None:
    """The status after this event, read from the lifecycle table (None if not derivable)."""
    if isinstance(event, ev.Proposed):
        return Status.DRAFT.value
    if type(event) not in EVENT_COMMANDS or before.status is None:
        return None
    after = status_after(before.status, type(event))
    return None if after is None else str(after)


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


def _document_visibility_changed(e: ev.DocumentVisibilityChanged, b: _Before) -> Described:
    shown = "membuka untuk umum" if e.public else "menutup dari umum"
    reason = f" (alasan: {e.reason})" if e.reason else ""
    return (
        f"{shown} {_doc_label(b, e.doc_id)} pada {_title(b, e)}{reason}",
        [
            _change(
                f"documents.{e.doc_id}.public", not e.public, e.public, label="Terbuka untuk umum"
            )
        ],
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


def _revision_item(item: RevisionItem, b: _Before, rubric: Rubric | None) -> str:
    """What a revision item names, by its label: the document's name and kind, the indicator's
    name, the field's label (never a bare id or code)."""
    if item.kind == "document":
        try:
            what = _doc_label(b, UUID(item.key))
        except ValueError:
            what = f"dokumen {item.key}"
    elif item.kind == "indicator" and item.key.isdigit():
        what = _indicator_label(rubric, int(item.key))
    elif item.kind == "field":
        what = f"isian '{labels.label(labels.PROFILE_FIELD, item.key)}'"
    else:
        what = f"{labels.label(labels.REVISION_ITEM, item.kind)} {item.key}"
    return what + (f": {item.note}" if item.note else "")


def _revision_requested(e: ev.RevisionRequested, b: _Before) -> Described:
    rubric = _rubric(b.rubric_year)
    items = "; ".join(_revision_item(i, b, rubric) for i in e.items)
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


HANDLERS: dict[type[ev.Event], Any] = {
    ev.Proposed: _proposed,
    ev.ProfileUpdated: _profile_updated,
    ev.DocumentAttached: _document_attached,
    ev.DocumentRemoved: _document_removed,
    ev.DocumentVisibilityChanged: _document_visibility_changed,
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
}
