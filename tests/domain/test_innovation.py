"""The Innovation aggregate's own rules, on the pure domain (no store): what a submission needs,
who may act on it, and how the maturity score comes out of verified evidence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import msgspec
import pytest

from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import Call
from services.domain.errors import (
    ConflictOfInterest,
    DeadlinePassed,
    DomainError,
    IllegalTransition,
    IncompleteSubmission,
    InvalidValue,
    NotAllowed,
)
from services.domain.events import Approved, Rejected, Scored, StageAdvanced, Withdrawn
from services.domain.innovation import MIN_DESIGN_WORDS, Innovation
from services.domain.innovation_views import to_state
from services.domain.lifecycle import Command, Status
from services.domain.rubric import load_rubric
from services.domain.values import (
    CallKind,
    Design,
    DocumentKind,
    IndicatorVerdict,
    Profile,
    ProfilePatch,
    Stage,
)
from tests.factories import MANDATORY, complete_profile, document, words

RUBRIC = load_rubric(2025)
NOW = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)
ORG, OTHER_ORG, BAPPEDA = uuid4(), uuid4(), uuid4()
OPERATOR = Actor(uuid4(), Role.OPERATOR, ORG)
OTHER_OPERATOR = Actor(uuid4(), Role.OPERATOR, OTHER_ORG)
REVIEWER = Actor(uuid4(), Role.REVIEWER, BAPPEDA)
REVIEWER_2 = Actor(uuid4(), Role.REVIEWER, BAPPEDA)
SAME_ORG_REVIEWER = Actor(uuid4(), Role.REVIEWER, ORG)
ADMIN = Actor(uuid4(), Role.ADMIN, BAPPEDA)
PARTICIPANT = Actor(uuid4(), Role.PARTICIPANT, None)


def ctx(actor: Actor, now: datetime = NOW) -> Context:
    return Context(actor=actor, correlation_id=str(uuid4()), now=now)


CALL = Call.open(
    ctx(ADMIN, NOW - timedelta(days=40)),
    uuid4(),
    kind=CallKind.ANNUAL,
    title="Inovasi Daerah 2025",
    budget_year=2025,
    opens_at=NOW - timedelta(days=30),
    deadline=NOW + timedelta(days=30),
    eligible_kinds=("opd",),
    rubric_year=2025,
    required_documents=("sk",),
    threshold=60,
)
AFTER_DEADLINE = CALL.deadline + timedelta(hours=1)


def propose(profile: Profile | None = None) -> Innovation:
    return Innovation.propose(
        ctx(OPERATOR),
        uuid4(),
        call=CALL,
        organisation_id=ORG,
        submitter_kind="opd",
        profile=profile or complete_profile(),
    )


def with_evidence(innovation: Innovation, numbers: tuple[int, ...] = MANDATORY) -> list[UUID]:
    """Attach one document per indicator (the SK on indicator 1) and claim level 3 on it."""
    ids = []
    for no in numbers:
        kind = DocumentKind(RUBRIC.indicator(no).document_kinds[0])
        doc = document(kind, indicator=no)
        innovation.attach_document(ctx(OPERATOR), doc, RUBRIC)
        innovation.claim_indicator(ctx(OPERATOR), RUBRIC, no=no, level=3, evidence=[doc.doc_id])
        ids.append(doc.doc_id)
    return ids


def submitted(assign: tuple[Actor, ...] = (REVIEWER,)) -> Innovation:
    innovation = propose()
    with_evidence(innovation)
    innovation.submit(ctx(OPERATOR), CALL, RUBRIC)
    for reviewer in assign:
        assert reviewer.account_id is not None
        innovation.assign_reviewer(
            ctx(ADMIN),
            reviewer_id=reviewer.account_id,
            reviewer_organisation_id=reviewer.organisation_id,
        )
    return innovation


def refused(innovation: Innovation, error: type[DomainError], action: object) -> DomainError:
    """Run ``action`` (a zero-argument callable) expecting ``error``; nothing may be recorded."""
    before = (innovation.version, len(innovation.pending_events), innovation.status)
    with pytest.raises(error) as info:
        action()  # type: ignore[operator]
    assert (innovation.version, len(innovation.pending_events), innovation.status) == before
    return info.value


# ---- what a submission needs -------------------------------------------------------------------


def design_of(n: int) -> Design:
    """A design narrative of exactly ``n`` words spread over its sections."""
    half = n // 2
    return Design(problem=words(half), how_it_works=words(n - half))


def test_design_under_300_words_is_listed_as_missing() -> None:
    innovation = propose(msgspec.structs.replace(complete_profile(), design=design_of(299)))
    with_evidence(innovation)
    missing = innovation.completeness(RUBRIC, CALL).missing
    assert [(m.kind, m.key) for m in missing] == [("field", "design")]
    assert f"minimal {MIN_DESIGN_WORDS} kata" in missing[0].label
    error = refused(
        innovation, IncompleteSubmission, lambda: innovation.submit(ctx(OPERATOR), CALL, RUBRIC)
    )
    assert error.details["missing"] == list(missing)
    assert "Rancang bangun (minimal 300 kata)" in error.message
    innovation.update_profile(ctx(OPERATOR), ProfilePatch(design=design_of(300)))
    assert innovation.completeness(RUBRIC, CALL).complete
    innovation.submit(ctx(OPERATOR), CALL, RUBRIC)
    assert innovation.status == Status.SUBMITTED


def test_missing_mandatory_evidence_is_listed_with_its_indicator() -> None:
    innovation = propose()
    with_evidence(innovation, tuple(no for no in MANDATORY if no != 17))
    missing = innovation.completeness(RUBRIC, CALL).missing
    assert [(m.kind, m.key, m.indicator) for m in missing] == [("indicator", "indicator_17", 17)]
    assert missing[0].label == "Indikator 17 Kecepatan penciptaan inovasi: belum ada bukti dukung"
    assert missing[0].points == 6  # weight 2 × level 3 at stake
    error = refused(
        innovation, IncompleteSubmission, lambda: innovation.submit(ctx(OPERATOR), CALL, RUBRIC)
    )
    assert "Indikator 17" in error.message


def test_evidence_without_a_level_and_a_missing_required_document_are_listed() -> None:
    innovation = propose(Profile(title="Baru dimulai"))
    innovation.attach_document(ctx(OPERATOR), document(DocumentKind.REPORT, indicator=18), RUBRIC)
    state = innovation.completeness(RUBRIC, CALL)
    by_key = {m.key: m for m in state.missing}
    assert by_key["sk"].kind == "document"  # the call requires an SK
    assert by_key["indicator_18"].label.endswith("belum memilih level")
    assert by_key["indicator_1"].label.endswith("belum ada bukti dukung")
    assert {"stage", "initiator", "design", "goals"} <= set(by_key)
    assert "title" not in by_key
    assert 0 < state.percent < 100


def test_a_rejected_document_no_longer_backs_the_claim() -> None:
    innovation = submitted()
    sk = next(d for d in innovation.documents.values() if d.document.indicator == 1)
    innovation.verify_document(
        ctx(REVIEWER), doc_id=sk.document.doc_id, accepted=False, note="Belum ditandatangani"
    )
    missing = innovation.completeness(RUBRIC, None).missing
    assert [m.indicator for m in missing] == [1]


def test_submission_after_the_deadline_is_refused_but_a_revision_may_still_be_answered() -> None:
    late = propose()
    with_evidence(late)
    error = refused(
        late, DeadlinePassed, lambda: late.submit(ctx(OPERATOR, AFTER_DEADLINE), CALL, RUBRIC)
    )
    assert "WIB" in error.message
    innovation = submitted()
    innovation.request_revision(ctx(REVIEWER), note="Lengkapi SK")
    innovation.resubmit(ctx(OPERATOR, AFTER_DEADLINE), CALL, RUBRIC, "Sudah")
    assert innovation.status == Status.RESUBMITTED


def test_proposals_need_an_open_call_an_eligible_submitter_and_a_title() -> None:
    with pytest.raises(DeadlinePassed):
        Innovation.propose(
            ctx(OPERATOR, AFTER_DEADLINE),
            uuid4(),
            call=CALL,
            organisation_id=ORG,
            submitter_kind="opd",
            profile=complete_profile(),
        )
    with pytest.raises(NotAllowed) as info:
        Innovation.propose(
            ctx(OPERATOR),
            uuid4(),
            call=CALL,
            organisation_id=ORG,
            submitter_kind="bumd",
            profile=complete_profile(),
        )
    assert info.value.details["eligible"] == ["opd"]
    for actor in (ADMIN, REVIEWER):
        with pytest.raises(NotAllowed):
            Innovation.propose(
                ctx(actor),
                uuid4(),
                call=CALL,
                organisation_id=ORG,
                submitter_kind="opd",
                profile=complete_profile(),
            )
    with pytest.raises(InvalidValue) as blank:
        propose(Profile(title="   "))
    assert blank.value.field == "title"


def test_unknown_indicators_and_levels_are_invalid_values() -> None:
    innovation = propose()
    for action in (
        lambda: innovation.claim_indicator(ctx(OPERATOR), RUBRIC, no=21, level=1),
        lambda: innovation.claim_indicator(ctx(OPERATOR), RUBRIC, no=3, level=4),
        lambda: innovation.attach_document(
            ctx(OPERATOR), document(DocumentKind.SK, indicator=0), RUBRIC
        ),
        lambda: innovation.claim_indicator(
            ctx(OPERATOR), RUBRIC, no=3, level=1, evidence=[uuid4()]
        ),
    ):
        refused(innovation, InvalidValue, action)


# ---- who may do what ---------------------------------------------------------------------------


def test_illegal_command_names_the_status_and_what_is_allowed() -> None:
    innovation = submitted(assign=())
    error = refused(
        innovation,
        IllegalTransition,
        lambda: innovation.update_profile(ctx(OPERATOR), ProfilePatch(goals="diam-diam")),
    )
    assert error.details["current_status"] == "submitted"
    assert error.details["allowed"] == [
        Command.WITHDRAW,
        Command.ADVANCE_STAGE,
        Command.SET_DOCUMENT_VISIBILITY,
    ]
    assert "submitted" in error.message and "withdraw" in error.message


def test_withdraw_by_the_owner_only_and_never_after_a_decision() -> None:
    draft = propose()
    refused(draft, NotAllowed, lambda: draft.withdraw(ctx(OTHER_OPERATOR), "bukan milik"))
    refused(draft, IllegalTransition, lambda: draft.withdraw(ctx(ADMIN), "bukan pengusul"))
    draft.withdraw(ctx(OPERATOR), "Digabung dengan inovasi lain")
    assert draft.status == Status.WITHDRAWN
    assert isinstance(draft.pending_events[-1], Withdrawn)
    assert draft.decision_reason == "Digabung dengan inovasi lain"
    refused(
        draft,
        IllegalTransition,
        lambda: draft.update_profile(ctx(OPERATOR), ProfilePatch(goals="x")),
    )

    in_review = submitted()
    in_review.withdraw(ctx(OPERATOR))
    assert in_review.status == Status.WITHDRAWN
    assert in_review.previous_status == Status.UNDER_REVIEW  # where the stepper shows it stopped

    approved = scored()
    approved.approve(ctx(ADMIN), RUBRIC)
    refused(approved, IllegalTransition, lambda: approved.withdraw(ctx(OPERATOR)))


def test_stage_only_advances() -> None:
    profile = msgspec.structs.replace(
        complete_profile(), stage=Stage.INISIATIF, trial_date=None, implementation_date=None
    )
    innovation = propose(profile)
    innovation.advance_stage(ctx(OPERATOR), to_stage=Stage.UJI_COBA, on=date(2025, 3, 1))
    event = innovation.pending_events[-1]
    assert isinstance(event, StageAdvanced)
    assert (event.from_stage, event.to_stage) == (Stage.INISIATIF, Stage.UJI_COBA)
    assert innovation.profile.trial_date == date(2025, 3, 1)  # filled from the advance
    for backwards in (Stage.UJI_COBA, Stage.INISIATIF):
        error = refused(
            innovation,
            InvalidValue,
            lambda s=backwards: innovation.advance_stage(
                ctx(OPERATOR), to_stage=s, on=date(2025, 4, 1)
            ),
        )
        assert "hanya dapat naik" in error.message
    innovation.advance_stage(ctx(ADMIN), to_stage=Stage.PENERAPAN, on=date(2025, 5, 1))
    assert innovation.profile.stage == Stage.PENERAPAN
    assert innovation.profile.implementation_date == date(2025, 5, 1)
    refused(
        innovation,
        NotAllowed,
        lambda: innovation.advance_stage(
            ctx(OTHER_OPERATOR), to_stage=Stage.PENERAPAN, on=date(2025, 5, 2)
        ),
    )


def test_reviewer_from_the_proposing_organisation_is_a_conflict_of_interest() -> None:
    innovation = submitted(assign=())
    assert SAME_ORG_REVIEWER.account_id is not None
    error = refused(
        innovation,
        ConflictOfInterest,
        lambda: innovation.assign_reviewer(
            ctx(ADMIN),
            reviewer_id=SAME_ORG_REVIEWER.account_id,  # type: ignore[arg-type]
            reviewer_organisation_id=ORG,
        ),
    )
    assert error.status == 403
    assert "Konflik kepentingan" in error.message
    # Even if an assignment slipped through (the reviewer moved organisation), acting is refused.
    innovation = submitted(assign=(REVIEWER,))
    moved = Actor(REVIEWER.account_id, Role.REVIEWER, ORG)
    doc_id = next(iter(innovation.documents))
    refused(
        innovation,
        ConflictOfInterest,
        lambda: innovation.verify_document(ctx(moved), doc_id=doc_id, accepted=True),
    )


def test_the_same_reviewer_is_not_assigned_twice() -> None:
    innovation = submitted(assign=(REVIEWER,))
    assert REVIEWER.account_id is not None
    refused(
        innovation,
        InvalidValue,
        lambda: innovation.assign_reviewer(
            ctx(ADMIN),
            reviewer_id=REVIEWER.account_id,  # type: ignore[arg-type]
            reviewer_organisation_id=BAPPEDA,
        ),
    )


def test_only_assigned_reviewers_verify_and_score() -> None:
    innovation = submitted(assign=(REVIEWER,))
    doc_id = next(iter(innovation.documents))
    verdicts = [IndicatorVerdict(no=no, level=3) for no in MANDATORY]
    for action in (
        lambda: innovation.verify_document(ctx(REVIEWER_2), doc_id=doc_id, accepted=True),
        lambda: innovation.score(ctx(REVIEWER_2), RUBRIC, verdicts),
        lambda: innovation.request_revision(ctx(REVIEWER_2), note="Lengkapi"),
    ):
        error = refused(innovation, NotAllowed, action)
        assert "belum ditugaskan" in error.message
    refused(
        innovation,
        IllegalTransition,  # admins decide; they do not verify
        lambda: innovation.verify_document(ctx(ADMIN), doc_id=doc_id, accepted=True),
    )
    innovation.verify_document(ctx(REVIEWER), doc_id=doc_id, accepted=True, note="sah")
    assert innovation.documents[doc_id].verdict == "accepted"
    refused(
        innovation,
        InvalidValue,  # a rejection needs its reason
        lambda: innovation.verify_document(ctx(REVIEWER), doc_id=doc_id, accepted=False),
    )
    innovation.score(ctx(REVIEWER), RUBRIC, verdicts)
    assert innovation.status == Status.SCORED


def test_reject_needs_a_reason() -> None:
    innovation = scored()
    for reason in ("", "   "):
        error = refused(innovation, InvalidValue, lambda r=reason: innovation.reject(ctx(ADMIN), r))
        assert error.details["field"] == "reason"
    refused(innovation, IllegalTransition, lambda: innovation.reject(ctx(REVIEWER), "tidak"))
    innovation.reject(ctx(ADMIN), "  Belum ada kebaruan  ")
    event = innovation.pending_events[-1]
    assert isinstance(event, Rejected)
    assert event.reason == "Belum ada kebaruan"
    assert event.seen_version == innovation.version - 1
    assert innovation.status == Status.REJECTED


# ---- scoring -----------------------------------------------------------------------------------


def scored(level: int = 3) -> Innovation:
    innovation = submitted()
    for doc_id in list(innovation.documents):
        innovation.verify_document(ctx(REVIEWER), doc_id=doc_id, accepted=True)
    innovation.score(
        ctx(REVIEWER), RUBRIC, [IndicatorVerdict(no=no, level=level) for no in MANDATORY]
    )
    return innovation


def test_level_3_proven_on_all_20_indicators_scores_111() -> None:
    innovation = propose()
    doc_ids = with_evidence(innovation, tuple(range(1, 21)))
    assert innovation.scorecard(RUBRIC).claimed_total == 111
    assert innovation.scorecard(RUBRIC).verified_total == 0  # nothing verified yet
    innovation.submit(ctx(OPERATOR), CALL, RUBRIC)
    assert innovation.assign_reviewer is not None
    innovation.assign_reviewer(
        ctx(ADMIN),
        reviewer_id=REVIEWER.account_id,
        reviewer_organisation_id=BAPPEDA,  # type: ignore[arg-type]
    )
    for doc_id in doc_ids:
        innovation.verify_document(ctx(REVIEWER), doc_id=doc_id, accepted=True, note="sah")
    innovation.score(
        ctx(REVIEWER), RUBRIC, [IndicatorVerdict(no=no, level=3) for no in range(1, 21)]
    )
    event = innovation.pending_events[-1]
    assert isinstance(event, Scored)
    assert event.total == 111
    card = innovation.scorecard(RUBRIC)
    assert (card.claimed_total, card.verified_total, card.max_total) == (111, 111, 111)
    assert innovation.reviewer_totals(RUBRIC) == {REVIEWER.account_id: 111}
    assert to_state(innovation, RUBRIC, CALL).recommendations == []
    innovation.approve(ctx(ADMIN), RUBRIC, "layak")
    approved = innovation.pending_events[-1]
    assert isinstance(approved, Approved)
    assert approved.verified_score == 111


def test_verified_points_need_accepted_evidence() -> None:
    innovation = scored()
    # Mandatory indicators 1, 2, 17, 18, 20 weigh 3 + 2 + 2 + 3 + 4 = 14; level 3 → 42.
    assert innovation.scorecard(RUBRIC).verified_total == 42
    video = next(d for d in innovation.documents.values() if d.document.indicator == 20)
    innovation.verify_document(
        ctx(REVIEWER), doc_id=video.document.doc_id, accepted=False, note="Lebih dari 5 menit"
    )
    card = innovation.scorecard(RUBRIC)
    assert card.verified_total == 42 - 4 * 3
    assert card.claimed_total == 42 - 4 * 3  # a rejected item no longer backs the claim either


def test_scores_refuse_bad_verdicts() -> None:
    innovation = submitted()
    for verdicts in (
        [],
        [IndicatorVerdict(no=1, level=4)],
        [IndicatorVerdict(no=1, level=2), IndicatorVerdict(no=1, level=3)],
        [IndicatorVerdict(no=21, level=1)],
    ):
        refused(
            innovation, InvalidValue, lambda v=verdicts: innovation.score(ctx(REVIEWER), RUBRIC, v)
        )


def test_two_reviewers_scores_stand_side_by_side() -> None:
    innovation = submitted(assign=(REVIEWER, REVIEWER_2))
    for doc_id in list(innovation.documents):
        innovation.verify_document(ctx(REVIEWER), doc_id=doc_id, accepted=True)
    innovation.score(ctx(REVIEWER), RUBRIC, [IndicatorVerdict(no=n, level=3) for n in MANDATORY])
    innovation.score(ctx(REVIEWER_2), RUBRIC, [IndicatorVerdict(no=n, level=1) for n in MANDATORY])
    assert innovation.reviewer_totals(RUBRIC) == {
        REVIEWER.account_id: 42,
        REVIEWER_2.account_id: 14,
    }


def test_indicator_inputs_offer_what_evidence_for_offers_for_every_indicator() -> None:
    """The one pass over the documents (``indicator_inputs``) keeps the rule of
    ``evidence_for``: documents tied to the indicator, then those its claim names, each once,
    removed ones left out; an indicator with live tied evidence but no claim is listed."""
    innovation = propose()
    tied = with_evidence(innovation, (2, 5))
    spare = document(DocumentKind.REPORT, indicator=5)  # tied to 5, named by 7's claim too
    gone = document(DocumentKind.REPORT, indicator=9)  # tied, then removed: 9 is not listed
    unclaimed = document(DocumentKind.REPORT, indicator=11)  # tied, never claimed: listed
    for doc in (spare, gone, unclaimed):
        innovation.attach_document(ctx(OPERATOR), doc, RUBRIC)
    innovation.claim_indicator(
        ctx(OPERATOR), RUBRIC, no=7, level=1, evidence=[spare.doc_id, tied[0]]
    )
    innovation.remove_document(ctx(OPERATOR), gone.doc_id, "salah unggah")
    inputs = innovation.indicator_inputs()
    assert [i.no for i in inputs] == [2, 5, 7, 11]
    for inp in inputs:
        assert [e.doc_id for e in inp.evidence] == [
            str(d.document.doc_id) for d in innovation.evidence_for(inp.no)
        ]
    assert [e.doc_id for e in inputs[2].evidence] == [str(spare.doc_id), str(tied[0])]
    state = to_state(innovation, RUBRIC, None)
    assert state.scorecard == innovation.scorecard(RUBRIC)
    assert state.completeness == innovation.completeness(RUBRIC, None)
