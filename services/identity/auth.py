"""Authentication: bearer tokens and the session cookie, resolved to a ``Principal`` per request.

Built on Litestar's ``AbstractAuthenticationMiddleware``: every request gets ``request.user``
(``ANONYMOUS`` when no valid credential is given); handlers and the policy decide what that
caller may do.

On PostgreSQL one statement per request answers both questions: is the session live, and at
which version is its account's stream now (the log and the sessions share the database). The
``Principal`` built from the account at a version is held per process (``Principals``): a
stream never changes below its head, so it stays true until the version moves, and any write
to the account (disabled, role changed) by any process moves it, which the next request sees.
Revocation and expiry are read from the session row on every request.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from services.domain.organisation import Account
from services.domain.principal import ANONYMOUS, Principal
from services.eventstore.store import NotFound
from services.http.security import SESSION_COOKIE as COOKIE
from services.identity import session_pool
from services.identity.session_pool import SessionPool

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
    return _loaded(runtime, account_id)[1]


def _loaded(runtime: Runtime, account_id: UUID) -> tuple[int | None, Principal | None]:
    """(the stream version read, the principal at it); (None, None) when it is no account."""
    try:
        account = runtime.store.load(Account, account_id)
    except NotFound:
        return None, None
    if account.disabled:
        return account.version, None
    return account.version, Principal(
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
        pool: SessionPool | None = connection.app.state.get(session_pool.STATE_KEY)
        rider = None
        if pool is not None:  # PostgreSQL, lifespan started: on this event loop
            principal, rider = await _resolve_async(
                runtime, pool, token, rider=connection.scope.get("method") == "GET"
            )
        else:  # SQLite (the embedded mode), or no lifespan: in a worker thread
            principal = await sync_to_thread(_resolve, runtime, token)
        if principal is None:
            if how == "bearer":
                log.info("rejected credential", extra={"path": connection.url.path, "how": how})
            return AuthenticationResult(user=ANONYMOUS, auth=None)
        return AuthenticationResult(
            user=principal, auth={"token": token, "how": how, "rider": rider}
        )


#: Accounts whose principal a process holds (least recently used out first).
PRINCIPALS_MAX = 4096


class Principals:
    """Each account's ``Principal`` (None: disabled or not an account) at a stream version."""

    def __init__(self, runtime: Runtime, size: int = PRINCIPALS_MAX) -> None:
        self.runtime = runtime
        self.size = size
        self.version_sql = _version_sql(runtime)
        self._held: OrderedDict[UUID, tuple[int, Principal | None]] = OrderedDict()
        self._lock = threading.Lock()

    def held(self, account_id: UUID, version: int) -> tuple[bool, Principal | None]:
        """(True, the principal) when it is held at ``version``; (False, None) when not."""
        with self._lock:
            held = self._held.get(account_id)
            if held is not None and held[0] == version:
                self._held.move_to_end(account_id)
                return True, held[1]
        return False, None

    def at(self, account_id: UUID, version: int) -> Principal | None:
        """The principal of ``account_id`` whose stream is at ``version`` now."""
        found, principal = self.held(account_id, version)
        if found:
            return principal
        loaded, principal = _loaded(self.runtime, account_id)
        with self._lock:  # held at the version it was built from (a newer one than asked: fine)
            self._held[account_id] = (version if loaded is None else loaded, principal)
            self._held.move_to_end(account_id)
            while len(self._held) > self.size:
                self._held.popitem(last=False)
        return principal


def _version_sql(runtime: Runtime) -> str | None:
    """A scalar subquery: the version of the session's account stream (``auth_sessions``'s
    row), or None when the log is not in the sessions' database (SQLite: another file)."""
    if not runtime.settings.is_postgres:
        return None
    recorder: Any = runtime.store.recorder
    schema = recorder.datastore.schema.replace('"', '""')
    table = recorder.events_table_name.replace('"', '""')
    return (
        f'SELECT max(e.originator_version) FROM "{schema}"."{table}" e '
        "WHERE e.originator_id = CAST(auth_sessions.account_id AS uuid)"
    )


def principals(runtime: Runtime) -> Principals:
    held = runtime.extensions.get("principals")
    if held is None:
        held = runtime.extensions.setdefault("principals", Principals(runtime))
    return held  # type: ignore[no-any-return]


def _resolve(runtime: Runtime, token: str) -> Principal | None:
    known = principals(runtime)
    live = runtime.sessions.lookup(token, version_sql=known.version_sql)
    if live is None:
        return None
    if live.account_version is None:  # no version to check against: the account as it is now
        return principal_for(runtime, live.account_id)
    return known.at(live.account_id, live.account_version)


async def _resolve_async(
    runtime: Runtime, pool: SessionPool, token: str, *, rider: bool = False
) -> tuple[Principal | None, Any]:
    """``_resolve`` with the lookup on the event loop; only a principal not held at the
    account's version is loaded (from the event store, in a worker thread). With ``rider``,
    also the value of the pool's rider read by the same statement (``auth["rider"]``)."""
    live, ridden = await pool.lookup_with_rider(token, rider=rider)
    if live is None:
        return None, None
    known = principals(runtime)
    if live.account_version is None:  # the log elsewhere: the account as it is now
        return await sync_to_thread(principal_for, runtime, live.account_id), ridden
    found, principal = known.held(live.account_id, live.account_version)
    if found:
        return principal, ridden
    return await sync_to_thread(known.at, live.account_id, live.account_version), ridden
