"""The one place that says who may do what, when: the innovation lifecycle table.

Each row is (from status, command, roles) → to status. ``None`` as the target keeps the status.
The aggregate enforces it, the authorisation policy reads it, and the UI and docs render it.
Scoping rules (own organisation, assigned reviewer, conflict of interest) live in the policy and
the aggregate; this table only knows roles.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from enum import StrEnum

import msgspec

from services.domain import events as ev
from services.domain import labels
from services.domain.actor import Role
from services.domain.errors import IllegalTransition


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    REVISION_REQUESTED = "revision_requested"
    RESUBMITTED = "resubmitted"
    SCORED = "scored"
    APPROVED = "approved"
    REJECTED = "rejected"
    ESTABLISHED = "established"
    SELECTED_FOR_IGA = "selected_for_iga"
    REPORTED_TO_IGA = "reported_to_iga"
    WITHDRAWN = "withdrawn"
    SHORTLISTED = "shortlisted"  # Krenova: nominated after judging
    AWARDED = "awarded"  # Krenova: juara or harapan


STATUS_LABELS: dict[str, str] = labels.STATUS


class Command(StrEnum):
    UPDATE_PROFILE = "update_profile"
    ATTACH_DOCUMENT = "attach_document"
    REMOVE_DOCUMENT = "remove_document"
    CLAIM_INDICATOR = "claim_indicator"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    ASSIGN_REVIEWER = "assign_reviewer"
    VERIFY_DOCUMENT = "verify_document"
    REQUEST_REVISION = "request_revision"
    RESUBMIT = "resubmit"
    SCORE = "score"
    RECOMMEND = "recommend"
    APPROVE = "approve"
    REJECT = "reject"
    ESTABLISH = "establish"
    SELECT_FOR_IGA = "select_for_iga"
    REPORT_TO_IGA = "report_to_iga"
    ADVANCE_STAGE = "advance_stage"
    PUBLISH = "publish"
    PASS_ADMINISTRATION = "pass_administration"
    FAIL_ADMINISTRATION = "fail_administration"
    JUDGE = "judge"
    SHORTLIST = "shortlist"
    AWARD = "award"
    RECORD_MINISTRY_VERDICT = "record_ministry_verdict"
    CARRY_FORWARD = "carry_forward"
    ENDORSE = "endorse"
    SET_DOCUMENT_VISIBILITY = "set_document_visibility"


COMMAND_LABELS: dict[str, str] = labels.COMMAND


class Transition(msgspec.Struct, frozen=True):
    source: Status
    command: Command
    roles: frozenset[Role]
    target: Status | None = None  # None: status unchanged


S, C, R = Status, Command, Role
SUBMITTERS = frozenset({R.OPERATOR, R.PARTICIPANT})
REVIEWER = frozenset({R.REVIEWER})
ADMIN = frozenset({R.ADMIN})
REVIEW_STAFF = frozenset({R.REVIEWER, R.ADMIN})
EDITS = (C.UPDATE_PROFILE, C.ATTACH_DOCUMENT, C.REMOVE_DOCUMENT, C.CLAIM_INDICATOR)
#: Housekeeping allowed in every status that never changes it: it does not keep a process going.
ANY_STATUS = (C.SET_DOCUMENT_VISIBILITY,)
#: The status groups screens and read models count by.
IN_REVIEW = (S.SUBMITTED, S.UNDER_REVIEW, S.RESUBMITTED, S.SCORED)
DECIDED = (S.APPROVED, S.ESTABLISHED, S.SELECTED_FOR_IGA, S.REPORTED_TO_IGA)
#: Established or later: the innovation runs, so it is monitored and evaluated (monev).
IN_OPERATION = (S.ESTABLISHED, S.SELECTED_FOR_IGA, S.REPORTED_TO_IGA)
#: Decided and chosen for the regency's report: the basis of the IID estimate.
SELECTED = (S.SELECTED_FOR_IGA, S.REPORTED_TO_IGA)
#: Never submitted, or withdrawn: counted in no score, ranking or judging.
NOT_IN_PLAY = (S.DRAFT, S.WITHDRAWN)


def _rows() -> Iterable[Transition]:
    for command in EDITS:
        yield Transition(S.DRAFT, command, SUBMITTERS)
        yield Transition(S.REVISION_REQUESTED, command, SUBMITTERS)
    # The head of the organisation endorses a draft before it is submitted; the operator records
    # the head's signed letter instead when the head has no account (the aggregate checks which).
    yield Transition(S.DRAFT, C.ENDORSE, frozenset({R.KEPALA_OPD, R.OPERATOR}))
    yield Transition(S.DRAFT, C.SUBMIT, SUBMITTERS, S.SUBMITTED)
    yield Transition(S.REVISION_REQUESTED, C.RESUBMIT, SUBMITTERS, S.RESUBMITTED)
    for source in (S.DRAFT, S.REVISION_REQUESTED, *IN_REVIEW):
        yield Transition(source, C.WITHDRAW, SUBMITTERS, S.WITHDRAWN)
    # Review: assignment starts (or adds to) the review.
    yield Transition(S.SUBMITTED, C.ASSIGN_REVIEWER, ADMIN, S.UNDER_REVIEW)
    yield Transition(S.RESUBMITTED, C.ASSIGN_REVIEWER, ADMIN, S.UNDER_REVIEW)
    yield Transition(S.UNDER_REVIEW, C.ASSIGN_REVIEWER, ADMIN)
    yield Transition(S.SCORED, C.ASSIGN_REVIEWER, ADMIN)
    for source in (S.UNDER_REVIEW, S.RESUBMITTED):
        yield Transition(source, C.VERIFY_DOCUMENT, REVIEWER, S.UNDER_REVIEW)
        yield Transition(source, C.REQUEST_REVISION, REVIEW_STAFF, S.REVISION_REQUESTED)
        yield Transition(source, C.SCORE, REVIEWER, S.SCORED)
    yield Transition(S.SCORED, C.VERIFY_DOCUMENT, REVIEWER)
    yield Transition(S.SCORED, C.SCORE, REVIEWER)
    yield Transition(S.SCORED, C.RECOMMEND, REVIEWER)
    yield Transition(S.SCORED, C.REQUEST_REVISION, REVIEW_STAFF, S.REVISION_REQUESTED)
    # Decisions.
    yield Transition(S.SCORED, C.APPROVE, ADMIN, S.APPROVED)
    yield Transition(S.SCORED, C.REJECT, ADMIN, S.REJECTED)
    yield Transition(S.APPROVED, C.ESTABLISH, ADMIN, S.ESTABLISHED)
    yield Transition(S.APPROVED, C.SELECT_FOR_IGA, ADMIN, S.SELECTED_FOR_IGA)
    yield Transition(S.ESTABLISHED, C.SELECT_FOR_IGA, ADMIN, S.SELECTED_FOR_IGA)
    yield Transition(S.SELECTED_FOR_IGA, C.REPORT_TO_IGA, ADMIN, S.REPORTED_TO_IGA)
    for source in DECIDED:
        yield Transition(source, C.PUBLISH, ADMIN)
    for source in (S.DRAFT, S.REVISION_REQUESTED, *IN_REVIEW, *DECIDED):
        yield Transition(source, C.ADVANCE_STAGE, frozenset({R.OPERATOR, R.ADMIN}))
    # Krenova judging (the aggregate refuses these on annual innovations).
    for source in (S.SUBMITTED, S.UNDER_REVIEW, S.RESUBMITTED):
        yield Transition(source, C.PASS_ADMINISTRATION, REVIEW_STAFF, S.UNDER_REVIEW)
        yield Transition(source, C.FAIL_ADMINISTRATION, REVIEW_STAFF, S.REJECTED)
    for source in (S.UNDER_REVIEW, S.RESUBMITTED):
        yield Transition(source, C.JUDGE, REVIEWER, S.SCORED)
    yield Transition(S.SCORED, C.JUDGE, REVIEWER)
    yield Transition(S.SCORED, C.SHORTLIST, ADMIN, S.SHORTLISTED)
    yield Transition(S.SHORTLISTED, C.AWARD, ADMIN, S.AWARDED)
    yield Transition(S.AWARDED, C.PUBLISH, ADMIN)
    # A document's public mark: the owner or Bappeda may correct it in any status (a file shown
    # to the public by mistake must be hidable at once, without a re-upload that reopens review).
    for source in Status:
        for command in ANY_STATUS:
            yield Transition(source, command, frozenset({*SUBMITTERS, R.ADMIN}))
    # After the report: the ministry's verdicts, and entering the innovation again next year.
    yield Transition(S.REPORTED_TO_IGA, C.RECORD_MINISTRY_VERDICT, ADMIN)
    for source in DECIDED:
        yield Transition(source, C.CARRY_FORWARD, frozenset({R.OPERATOR, R.ADMIN}))


TRANSITIONS: tuple[Transition, ...] = tuple(_rows())
#: Commands that only apply to one kind of call, so views can hide the others.
KRENOVA_ONLY: frozenset[Command] = frozenset(
    {C.PASS_ADMINISTRATION, C.FAIL_ADMINISTRATION, C.JUDGE, C.SHORTLIST, C.AWARD}
)
ANNUAL_ONLY: frozenset[Command] = frozenset(
    {C.SCORE, C.SELECT_FOR_IGA, C.REPORT_TO_IGA, C.RECORD_MINISTRY_VERDICT, C.CARRY_FORWARD}
)
_INDEX: dict[tuple[Status, Command], Transition] = {(t.source, t.command): t for t in TRANSITIONS}
assert len(_INDEX) == len(TRANSITIONS), "the lifecycle table has a duplicate row"


def allowed_commands(status: Status, role: Role) -> list[Command]:
    """Commands this role may give in this status, in table order."""
    return list(_allowed(status, role))


@functools.cache
def _allowed(status: Status, role: Role) -> tuple[Command, ...]:
    """The table is a constant tuple: each (status, role) is looked up once per process (every
    command's answer asks it)."""
    return tuple(t.command for t in TRANSITIONS if t.source == status and role in t.roles)


def is_allowed(status: Status, command: Command, role: Role) -> bool:
    row = _INDEX.get((status, command))
    return row is not None and role in row.roles


def next_status(status: Status, command: Command, role: Role) -> Status:
    """The status after ``command``; raises IllegalTransition naming what is allowed instead."""
    row = _INDEX.get((status, command))
    if row is None or role not in row.roles:
        allowed = [str(c) for c in allowed_commands(status, role)]
        raise IllegalTransition(str(command), str(status), str(role), allowed)
    return row.target or status


# Which command each event is the outcome of: the folds read the status after it from the table.
EVENT_COMMANDS: dict[type[ev.Event], Command] = {
    ev.ProfileUpdated: C.UPDATE_PROFILE,
    ev.DocumentAttached: C.ATTACH_DOCUMENT,
    ev.DocumentRemoved: C.REMOVE_DOCUMENT,
    ev.DocumentVisibilityChanged: C.SET_DOCUMENT_VISIBILITY,
    ev.IndicatorClaimed: C.CLAIM_INDICATOR,
    ev.Submitted: C.SUBMIT,
    ev.Withdrawn: C.WITHDRAW,
    ev.ReviewerAssigned: C.ASSIGN_REVIEWER,
    ev.DocumentVerified: C.VERIFY_DOCUMENT,
    ev.DocumentRejected: C.VERIFY_DOCUMENT,
    ev.RevisionRequested: C.REQUEST_REVISION,
    ev.Resubmitted: C.RESUBMIT,
    ev.Scored: C.SCORE,
    ev.Recommended: C.RECOMMEND,
    ev.Approved: C.APPROVE,
    ev.Rejected: C.REJECT,
    ev.Established: C.ESTABLISH,
    ev.SelectedForIGA: C.SELECT_FOR_IGA,
    ev.ReportedToIGA: C.REPORT_TO_IGA,
    ev.StageAdvanced: C.ADVANCE_STAGE,
    ev.Published: C.PUBLISH,
    ev.AdministrationPassed: C.PASS_ADMINISTRATION,
    ev.AdministrationFailed: C.FAIL_ADMINISTRATION,
    ev.KrenovaJudged: C.JUDGE,
    ev.Shortlisted: C.SHORTLIST,
    ev.Awarded: C.AWARD,
    ev.MinistryVerdictRecorded: C.RECORD_MINISTRY_VERDICT,
    ev.CarriedForward: C.CARRY_FORWARD,
    ev.Endorsed: C.ENDORSE,
}


@functools.cache  # pure, few keys; called for every event of every fold (a rebuild: millions)
def transition_after(status: str, event_type: type[ev.Event]) -> Transition | None:
    """The table row an event of this type is the outcome of, in this status (role-free)."""
    command = EVENT_COMMANDS.get(event_type)
    if command is None:
        return None
    return _INDEX.get((Status(status), command))


@functools.cache  # pure, few keys (see transition_after)
def status_after(status: str, event_type: type[ev.Event]) -> Status | None:
    """The status after an event of this type; None if the table says it cannot follow ``status``.

    The one fold every read model and the aggregate share: ``Proposed`` starts a draft, an
    event that is no command's outcome keeps the status, any other reads its row's target.
    """
    if event_type is ev.Proposed:
        return S.DRAFT
    if event_type not in EVENT_COMMANDS:
        return Status(status)
    row = transition_after(status, event_type)
    if row is None:
        return None
    return row.target or Status(status)


@functools.cache  # pure, few keys (see transition_after)
def status_text_after(status: str, event_type: type[ev.Event]) -> str | None:
    """``status_after`` as the text a read model stores (an enum's ``value`` is slow to read
    millions of times)."""
    after = status_after(status, event_type)
    return None if after is None else after.value


#: Commands whose row names a target status (read models that track status follow only these).
STATUS_CHANGING_COMMANDS: frozenset[Command] = frozenset(
    t.command for t in TRANSITIONS if t.target is not None
)


#: Where a process ends: nothing but the ``ANY_STATUS`` housekeeping may follow.
TERMINAL: frozenset[Status] = frozenset(
    s for s in Status if not any(t.source == s and t.command not in ANY_STATUS for t in TRANSITIONS)
)
