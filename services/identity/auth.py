"""Authentication: bearer tokens and the session cookie, resolved to a ``Principal`` per request.

Built on Litestar's ``AbstractAuthenticationMiddleware``: every request gets ``request.user``
(``ANONYMOUS`` when no valid credential is given); handlers and the policy decide what that
caller may do.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from services.domain.organisation import Account
from services.domain.principal import ANONYMOUS, Principal
from services.eventstore.store import NotFound
from services.http.security import SESSION_COOKIE as COOKIE

if TYPE_CHECKING:
    from services.runtime import Runtime

log = logging.getLogger("sirisma.auth")


def token_from(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str | None, str]:
    """(token, how): from ``Authorization: Bearer`` first, else the session cookie."""
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None, "bearer"
    cookie = connection.cookies.get(COOKIE)
    return (cookie or None), "cookie"


def principal_for(runtime: Runtime, account_id: UUID) -> Principal | None:
    """The account as it is now (role, organisation, disabled), read from its stream."""
    try:
        account = runtime.store.load(Account, account_id)
    except NotFound:
        return None
    if account.disabled:
        return None
    return Principal(
        account_id=account.id,
        username=account.username,
        role=account.role,
        organisation_id=account.organisation_id,
        full_name=account.full_name,
    )


class TokenAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token, how = token_from(connection)
        if not token:
            return AuthenticationResult(user=ANONYMOUS, auth=None)
        runtime: Runtime = connection.app.state.runtime
        from litestar.concurrency import sync_to_thread

        principal = await sync_to_thread(_resolve, runtime, token)
        if principal is None:
            if how == "bearer":
                log.info("rejected credential", extra={"path": connection.url.path, "how": how})
            return AuthenticationResult(user=ANONYMOUS, auth=None)
        return AuthenticationResult(user=principal, auth={"token": token, "how": how})


def _resolve(runtime: Runtime, token: str) -> Principal | None:
    sessions = runtime.sessions
    account_id = sessions.resolve(token)
    if account_id is None:
        return None
    return principal_for(runtime, account_id)
