"""Queries over the research read models: the proposal list, SPD evidence and the public search.

The public search is the one the catalogue adds to its innovation results: only disseminated
research, matched on every query word in the title, background or output titles.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from services.domain.research.evidence import AGENDA_LEVEL, AGENDA_SPD_ROW, level_13a
from services.domain.research.lifecycle import STATUS_LABELS


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


class EvidenceOutput(msgspec.Struct, kw_only=True):
    output_id: UUID
    proposal_id: UUID
    proposal_title: str
    kind: str
    title: str
    recommendations: int
    url: str
    disseminated: bool


class SpdEvidenceRow(msgspec.Struct, kw_only=True):
    """One SPD row and the research outputs that are evidence for it, with the level the
    evidence alone would support (13a by the count of recommendations, 14 by the agenda's
    standing, 15 needs the facilitation's own reports: evidence listed, level not derived)."""

    row_no: str
    outputs: list[EvidenceOutput]
    recommendations: int
    suggested_level: int | None
    basis: str


def spd_evidence(db: Any, year: int) -> list[SpdEvidenceRow]:
    found = db.rows(
        "SELECT o.*, p.title AS proposal_title, p.status AS proposal_status "
        "FROM rm_research_outputs o JOIN rm_research_proposals p ON p.id = o.proposal_id "
        "WHERE o.year = ? AND o.spd_row IS NOT NULL AND p.status IN ('completed', 'disseminated') "
        "ORDER BY o.spd_row, o.added_at, o.output_id",
        [year],
    )
    by_row: dict[str, list[EvidenceOutput]] = {"13a": [], "14": [], "15": []}
    for r in found:
        by_row.setdefault(r["spd_row"], []).append(
            EvidenceOutput(
                output_id=UUID(r["output_id"]),
                proposal_id=UUID(r["proposal_id"]),
                proposal_title=r["proposal_title"] or "",
                kind=r["kind"],
                title=r["title"] or "",
                recommendations=int(r["recommendations"] or 0),
                url=r["url"] or "",
                disseminated=r["proposal_status"] == "disseminated",
            )
        )
    agenda = db.rows("SELECT status, perkada FROM rm_research_agendas WHERE year = ?", [year])
    out: list[SpdEvidenceRow] = []
    for no, outputs in by_row.items():
        count = sum(o.recommendations for o in outputs)
        if no == "13a":
            level: int | None = level_13a(count)
            basis = f"{count} rekomendasi kebijakan dari riset yang laporan akhirnya diterima"
        elif no == AGENDA_SPD_ROW:
            status = agenda[0]["status"] if agenda else None
            level = AGENDA_LEVEL.get(status, 0) if status else 0
            basis = f"status agenda/RIPJ PID: {status or 'belum disusun'}" + (
                f" ({agenda[0]['perkada']})" if agenda and agenda[0]["perkada"] else ""
            )
        else:
            level, basis = None, "pendaftaran HAKI dari riset; level dari laporan fasilitasi"
        out.append(
            SpdEvidenceRow(
                row_no=no,
                outputs=outputs,
                recommendations=count,
                suggested_level=level,
                basis=basis,
            )
        )
    return out


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
