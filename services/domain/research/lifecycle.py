"""The one place that says who may do what, when, to a research proposal (like
``services.domain.lifecycle`` for innovations).

Each row is (from status, command, roles) → to status; ``None`` keeps the status. The proposal
aggregate enforces it, the API guards read it and the pages render the buttons from it. Scoping
(own organisation, assigned reviewer, conflict of interest) lives in the aggregate and the
policy, as for innovations.

draf → diajukan → penelaahan → disetujui | ditolak | perlu perbaikan (→ diajukan ulang)
→ pelaksanaan (milestones, progress reports, outputs) → selesai (final report accepted)
→ didiseminasikan (public) → tindak lanjut (recommendations adopted, innovations linked).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import msgspec

from services.domain.actor import Role
from services.domain.errors import IllegalTransition


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    REVISION_REQUESTED = "revision_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTING = "executing"
    COMPLETED = "completed"
    DISSEMINATED = "disseminated"
    WITHDRAWN = "withdrawn"


STATUS_LABELS: dict[str, str] = {
    Status.DRAFT: "Draf",
    Status.SUBMITTED: "Diajukan",
    Status.UNDER_REVIEW: "Dalam penelaahan",
    Status.REVISION_REQUESTED: "Perlu perbaikan",
    Status.APPROVED: "Disetujui",
    Status.REJECTED: "Ditolak",
    Status.EXECUTING: "Pelaksanaan",
    Status.COMPLETED: "Laporan akhir diterima",
    Status.DISSEMINATED: "Didiseminasikan",
    Status.WITHDRAWN: "Ditarik",
}

#: The main path, in order: the step indicator on the proposal page.
STEPS: tuple[Status, ...] = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.UNDER_REVIEW,
    Status.APPROVED,
    Status.EXECUTING,
    Status.COMPLETED,
    Status.DISSEMINATED,
)


class Command(StrEnum):
    UPDATE = "update"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    ASSIGN_REVIEWER = "assign_reviewer"
    SCORE = "score"
    REQUEST_REVISION = "request_revision"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    REJECT = "reject"
    START = "start"
    REPORT_PROGRESS = "report_progress"
    ADD_OUTPUT = "add_output"
    COMPLETE = "complete"
    DISSEMINATE = "disseminate"
    RECORD_FOLLOW_UP = "record_follow_up"
    LINK_INNOVATION = "link_innovation"


COMMAND_LABELS: dict[str, str] = {
    Command.UPDATE: "ubah usulan",
    Command.SUBMIT: "ajukan",
    Command.WITHDRAW: "tarik",
    Command.ASSIGN_REVIEWER: "tugaskan penelaah",
    Command.SCORE: "beri nilai",
    Command.REQUEST_REVISION: "minta perbaikan",
    Command.RESUBMIT: "ajukan ulang",
    Command.APPROVE: "setujui",
    Command.REJECT: "tolak",
    Command.START: "mulai pelaksanaan",
    Command.REPORT_PROGRESS: "laporkan kemajuan",
    Command.ADD_OUTPUT: "unggah luaran",
    Command.COMPLETE: "terima laporan akhir",
    Command.DISSEMINATE: "catat diseminasi",
    Command.RECORD_FOLLOW_UP: "catat tindak lanjut",
    Command.LINK_INNOVATION: "tautkan inovasi",
}


class Transition(msgspec.Struct, frozen=True):
    source: Status
    command: Command
    roles: frozenset[Role]
    target: Status | None = None


S, C, R = Status, Command, Role
PROPOSER = frozenset({R.OPERATOR, R.ADMIN})  # the proposing organisation, or Bappeda itself
REVIEWER = frozenset({R.REVIEWER})
ADMIN = frozenset({R.ADMIN})
REVIEW_STAFF = frozenset({R.REVIEWER, R.ADMIN})


def _rows() -> Iterable[Transition]:
    yield Transition(S.DRAFT, C.UPDATE, PROPOSER)
    yield Transition(S.REVISION_REQUESTED, C.UPDATE, PROPOSER)
    yield Transition(S.DRAFT, C.SUBMIT, PROPOSER, S.SUBMITTED)
    yield Transition(S.REVISION_REQUESTED, C.RESUBMIT, PROPOSER, S.SUBMITTED)
    for source in (S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.REVISION_REQUESTED):
        yield Transition(source, C.WITHDRAW, PROPOSER, S.WITHDRAWN)
    yield Transition(S.SUBMITTED, C.ASSIGN_REVIEWER, ADMIN, S.UNDER_REVIEW)
    yield Transition(S.UNDER_REVIEW, C.ASSIGN_REVIEWER, ADMIN)
    yield Transition(S.UNDER_REVIEW, C.SCORE, REVIEWER)
    yield Transition(S.UNDER_REVIEW, C.REQUEST_REVISION, REVIEW_STAFF, S.REVISION_REQUESTED)
    yield Transition(S.UNDER_REVIEW, C.APPROVE, ADMIN, S.APPROVED)
    yield Transition(S.UNDER_REVIEW, C.REJECT, ADMIN, S.REJECTED)
    yield Transition(S.APPROVED, C.START, PROPOSER, S.EXECUTING)
    yield Transition(S.EXECUTING, C.REPORT_PROGRESS, PROPOSER)
    yield Transition(S.EXECUTING, C.ADD_OUTPUT, PROPOSER)
    yield Transition(S.EXECUTING, C.COMPLETE, ADMIN, S.COMPLETED)
    yield Transition(S.COMPLETED, C.ADD_OUTPUT, PROPOSER)
    yield Transition(S.COMPLETED, C.DISSEMINATE, ADMIN, S.DISSEMINATED)
    yield Transition(S.DISSEMINATED, C.DISSEMINATE, ADMIN)  # another forum, another publication
    for source in (S.COMPLETED, S.DISSEMINATED):
        yield Transition(source, C.LINK_INNOVATION, PROPOSER)
    yield Transition(S.DISSEMINATED, C.RECORD_FOLLOW_UP, PROPOSER)


TRANSITIONS: tuple[Transition, ...] = tuple(_rows())
_INDEX: dict[tuple[Status, Command], Transition] = {(t.source, t.command): t for t in TRANSITIONS}
assert len(_INDEX) == len(TRANSITIONS), "the research lifecycle table has a duplicate row"


def allowed_commands(status: Status, role: Role) -> list[Command]:
    return [t.command for t in TRANSITIONS if t.source == status and role in t.roles]


def roles_for(command: Command) -> frozenset[Role]:
    """Every role the table ever allows this command (for the API's guard)."""
    roles: set[Role] = set()
    for row in TRANSITIONS:
        if row.command == command:
            roles |= row.roles
    return frozenset(roles)


def next_status(status: Status, command: Command, role: Role) -> Status:
    """The status after ``command``; raises IllegalTransition naming what is allowed instead."""
    row = _INDEX.get((status, command))
    if row is None or role not in row.roles:
        allowed = [str(c) for c in allowed_commands(status, role)]
        raise IllegalTransition(str(command), str(status), str(role), allowed)
    return row.target or status


TERMINAL: frozenset[Status] = frozenset(
    s for s in Status if not any(t.source == s for t in TRANSITIONS)
)
