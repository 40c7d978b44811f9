"""The authenticated caller as route handlers see it (``request.user``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from uuid import UUID

import msgspec

from services.domain.actor import Actor, Role


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    account_id: UUID | None
    username: str
    role: Role | None  # None: anonymous
    organisation_id: UUID | None = None
    full_name: str = ""

    @property
    def authenticated(self) -> bool:
        return self.account_id is not None and self.role is not None

    @property
    def actor(self) -> Actor:
        if self.role is None:
            raise PermissionError("anonymous callers cannot act")
        return Actor(
            account_id=self.account_id, role=self.role, organisation_id=self.organisation_id
        )


ANONYMOUS = Principal(account_id=None, username="", role=None)


class PendingCaller(ABC):
    """A credential not checked yet: the authentication middleware left it for the request's
    first need of the caller (a command route reads the session in its load's statement,
    ``services.identity.auth.DeferredSession``). ``settle`` checks it once, puts the
    ``Principal`` (``ANONYMOUS`` for a dead credential) where the request keeps its caller and
    returns it."""

    __slots__ = ()

    @abstractmethod
    def settle(self) -> Principal: ...


def caller(user: object) -> Principal:
    """The caller a request's ``user`` stands for; a pending credential is checked here, at its
    first need."""
    if isinstance(user, Principal):
        return user
    if isinstance(user, PendingCaller):
        return user.settle()
    return ANONYMOUS
