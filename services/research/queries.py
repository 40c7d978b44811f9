"""Queries over the research read models: the proposal list, SPD evidence (the read side's
``projections.research_evidence``, shared with the SPD sheet and the index) and the
public search.

The public search is the one the catalogue adds to its innovation results: only disseminated
research, matched on every query word in the title, background or output titles.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from projections.research_evidence import EvidenceOutput, SpdEvidenceRow, spd_evidence
from services.domain.research.lifecycle import STATUS_LABELS

__all__ = [
    "EvidenceOutput",
    "ProposalItem",
    "ProposalPage",
    "ResearchHit",
    "SpdEvidenceRow",
    "proposals",
    "published_research",
    "spd_evidence",
]


class ProposalItem(msgspec.Struct, kw_only=True):
    id: UUID
    year: int
    organisation_id: UUID | None
    organisation_name: str | None
    title: str
    kind: str
    theme_code: str
    partner: str
    status: str
    status_label: str
    scored: int
    average_score: str | None
    budget_total: str
    progress: int
    updated_at: str | None


class ProposalPage(msgspec.Struct, kw_only=True):
    items: list[ProposalItem]
    total: int
    counts: dict[str, int]  # per status, same filters except status


def _item(r: dict[str, Any]) -> ProposalItem:
    return ProposalItem(
        id=UUID(r["id"]),
        year=int(r["year"] or 0),
        organisation_id=UUID(r["organisation_id"]) if r["organisation_id"] else None,
        organisation_name=r.get("organisation_name"),
        title=r["title"] or "",
        kind=r["kind"] or "",
        theme_code=r["theme_code"] or "",
        partner=r["partner"] or "",
        status=r["status"],
        status_label=STATUS_LABELS.get(r["status"], r["status"]),
        scored=int(r["scored"] or 0),
        average_score=r["average_score"],
        budget_total=r["budget_total"] or "0",
        progress=int(r["progress"] or 0),
        updated_at=r["updated_at"],
    )


def proposals(
    db: Any,
    *,
    year: int | None = None,
    status: str | None = None,
    organisation: UUID | None = None,
    reviewer: UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ProposalPage:
    filters: list[str] = []
    args: list[Any] = []
    if year is not None:
        filters.append("p.year = ?")
        args.append(year)
    if organisation is not None:
        filters.append("p.organisation_id = ?")
        args.append(str(organisation))
    if reviewer is not None:
        filters.append("p.reviewers LIKE ?")
        args.append(f"%{reviewer}%")
    where = " AND ".join(filters) or "1 = 1"
    counts = {
        r["status"]: int(r["n"])
        for r in db.rows(
            f"SELECT p.status, count(*) AS n FROM rm_research_proposals p WHERE {where} "
            "GROUP BY p.status",
            args,
        )
    }
    if status is not None:
        where += " AND p.status = ?"
        args.append(status)
    rows = db.rows(
        "SELECT p.*, o.name AS organisation_name FROM rm_research_proposals p "
        "LEFT JOIN rm_organisations o ON o.id = p.organisation_id "
        f"WHERE {where} ORDER BY p.updated_at DESC, p.id LIMIT {int(limit)} OFFSET {int(offset)}",
        args,
    )
    total = sum(counts.values()) if status is None else counts.get(status, 0)
    return ProposalPage(items=[_item(r) for r in rows], total=total, counts=counts)


class ResearchHit(msgspec.Struct, kw_only=True):
    id: UUID
    year: int
    title: str
    organisation_name: str | None
    partner: str
    background: str
    disseminated_at: str | None


def published_research(db: Any, q: str | None, limit: int = 10) -> list[ResearchHit]:
    """Disseminated research matching every word of ``q`` (all of it when ``q`` is empty)."""
    words = [w for w in (q or "").lower().split() if w][:8]
    filters = ["p.status = 'disseminated'"]
    args: list[Any] = []
    for word in words:
        like = f"%{word.replace('%', '').replace('_', '')}%"
        filters.append(
            "(lower(p.title) LIKE ? OR lower(p.background) LIKE ? OR EXISTS (SELECT 1 FROM "
            "rm_research_outputs o WHERE o.proposal_id = p.id AND lower(o.title) LIKE ?))"
        )
        args += [like, like, like]
    rows = db.rows(
        "SELECT p.id, p.year, p.title, p.partner, p.background, p.disseminated_at, "
        "o.name AS organisation_name FROM rm_research_proposals p "
        "LEFT JOIN rm_organisations o ON o.id = p.organisation_id "
        f"WHERE {' AND '.join(filters)} ORDER BY p.disseminated_at DESC, p.id LIMIT {int(limit)}",
        args,
    )
    return [
        ResearchHit(
            id=UUID(r["id"]),
            year=int(r["year"] or 0),
            title=r["title"] or "",
            organisation_name=r["organisation_name"],
            partner=r["partner"] or "",
            background=r["background"] or "",
            disseminated_at=r["disseminated_at"],
        )
        for r in rows
    ]
