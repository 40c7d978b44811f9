"""What the innovations read model folds per innovation (``Fold``, kept in
``rm_innovation_fold`` between batches) and how each event changes it.

Split from ``projections.innovations`` (which loads, derives and writes the rows); the handlers
only change state, like the aggregate's apply methods.
"""

from __future__ import annotations

from typing import Any

import msgspec

from services.domain import events as ev
from services.domain.lifecycle import Status
from services.domain.values import CallKind, Profile


class Doc(msgspec.Struct, array_like=True):
    kind: str
    indicator: int | None
    verdict: str = "pending"
    removed: bool = False


class Claim(msgspec.Struct, array_like=True):
    level: int
    evidence: tuple[str, ...] = ()


class Reviewer(msgspec.Struct):
    id: str
    name: str = ""


class Revision(msgspec.Struct):
    round: int
    note: str
    items: list[dict[str, str]]
    requested_at: str | None
    requested_by: str | None
    resubmitted_at: str | None = None
    response: str = ""


class Fold(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Everything a row is computed from; stored per innovation between batches."""

    id: str
    doc_no: int = 0  # the notification id of its ``Proposed`` event (the search index's key)
    version: int = 0
    status: str = Status.DRAFT.value
    call_id: str | None = None
    call_kind: str = CallKind.ANNUAL.value
    organisation_id: str | None = None
    submitter_id: str | None = None
    budget_year: int = 0
    rubric_year: int = 0
    profile: Profile = Profile()
    documents: dict[str, Doc] = {}
    claims: dict[int, Claim] = {}
    verified: dict[int, int] = {}
    reviewers: list[Reviewer] = []
    revision_round: int = 0
    revision: Revision | None = None
    recommendation: str | None = None
    decision_reason: str = ""
    approved_score: int | None = None
    sk_number: str = ""
    sk_date: str | None = None
    iga_year: int | None = None
    ministry_verdict: str | None = None  # the latest Kemendagri verdict code (MinistryVerdict)
    published: bool = False
    published_at: str | None = None
    administration: str | None = None
    judgements: dict[str, str] = {}
    shortlist_rank: int | None = None
    award: str | None = None
    award_rank: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
    status_changed_at: str | None = None
    submitted_at: str | None = None
    waiting_since: str | None = None
    decided_at: str | None = None
    last_event: str = ""
    last_actor_id: Any = None  # str once stored; the UUID itself while folding
    # Bookkeeping: derived values are recomputed only when ``stale``; the profile (the bulk of
    # the state: the design narrative) is stored in its own column, rewritten only when changed.
    profile_changed: bool = True
    stale: bool = True
    claimed_score: int | None = None
    verified_score: int | None = None
    max_score: int | None = None
    completeness: int | None = None
    missing: list[dict[str, Any]] = []


# --- event handlers: only state changes, like the aggregate's apply methods ---------------------


def _profile_updated(f: Fold, e: ev.ProfileUpdated, when: str | None) -> None:
    f.profile = e.changes.apply_to(f.profile)


def _document_attached(f: Fold, e: ev.DocumentAttached, when: str | None) -> None:
    d = e.document
    f.documents[str(d.doc_id)] = Doc(kind=str(d.kind), indicator=d.indicator)
    if d.replaces is not None and str(d.replaces) in f.documents:
        f.documents[str(d.replaces)].removed = True


def _document_removed(f: Fold, e: ev.DocumentRemoved, when: str | None) -> None:
    doc = f.documents.get(str(e.doc_id))
    if doc is not None:
        doc.removed = True


def _indicator_claimed(f: Fold, e: ev.IndicatorClaimed, when: str | None) -> None:
    if e.level == 0:
        f.claims.pop(e.no, None)
    else:
        f.claims[e.no] = Claim(level=e.level, evidence=tuple(str(x) for x in e.evidence))


def _submitted(f: Fold, e: ev.Submitted, when: str | None) -> None:
    f.submitted_at = f.submitted_at or when
    f.waiting_since = when


def _withdrawn(f: Fold, e: ev.Withdrawn, when: str | None) -> None:
    f.decision_reason = e.reason
    f.decided_at = when


def _reviewer_assigned(f: Fold, e: ev.ReviewerAssigned, when: str | None) -> None:
    f.reviewers.append(Reviewer(id=str(e.reviewer_id), name=e.reviewer_name))


def _document_checked(
    f: Fold, e: ev.DocumentVerified | ev.DocumentRejected, when: str | None
) -> None:
    doc = f.documents.get(str(e.doc_id))
    if doc is not None:
        doc.verdict = "accepted" if isinstance(e, ev.DocumentVerified) else "rejected"


def _revision_requested(f: Fold, e: ev.RevisionRequested, when: str | None) -> None:
    f.revision_round = e.round
    f.revision = Revision(
        round=e.round,
        note=e.note,
        items=[{"kind": i.kind, "key": i.key, "note": i.note} for i in e.items],
        requested_at=when,
        requested_by=None if e.actor.account_id is None else str(e.actor.account_id),
    )


def _resubmitted(f: Fold, e: ev.Resubmitted, when: str | None) -> None:
    if f.revision is not None:
        f.revision.resubmitted_at = when
        f.revision.response = e.note
    f.waiting_since = when


def _scored(f: Fold, e: ev.Scored, when: str | None) -> None:
    for verdict in e.indicators:
        f.verified[verdict.no] = verdict.level


def _recommended(f: Fold, e: ev.Recommended, when: str | None) -> None:
    f.recommendation = e.recommendation


def _approved(f: Fold, e: ev.Approved, when: str | None) -> None:
    f.decision_reason = e.note
    f.approved_score = e.verified_score
    f.decided_at = when


def _rejected(f: Fold, e: ev.Rejected, when: str | None) -> None:
    f.decision_reason = e.reason
    f.decided_at = when


def _established(f: Fold, e: ev.Established, when: str | None) -> None:
    f.sk_number, f.sk_date = e.sk_number, e.sk_date.isoformat()


def _iga(f: Fold, e: ev.SelectedForIGA | ev.ReportedToIGA, when: str | None) -> None:
    f.iga_year = e.year


def _stage_advanced(f: Fold, e: ev.StageAdvanced, when: str | None) -> None:
    f.profile = e.apply_to(f.profile)


def _published(f: Fold, e: ev.Published, when: str | None) -> None:
    f.published = True
    f.published_at = when


def _administration(
    f: Fold, e: ev.AdministrationPassed | ev.AdministrationFailed, when: str | None
) -> None:
    if isinstance(e, ev.AdministrationPassed):
        f.administration = "passed"
    else:
        f.administration = "failed"
        f.decision_reason = e.reason
        f.decided_at = when


def _judged(f: Fold, e: ev.KrenovaJudged, when: str | None) -> None:
    f.judgements[str(e.judge_id)] = str(e.total)


def _shortlisted(f: Fold, e: ev.Shortlisted, when: str | None) -> None:
    f.shortlist_rank = e.rank


def _awarded(f: Fold, e: ev.Awarded, when: str | None) -> None:
    f.award, f.award_rank = str(e.award), e.rank


def _ministry_verdict(f: Fold, e: ev.MinistryVerdictRecorded, when: str | None) -> None:
    f.ministry_verdict = str(e.verdict)


HANDLERS: dict[type[ev.Event], Any] = {
    ev.MinistryVerdictRecorded: _ministry_verdict,
    ev.ProfileUpdated: _profile_updated,
    ev.DocumentAttached: _document_attached,
    ev.DocumentRemoved: _document_removed,
    ev.IndicatorClaimed: _indicator_claimed,
    ev.Submitted: _submitted,
    ev.Withdrawn: _withdrawn,
    ev.ReviewerAssigned: _reviewer_assigned,
    ev.DocumentVerified: _document_checked,
    ev.DocumentRejected: _document_checked,
    ev.RevisionRequested: _revision_requested,
    ev.Resubmitted: _resubmitted,
    ev.Scored: _scored,
    ev.Recommended: _recommended,
    ev.Approved: _approved,
    ev.Rejected: _rejected,
    ev.Established: _established,
    ev.SelectedForIGA: _iga,
    ev.ReportedToIGA: _iga,
    ev.StageAdvanced: _stage_advanced,
    ev.Published: _published,
    ev.AdministrationPassed: _administration,
    ev.AdministrationFailed: _administration,
    ev.KrenovaJudged: _judged,
    ev.Shortlisted: _shortlisted,
    ev.Awarded: _awarded,
}
