"""The research lifecycle table and the proposal's invariants (pure domain, no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import msgspec
import pytest

from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.errors import ConflictOfInterest, IllegalTransition, InvalidValue, NotAllowed
from services.domain.research import criteria
from services.domain.research.agenda import ResearchAgenda, agenda_id
from services.domain.research.lifecycle import (
    STEPS,
    TERMINAL,
    TRANSITIONS,
    Command,
    Status,
    allowed_commands,
    next_status,
)
from services.domain.research.proposal import ResearchProposal
from services.domain.research.values import (
    AgendaStatus,
    CriterionScore,
    FollowUpStatus,
    LinkKind,
    Output,
    OutputKind,
)
from tests.research.factories import THEME, complete_body

ORG, OTHER, BAPPEDA = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
OPERATOR = Actor(account_id=uuid.uuid4(), role=Role.OPERATOR, organisation_id=ORG)
STRANGER = Actor(account_id=uuid.uuid4(), role=Role.OPERATOR, organisation_id=OTHER)
ADMIN = Actor(account_id=uuid.uuid4(), role=Role.ADMIN, organisation_id=BAPPEDA)
REVIEWER = Actor(account_id=uuid.uuid4(), role=Role.REVIEWER, organisation_id=BAPPEDA)
CONFLICTED = Actor(account_id=uuid.uuid4(), role=Role.REVIEWER, organisation_id=ORG)
THEMES = {THEME.code}
SCORES = tuple(CriterionScore(key=c.key, score=80) for c in criteria.criteria(2026))


def ctx(actor: Actor) -> Context:
    return Context(actor=actor, now=datetime(2026, 3, 1, tzinfo=UTC))


def proposal() -> ResearchProposal:
    return ResearchProposal.propose(
        ctx(OPERATOR), uuid.uuid4(), year=2026, body=complete_body(), themes=THEMES
    )


def to_review() -> ResearchProposal:
    p = proposal()
    p.submit(ctx(OPERATOR), THEMES)
    assert REVIEWER.account_id is not None
    p.assign_reviewer(ctx(ADMIN), REVIEWER.account_id, REVIEWER.organisation_id)
    return p


def brief() -> Output:
    return Output(
        output_id=uuid.uuid4(),
        kind=OutputKind.POLICY_BRIEF,
        title="Policy brief posyandu digital",
        recommendations=("Wajibkan pencatatan digital di semua posyandu.", "Latih kader."),
    )


def executed() -> ResearchProposal:
    p = to_review()
    p.score(ctx(REVIEWER), SCORES)
    p.approve(ctx(ADMIN), "layak", Decimal(12500000))
    p.start(ctx(OPERATOR), "kerja sama", date(2026, 3, 10), "PKS/01/2026")
    p.report_progress(ctx(OPERATOR), "Pengumpulan data", 40, date(2026, 5, 1))
    return p


def test_the_table_has_one_row_per_source_and_command_and_every_status_is_reachable() -> None:
    assert len({(t.source, t.command) for t in TRANSITIONS}) == len(TRANSITIONS)
    reachable = {Status.DRAFT} | {t.target for t in TRANSITIONS if t.target}
    assert reachable == set(Status)
    assert {Status.REJECTED, Status.WITHDRAWN} == TERMINAL
    assert set(STEPS) <= set(Status)


def test_table_answers_who_may_do_what() -> None:
    assert allowed_commands(Status.DRAFT, Role.OPERATOR) == [
        Command.UPDATE,
        Command.SUBMIT,
        Command.WITHDRAW,
    ]
    assert next_status(Status.UNDER_REVIEW, Command.APPROVE, Role.ADMIN) == Status.APPROVED
    with pytest.raises(IllegalTransition) as refused:
        next_status(Status.UNDER_REVIEW, Command.APPROVE, Role.REVIEWER)
    assert "Yang diizinkan: score, request_revision" in refused.value.message


def test_main_path_records_one_event_per_command_and_replays_to_the_same_state() -> None:
    p = executed()
    output = brief()
    p.add_output(ctx(OPERATOR), output)
    p.add_output(
        ctx(OPERATOR),
        Output(output_id=uuid.uuid4(), kind=OutputKind.LAPORAN_AKHIR, title="Laporan akhir"),
    )
    p.complete(ctx(ADMIN), "diterima")
    p.disseminate(ctx(ADMIN), "Seminar hasil", date(2026, 9, 1), (ORG, OTHER))
    p.record_follow_up(ctx(OPERATOR), output.output_id, 0, OTHER, FollowUpStatus.DILAKSANAKAN)
    p.link_innovation(ctx(OPERATOR), uuid.uuid4(), LinkKind.ASAL_INOVASI)
    assert p.status == Status.DISSEMINATED and p.published
    assert p.average_score == Decimal("80.00") and p.last_progress == 40
    events = p.collect_events()
    assert len(events) == p.version == 13
    again = ResearchProposal.replay(events)
    assert again is not None
    assert (again.status, again.outputs, again.follow_ups, again.innovations) == (
        p.status,
        p.outputs,
        p.follow_ups,
        p.innovations,
    )


def test_an_incomplete_proposal_is_refused_saying_what_is_missing() -> None:
    body = msgspec.structs.replace(complete_body(), method="", budget=(), team=())
    p = ResearchProposal.propose(ctx(OPERATOR), uuid.uuid4(), year=2026, body=body, themes=THEMES)
    with pytest.raises(InvalidValue) as refused:
        p.submit(ctx(OPERATOR), THEMES)
    assert refused.value.message == "Usulan riset belum lengkap: metode; ketua tim; RAB."
    assert p.status == Status.DRAFT and len(p.pending_events) == 1


def test_a_theme_outside_the_agenda_and_a_bad_budget_are_refused() -> None:
    with pytest.raises(InvalidValue, match="Tema 'R1' tidak ada"):
        ResearchProposal.propose(
            ctx(OPERATOR), uuid.uuid4(), year=2026, body=complete_body(), themes=()
        )
    line = msgspec.structs.replace(complete_body().budget[0], quantity=Decimal(0))
    with pytest.raises(InvalidValue, match="RAB baris 1"):
        ResearchProposal.propose(
            ctx(OPERATOR),
            uuid.uuid4(),
            year=2026,
            body=msgspec.structs.replace(complete_body(), budget=(line,)),
            themes=THEMES,
        )


def test_operators_only_touch_their_own_organisations_proposal() -> None:
    p = proposal()
    with pytest.raises(NotAllowed, match="organisasinya sendiri"):
        p.update(ctx(STRANGER), complete_body("Lain"), THEMES)
    with pytest.raises(IllegalTransition):
        to_review().update(ctx(OPERATOR), complete_body("Diubah setelah diajukan"), THEMES)


def test_a_reviewer_of_the_proposing_organisation_is_conflicted() -> None:
    p = proposal()
    p.submit(ctx(OPERATOR), THEMES)
    assert CONFLICTED.account_id is not None
    with pytest.raises(ConflictOfInterest, match="Konflik kepentingan"):
        p.assign_reviewer(ctx(ADMIN), CONFLICTED.account_id, CONFLICTED.organisation_id)
    p = to_review()
    with pytest.raises(ConflictOfInterest):
        p.score(ctx(CONFLICTED), SCORES)
    other = Actor(account_id=uuid.uuid4(), role=Role.REVIEWER, organisation_id=BAPPEDA)
    with pytest.raises(NotAllowed, match="belum ditugaskan"):
        p.score(ctx(other), SCORES)


def test_scores_cover_every_criterion_and_approval_needs_one() -> None:
    p = to_review()
    with pytest.raises(InvalidValue, match="approve|Belum ada nilai"):
        p.approve(ctx(ADMIN))
    with pytest.raises(InvalidValue, match="belum dinilai"):
        p.score(ctx(REVIEWER), SCORES[:2])
    with pytest.raises(InvalidValue, match="0–100"):
        p.score(ctx(REVIEWER), (*SCORES[:3], CriterionScore(key=SCORES[3].key, score=101)))
    weights = {c.key: c.weight for c in criteria.criteria(2026)}
    assert sum(weights.values()) == 100
    p.score(
        ctx(REVIEWER),
        tuple(CriterionScore(key=k, score=100 if w == 30 else 50) for k, w in weights.items()),
    )
    assert p.average_score == Decimal("80.00")  # 30+30 at 100, 20+20 at 50


def test_revision_clears_scores_and_resubmission_goes_back_to_review() -> None:
    p = to_review()
    p.score(ctx(REVIEWER), SCORES)
    p.request_revision(ctx(ADMIN), "Perjelas metode sampling.")
    assert p.status == Status.REVISION_REQUESTED and p.scored_count == 0
    p.update(ctx(OPERATOR), complete_body("Kajian Posyandu Digital (revisi)"), THEMES)
    p.submit(ctx(OPERATOR), THEMES)
    assert (p.status, p.round) == (Status.SUBMITTED, 2)


def test_final_report_needs_report_and_policy_brief_and_progress_never_falls() -> None:
    p = executed()
    with pytest.raises(InvalidValue, match="progress|turun"):
        p.report_progress(ctx(OPERATOR), "Analisis", 30, date(2026, 6, 1))
    with pytest.raises(InvalidValue, match="Laporan akhir belum lengkap"):
        p.complete(ctx(ADMIN))
    with pytest.raises(InvalidValue, match="minimal satu rekomendasi"):
        p.add_output(
            ctx(OPERATOR),
            Output(output_id=uuid.uuid4(), kind=OutputKind.POLICY_BRIEF, title="Kosong"),
        )
    output = brief()
    p.add_output(ctx(OPERATOR), output)
    with pytest.raises(IllegalTransition):  # follow-up only after dissemination
        p.record_follow_up(ctx(OPERATOR), output.output_id, 0, OTHER, FollowUpStatus.SELESAI)


def test_agenda_themes_and_status() -> None:
    agenda = ResearchAgenda.open(ctx(ADMIN), 2026, "Agenda Riset Daerah 2026", "2021–2026")
    assert agenda.id == agenda_id(2026)
    assert agenda.set_theme(ctx(ADMIN), THEME) and not agenda.set_theme(ctx(ADMIN), THEME)
    with pytest.raises(NotAllowed):
        agenda.set_theme(ctx(OPERATOR), THEME)
    with pytest.raises(InvalidValue, match="Perkada"):
        agenda.change_status(ctx(ADMIN), AgendaStatus.DITETAPKAN)
    agenda.change_status(ctx(ADMIN), AgendaStatus.DITETAPKAN, "Perbup 12/2026")
    assert (agenda.status, set(agenda.themes), agenda.version) == (
        AgendaStatus.DITETAPKAN,
        {"R1"},
        3,
    )
