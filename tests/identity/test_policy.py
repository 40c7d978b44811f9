"""The policy on its own: visibility, role and scoping answers for every kind of caller."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest

from services.domain import lifecycle
from services.domain.actor import Role
from services.domain.errors import (
    AuthenticationRequired,
    ConflictOfInterest,
    DomainError,
    NotAllowed,
)
from services.domain.lifecycle import ANNUAL_ONLY, KRENOVA_ONLY, TRANSITIONS, Command, Status
from services.domain.principal import ANONYMOUS, Principal
from services.domain.values import CallKind
from services.eventstore.store import NotFound
from services.identity.policy import (
    ASSIGNED_ONLY,
    Hidden,
    allowed_commands,
    can_view,
    ensure_command,
    ensure_view,
    roles_for,
)

ORG_A, ORG_B, BAPPEDA = uuid4(), uuid4(), uuid4()


@dataclass
class Subject:
    id: UUID
    organisation_id: UUID | None
    submitter_id: UUID | None
    published: bool = False


def principal(role: Role, org: UUID | None = None) -> Principal:
    return Principal(account_id=uuid4(), username=str(role), role=role, organisation_id=org)


OPERATOR_A = principal(Role.OPERATOR, ORG_A)
OPERATOR_B = principal(Role.OPERATOR, ORG_B)
REVIEWER = principal(Role.REVIEWER, BAPPEDA)
REVIEWER_A = principal(Role.REVIEWER, ORG_A)
ADMIN = principal(Role.ADMIN, BAPPEDA)
AUDITOR = principal(Role.AUDITOR)
PARTICIPANT = principal(Role.PARTICIPANT)
DRAFT = Subject(uuid4(), ORG_A, OPERATOR_A.account_id)
PUBLISHED = Subject(uuid4(), ORG_A, OPERATOR_A.account_id, published=True)
KRENOVA = Subject(uuid4(), None, PARTICIPANT.account_id)


@pytest.mark.parametrize(
    ("who", "subject", "visible"),
    [
        (OPERATOR_A, DRAFT, True),
        (OPERATOR_B, DRAFT, False),
        (OPERATOR_B, PUBLISHED, True),
        (REVIEWER, DRAFT, True),
        (REVIEWER_A, DRAFT, True),
        (ADMIN, DRAFT, True),
        (AUDITOR, DRAFT, True),
        (AUDITOR, KRENOVA, True),
        (PARTICIPANT, KRENOVA, True),
        (principal(Role.PARTICIPANT), KRENOVA, False),
        (PARTICIPANT, DRAFT, False),
        (OPERATOR_A, KRENOVA, False),
        (ANONYMOUS, DRAFT, False),
        (ANONYMOUS, PUBLISHED, True),
    ],
)
def test_who_sees_what(who: Principal, subject: Subject, visible: bool) -> None:
    assert can_view(who, subject) is visible


def test_a_hidden_record_is_answered_exactly_like_a_missing_one() -> None:
    with pytest.raises(Hidden) as hidden:
        ensure_view(OPERATOR_B, DRAFT)
    missing = NotFound("Inovasi", DRAFT.id)
    assert isinstance(hidden.value, NotFound)
    assert str(hidden.value) == str(missing)


def test_auditors_change_nothing() -> None:
    for command in Command:
        with pytest.raises(NotAllowed):
            ensure_command(AUDITOR, command, DRAFT)


def test_anonymous_callers_change_nothing() -> None:
    with pytest.raises(Hidden):
        ensure_command(ANONYMOUS, Command.SUBMIT, DRAFT)
    with pytest.raises(AuthenticationRequired):
        ensure_command(ANONYMOUS, Command.PUBLISH, PUBLISHED)


def test_operators_change_only_their_own_organisations_innovations() -> None:
    ensure_command(OPERATOR_A, Command.SUBMIT, DRAFT)
    with pytest.raises(Hidden):
        ensure_command(OPERATOR_B, Command.SUBMIT, DRAFT)
    with pytest.raises(NotAllowed, match="organisasinya sendiri"):
        ensure_command(OPERATOR_B, Command.UPDATE_PROFILE, PUBLISHED)


def test_participants_change_only_their_own_entries() -> None:
    ensure_command(PARTICIPANT, Command.SUBMIT, KRENOVA)
    with pytest.raises(Hidden):
        ensure_command(principal(Role.PARTICIPANT), Command.SUBMIT, KRENOVA)


@pytest.mark.parametrize(
    "command", [Command.VERIFY_DOCUMENT, Command.SCORE, Command.REQUEST_REVISION]
)
def test_reviewer_of_the_submitting_organisation_is_refused_with_the_reason(
    command: Command,
) -> None:
    ensure_command(REVIEWER, command, DRAFT)
    with pytest.raises(ConflictOfInterest) as refused:
        ensure_command(REVIEWER_A, command, DRAFT)
    assert refused.value.status == 403
    assert "Konflik kepentingan" in refused.value.message


def test_roles_come_from_the_lifecycle_table() -> None:
    for command in Command:
        table = {role for row in TRANSITIONS if row.command == command for role in row.roles}
        assert roles_for(command) == table
    with pytest.raises(NotAllowed, match="tidak berwenang"):
        ensure_command(OPERATOR_A, Command.APPROVE, DRAFT)


@dataclass
class Target(Subject):
    status: Status = Status.DRAFT
    call_kind: CallKind = CallKind.ANNUAL
    reviewers: tuple[UUID, ...] = ()


def test_allowed_commands_are_exactly_the_table_rows_that_ensure_command_lets_through() -> None:
    """``allowed_commands`` checks visibility and scoping once, not per command: the same
    answer as asking ``ensure_command`` for every row the table has for the status and role."""
    kepala_a = principal(Role.KEPALA_OPD, ORG_A)
    kepala_b = principal(Role.KEPALA_OPD, ORG_B)
    callers = [
        OPERATOR_A,
        OPERATOR_B,
        REVIEWER,
        REVIEWER_A,
        ADMIN,
        AUDITOR,
        PARTICIPANT,
        principal(Role.PARTICIPANT),
        kepala_a,
        kepala_b,
    ]
    seen_some = seen_none = 0
    for status in Status:
        for kind in CallKind:
            for published in (False, True):
                for org, submitter in (
                    (ORG_A, OPERATOR_A.account_id),
                    (None, PARTICIPANT.account_id),
                ):
                    for assigned in ((), (REVIEWER.account_id, REVIEWER_A.account_id)):
                        target = Target(uuid4(), org, submitter, published, status, kind, assigned)
                        for who in callers:
                            expected = []
                            for command in lifecycle.allowed_commands(status, who.role):
                                try:
                                    ensure_command(who, command, target)
                                except (DomainError, NotFound):
                                    continue
                                expected.append(command)
                            hidden = set(ANNUAL_ONLY if kind == CallKind.KRENOVA else KRENOVA_ONLY)
                            if published:
                                hidden.add(Command.PUBLISH)
                            if who.role == Role.REVIEWER and who.account_id not in assigned:
                                hidden |= ASSIGNED_ONLY
                            expected = [c for c in expected if c not in hidden]
                            got = allowed_commands(who, target)
                            assert got == expected, (status, kind, published, org, who.role)
                            seen_some += bool(got)
                            seen_none += not got
    assert seen_some and seen_none
