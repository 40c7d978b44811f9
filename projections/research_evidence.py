"""Research outputs as SPD evidence, per row (13a, 14, 15), with the level they support
(``services.domain.research.evidence``): read by the research API, the SPD sheet and the
regency index, so all three show the same evidence and the same level.

Evidence is what Bappeda accepted: outputs of the year's studies whose final report was accepted
(completed or disseminated), and the agenda's standing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from services.domain.research.evidence import AGENDA_SPD_ROW, RESEARCH_ROWS, research_level


class EvidenceOutput(msgspec.Struct, kw_only=True):
    output_id: UUID
    proposal_id: UUID
    proposal_title: str
    kind: str
    title: str
    recommendations: int
    url: str
    disseminated: bool
    page_url: str = ""  # the study's page
    file_url: str = ""  # the output's file, when one was uploaded


class SpdEvidenceRow(msgspec.Struct, kw_only=True):
    """One SPD row and the research outputs that are evidence for it, with the level the
    evidence alone supports (13a by the count of recommendations, 14 by the agenda's standing;
    15: evidence listed, no level)."""

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
    by_row: dict[str, list[EvidenceOutput]] = {no: [] for no in RESEARCH_ROWS}
    for r in found:
        pid = r["proposal_id"]
        by_row.setdefault(r["spd_row"], []).append(
            EvidenceOutput(
                output_id=UUID(r["output_id"]),
                proposal_id=UUID(pid),
                proposal_title=r["proposal_title"] or "",
                kind=r["kind"],
                title=r["title"] or "",
                recommendations=int(r["recommendations"] or 0),
                url=r["url"] or "",
                disseminated=r["proposal_status"] == "disseminated",
                page_url=f"/riset/usulan/{pid}",
                file_url=f"/api/research/proposals/{pid}/outputs/{r['output_id']}/file"
                if r.get("file_sha256")
                else "",
            )
        )
    agenda = db.rows("SELECT status, perkada FROM rm_research_agendas WHERE year = ?", [year])
    status = agenda[0]["status"] if agenda else None
    out: list[SpdEvidenceRow] = []
    for no, outputs in by_row.items():
        count = sum(o.recommendations for o in outputs)
        level = research_level(no, count, status)
        if no == "13a":
            basis = f"{count} rekomendasi kebijakan dari riset yang laporan akhirnya diterima"
        elif no == AGENDA_SPD_ROW:
            basis = f"status agenda/RIPJ PID: {status or 'belum disusun'}" + (
                f" ({agenda[0]['perkada']})" if agenda and agenda[0]["perkada"] else ""
            )
        else:
            basis = "pendaftaran HAKI dari riset; level dari laporan fasilitasi HAKI"
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


def spd_levels(db: Any, year: int) -> dict[str, int | None]:
    """The level research evidence supports per row (for ``evidence.counted_rows``)."""
    return {row.row_no: row.suggested_level for row in spd_evidence(db, year)}
