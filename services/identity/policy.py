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

from typing import Any, Protocol
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from services.domain.actor import Role
from services.domain.errors import AuthenticationRequired, ConflictOfInterest, NotAllowed
from services.domain.lifecycle import TRANSITIONS, Command
from services.domain.principal import ANONYMOUS, Principal
from services.domain.values import Document
from services.eventstore.store import NotFound

STAFF = frozenset({Role.REVIEWER, Role.ADMIN, Role.AUDITOR})


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
    if role == Role.OPERATOR and innovation.organisation_id == principal.organisation_id:
        return True
    if role == Role.PARTICIPANT and innovation.submitter_id == principal.account_id:
        return True
    return bool(innovation.published)


def ensure_view(principal: Principal, innovation: InnovationLike) -> None:
    if not can_view(principal, innovation):
        raise Hidden("Inovasi", innovation.id)


def conflicted(principal: Principal, innovation: InnovationLike) -> bool:
    """A reviewer who belongs to the innovation's organisation (conflict of interest)."""
    return (
        principal.role == Role.REVIEWER
        and principal.organisation_id is not None
        and principal.organisation_id == innovation.organisation_id
    )


def _conflict() -> ConflictOfInterest:
    return ConflictOfInterest(
        "Konflik kepentingan: verifikator berasal dari organisasi pengusul inovasi ini."
    )


def sees_record(principal: Principal, innovation: InnovationLike) -> bool:
    """The internal record: staff (not conflicted), the owning organisation's operators, the
    Krenova participant who submitted it. Everyone else gets at most the public face."""
    role = principal.role
    if role in STAFF:
        return not conflicted(principal, innovation)
    if role == Role.OPERATOR:
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


def document_public(document: Document) -> bool:
    """On the public face: a document marked public when it was attached (``Document.public``;
    see ``PUBLIC_BY_DEFAULT`` for the kinds marked so unless the uploader says otherwise)."""
    return document.public


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
    if conflicted(principal, innovation):
        raise _conflict()


def ensure_role(principal: Principal, *roles: Role) -> None:
    if principal.role is None:
        raise AuthenticationRequired()
    if principal.role not in roles:
        raise NotAllowed(
            f"Halaman ini untuk peran {', '.join(str(r) for r in roles)}.",
            role=str(principal.role),
        )


def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    user = connection.scope.get("user")
    return user if isinstance(user, Principal) else ANONYMOUS


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
SPD_READ = requires(Role.ADMIN, Role.REVIEWER, Role.AUDITOR, Role.OPERATOR)
SPD_FILL = requires(Role.ADMIN, Role.OPERATOR)
SPD_VERIFY = requires(Role.ADMIN, Role.REVIEWER)
