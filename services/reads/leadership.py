"""The leadership summary (issue 21 item 5): one year of the regency on one page, for the regent
and the Bappeda head (``Role.PIMPINAN``), read from the read models only.

Every figure comes from the query that already computes it for its own screen: the regency
index and the innovations by status and stage (``projections.queries.index``), compliance with
Perbup 87/2021 art. 38 (``projections.queries.compliance``), the research pipeline and its SPD
evidence (``services.research.queries``), monev visits and recommendations
(``projections.monev``) and mentoring follow-ups (``projections.mentoring``). This module only
gathers and labels them, so the summary never disagrees with the page a figure links to.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec

from projections import mentoring as mentoring_model
from projections import monev as monev_model
from projections import queries
from projections.regency import Rescore
from services.domain import labels
from services.domain.call import JAKARTA
from services.domain.lifecycle import STATUS_LABELS
from services.domain.monev import RECOMMENDATION_LABELS
from services.domain.research.lifecycle import STATUS_LABELS as RESEARCH_STATUS_LABELS
from services.domain.research.values import AGENDA_STATUS_LABELS, FOLLOW_UP_LABELS
from services.domain.values import STAGE_LABELS
from services.research import queries as research_queries

#: A visit due within this many days is "due soon" (the overdue ones are listed apart).
DUE_SOON_DAYS = 30
#: At most this many overdue items are named one by one (the counts are always complete).
LISTED = 10
AGENDA_NAMES: dict[str, str] = {str(k): v for k, v in AGENDA_STATUS_LABELS.items()}
#: Research follow-ups that mean an organisation took the recommendation up.
ADOPTED = ("dilaksanakan", "selesai")


class Count(msgspec.Struct, frozen=True):
    code: str
    label: str
    count: int


class IndexFigure(msgspec.Struct, frozen=True):
    """The regency index of one year as the dashboard computes it ("terverifikasi" and "klaim")."""

    year: int
    verified: float
    verified_band: str
    claimed: float
    claimed_band: str
    reported: int  # n: innovations reported to the ministry that year
    spd_score: float  # verified SPD component
    sid_score: float
    count_score: float
    max_total: float
    perkiraan: bool  # the year file marks some values as estimates


class SpdStatus(msgspec.Struct, frozen=True):
    recorded: bool
    rows: int
    by_status: list[Count]
    claimed_score: float
    verified_score: float
    maximum: float


class Innovations(msgspec.Struct, frozen=True):
    total: int
    by_status: list[Count]
    by_stage: list[Count]


class Organisation(msgspec.Struct, frozen=True):
    id: UUID
    code: str
    name: str


class Compliance(msgspec.Struct, frozen=True):
    rule: str
    organisations: int
    compliant: int
    draft_only: int
    none: int
    percent_compliant: float
    days_remaining_in_year: int
    without_proposal: list[Organisation]  # nothing submitted: no innovation or only drafts


class Research(msgspec.Struct, frozen=True):
    agenda_status: str | None
    agenda_status_label: str
    agenda_title: str
    proposals: int
    by_status: list[Count]
    completed: int  # final report accepted, disseminated or not
    recommendations: int  # policy recommendations of completed studies (SPD row 13a)
    follow_ups: list[Count]
    adopted: int  # follow-ups an organisation is carrying out or has finished


class Pending(msgspec.Struct, frozen=True):
    """One overdue item, with what a reader needs to open it."""

    innovation_id: UUID
    title: str
    organisation_name: str
    due_on: str
    days_late: int
    text: str = ""


class Monev(msgspec.Struct, frozen=True):
    visits_overdue: int
    visits_due_soon: int
    overdue: list[Pending]
    reports: int
    recommendations: list[Count]


class Mentoring(msgspec.Struct, frozen=True):
    follow_ups_open: int
    follow_ups_overdue: int
    overdue: list[Pending]


class LeadershipSummary(msgspec.Struct, frozen=True):
    """Ringkasan pimpinan: the year's index (and the year before), SPD, innovations, compliance,
    research, monev and mentoring. ``today`` is the WIB date the due dates are counted from."""

    year: int
    today: date
    index: IndexFigure
    previous_index: IndexFigure
    index_change: float  # verified, this year minus the year before
    spd: SpdStatus
    innovations: Innovations
    compliance: Compliance
    research: Research
    monev: Monev
    mentoring: Mentoring


def _counts(found: dict[str, int], names: dict[str, str]) -> list[Count]:
    """In the labels' order first (the lifecycle's), then anything unlabelled."""
    order = {code: i for i, code in enumerate(names)}
    ranked = sorted(found.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    return [Count(code=k, label=names.get(k, k), count=n) for k, n in ranked if n]


def _index(board: queries.index.IndexDashboard) -> IndexFigure:
    verified, claimed = board.index.verified, board.index.claimed
    return IndexFigure(
        year=board.year,
        verified=verified.value,
        verified_band=verified.band,
        claimed=claimed.value,
        claimed_band=claimed.band,
        reported=verified.n,
        spd_score=verified.spd_score,
        sid_score=verified.sid_score,
        count_score=verified.count_score,
        max_total=verified.max_total,
        perkiraan=bool(board.index.perkiraan),
    )


def _spd(db: Any, board: queries.index.IndexDashboard) -> SpdStatus:
    found = {
        str(r["status"]): int(r["n"])
        for r in db.rows(
            "SELECT status, count(*) AS n FROM rm_spd_rows WHERE year = ? GROUP BY status",
            (board.year,),
        )
    }
    return SpdStatus(
        recorded=board.index.spd_recorded,
        rows=sum(found.values()),
        by_status=_counts(found, labels.SPD_ROW_STATUS),
        claimed_score=board.index.claimed.spd_score,
        verified_score=board.index.verified.spd_score,
        maximum=board.index.verified.spd_max,
    )


def _compliance(db: Any, year: int, now: datetime) -> Compliance:
    report = queries.compliance.compliance(db, year, now=now)
    return Compliance(
        rule=report.rule,
        organisations=report.organisations,
        compliant=report.compliant,
        draft_only=report.draft_only,
        none=report.none,
        percent_compliant=report.percent_compliant,
        days_remaining_in_year=report.days_remaining_in_year,
        without_proposal=[
            Organisation(id=r.organisation_id, code=r.code, name=r.name)
            for r in report.rows
            if r.state != "compliant"
        ],
    )


def _research(db: Any, year: int) -> Research:
    page = research_queries.proposals(db, year=year, limit=1)
    agenda = db.rows("SELECT title, status FROM rm_research_agendas WHERE year = ?", (year,))
    status = str(agenda[0]["status"]) if agenda and agenda[0]["status"] else None
    evidence = {row.row_no: row for row in research_queries.spd_evidence(db, year)}
    follow_ups = {
        str(r["status"]): int(r["n"])
        for r in db.rows(
            "SELECT f.status, count(*) AS n FROM rm_research_follow_ups f "
            "JOIN rm_research_proposals p ON p.id = f.proposal_id WHERE p.year = ? "
            "GROUP BY f.status",
            (year,),
        )
    }
    return Research(
        agenda_status=status,
        agenda_status_label=AGENDA_NAMES.get(status, status) if status else "Belum disusun",
        agenda_title=str(agenda[0]["title"] or "") if agenda else "",
        proposals=page.total,
        by_status=_counts(page.counts, RESEARCH_STATUS_LABELS),
        completed=page.counts.get("completed", 0) + page.counts.get("disseminated", 0),
        recommendations=evidence["13a"].recommendations if "13a" in evidence else 0,
        follow_ups=_counts(follow_ups, {str(k): v for k, v in FOLLOW_UP_LABELS.items()}),
        adopted=sum(follow_ups.get(s, 0) for s in ADOPTED),
    )


def _names(db: Any, innovation_ids: list[str]) -> dict[str, tuple[str, str]]:
    """innovation id → (title, organisation name), for the few items listed by name."""
    if not innovation_ids:
        return {}
    rows = db.rows(
        "SELECT i.id, i.title, o.name AS organisation_name FROM rm_innovations i "
        "LEFT JOIN rm_organisations o ON o.id = i.organisation_id "
        f"WHERE i.id IN ({', '.join('?' * len(innovation_ids))})",
        innovation_ids,
    )
    return {str(r["id"]): (r["title"] or "", r["organisation_name"] or "—") for r in rows}


def _pending(db: Any, items: list[dict[str, Any]], due: str, today: date) -> list[Pending]:
    shown = items[:LISTED]
    names = _names(db, sorted({str(i["innovation_id"]) for i in shown}))
    out = []
    for item in shown:
        title, organisation = names.get(str(item["innovation_id"]), ("(inovasi)", "—"))
        day = date.fromisoformat(str(item[due])[:10])
        out.append(
            Pending(
                innovation_id=UUID(str(item["innovation_id"])),
                title=title,
                organisation_name=organisation,
                due_on=day.isoformat(),
                days_late=(today - day).days,
                text=str(item.get("text") or ""),
            )
        )
    return out


def _monev(db: Any, year: int, today: date) -> Monev:
    with db.transaction() as tx:
        due = monev_model.visits_due(tx, today + timedelta(days=DUE_SOON_DAYS))
        found = monev_model.recommendations(tx, year=year)
    overdue = [v for v in due if str(v["due_on"]) < today.isoformat()]
    return Monev(
        visits_overdue=len(overdue),
        visits_due_soon=len(due) - len(overdue),
        overdue=_pending(db, overdue, "due_on", today),
        reports=sum(found.values()),
        recommendations=_counts(found, {str(k): v for k, v in RECOMMENDATION_LABELS.items()}),
    )


def _mentoring(db: Any, today: date) -> Mentoring:
    with db.transaction() as tx:
        open_items = mentoring_model.open_follow_ups(tx)
    overdue = [f for f in open_items if f["due"] and str(f["due"])[:10] < today.isoformat()]
    return Mentoring(
        follow_ups_open=len(open_items),
        follow_ups_overdue=len(overdue),
        overdue=_pending(db, overdue, "due", today),
    )


def leadership_summary(
    db: Any, year: int, *, rescore: Rescore | None = None, now: datetime | None = None
) -> LeadershipSummary:
    """The summary of ``year`` (2000–2100; the caller validates it) as of ``now``."""
    now = now or datetime.now(UTC)
    today = now.astimezone(JAKARTA).date()
    board = queries.index.index_dashboard(db, year, limit=1, rescore=rescore)
    before = queries.index.index_dashboard(db, year - 1, limit=1, rescore=rescore)
    index, previous = _index(board), _index(before)
    stage_names = {**{str(k): v for k, v in STAGE_LABELS.items()}, "belum_diisi": "Belum diisi"}
    return LeadershipSummary(
        year=year,
        today=today,
        index=index,
        previous_index=previous,
        index_change=round(index.verified - previous.verified, 2),
        spd=_spd(db, board),
        innovations=Innovations(
            total=sum(board.by_status.values()),
            by_status=_counts(board.by_status, {str(k): v for k, v in STATUS_LABELS.items()}),
            by_stage=_counts(board.by_stage, stage_names),
        ),
        compliance=_compliance(db, year, now),
        research=_research(db, year),
        monev=_monev(db, year, today),
        mentoring=_mentoring(db, today),
    )
