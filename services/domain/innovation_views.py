"""What the API returns and auditors compare for one innovation: its state as one value.

``to_state`` folds the aggregate (with the rubric and the call) into ``InnovationState``; the
view structs live here, next to it, so the aggregate module holds only the rules and the fold.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import msgspec

from services.domain import scoring
from services.domain.call import Call
from services.domain.innovation import Endorsement, Innovation, Judgement, VerdictEntry
from services.domain.lifecycle import Status
from services.domain.ministry import MinistryVerdict
from services.domain.rubric import Rubric
from services.domain.values import Award, CallKind, Document, Profile


class DocumentView(Document, frozen=True, kw_only=True):
    verdict: str = "pending"
    note: str = ""
    removed: bool = False


class ClaimView(msgspec.Struct, kw_only=True):
    no: int
    level: int
    evidence: list[UUID]
    note: str = ""


class InnovationState(msgspec.Struct, kw_only=True):
    id: UUID
    version: int
    status: Status
    published: bool
    call_id: UUID | None
    call_kind: CallKind
    organisation_id: UUID | None
    submitter_id: UUID | None
    budget_year: int
    rubric_year: int
    profile: Profile
    documents: list[DocumentView]
    claims: list[ClaimView]
    reviewers: list[UUID]
    verified_levels: dict[str, int]
    reviewer_scores: dict[str, int]
    recommendation: str | None
    revisions: list[dict[str, Any]]
    decision_reason: str
    sk_number: str
    sk_date: date | None
    iga_year: int | None
    iga_report_id: UUID | None
    scorecard: scoring.Scorecard
    completeness: scoring.Completeness
    recommendations: list[scoring.Recommendation]
    created_on: str | None
    modified_on: str | None
    submitted_at: str | None
    krenova: KrenovaJudging | None = None
    ministry_verdict: MinistryVerdict | None = None
    ministry_verdicts: list[VerdictEntry] = []
    carried_from: UUID | None = None
    entry_no: int = 1
    carried_to: dict[str, UUID] = {}
    endorsement: Endorsement | None = None


class KrenovaJudging(msgspec.Struct, kw_only=True):
    """Where a Krenova entry stands in judging: administration, judges' scores, prizes."""

    administration: str | None
    administration_note: str
    judgements: list[Judgement]
    mean_total: Decimal | None
    shortlist_rank: int | None
    award: Award | None
    award_rank: int | None


S = TypeVar("S", bound="InnovationState")


def to_state(
    self: Innovation,
    rubric: Rubric,
    call: Call | None,
    view: type[S] = InnovationState,  # type: ignore[assignment]
    extra: dict[str, Any] | None = None,
) -> S:
    """The full record as one value: what the API returns and what auditors compare.
    ``view``: a subclass of ``InnovationState`` built directly with its ``extra`` fields (an
    answer's view, not a state copied field by field into one)."""
    # Once: the scorecard, completeness and advice share the inputs and what they back.
    inputs = scoring.assess(rubric, self.indicator_inputs())
    card = self.scorecard(rubric, inputs)
    comp = self.completeness(rubric, call, inputs)
    return view(
        id=self.id,
        version=self.version,
        status=self.status,
        published=self.published,
        call_id=self.call_id,
        call_kind=self.call_kind,
        organisation_id=self.organisation_id,
        submitter_id=self.submitter_id,
        budget_year=self.budget_year,
        rubric_year=self.rubric_year,
        profile=self.profile,
        documents=[
            DocumentView(
                **msgspec.structs.asdict(d.document),
                verdict=d.verdict,
                note=d.note,
                removed=d.removed,
            )
            for d in self.documents.values()
        ],
        claims=[
            ClaimView(no=no, level=c.level, evidence=list(c.evidence), note=c.note)
            for no, c in sorted(self.claims.items())
        ],
        reviewers=list(self.reviewers),
        verified_levels={str(k): v for k, v in sorted(self.verified_levels.items())},
        reviewer_scores={str(k): v for k, v in self.reviewer_totals(rubric).items()},
        recommendation=self.recommendation,
        revisions=[msgspec.structs.asdict(r) for r in self.revisions],
        decision_reason=self.decision_reason,
        sk_number=self.sk_number,
        sk_date=self.sk_date,
        iga_year=self.iga_year,
        iga_report_id=self.iga_report_id,
        scorecard=card,
        completeness=comp,
        recommendations=scoring.recommendations(rubric, inputs),
        created_on=self.created_on.isoformat() if self.created_on else None,
        modified_on=self.modified_on.isoformat() if self.modified_on else None,
        submitted_at=self.submitted_at,
        krenova=krenova_judging(self) if self.call_kind == CallKind.KRENOVA else None,
        ministry_verdict=self.ministry_verdict,
        ministry_verdicts=list(self.ministry_verdicts),
        carried_from=self.carried_from,
        entry_no=self.entry_no,
        carried_to={str(year): id for year, id in sorted(self.carried_to.items())},
        endorsement=self.endorsement,
        **(extra or {}),
    )


def krenova_judging(self: Innovation) -> KrenovaJudging:
    return KrenovaJudging(
        administration=self.administration,
        administration_note=self.administration_note,
        judgements=list(self.judgements.values()),
        mean_total=self.krenova_mean(),
        shortlist_rank=self.shortlist_rank,
        award=self.award,
        award_rank=self.award_rank,
    )
