"""The maturity leaderboard and the regency index dashboard and plan."""

from __future__ import annotations

from collections import Counter
from typing import Any
from uuid import UUID

import msgspec

from projections.queries.common import (
    QueryError,
    optional_uuid,
    status_label,
)
from projections.regency import IndexInputs, Rescore, index_inputs, resolve_rules
from services.domain import regency_index
from services.domain.index_rules import IndexRules, UnknownIndexYear
from services.domain.lifecycle import DECIDED, NOT_IN_PLAY
from services.domain.rubric import available_years


class LeaderboardEntry(msgspec.Struct):
    rank: int
    id: UUID
    title: str
    organisation_id: UUID | None
    organisation_name: str | None
    status: str
    status_label: str
    stage: str | None
    verified_score: int | None
    claimed_score: int | None
    max_score: int | None


class OrganisationScore(msgspec.Struct):
    organisation_id: UUID
    organisation_name: str | None
    innovations: int
    approved: int
    best_score: int
    average_score: float


class IndexDashboard(msgspec.Struct):
    year: int
    index_year: int  # the year file whose rules apply (``rubric`` what-if or the nearest year)
    rubric_year: int  # the SID rubric the maturity scores are taken under
    what_if: bool  # True when ``rubric`` asked for another year's rules
    spd_source: str  # "sheet" (the SPD sheet) | "request" (explicit ``spd`` what-if) | "none"
    index: regency_index.RegencyIndex  # the reported innovations, klaim and terverifikasi
    potential: regency_index.IndexView  # if every approved innovation of the year were reported
    innovations: list[regency_index.InnovationInput]  # reported: the ids in n are in index
    rules: IndexRules
    by_status: dict[str, int]
    by_stage: dict[str, int]
    maturity_histogram: dict[str, int]  # verified score bands of submitted innovations
    leaderboard: list[LeaderboardEntry]
    organisations: list[OrganisationScore]


class IndexPlan(msgspec.Struct):
    year: int
    index_year: int
    rubric_year: int
    what_if: bool
    spd_source: str
    plan: regency_index.Plan


def _index_setup(
    db: Any, year: int, rubric: int | None, spd: float | None, rescore: Rescore | None
) -> tuple[IndexInputs, str]:
    try:
        rules = resolve_rules(year, rubric)
    except UnknownIndexYear as exc:
        years = ", ".join(map(str, exc.available))
        message = f"Aturan indeks tahun {exc.year} tidak ada; tersedia: {years}."
        raise QueryError("rubric", message) from None
    if spd is not None and not 0 <= spd <= rules.spd_max:
        raise QueryError("spd", f"SPD harus antara 0 dan {rules.spd_max:g}.")
    inputs = index_inputs(db, year, rules, rescore)
    return inputs, "request" if spd is not None else inputs.spd_source


def index_plan(
    db: Any,
    year: int,
    *,
    rubric: int | None = None,
    spd: float | None = None,
    rescore: Rescore | None = None,
) -> IndexPlan:
    """Which of the year's innovations to report to maximise the verified index."""
    inputs, source = _index_setup(db, year, rubric, spd, rescore)
    rules = inputs.rules
    return IndexPlan(
        year=year,
        index_year=rules.year,
        rubric_year=rules.sid_rubric_year,
        what_if=rubric is not None,
        spd_source=source,
        plan=regency_index.plan_report(rules, inputs.spd, inputs.candidates, spd_total=spd),
    )


def rubric_year_for(db: Any, year: int) -> int:
    """The rubric the year's innovations are scored with (its calls say), else the nearest file."""
    found = db.rows(
        "SELECT rubric_year, count(*) AS n FROM rm_innovations WHERE budget_year = ? "
        "AND call_kind = 'annual' GROUP BY rubric_year ORDER BY n DESC, rubric_year DESC",
        (year,),
    )
    years = available_years()
    if found and int(found[0]["rubric_year"]) in years:
        return int(found[0]["rubric_year"])
    if year in years:
        return year
    earlier = [y for y in years if y <= year]
    return max(earlier) if earlier else min(years)


def index_dashboard(
    db: Any,
    year: int,
    *,
    spd: float | None = None,
    limit: int = 20,
    rubric: int | None = None,
    rescore: Rescore | None = None,
) -> IndexDashboard:
    """The regency index as the ministry computes it (``services.domain.regency_index``) with
    the year's rules, or another year's (``rubric``, what-if); ``spd`` overrides the SPD sheet."""
    inputs, source = _index_setup(db, year, rubric, spd, rescore)
    rules = inputs.rules
    top = int(rules.sid_max)
    index = regency_index.compute_index(rules, inputs.spd, inputs.reported, spd_total=spd)
    potential = regency_index.compute_index(rules, inputs.spd, inputs.candidates, spd_total=spd)
    rows = db.rows(
        "SELECT i.id, i.title, i.status, i.stage, i.organisation_id, i.verified_score, "
        "i.claimed_score, i.max_score, o.name AS organisation_name FROM rm_innovations i "
        "LEFT JOIN rm_organisations o ON o.id = i.organisation_id "
        "WHERE i.budget_year = ? AND i.call_kind = 'annual'",
        (year,),
    )
    by_status = Counter(r["status"] for r in rows)
    by_stage = Counter(r["stage"] or "belum_diisi" for r in rows)
    counted = [r for r in rows if r["status"] not in NOT_IN_PLAY]
    histogram = _maturity_histogram(counted, top)
    leaderboard = _leaderboard(counted, limit)
    organisations = _organisation_scores(counted)
    return IndexDashboard(
        year=year,
        index_year=rules.year,
        rubric_year=rules.sid_rubric_year,
        what_if=rubric is not None,
        spd_source=source,
        index=index,
        potential=potential.verified,
        innovations=inputs.reported,
        rules=rules,
        by_status=dict(by_status),
        by_stage=dict(by_stage),
        maturity_histogram=histogram,
        leaderboard=leaderboard,
        organisations=organisations,
    )


def _maturity_histogram(counted: list[Any], top: int) -> dict[str, int]:
    """How many innovations fall in each fifth of the maturity scale (verified, capped)."""
    histogram: dict[str, int] = {}
    step = max(top // 5, 1)
    for low in range(0, top + 1, step):
        high = min(low + step - 1, top)
        histogram[f"{low}-{high}"] = sum(
            1 for r in counted if low <= min(r["verified_score"] or 0, top) <= high
        )
    return histogram


def _leaderboard(counted: list[Any], limit: int) -> list[LeaderboardEntry]:
    """The first ``limit`` by verified, then claimed score (title and id break ties)."""
    ranked = sorted(
        counted,
        key=lambda r: (
            -(r["verified_score"] or 0),
            -(r["claimed_score"] or 0),
            r["title"] or "",
            r["id"],
        ),
    )
    return [
        LeaderboardEntry(
            rank=n,
            id=UUID(r["id"]),
            title=r["title"] or "",
            organisation_id=optional_uuid(r["organisation_id"]),
            organisation_name=r["organisation_name"],
            status=r["status"],
            status_label=status_label(r["status"]),
            stage=r["stage"],
            verified_score=r["verified_score"],
            claimed_score=r["claimed_score"],
            max_score=r["max_score"],
        )
        for n, r in enumerate(ranked[:limit], start=1)
    ]


def _organisation_scores(counted: list[Any]) -> list[OrganisationScore]:
    """Per organisation: how many, how many decided, best and average decided score."""
    per_org: dict[str, list[dict[str, Any]]] = {}
    for r in counted:
        if r["organisation_id"]:
            per_org.setdefault(r["organisation_id"], []).append(r)
    organisations = []
    for org_id, items in per_org.items():
        approved = [i for i in items if i["status"] in DECIDED]
        verified = [i["verified_score"] or 0 for i in approved]
        organisations.append(
            OrganisationScore(
                organisation_id=UUID(org_id),
                organisation_name=items[0]["organisation_name"],
                innovations=len(items),
                approved=len(approved),
                best_score=max((i["verified_score"] or 0 for i in items), default=0),
                average_score=round(sum(verified) / len(verified), 1) if verified else 0.0,
            )
        )
    organisations.sort(key=lambda o: (-o.best_score, -o.approved, o.organisation_name or ""))
    return organisations
