"""Audit lines for riset daerah events, in Bahasa Indonesia (merged into
``services.audit.describe``'s table, so the history, the trail export and the audit worker read
them like every other event). ``b`` is the audit module's uniform read of the record before the
event (a ``ResearchProposal`` or ``ResearchAgenda`` aggregate, or unknown)."""

from __future__ import annotations

from typing import Any

from services.audit.describe.lines import Described, FieldChange, _change, _short
from services.domain.research import events as rev
from services.domain.research.lifecycle import STATUS_LABELS, Status
from services.domain.research.values import (
    AGENDA_STATUS_LABELS,
    FOLLOW_UP_LABELS,
    KIND_LABELS,
    LINK_LABELS,
    OUTPUT_LABELS,
)

#: The status each proposal event leads to (None: unchanged).
EVENT_STATUS: dict[type[rev.ProposalEvent], Status] = {
    rev.ResearchProposed: Status.DRAFT,
    rev.ResearchSubmitted: Status.SUBMITTED,
    rev.ResearchWithdrawn: Status.WITHDRAWN,
    rev.ResearchReviewerAssigned: Status.UNDER_REVIEW,
    rev.ResearchRevisionRequested: Status.REVISION_REQUESTED,
    rev.ResearchApproved: Status.APPROVED,
    rev.ResearchRejected: Status.REJECTED,
    rev.ResearchStarted: Status.EXECUTING,
    rev.ResearchCompleted: Status.COMPLETED,
    rev.ResearchDisseminated: Status.DISSEMINATED,
}


def _rupiah(amount: Any) -> str:
    return "Rp" + f"{amount:,.0f}".replace(",", ".")


def _title(b: Any) -> str:
    body = b.get("body")
    return f"usulan riset '{body.title}'" if body is not None else "usulan riset"


def _status(b: Any, e: rev.ProposalEvent) -> list[FieldChange]:
    after = EVENT_STATUS.get(type(e))
    before = b.get("status")
    if after is None or (before is not None and str(before) == after):
        return []
    label = STATUS_LABELS.get(str(before), None) if before is not None else None
    return [FieldChange(field="status", label="Status", before=label, after=STATUS_LABELS[after])]


def _agenda_opened(e: rev.AgendaOpened, b: Any) -> Described:
    period = f", periode RPJMD {e.rpjmd_period}" if e.rpjmd_period else ""
    return f"menyusun agenda riset tahun {e.year} '{e.title}'{period}", []


def _theme_set(e: rev.AgendaThemeSet, b: Any) -> Described:
    t = e.theme
    return (
        f"menetapkan tema agenda riset {t.code} '{t.title}' (prioritas {t.priority})",
        [_change(f"tema.{t.code}", None, t.title, f"Tema {t.code}")],
    )


def _theme_removed(e: rev.AgendaThemeRemoved, b: Any) -> Described:
    reason = f" (alasan: {e.reason})" if e.reason else ""
    return f"menghapus tema agenda riset {e.code}{reason}", []


def _agenda_status(e: rev.AgendaStatusChanged, b: Any) -> Described:
    perkada = f" dengan {e.perkada}" if e.perkada else ""
    label = AGENDA_STATUS_LABELS.get(e.status, str(e.status))
    before = b.get("status")
    return (
        f"mengubah status agenda riset menjadi {label}{perkada}",
        [_change("agenda.status", before, e.status, "Status agenda riset")],
    )


def _proposed(e: rev.ResearchProposed, b: Any) -> Described:
    body = e.body
    return (
        f"mengusulkan riset '{body.title}' ({KIND_LABELS.get(body.kind, body.kind)}, "
        f"tahun {e.year}, tema {body.theme_code or '-'}, RAB {_rupiah(body.budget_total)})",
        _status(b, e),
    )


def _updated(e: rev.ResearchUpdated, b: Any) -> Described:
    before = b.get("body")
    changes = [
        _change(f"body.{name}", getattr(before, name, None), getattr(e.body, name), name)
        for name in e.body.__struct_fields__
        if before is None or getattr(before, name) != getattr(e.body, name)
    ]
    return f"mengubah {_title(b)}", changes


def _submitted(e: rev.ResearchSubmitted, b: Any) -> Described:
    again = f" (putaran {e.round})" if e.round > 1 else ""
    return f"mengajukan {_title(b)}{again}", _status(b, e)


def _withdrawn(e: rev.ResearchWithdrawn, b: Any) -> Described:
    return f"menarik {_title(b)} (alasan: {e.reason})", _status(b, e)


def _assigned(e: rev.ResearchReviewerAssigned, b: Any) -> Described:
    return (
        f"menugaskan penelaah akun {_short(e.reviewer_id)} untuk {_title(b)}",
        [*_status(b, e), _change("reviewer", None, e.reviewer_id, "Penelaah")],
    )


def _scored(e: rev.ResearchScored, b: Any) -> Described:
    parts = ", ".join(f"{s.key} {s.score}" for s in e.scores)
    return (
        f"menilai {_title(b)}: {parts} → nilai {e.total} (kriteria {e.criteria_year}, "
        f"melihat versi {e.seen_version})",
        [_change(f"score.{e.reviewer_id}", None, e.total, "Nilai penelaah")],
    )


def _revision(e: rev.ResearchRevisionRequested, b: Any) -> Described:
    return f"meminta perbaikan {_title(b)}: {e.note}", _status(b, e)


def _approved(e: rev.ResearchApproved, b: Any) -> Described:
    pagu = f", pagu {_rupiah(e.budget_ceiling)}" if e.budget_ceiling else ""
    return f"menyetujui {_title(b)}{pagu}", _status(b, e)


def _rejected(e: rev.ResearchRejected, b: Any) -> Described:
    return f"menolak {_title(b)} (alasan: {e.reason})", _status(b, e)


def _started(e: rev.ResearchStarted, b: Any) -> Described:
    contract = f", perjanjian {e.contract_number}" if e.contract_number else ""
    return f"memulai pelaksanaan {_title(b)} ({e.mode}{contract})", _status(b, e)


def _progress(e: rev.ResearchProgressReported, b: Any) -> Described:
    return (
        f"melaporkan kemajuan {_title(b)}: {e.milestone}, {e.progress}%",
        [_change("progress", None, e.progress, "Kemajuan (%)")],
    )


def _output(e: rev.ResearchOutputAdded, b: Any) -> Described:
    o = e.output
    return (
        f"menambahkan luaran {OUTPUT_LABELS.get(o.kind, o.kind)} '{o.title}' pada {_title(b)}",
        [_change(f"output.{o.output_id}", None, o.title, OUTPUT_LABELS.get(o.kind, o.kind))],
    )


def _output_file(e: rev.ResearchOutputFileAttached, b: Any) -> Described:
    f = e.file
    outputs = b.get("outputs")
    output = outputs.get(e.output_id) if isinstance(outputs, dict) else None
    name = f"'{output.title}'" if output is not None else _short(e.output_id)
    before = output.file.name if output is not None and output.file is not None else None
    return (
        f"mengunggah berkas luaran {name} pada {_title(b)}: {f.name} "
        f"({f.content_type}, {f.size} bita, SHA-256 {f.sha256[:12]}…)",
        [_change(f"output.{e.output_id}.file", before, f.name, "Berkas luaran")],
    )


def _completed(e: rev.ResearchCompleted, b: Any) -> Described:
    return f"menerima laporan akhir {_title(b)}", _status(b, e)


def _disseminated(e: rev.ResearchDisseminated, b: Any) -> Described:
    to = f" kepada {len(e.recipients)} organisasi" if e.recipients else ""
    return f"mencatat diseminasi {_title(b)}: {e.forum}{to}", _status(b, e)


def _follow_up(e: rev.ResearchFollowUpRecorded, b: Any) -> Described:
    status = FOLLOW_UP_LABELS.get(e.status, str(e.status))
    return (
        f"mencatat tindak lanjut rekomendasi ke-{e.recommendation + 1} {_title(b)} oleh "
        f"organisasi {_short(e.organisation_id)}: {status}",
        [_change(f"follow_up.{e.output_id}.{e.recommendation}", None, e.status, "Tindak lanjut")],
    )


def _linked(e: rev.ResearchInnovationLinked, b: Any) -> Described:
    return (
        f"menautkan {_title(b)} dengan inovasi {_short(e.innovation_id)} "
        f"({LINK_LABELS.get(e.link, e.link)})",
        [_change(f"innovation.{e.innovation_id}", None, e.link, "Tautan inovasi")],
    )


HANDLERS: dict[type[Any], Any] = {
    rev.AgendaOpened: _agenda_opened,
    rev.AgendaThemeSet: _theme_set,
    rev.AgendaThemeRemoved: _theme_removed,
    rev.AgendaStatusChanged: _agenda_status,
    rev.ResearchProposed: _proposed,
    rev.ResearchUpdated: _updated,
    rev.ResearchSubmitted: _submitted,
    rev.ResearchWithdrawn: _withdrawn,
    rev.ResearchReviewerAssigned: _assigned,
    rev.ResearchScored: _scored,
    rev.ResearchRevisionRequested: _revision,
    rev.ResearchApproved: _approved,
    rev.ResearchRejected: _rejected,
    rev.ResearchStarted: _started,
    rev.ResearchProgressReported: _progress,
    rev.ResearchOutputAdded: _output,
    rev.ResearchOutputFileAttached: _output_file,
    rev.ResearchCompleted: _completed,
    rev.ResearchDisseminated: _disseminated,
    rev.ResearchFollowUpRecorded: _follow_up,
    rev.ResearchInnovationLinked: _linked,
}
