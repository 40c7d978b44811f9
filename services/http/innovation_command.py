"""The one shape of a command route on an innovation, shared by the submission and review routes.

1. the innovation is loaded and the caller checked by ``services.identity.policy`` (404 hidden,
   403 role, scope or conflict of interest) before any work, so a refusal costs nothing and
   records nothing;
2. the route gives its one command to ``Commands``, with the version the client names in
   ``If-Match`` (a stale one is refused with 409 by the command);
3. the answer is the record as the command left it (each context has its own view of it).

Step 2 is the route's ``run``. It gets a :class:`Checked`, whose ``ctx`` and
``expected_version`` are read from the request where ``run`` uses them, so a check a route makes
before its command (an unknown reviewer, a revision item that does not exist) still answers
before a malformed ``If-Match`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from litestar import Request

from services.commands import Commands, Outcome
from services.domain.aggregate import Context
from services.domain.innovation import Innovation
from services.domain.lifecycle import Command
from services.http.context import command_context, principal_of, runtime_of
from services.identity.policy import ensure_command
from services.identity.principal import Principal
from services.runtime import Runtime

R = TypeVar("R")
VersionReader = Callable[[Request[Any, Any, Any]], int | None]


def load_for_command(
    runtime: Runtime, principal: Principal, id: UUID, command: Command
) -> Innovation:
    """Loaded and checked by the policy (404 hidden, 403 role, scope or conflict of interest)
    before any work is done."""
    innovation = runtime.store.load(Innovation, id)
    ensure_command(principal, command, innovation)
    return innovation


@dataclass(frozen=True, slots=True)
class Checked:
    """An innovation the caller has been cleared to give the command to."""

    request: Request[Any, Any, Any]
    innovation: Innovation
    commands: Commands
    read_version: VersionReader

    @property
    def ctx(self) -> Context:
        return command_context(self.request)

    @property
    def expected_version(self) -> int | None:
        """The version named by ``If-Match``, as this context reads it."""
        return self.read_version(self.request)


def innovation_command(
    request: Request[Any, Any, Any],
    id: UUID,
    command: Command,
    run: Callable[[Checked], Outcome],
    *,
    read_version: VersionReader,
    respond: Callable[[Request[Any, Any, Any], Outcome], R],
) -> R:
    """Policy check before any work, then the command, then the record as the command left it."""
    runtime = runtime_of(request)
    innovation = load_for_command(runtime, principal_of(request), id, command)
    with runtime.commands.starting_from(innovation):  # the command does not read it again
        outcome = run(Checked(request, innovation, runtime.commands, read_version))
    return respond(request, outcome)
