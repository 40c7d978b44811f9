"""Accounts and organisations: every grant and revocation is an event an auditor can read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.errors import InvalidValue
from services.domain.events import (
    AccountCreated,
    AccountDisabled,
    AccountEnabled,
    OrganisationChanged,
    OrganisationRenamed,
    PasswordReset,
    RoleChanged,
)
from services.domain.organisation import Account, Organisation
from services.domain.values import OrganisationKind

ADMIN = Context(
    actor=Actor(uuid4(), Role.ADMIN, uuid4()),
    correlation_id="req-1",
    now=datetime(2025, 2, 3, 1, 0, tzinfo=UTC),
)
ORG = uuid4()


def create(**overrides: Any) -> Account:
    fields: dict[str, Any] = {
        "username": "op.dukcapil",
        "full_name": "Operator Dukcapil",
        "email": "op@sragenkab.go.id",
        "role": Role.OPERATOR,
        "organisation_id": ORG,
        "password_hash": "$argon2id$x",
    }
    fields.update(overrides)
    return Account.create(ADMIN, uuid4(), **fields)


def kinds(account: Account | Organisation) -> list[type]:
    return [type(e) for e in account.pending_events]


# ---- usernames ---------------------------------------------------------------------------------


def test_username_is_trimmed_and_lowercased() -> None:
    account = create(username="  Op.Dukcapil  ", full_name="  Operator  ")
    [event] = account.pending_events
    assert isinstance(event, AccountCreated)
    assert (event.username, event.full_name) == ("op.dukcapil", "Operator")
    assert event.actor == ADMIN.actor
    assert event.correlation_id == "req-1"


@pytest.mark.parametrize("username", ["abc", "op_1.a-b", "0perator", "a" * 64])
def test_valid_usernames(username: str) -> None:
    assert create(username=username).username == username


@pytest.mark.parametrize(
    "username",
    ["", "ab", "-abc", ".abc", "_abc", "op dukcapil", "op@dukcapil", "opé", "a" * 65, "op/../x"],
)
def test_invalid_usernames_are_refused(username: str) -> None:
    with pytest.raises(InvalidValue) as info:
        create(username=username)
    assert info.value.field == "username"
    assert "huruf kecil" in info.value.message


# ---- roles and organisations -------------------------------------------------------------------


def test_operator_needs_an_organisation() -> None:
    with pytest.raises(InvalidValue) as info:
        create(role=Role.OPERATOR, organisation_id=None)
    assert info.value.field == "organisation_id"
    assert info.value.message == "Operator harus terikat pada satu organisasi."


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.ADMIN, Role.AUDITOR, Role.REVIEWER])
def test_other_roles_may_stand_alone(role: Role) -> None:
    assert create(role=role, organisation_id=None).organisation_id is None


def test_system_role_cannot_be_granted() -> None:
    with pytest.raises(InvalidValue) as info:
        create(role=Role.SYSTEM, organisation_id=None)
    assert info.value.field == "role"
    account = create(role=Role.ADMIN)
    with pytest.raises(InvalidValue):
        account.change_role(ADMIN, Role.SYSTEM)
    assert kinds(account) == [AccountCreated]


def test_krenova_group_has_at_most_five_members_and_blank_names_are_dropped() -> None:
    account = create(
        role=Role.PARTICIPANT, organisation_id=None, members=(" Rina ", "", "Agus", "  ")
    )
    assert account.members == ("Rina", "Agus")
    with pytest.raises(InvalidValue) as info:
        create(role=Role.PARTICIPANT, organisation_id=None, members=tuple("abcdef"))
    assert info.value.field == "members"


def test_role_change_records_the_previous_role_and_only_real_changes() -> None:
    account = create(role=Role.REVIEWER)
    account.change_role(ADMIN, Role.REVIEWER)  # no change, no event
    account.change_role(ADMIN, Role.ADMIN)
    account.change_role(ADMIN, Role.OPERATOR)
    changes = [e for e in account.pending_events if isinstance(e, RoleChanged)]
    assert [(e.previous, e.role) for e in changes] == [
        (Role.REVIEWER, Role.ADMIN),
        (Role.ADMIN, Role.OPERATOR),
    ]
    assert account.role == Role.OPERATOR


def test_granting_operator_needs_an_organisation_first() -> None:
    account = create(role=Role.REVIEWER, organisation_id=None)
    with pytest.raises(InvalidValue) as info:
        account.change_role(ADMIN, Role.OPERATOR)
    assert info.value.field == "organisation_id"
    assert account.role == Role.REVIEWER
    assert kinds(account) == [AccountCreated]


def test_organisation_change_is_recorded_and_operators_cannot_lose_theirs() -> None:
    account = create()
    other = uuid4()
    account.change_organisation(ADMIN, ORG)  # same: nothing recorded
    account.change_organisation(ADMIN, other)
    event = account.pending_events[-1]
    assert isinstance(event, OrganisationChanged)
    assert (event.previous, event.organisation_id) == (ORG, other)
    with pytest.raises(InvalidValue):
        account.change_organisation(ADMIN, None)
    assert account.organisation_id == other
    assert kinds(account) == [AccountCreated, OrganisationChanged]


# ---- disable, enable, passwords ----------------------------------------------------------------


def test_disable_and_enable_are_idempotent() -> None:
    account = create()
    account.enable(ADMIN)  # already enabled
    account.disable(ADMIN, "pindah tugas")
    account.disable(ADMIN, "lagi")  # already disabled
    assert account.disabled
    account.enable(ADMIN)
    account.enable(ADMIN)
    assert not account.disabled
    assert kinds(account) == [AccountCreated, AccountDisabled, AccountEnabled]
    disabled = account.pending_events[1]
    assert isinstance(disabled, AccountDisabled)
    assert disabled.reason == "pindah tugas"


def test_password_reset_is_an_event() -> None:
    account = create()
    account.reset_password(ADMIN, "$argon2id$new")
    assert account.password_hash == "$argon2id$new"
    assert isinstance(account.pending_events[-1], PasswordReset)


def test_replay_rebuilds_the_account() -> None:
    account = create(role=Role.REVIEWER)
    account.change_role(ADMIN, Role.ADMIN)
    account.disable(ADMIN)
    account.reset_password(ADMIN, "$argon2id$new")
    rebuilt = Account.replay(account.pending_events)
    assert rebuilt is not None
    fields = ("username", "role", "organisation_id", "password_hash", "disabled", "version")
    assert [getattr(rebuilt, f) for f in fields] == [getattr(account, f) for f in fields]


# ---- organisations -----------------------------------------------------------------------------


def test_organisation_needs_code_and_name_and_renames_only_on_change() -> None:
    for code, name in (("  ", "Dinas"), ("DINKES", " ")):
        with pytest.raises(InvalidValue):
            Organisation.register(ADMIN, uuid4(), kind=OrganisationKind.OPD, code=code, name=name)
    org = Organisation.register(
        ADMIN, uuid4(), kind=OrganisationKind.PUSKESMAS, code=" PKM-GESI ", name=" Puskesmas Gesi "
    )
    assert (org.code, org.name, org.kind) == ("PKM-GESI", "Puskesmas Gesi", "puskesmas")
    org.rename(ADMIN, "Puskesmas Gesi  ")  # same after trimming
    org.rename(ADMIN, "UPT Puskesmas Gesi")
    with pytest.raises(InvalidValue):
        org.rename(ADMIN, "")
    assert [type(e) for e in org.pending_events][1:] == [OrganisationRenamed]
    assert org.name == "UPT Puskesmas Gesi"
