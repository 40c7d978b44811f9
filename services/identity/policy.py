"""Authorisation in one place: who may see which innovation, and who may give which command.

Role permissions come from the lifecycle table (``services.domain.lifecycle``); this module adds
the scoping rules the table cannot know: operators and participants only touch their own
records, reviewers never handle their own organisation's innovation, auditors only read,
anonymous callers see only what is published. A record the caller may not see is reported as
not found (404), so ids do not leak.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from services.domain.actor import Role
from services.domain.errors import AuthenticationRequired, ConflictOfInterest, NotAllowed
from services.domain.lifecycle import TRANSITIONS, Command
from services.identity.principal import Principal
from services.store import NotFound

STAFF = frozenset({Role.REVIEWER, Role.ADMIN, Role.AUDITOR})


class InnovationLike(Protocol):
    id: UUID
    organisation_id: UUID | None
    submitter_id: UUID | None
    published: bool


def can_view(principal: Principal, innovation: InnovationLike) -> bool:
    role = principal.role
    if role in STAFF:
        return True
    if role == Role.OPERATOR and innovation.organisation_id == principal.organisation_id:
        return True
    if role == Role.PARTICIPANT and innovation.submitter_id == principal.account_id:
        return True
    return bool(innovation.published)


def ensure_view(principal: Principal, innovation: InnovationLike) -> None:
    if not can_view(principal, innovation):
        raise NotFound("Inovasi", innovation.id)


def roles_for(command: Command) -> frozenset[Role]:
    """Every role the lifecycle table ever allows this command (in any status)."""
    roles: set[Role] = set()
    for row in TRANSITIONS:
        if row.command == command:
            roles |= row.roles
    return frozenset(roles)


def ensure_command(principal: Principal, command: Command, innovation: InnovationLike) -> None:
    """Visibility first (404), then role (403), then scoping (403 with the reason).

    Whether the command fits the current *status* is the aggregate's answer (409), so the
    caller learns what is allowed instead.
    """
    ensure_view(principal, innovation)
    role = principal.role
    if role is None:
        raise AuthenticationRequired()
    if role not in roles_for(command):
        raise NotAllowed(
            f"Peran '{role}' tidak berwenang melakukan '{command}'.",
            command=str(command),
            role=str(role),
        )
    if role == Role.OPERATOR and innovation.organisation_id != principal.organisation_id:
        raise NotAllowed("Operator hanya dapat mengubah inovasi organisasinya sendiri.")
    if role == Role.PARTICIPANT and innovation.submitter_id != principal.account_id:
        raise NotAllowed("Peserta hanya dapat mengubah usulannya sendiri.")
    if (
        role == Role.REVIEWER
        and principal.organisation_id is not None
        and principal.organisation_id == innovation.organisation_id
    ):
        raise ConflictOfInterest(
            "Konflik kepentingan: verifikator berasal dari organisasi pengusul inovasi ini."
        )


def ensure_role(principal: Principal, *roles: Role) -> None:
    if principal.role is None:
        raise AuthenticationRequired()
    if principal.role not in roles:
        raise NotAllowed(
            f"Halaman ini untuk peran {', '.join(str(r) for r in roles)}.",
            role=str(principal.role),
        )
