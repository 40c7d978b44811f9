"""The leadership role (``Role.PIMPINAN``) in the policy on its own: it reads every innovation's
internal record, research proposal and mentoring record of the regency as Bappeda does, is
never conflicted, and no table of commands (innovations, research, mentoring, monev, SPD,
admin) lets it give one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.domain import labels
from services.domain.actor import Role
from services.domain.errors import NotAllowed
from services.domain.lifecycle import Command, Status
from services.domain.mentoring import RULES as MENTORING_RULES
from services.domain.mentoring import MentoringCommand
from services.domain.monev import RULES as MONEV_RULES
from services.domain.monev import MonevCommand
from services.domain.principal import Principal
from services.domain.research import lifecycle as research
from services.domain.values import CallKind
from services.identity import policy
from services.research import access

ORG_A, BAPPEDA = uuid4(), uuid4()
BUPATI = Principal(account_id=uuid4(), username="bupati", role=Role.PIMPINAN, organisation_id=None)
HEAD = Principal(
    account_id=uuid4(), username="kepala.bappeda", role=Role.PIMPINAN, organisation_id=BAPPEDA
)
OPERATOR = Principal(account_id=uuid4(), username="op", role=Role.OPERATOR, organisation_id=ORG_A)


@dataclass
class Subject:
    id: UUID
    organisation_id: UUID | None
    submitter_id: UUID | None
    published: bool = False
    status: Status = Status.DRAFT
    call_kind: CallKind = CallKind.ANNUAL
    reviewers: tuple[UUID, ...] = ()


def subject(status: Status, organisation: UUID | None = ORG_A) -> Subject:
    return Subject(uuid4(), organisation, uuid4(), status=status)


@pytest.mark.parametrize("who", [BUPATI, HEAD])
@pytest.mark.parametrize("status", list(Status))
def test_leadership_reads_every_record_and_may_give_no_command(
    who: Principal, status: Status
) -> None:
    # The Bappeda head reading Bappeda's own innovation is not a conflict: it reviews nothing.
    for record in (subject(status), subject(status, BAPPEDA)):
        assert policy.can_view(who, record) and policy.sees_record(who, record)
        assert not policy.conflicted(who, record)
        policy.ensure_record(who, record)
        policy.ensure_mentoring(who, record, mentor_ids=())
        assert policy.allowed_commands(who, record) == []


@pytest.mark.parametrize("command", list(Command))
def test_no_innovation_command_names_leadership(command: Command) -> None:
    assert Role.PIMPINAN not in policy.roles_for(command)
    with pytest.raises(NotAllowed):
        policy.ensure_command(BUPATI, command, subject(Status.SCORED))


def test_no_research_mentoring_or_monev_command_names_leadership() -> None:
    for research_command in research.Command:
        assert Role.PIMPINAN not in research.roles_for(research_command)
    for mentoring_command in MentoringCommand:
        assert Role.PIMPINAN not in MENTORING_RULES[mentoring_command]
        with pytest.raises(NotAllowed):
            policy.ensure_mentoring_command(BUPATI, mentoring_command)
    for monev_command in MonevCommand:
        assert Role.PIMPINAN not in MONEV_RULES[monev_command]
        with pytest.raises(NotAllowed):
            policy.ensure_monev_command(BUPATI, monev_command)


class Connection:
    def __init__(self, who: Principal) -> None:
        self.scope: dict[str, Any] = {"user": who}


@pytest.mark.parametrize(
    ("guard", "allowed"),
    [
        (policy.LEADERSHIP_READ, True),
        (policy.SPD_READ, True),
        (access.RESEARCH_READ, True),
        (policy.SPD_FILL, False),
        (policy.SPD_VERIFY, False),
        (policy.admin_only, False),
    ],
)
def test_the_guards_let_leadership_read_and_refuse_it_writes(guard: Any, allowed: bool) -> None:
    if allowed:
        guard(Connection(BUPATI), None)
        return
    with pytest.raises(NotAllowed) as refused:
        guard(Connection(BUPATI), None)
    assert "Pimpinan Daerah" in str(refused.value)  # says who is signed in and who may


def test_the_summary_is_for_leadership_and_bappeda_staff_only() -> None:
    assert set(policy.LEADERSHIP_SUMMARY_ROLES) == {Role.PIMPINAN, Role.ADMIN, Role.REVIEWER}
    with pytest.raises(NotAllowed) as refused:
        policy.ensure_role(OPERATOR, *policy.LEADERSHIP_SUMMARY_ROLES)
    assert labels.ROLE_TITLE["pimpinan"] in str(refused.value)
