"""The one shape of a command route on an innovation, shared by the submission, review and IGA
routes. Here, with the policy it applies, so the HTTP toolkit (services/http) below it imports no
context. A route reads top to bottom, with no callbacks:

1. ``checked(request, id, command)`` loads the innovation once and has ``services.identity.policy``
   check the caller (404 hidden, 403 role, scope or conflict of interest) before any work, so a
   refusal costs nothing and records nothing;
2. the route gives its one command to ``Commands`` with ``loaded=c.innovation`` (the command
   does not read the stream again) and the version the client names in ``If-Match`` (a stale one
   is refused with 409 by the command);
3. the answer is built from ``c.innovation``: the aggregate as the command saved it (no reload).

``Checked.ctx`` and ``Checked.expected_version`` are read from the request when the route uses
them, so a check a route makes before its command (an unknown reviewer, a revision item that
does not exist) still answers before a malformed ``If-Match`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar import Request

from services.commands import Commands
from services.domain.aggregate import Context
from services.domain.call import Call
from services.domain.innovation import Innovation
from services.domain.lifecycle import Command
from services.domain.principal import Principal
from services.http.context import command_context, principal_of, runtime_of
from services.identity.auth import pending_session
from services.identity.policy import ensure_command

if TYPE_CHECKING:
    from services.runtime import Runtime

VersionReader = Callable[[Request[Any, Any, Any]], int | None]


def load_for_command(
    runtime: Runtime, principal: Principal, id: UUID, command: Command
) -> Innovation:
    """Loaded and checked by the policy (404 hidden, 403 role, scope or conflict of interest)
    before any work is done."""
    innovation = runtime.store.load(Innovation, id)
    ensure_command(principal, command, innovation)
    return innovation


def load_with_call_for_command(
    runtime: Runtime, request: Request[Any, Any, Any], id: UUID, command: Command
) -> tuple[Innovation, Call | None]:
    """``load_for_command``, with the innovation's call (the answer shows it) read in the same
    query when both are held in memory, and so is the caller's session when the middleware
    left its lookup to this load (``auth.DeferredSession``): the policy check then sees the
    session as it stood at the load."""
    pending = pending_session(request.scope)
    rider = pending.rider() if pending is not None else None
    innovation, call = runtime.store.load_with(Innovation, id, Call, _call_id, rider)
    # A dead deferred credential: 401 here, before the policy looks at the innovation.
    principal = pending.settle(rider) if pending is not None else principal_of(request)
    ensure_command(principal, command, innovation)
    return innovation, call


def _call_id(innovation: Innovation) -> UUID | None:
    return innovation.call_id


@dataclass(frozen=True, slots=True)
class Checked:
    """An innovation the caller has been cleared to give the command to; after the command,
    ``innovation`` is the aggregate as saved."""

    request: Request[Any, Any, Any]
    innovation: Innovation
    call: Call | None  # the innovation's call, loaded with it (the answer shows it)
    commands: Commands
    read_version: VersionReader

    @property
    def ctx(self) -> Context:
        return command_context(self.request)

    @property
    def expected_version(self) -> int | None:
        """The version named by ``If-Match``, as this context reads it."""
        return self.read_version(self.request)


def checked(
    request: Request[Any, Any, Any], id: UUID, command: Command, *, read_version: VersionReader
) -> Checked:
    """The policy check before any work: the innovation loaded once, for the check and the
    command (``read_version`` is how this context reads ``If-Match``)."""
    runtime = runtime_of(request)
    innovation, call = load_with_call_for_command(runtime, request, id, command)
    return Checked(request, innovation, call, runtime.commands, read_version)
