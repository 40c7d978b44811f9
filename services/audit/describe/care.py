"""Audit lines of the care around an innovation: the head's endorsement, mentoring and monev."""

from __future__ import annotations

from typing import Any

from services.audit.describe.lines import Described, _Before, _change, _doc_label, _short, _title
from services.domain import events as ev
from services.domain.call import format_date
from services.domain.mentoring import MODE_LABELS
from services.domain.monev import RECOMMENDATION_LABELS, REPORT_LABELS, VISIT_LABELS
from services.domain.monev_visits import VISIT_STATUS_LABELS, VisitStatus


def _endorsed(e: ev.Endorsed, b: _Before) -> Described:
    how = (
        f"mencatat surat pengesahan {e.endorser_name} ({_doc_label(b, e.letter_doc_id)}) untuk"
        if e.by_letter and e.letter_doc_id is not None
        else "mengesahkan"
    )
    note = f" (catatan: {e.note})" if e.note else ""
    return (
        f"{how} {_title(b, e)}{note}",
        [_change("endorsement", None, e.endorser_name, "Disahkan oleh")],
    )


def _mentor_assigned(e: ev.MentorAssigned, b: _Before) -> Described:
    return (
        f"menugaskan {e.mentor_name} sebagai pendamping inovasi {_short(e.innovation_id)}",
        [_change(f"mentors.{e.mentor_id}", None, e.mentor_name, "Pendamping")],
    )


def _mentoring_session(e: ev.MentoringSessionRecorded, b: _Before) -> Described:
    follow = f", {len(e.follow_ups)} tindak lanjut" if e.follow_ups else ""
    return (
        f"mencatat sesi pendampingan ({MODE_LABELS.get(e.mode, e.mode)}, "
        f"{format_date(e.held_on)}) untuk inovasi {_short(e.innovation_id)}: "
        f"{'; '.join(e.topics)}{follow}",
        [_change(f"sessions.{e.session_id}", None, format_date(e.held_on), "Sesi pendampingan")],
    )


def _follow_up_completed(e: ev.FollowUpCompleted, b: _Before) -> Described:
    note = f" (catatan: {e.note})" if e.note else ""
    return (
        f"menyatakan selesai tindak lanjut pendampingan inovasi {_short(e.innovation_id)}{note}",
        [_change(f"follow_ups.{e.follow_up_id}.done", False, True, "Tindak lanjut selesai")],
    )


def _monev_visit(e: ev.MonevVisitScheduled, b: _Before) -> Described:
    return (
        f"menjadwalkan {VISIT_LABELS.get(e.kind, e.kind).lower()} monev pada "
        f"{format_date(e.due_on)} untuk inovasi {_short(e.innovation_id)}",
        [_change(f"visits.{e.visit_id}", None, format_date(e.due_on), "Kunjungan monev")],
    )


def _monev_report(e: ev.MonevReportRecorded, b: _Before) -> Described:
    advice = RECOMMENDATION_LABELS.get(e.recommendation, e.recommendation)
    return (
        f"mencatat laporan {REPORT_LABELS.get(e.kind, e.kind)} ({format_date(e.reported_on)}) "
        f"untuk inovasi {_short(e.innovation_id)}: rekomendasi {advice}",
        [_change(f"reports.{e.report_id}", None, advice, "Rekomendasi monev")],
    )


def _monev_rescheduled(e: ev.MonevVisitRescheduled, b: _Before) -> Described:
    return (
        f"menjadwalkan ulang kunjungan monev inovasi {_short(e.innovation_id)} dari "
        f"{format_date(e.previous_due_on)} ke {format_date(e.due_on)} (alasan: {e.reason})",
        [
            _change(
                f"visits.{e.visit_id}",
                format_date(e.previous_due_on),
                format_date(e.due_on),
                "Kunjungan monev",
            )
        ],
    )


def _monev_cancelled(e: ev.MonevVisitCancelled, b: _Before) -> Described:
    return (
        f"membatalkan kunjungan monev inovasi {_short(e.innovation_id)} (alasan: {e.reason})",
        [
            _change(
                f"visits.{e.visit_id}.status",
                VISIT_STATUS_LABELS[VisitStatus.PLANNED],
                VISIT_STATUS_LABELS[VisitStatus.CANCELLED],
                "Kunjungan monev",
            )
        ],
    )


def _file(f: ev.FileRef) -> str:
    caption = f" — {f.caption}" if f.caption else ""
    return f"{f.name} ({f.size} bita, SHA-256 {f.sha256[:12]}…){caption}"


def _monev_photo(e: ev.MonevPhotoAttached, b: _Before) -> Described:
    target = "kunjungan" if e.visit_id is not None else "laporan"
    return (
        f"mengunggah foto {target} monev inovasi {_short(e.innovation_id)}: {_file(e.photo)}",
        [_change(f"photos.{e.photo.id}", None, e.photo.name, "Foto monev")],
    )


def _mentoring_attachment(e: ev.MentoringAttachmentAdded, b: _Before) -> Described:
    return (
        f"melampirkan berkas pada sesi pendampingan inovasi {_short(e.innovation_id)}: "
        f"{_file(e.attachment)}",
        [_change(f"attachments.{e.attachment.id}", None, e.attachment.name, "Lampiran sesi")],
    )


HANDLERS: dict[type[ev.Event], Any] = {
    ev.Endorsed: _endorsed,
    ev.MentorAssigned: _mentor_assigned,
    ev.MentoringSessionRecorded: _mentoring_session,
    ev.FollowUpCompleted: _follow_up_completed,
    ev.MonevVisitScheduled: _monev_visit,
    ev.MonevReportRecorded: _monev_report,
    ev.MonevVisitRescheduled: _monev_rescheduled,
    ev.MonevVisitCancelled: _monev_cancelled,
    ev.MonevPhotoAttached: _monev_photo,
    ev.MentoringAttachmentAdded: _mentoring_attachment,
}
