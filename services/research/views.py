"""What the research API and pages show: the agenda, a proposal with its step, its reviews and
its reports, read from the aggregates (read-your-writes) or the read models (lists)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import msgspec

from services.domain.principal import Principal
from services.domain.research import criteria
from services.domain.research.agenda import ResearchAgenda
from services.domain.research.evidence import AGENDA_LEVEL, OUTPUT_SPD_ROW
from services.domain.research.lifecycle import (
    COMMAND_LABELS,
    STATUS_LABELS,
    STEPS,
    Status,
    allowed_commands,
)
from services.domain.research.proposal import ResearchProposal, missing_items
from services.domain.research.values import (
    AGENDA_STATUS_LABELS,
    FOLLOW_UP_LABELS,
    OUTPUT_LABELS,
    Output,
    ProposalBody,
    Theme,
)


class AgendaView(msgspec.Struct, kw_only=True):
    year: int
    exists: bool
    title: str
    rpjmd_period: str
    status: str
    status_label: str
    perkada: str
    spd14_level: int  # what the agenda's standing earns on SPD row 14
    themes: list[Theme]
    version: int


def agenda_view(year: int, agenda: ResearchAgenda | None) -> AgendaView:
    if agenda is None:
        return AgendaView(
            year=year,
            exists=False,
            title="",
            rpjmd_period="",
            status="",
            status_label="Belum disusun",
            perkada="",
            spd14_level=0,
            themes=[],
            version=0,
        )
    return AgendaView(
        year=year,
        exists=True,
        title=agenda.title,
        rpjmd_period=agenda.rpjmd_period,
        status=str(agenda.status),
        status_label=AGENDA_STATUS_LABELS[agenda.status],
        perkada=agenda.perkada,
        spd14_level=AGENDA_LEVEL[agenda.status],
        themes=sorted(agenda.themes.values(), key=lambda t: t.code),
        version=agenda.version,
    )


class CriterionView(msgspec.Struct, kw_only=True):
    key: str
    label: str
    weight: int
    score: int | None = None


class ReviewView(msgspec.Struct, kw_only=True):
    reviewer_id: UUID
    scored: bool
    total: Decimal | None
    note: str
    criteria: list[CriterionView]


class StepView(msgspec.Struct, kw_only=True):
    status: str
    label: str
    state: str  # done | current | todo


class ProgressView(msgspec.Struct, kw_only=True):
    milestone: str
    progress: int
    reported_on: date
    summary: str


class OutputView(msgspec.Struct, kw_only=True):
    output: Output  # ``output.file``: name, type, size, SHA-256 of the current file
    label: str
    spd_row: str | None
    file_url: str | None = None  # download (``services.research.files``)


class FollowUpView(msgspec.Struct, kw_only=True):
    output_id: UUID
    recommendation: int
    recommendation_text: str
    organisation_id: UUID
    status: str
    status_label: str
    note: str


class DisseminationView(msgspec.Struct, kw_only=True):
    forum: str
    held_on: date
    recipients: list[UUID]
    note: str


class LinkView(msgspec.Struct, kw_only=True):
    innovation_id: UUID
    link: str
    note: str


class ReportsView(msgspec.Struct, kw_only=True):
    """Execution: milestones and progress, outputs (final report, policy brief, data)."""

    mode: str
    contract_number: str
    started_on: date | None
    progress: int
    progress_reports: list[ProgressView]
    outputs: list[OutputView]


class ProposalView(msgspec.Struct, kw_only=True):
    id: UUID
    version: int
    year: int
    organisation_id: UUID | None
    submitter_id: UUID | None
    status: str
    status_label: str
    steps: list[StepView]
    allowed: list[str]  # commands the caller's role may give now (the lifecycle table)
    allowed_labels: dict[str, str]
    body: ProposalBody
    budget_total: Decimal
    missing: list[str]
    round: int
    note: str
    budget_ceiling: Decimal | None
    average_score: Decimal | None
    reviews: list[ReviewView]  # empty on the public face
    reports: ReportsView
    disseminations: list[DisseminationView]
    follow_ups: list[FollowUpView]
    innovations: list[LinkView]


def steps(status: Status) -> list[StepView]:
    if status not in STEPS:  # off the main path: show where it stopped
        return [StepView(status=str(status), label=STATUS_LABELS[status], state="current")]
    here = STEPS.index(status)
    return [
        StepView(
            status=str(s),
            label=STATUS_LABELS[s],
            state="done" if i < here else ("current" if i == here else "todo"),
        )
        for i, s in enumerate(STEPS)
    ]


def reviews_view(p: ResearchProposal) -> list[ReviewView]:
    rows = criteria.criteria(p.year)
    out: list[ReviewView] = []
    for review in p.reviewers.values():
        given = {s.key: s.score for s in review.scores}
        out.append(
            ReviewView(
                reviewer_id=review.reviewer_id,
                scored=review.total is not None,
                total=review.total,
                note=review.note,
                criteria=[
                    CriterionView(key=c.key, label=c.label, weight=c.weight, score=given.get(c.key))
                    for c in rows
                ],
            )
        )
    return out


def reports_view(p: ResearchProposal) -> ReportsView:
    return ReportsView(
        mode=p.mode,
        contract_number=p.contract_number,
        started_on=p.started_on,
        progress=p.last_progress,
        progress_reports=[
            ProgressView(
                milestone=r.milestone,
                progress=r.progress,
                reported_on=r.reported_on,
                summary=r.summary,
            )
            for r in p.progress
        ],
        outputs=[
            OutputView(
                output=o,
                label=OUTPUT_LABELS[o.kind],
                spd_row=OUTPUT_SPD_ROW.get(o.kind),
                file_url=f"/api/research/proposals/{p.id}/outputs/{o.output_id}/file"
                if o.file is not None
                else None,
            )
            for o in p.outputs.values()
        ],
    )


def proposal_view(p: ResearchProposal, principal: Principal, *, record: bool) -> ProposalView:
    """``record``: the internal record (reviews); False gives the public face."""
    role = principal.role
    allowed = [str(c) for c in allowed_commands(p.status, role)] if role and record else []
    texts = {o.output_id: o.recommendations for o in p.outputs.values()}
    return ProposalView(
        id=p.id,
        version=p.version,
        year=p.year,
        organisation_id=p.organisation_id,
        submitter_id=p.submitter_id if record else None,
        status=str(p.status),
        status_label=STATUS_LABELS[p.status],
        steps=steps(p.status),
        allowed=allowed,
        allowed_labels={c: COMMAND_LABELS[c] for c in allowed},
        body=p.body,
        budget_total=p.body.budget_total,
        missing=missing_items(p.body)
        if p.status in (Status.DRAFT, Status.REVISION_REQUESTED)
        else [],
        round=p.round,
        note=p.note if record else "",
        budget_ceiling=p.budget_ceiling,
        average_score=p.average_score if record else None,
        reviews=reviews_view(p) if record else [],
        reports=reports_view(p),
        disseminations=[
            DisseminationView(
                forum=d.forum, held_on=d.held_on, recipients=list(d.recipients), note=d.note
            )
            for d in p.disseminations
        ],
        follow_ups=[
            FollowUpView(
                output_id=f.output_id,
                recommendation=f.recommendation,
                recommendation_text=texts.get(f.output_id, ())[f.recommendation]
                if f.recommendation < len(texts.get(f.output_id, ()))
                else "",
                organisation_id=f.organisation_id,
                status=str(f.status),
                status_label=FOLLOW_UP_LABELS[f.status],
                note=f.note,
            )
            for f in p.follow_ups.values()
        ],
        innovations=[
            LinkView(innovation_id=link.innovation_id, link=str(link.link), note=link.note)
            for link in p.innovations.values()
        ],
    )
