"""Who is told what about research, in the notification rules' terms (``Planned`` via
``fan_out``), resolved from the relay's directory as of the event:

=============================  ==========================================  ==================
event                          recipients                                  kind
=============================  ==========================================  ==================
ResearchSubmitted              admins (a proposal to assign)               research_status
ResearchReviewerAssigned       the assigned reviewer                       research_status
ResearchRevisionRequested,     the proposing organisation's operators      research_status
ResearchApproved/Rejected,
ResearchCompleted,
ResearchDisseminated
ResearchDisseminated           operators of the recipient organisations    research_status
=============================  ==========================================  ==================

The relay keeps ``notification_research`` (proposal → organisation, title; created with the
notification tables in ``services.notification.schema``), folded here from
the proposal's first event, so later events know whom to tell. The actor is never told about
their own action.
"""

from __future__ import annotations

from typing import Any

from services.db import Tx
from services.domain.call import format_jakarta
from services.domain.research import events as rev
from services.domain.research.lifecycle import STATUS_LABELS
from services.notification import directory
from services.notification.directory import Recipient

KIND = "research_status"
HEADLINES: dict[type[rev.ProposalEvent], str] = {
    rev.ResearchSubmitted: "Usulan riset baru diajukan dan menunggu penugasan penelaah",
    rev.ResearchReviewerAssigned: "Anda ditugaskan menelaah usulan riset",
    rev.ResearchRevisionRequested: "Usulan riset perlu perbaikan",
    rev.ResearchApproved: "Usulan riset disetujui",
    rev.ResearchRejected: "Usulan riset ditolak",
    rev.ResearchCompleted: "Laporan akhir riset diterima",
    rev.ResearchDisseminated: "Hasil riset didiseminasikan",
}
STATUS_AFTER: dict[type[rev.ProposalEvent], str] = {
    rev.ResearchSubmitted: "submitted",
    rev.ResearchReviewerAssigned: "under_review",
    rev.ResearchRevisionRequested: "revision_requested",
    rev.ResearchApproved: "approved",
    rev.ResearchRejected: "rejected",
    rev.ResearchCompleted: "completed",
    rev.ResearchDisseminated: "disseminated",
}


def _fold(tx: Tx, e: rev.ProposalEvent) -> tuple[str | None, str]:
    """Record a new proposal (or a new title); answer its organisation and title."""
    key = str(e.originator_id)
    if isinstance(e, (rev.ResearchProposed, rev.ResearchUpdated)):
        org = str(e.organisation_id) if isinstance(e, rev.ResearchProposed) else None
        if org is None:
            org = tx.scalar(
                "SELECT organisation_id FROM notification_research WHERE proposal_id = ?", (key,)
            )
        tx.execute(
            "INSERT INTO notification_research (proposal_id, organisation_id, title) "
            "VALUES (?, ?, ?) ON CONFLICT (proposal_id) DO UPDATE SET title = excluded.title",
            (key, org if org not in ("None", "") else None, e.body.title),
        )
    row = tx.execute(
        "SELECT organisation_id, title FROM notification_research WHERE proposal_id = ?", (key,)
    ).fetchone()
    return (row[0], row[1]) if row else (None, "")


def recipients(tx: Tx, e: rev.ResearchEvent) -> tuple[list[Recipient], dict[str, Any]] | None:
    """Who hears of ``e`` and the message's parameters (None: nobody)."""
    if not isinstance(e, rev.ProposalEvent):
        return None
    organisation_id, title = _fold(tx, e)
    headline = HEADLINES.get(type(e))
    if headline is None:
        return None
    found: list[Recipient] = []
    if isinstance(e, rev.ResearchSubmitted):
        found = directory.admins(tx)
    elif isinstance(e, rev.ResearchReviewerAssigned):
        reviewer = directory.account(tx, str(e.reviewer_id))
        found = [reviewer] if reviewer else []
    else:
        found = directory.operators(tx, organisation_id)
        if isinstance(e, rev.ResearchDisseminated):
            for org in e.recipients:
                found += directory.operators(tx, str(org))
    note = getattr(e, "note", None) or getattr(e, "reason", None) or ""
    status = STATUS_AFTER[type(e)]
    params: dict[str, Any] = {
        "proposal_id": str(e.originator_id),
        "title": title,
        "headline": headline,
        "organisation": directory.organisation_name(tx, organisation_id),
        "actor": directory.display_name(tx, e.actor.account_id),
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "when": format_jakarta(e.timestamp),
        "note": note,
    }
    return found, params
