"""Authorisation in one place: who may see which innovation, and who may give which command.

Role permissions come from the lifecycle table (``services.domain.lifecycle``); this module adds
the scoping rules the table cannot know: operators and participants only touch their own
records, reviewers never handle their own organisation's innovation, auditors only read,
anonymous callers see only what is published. A record the caller may not see is reported as
not found (404), so ids do not leak.

Seeing an innovation is two things: its *public face* (what ``/katalog/{id}`` shows, for
everyone once it is published) and its *internal record* (reviewers, scores, verdicts, notes,
every document), for staff and the owning organisation only (``sees_record``). A reviewer of
the innovation's own organisation is conflicted (``conflicted``): never its internal record, on
any surface (API, pages, review view); they answer 403 with the reason, or the public face.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from typing import Any, Protocol
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from services.domain import conflict, labels, lifecycle
from services.domain.actor import Role
from services.domain.errors import (
    AuthenticationRequired,
    ConflictOfInterest,
    DomainError,
    NotAllowed,
)
from services.domain.lifecycle import ANNUAL_ONLY, KRENOVA_ONLY, TRANSITIONS, Command, Status
from services.domain.mentoring import RULES as MENTORING_RULES
from services.domain.mentoring import MentoringCommand
from services.domain.monev import RULES as MONEV_RULES
from services.domain.monev import MonevCommand
from services.domain.organisation import ORGANISATION_ROLES
from services.domain.principal import Principal, caller
from services.domain.values import CallKind, Document
from services.eventstore.store import NotFound

#: Who reads the whole regency (every innovation's internal record, every organisation's row).
#: Leadership (``Role.PIMPINAN``: the regent, the Bappeda head) reads it as Bappeda does, and,
#: like the auditor, no table of commands ever names it, so every command is 403.
STAFF = frozenset({Role.REVIEWER, Role.ADMIN, Role.AUDITOR, Role.PIMPINAN})


class Hidden(NotFound):
    """A record that exists but that the caller may not see: answered exactly like a missing one
    (404, same message), and logged as a refusal by ``services.identity.denials``."""


class InnovationLike(Protocol):
    id: UUID
    organisation_id: UUID | None
    submitter_id: UUID | None
    published: bool


def can_view(principal: Principal, innovation: InnovationLike) -> bool:
    role = principal.role
    if role in STAFF:
        return True
    if role in ORGANISATION_ROLES and innovation.organisation_id == principal.organisation_id:
        return True
    if role == Role.PARTICIPANT and innovation.submitter_id == principal.account_id:
        return True
    return bool(innovation.published)


def ensure_view(principal: Principal, innovation: InnovationLike) -> None:
    if not can_view(principal, innovation):
        raise Hidden("Inovasi", innovation.id)


def conflicted(principal: Principal, innovation: InnovationLike) -> bool:
    """A reviewer who belongs to the innovation's organisation (``services.domain.conflict``)."""
    return principal.role == Role.REVIEWER and conflict.conflicted(
        principal.organisation_id, innovation.organisation_id
    )


def _conflict() -> ConflictOfInterest:
    return ConflictOfInterest(conflict.INNOVATION_MESSAGE)


def sees_record(principal: Principal, innovation: InnovationLike) -> bool:
    """The internal record: staff (not conflicted), the owning organisation's operators, the
    Krenova participant who submitted it. Everyone else gets at most the public face."""
    role = principal.role
    if role in STAFF:
        return not conflicted(principal, innovation)
    if role in ORGANISATION_ROLES:
        return innovation.organisation_id == principal.organisation_id
    if role == Role.PARTICIPANT:
        return innovation.submitter_id == principal.account_id
    return False


def record_or_public(principal: Principal, innovation: InnovationLike) -> bool:
    """True: answer with the internal record; False: with the public face (published only).

    404 for a record the caller may not know of; 403 (conflict) for a conflicted reviewer on an
    innovation that has no public face yet."""
    ensure_view(principal, innovation)
    if sees_record(principal, innovation):
        return True
    if innovation.published:
        return False
    raise _conflict() if conflicted(principal, innovation) else Hidden("Inovasi", innovation.id)


def ensure_record(principal: Principal, innovation: InnovationLike) -> None:
    """Surfaces that only show the internal record (the review view, the verification page,
    the workspace pages): 404 if hidden, 403 with the reason if conflicted, 404 to outsiders."""
    ensure_view(principal, innovation)
    if conflicted(principal, innovation):
        raise _conflict()
    if not sees_record(principal, innovation):
        raise Hidden("Inovasi", innovation.id)


def ensure_mentoring(
    principal: Principal, innovation: InnovationLike, mentor_ids: Collection[UUID]
) -> None:
    """An innovation's mentoring record: whoever sees its internal record, and its mentors.
    Everyone else: 404 (a conflicted reviewer: 403 with the reason)."""
    if principal.account_id is not None and principal.account_id in mentor_ids:
        return
    if principal.role is None:
        raise AuthenticationRequired()
    if conflicted(principal, innovation):
        raise _conflict()
    if not sees_record(principal, innovation):
        raise Hidden("Inovasi", innovation.id)


def ensure_mentoring_command(principal: Principal, command: MentoringCommand) -> None:
    """The mentoring rules table's role check (403), before the record decides the rest."""
    if principal.role is None:
        raise AuthenticationRequired()
    if principal.role not in MENTORING_RULES[command]:
        raise NotAllowed(
            f"Peran '{principal.role}' tidak berwenang melakukan '{command}' pada pendampingan.",
            command=str(command),
            role=str(principal.role),
        )


def ensure_monev_command(principal: Principal, command: MonevCommand) -> None:
    """The monev rules table's role check (403): Bappeda staff record, the organisation reads."""
    if principal.role is None:
        raise AuthenticationRequired()
    if principal.role not in MONEV_RULES[command]:
        raise NotAllowed(
            f"Peran '{principal.role}' tidak berwenang melakukan '{command}' pada monev.",
            command=str(command),
            role=str(principal.role),
        )


def document_public(document: Document) -> bool:
    """On the public face: a document marked public when it was attached (``Document.public``;
    see ``PUBLIC_BY_DEFAULT`` for the kinds marked so unless the uploader says otherwise)."""
    return document.public


@cache
def roles_for(command: Command) -> frozenset[Role]:
    """Every role the lifecycle table ever allows this command (in any status). Cached: the
    table is a constant, and every answer asks it for each command it lists."""
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
    ensure_scope(principal, innovation)


def ensure_scope(principal: Principal, innovation: InnovationLike) -> None:
    """``ensure_command``'s scoping refusals: they depend on the caller and the innovation,
    never on the command."""
    role = principal.role
    if role == Role.OPERATOR and innovation.organisation_id != principal.organisation_id:
        raise NotAllowed("Operator hanya dapat mengubah inovasi organisasinya sendiri.")
    if role == Role.KEPALA_OPD and innovation.organisation_id != principal.organisation_id:
        raise NotAllowed(
            "Kepala perangkat daerah hanya dapat mengesahkan inovasi organisasinya sendiri."
        )
    if role == Role.PARTICIPANT and innovation.submitter_id != principal.account_id:
        raise NotAllowed("Peserta hanya dapat mengubah usulannya sendiri.")
    if conflicted(principal, innovation):
        raise _conflict()


#: Commands a reviewer may only give once assigned to the item (the aggregate refuses them too).
ASSIGNED_ONLY: frozenset[Command] = frozenset(
    {
        Command.VERIFY_DOCUMENT,
        Command.REQUEST_REVISION,
        Command.SCORE,
        Command.RECOMMEND,
        Command.JUDGE,
    }
)


class CommandTarget(InnovationLike, Protocol):
    """What ``allowed_commands`` reads of an innovation (the aggregate has it)."""

    @property
    def status(self) -> Status: ...
    @property
    def call_kind(self) -> CallKind: ...
    @property
    def reviewers(self) -> Collection[UUID]: ...


def allowed_commands(principal: Principal, innovation: CommandTarget) -> list[Command]:
    """What this caller may do next, in table order: the lifecycle table for the role and the
    call's kind, minus the scoping refusals (``ensure_command``), a reviewer's commands on an
    item not assigned to them, and a second publication. The API, the review view and the pages
    all show this one answer."""
    role = principal.role
    if role is None or role == Role.SYSTEM:
        return []
    hidden = set(ANNUAL_ONLY if innovation.call_kind == CallKind.KRENOVA else KRENOVA_ONLY)
    if innovation.published:
        hidden.add(Command.PUBLISH)
    if role == Role.REVIEWER and principal.account_id not in innovation.reviewers:
        hidden |= ASSIGNED_ONLY
    # ``ensure_command`` for each listed command, checked once: the table lists only commands
    # the role may give (its role check passes), and visibility and scoping do not depend on
    # the command.
    try:
        ensure_view(principal, innovation)
        ensure_scope(principal, innovation)
    except (DomainError, NotFound):
        return []
    return [c for c in lifecycle.allowed_commands(innovation.status, role) if c not in hidden]


def ensure_role(principal: Principal, *roles: Role) -> None:
    if principal.role is None:
        raise AuthenticationRequired()
    if principal.role not in roles:
        raise NotAllowed(
            f"Halaman ini untuk peran {role_names(roles)}; "
            f"Anda masuk sebagai {ROLE_NAMES.get(principal.role, str(principal.role))}.",
            role=str(principal.role),
        )


# Roles as people read them in a refusal (the pages' header uses the same words).
ROLE_NAMES: dict[str, str] = labels.ROLE_TITLE


def role_names(roles: Sequence[Role]) -> str:
    """'Admin Bappeda Litbang atau Auditor'."""
    names = [ROLE_NAMES.get(r, str(r)) for r in roles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " atau " + names[-1]


def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    return caller(connection.scope.get("user"))


def requires(*roles: Role) -> Guard:
    """A Litestar guard: the caller must hold one of ``roles`` (401 anonymous, 403 otherwise).

    Guards run before the body is parsed, so a refused caller learns nothing from validation.
    With no roles given, any signed-in account passes.
    """

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = _principal(connection)
        if roles:
            ensure_role(principal, *roles)
        elif not principal.authenticated:
            raise AuthenticationRequired()

    guard.__name__ = f"requires_{'_'.join(str(r) for r in roles) or 'account'}"
    return guard


admin_only = requires(Role.ADMIN)
signed_in = requires()

# The SPD sheet (services/spd): Bappeda staff, auditors and the organisations owning rows read
# it; owners and the admin fill rows (which row is the sheet's own rule); Bappeda verifies.
SPD_READ = requires(Role.ADMIN, Role.REVIEWER, Role.AUDITOR, Role.OPERATOR, Role.PIMPINAN)
SPD_FILL = requires(Role.ADMIN, Role.OPERATOR)
SPD_VERIFY = requires(Role.ADMIN, Role.REVIEWER)

# Leadership (issue 21 item 5): the regency-wide reads leadership opens from its summary, and
# the summary itself (leadership and Bappeda staff).
REGENCY_READERS = (Role.ADMIN, Role.REVIEWER, Role.AUDITOR, Role.PIMPINAN)
LEADERSHIP_SUMMARY_ROLES = (Role.PIMPINAN, Role.ADMIN, Role.REVIEWER)
LEADERSHIP_READ = requires(*LEADERSHIP_SUMMARY_ROLES)
