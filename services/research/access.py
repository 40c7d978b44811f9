"""Who may see and act on research, in the policy's own terms (``services.identity.policy``).

The same rules as innovations: staff see every proposal except a reviewer conflicted by their
organisation (403 with the reason); an operator sees their organisation's; everyone sees the
public face of disseminated research; anything else is answered as not found (404). Role
permissions come from the research lifecycle table.
"""

from __future__ import annotations

from litestar.types import Guard

from services.domain.actor import Role
from services.domain.errors import AuthenticationRequired, ConflictOfInterest, NotAllowed
from services.domain.principal import Principal
from services.domain.research.lifecycle import Command, roles_for
from services.domain.research.proposal import ResearchProposal
from services.eventstore.store import NotFound
from services.identity import policy

LABEL = "Usulan riset"
#: Who reads the proposal list and the agenda's internal side: staff and the organisations
#: (their operators and their head).
LIST_ROLES = (
    Role.ADMIN,
    Role.REVIEWER,
    Role.AUDITOR,
    Role.OPERATOR,
    Role.KEPALA_OPD,
    Role.PIMPINAN,
)
#: Roles that see only their own organisation's proposals in lists.
ORGANISATION_SCOPED = (Role.OPERATOR, Role.KEPALA_OPD)
RESEARCH_READ = policy.requires(*LIST_ROLES)


def guard(command: Command) -> Guard:
    """The Litestar guard for a command: every role the table ever allows it (401/403)."""
    return policy.requires(*sorted(roles_for(command)))


def _conflict() -> ConflictOfInterest:
    return ConflictOfInterest(
        "Konflik kepentingan: penelaah berasal dari organisasi pengusul riset ini."
    )


def record_or_public(principal: Principal, proposal: ResearchProposal) -> bool:
    """True: the internal record; False: the public face. 404 or 403 (conflict) otherwise."""
    if policy.sees_record(principal, proposal):
        return True
    if proposal.published:
        return False
    if policy.conflicted(principal, proposal):
        raise _conflict()
    raise policy.Hidden(LABEL, proposal.id)


def ensure_record(principal: Principal, proposal: ResearchProposal) -> None:
    if policy.conflicted(principal, proposal):
        raise _conflict()
    if not policy.sees_record(principal, proposal):
        raise policy.Hidden(LABEL, proposal.id)


def ensure_command(principal: Principal, command: Command, proposal: ResearchProposal) -> None:
    """Visibility first (404), then role (403), then scoping and conflict (403 with the reason);
    whether the status allows it is the aggregate's answer (409)."""
    if principal.role is None:
        raise AuthenticationRequired()
    if not policy.can_view(principal, proposal):
        raise policy.Hidden(LABEL, proposal.id)
    if principal.role not in roles_for(command):
        raise NotAllowed(
            f"Peran '{principal.role}' tidak berwenang melakukan '{command}' pada usulan riset.",
            command=str(command),
            role=str(principal.role),
        )
    if principal.role == Role.OPERATOR and proposal.organisation_id != principal.organisation_id:
        raise NotAllowed("Operator hanya dapat mengubah usulan riset organisasinya sendiri.")
    if policy.conflicted(principal, proposal):
        raise _conflict()


__all__ = ["NotFound", "ensure_command", "ensure_record", "guard", "record_or_public"]
