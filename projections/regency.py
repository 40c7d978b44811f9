"""The read side of the regency index: the year's innovations and SPD sheet as index inputs.

Reads ``rm_innovations`` (status, scores, the main urusan code, the ministry's latest verdict)
and the SPD sheet's per-row levels (``rm_spd_rows``), counts the research evidence of rows 13a,
14 and 15 by ``services.domain.research.evidence.counted`` (the SPD sheet's own scores use the
same rule), and hands them to the pure :mod:`services.domain.regency_index`. A year with neither
an SPD row recorded nor research evidence is "SPD belum diisi".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import msgspec

from projections.research_evidence import spd_levels
from services.domain import lifecycle
from services.domain.index_rules import IndexRules, nearest_year, rules_for
from services.domain.regency_index import InnovationInput, SpdEntry
from services.domain.research.evidence import counted_rows
from services.domain.rubric import load_rubric

__all__ = [
    "SPD_SHEET_TABLE",
    "IndexInputs",
    "Rescore",
    "index_inputs",
    "rescorer",
    "resolve_rules",
]

#: The SPD sheet read model (row per year × SPD row with claimed and verified level).
SPD_SHEET_TABLE = "rm_spd_rows"  # projections/spd.py (the SPD sheet, issue 18 item 2)

REPORTED = tuple(s.value for s in lifecycle.SELECTED)
DECIDED = tuple(s.value for s in lifecycle.DECIDED)

#: Re-scores one innovation under another rubric year: (id, rubric year) → (claimed, verified).
Rescore = Callable[[str, int], tuple[float, float]]


def rescorer(commands: Any) -> Rescore:
    """Re-scores from the innovation's own levels (its aggregate) under another rubric year."""

    def rescore(innovation_id: str, year: int) -> tuple[float, float]:
        card = commands.innovation(UUID(innovation_id)).scorecard(load_rubric(year))
        return float(card.claimed_total), float(card.verified_total)

    return rescore


class IndexInputs(msgspec.Struct):
    rules: IndexRules
    spd: dict[str, SpdEntry]
    spd_source: str  # "sheet" | "research" (only research evidence) | "none"
    reported: list[InnovationInput]  # selected for / reported to IGA this year: n
    candidates: list[InnovationInput]  # approved or reported this year: the planner's pool


def resolve_rules(year: int, rubric: int | None) -> IndexRules:
    """``rubric`` (what-if) if given, else the year's own rules or the nearest earlier file."""
    return rules_for(rubric if rubric is not None else nearest_year(year))


def _spd_sheet(db: Any, year: int) -> dict[str, SpdEntry]:
    rows = db.rows(
        f"SELECT row_no, claimed_level, verified_level FROM {SPD_SHEET_TABLE} WHERE year = ?",
        (year,),
    )
    return {
        str(r["row_no"]): SpdEntry(
            claimed_level=int(r["claimed_level"] or 0),
            verified_level=None if r["verified_level"] is None else int(r["verified_level"]),
        )
        for r in rows
    }


def _same_weights(a: int, b: int) -> bool:
    def weights(year: int) -> list[tuple[int, int]]:
        return [(i.no, i.weight) for i in load_rubric(year).indicators]

    return a == b or weights(a) == weights(b)


def index_inputs(db: Any, year: int, rules: IndexRules, rescore: Rescore | None) -> IndexInputs:
    """The year's SPD and innovations, scored under ``rules.sid_rubric_year``.

    A stored score is reused when the innovation's rubric has the same indicators and weights
    as the target rubric (the levels are what the evidence proves, the same in either year);
    otherwise ``rescore`` recomputes it from the innovation's levels.
    """
    sheet = _spd_sheet(db, year)
    known = {r.no for r in rules.spd_rows}
    spd = {no: e for no, e in counted_rows(sheet, spd_levels(db, year)).items() if no in known}
    rows = db.rows(
        "SELECT * FROM rm_innovations WHERE call_kind = 'annual' AND ("
        f"(iga_year = ? AND status IN ({', '.join('?' * len(REPORTED))})) OR "
        f"(budget_year = ? AND iga_year IS NULL AND status IN ({', '.join('?' * len(DECIDED))})))",
        (year, *REPORTED, year, *DECIDED),
    )
    top = rules.sid_max
    target = rules.sid_rubric_year
    reported: list[InnovationInput] = []
    candidates: list[InnovationInput] = []
    for r in sorted(rows, key=lambda r: str(r["id"])):
        claimed, verified = float(r["claimed_score"] or 0), float(r["verified_score"] or 0)
        if r["rubric_year"] is not None and not _same_weights(int(r["rubric_year"]), target):
            if rescore is None:
                raise ValueError(f"innovation {r['id']} needs re-scoring under {target}")
            claimed, verified = rescore(str(r["id"]), target)
        item = InnovationInput(
            id=str(r["id"]),
            title=str(r["title"] or ""),
            claimed_score=min(claimed, top),
            verified_score=min(verified, top),
            urusan=r["urusan"] or None,
            ministry_verdict=r["ministry_verdict"],
        )
        candidates.append(item)
        if r["status"] in REPORTED and r["iga_year"] == year:
            reported.append(item)
    return IndexInputs(
        rules=rules,
        spd=spd,
        spd_source="sheet" if sheet else ("research" if spd else "none"),
        reported=reported,
        candidates=candidates,
    )
