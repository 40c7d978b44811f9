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

A command route's bearer request (``SESSION_IN_LOAD``) sends that statement inside its load's
(``DeferredSession``): one round trip and the event loop's lookup fewer, the same rule, and a
dead credential still refused with 401 before its body or the innovation is looked at.
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

from services.domain.errors import AuthenticationRequired
from services.domain.organisation import Account
from services.domain.principal import ANONYMOUS, PendingCaller, Principal
from services.eventstore.riders import Rider
from services.eventstore.store import NotFound
from services.http.context import app_runtime
from services.http.idempotency import HEADER as IDEMPOTENCY_HEADER
from services.http.input_guard import refuses_anonymous
from services.http.security import SESSION_COOKIE as COOKIE
from services.identity import session_pool
from services.identity.session_pool import SessionPool
from services.identity.sessions import Live, live_session, token_hash

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
        runtime = app_runtime(connection.app)
        pool: SessionPool | None = connection.app.state.get(session_pool.STATE_KEY)
        if pool is not None and how == "bearer" and may_defer(connection.scope):
            pending = DeferredSession(runtime, connection.scope, token, pool)
            return AuthenticationResult(user=pending, auth={"token": token, "how": how})
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
    live = runtime.sessions.lookup(token, version_sql=principals(runtime).version_sql)
    return _principal_of_live(runtime, live)


def _principal_of_live(runtime: Runtime, live: Live | None) -> Principal | None:
    """The principal behind a live session (None: no live session, or a disabled account)."""
    if live is None:
        return None
    if live.account_version is None:  # no version to check against: the account as it is now
        return principal_for(runtime, live.account_id)
    return principals(runtime).at(live.account_id, live.account_version)


#: A route handler's ``opt`` key: its bearer requests are authenticated by the handler's load
#: (``DeferredSession``), not by the middleware. Only for a sync handler whose first need of the
#: caller is ``services.identity.command_route.checked``.
SESSION_IN_LOAD = "session_in_load"
_IDEMPOTENCY_RAW = IDEMPOTENCY_HEADER.encode("latin-1")


def may_defer(scope: Any) -> bool:
    """Whether this request's session lookup may wait for the handler's load: the route asks
    for it, the method writes, and no ``Idempotency-Key`` needs the caller before the handler
    (the key is kept per account)."""
    handler = scope.get("route_handler")
    if handler is None or not handler.opt.get(SESSION_IN_LOAD):
        return False
    if not refuses_anonymous(scope):  # a dead credential is then a 401, whoever finds it
        return False
    return all(name != _IDEMPOTENCY_RAW for name, _ in scope.get("headers", ()))


class DeferredSession(PendingCaller):
    """A bearer token whose session is looked up in the statement of the command's load
    (``rider``), sparing the request a round trip and the event loop's async lookup. Revocation,
    expiry and the account's version are read then, before the policy check and the command:
    the same rule (``sessions.live_session``) as the middleware's lookup. Any other first need
    of the caller (``settle`` without an answered rider) looks the session up on its own.

    A dead credential is refused with 401 (``AuthenticationRequired``) where it is found: the
    input guard's answer to an anonymous write (``may_defer`` only defers where that rule
    holds), so the caller learns nothing more than it did before the lookup moved."""

    __slots__ = ("_settled", "lookup", "runtime", "scope", "token")

    def __init__(self, runtime: Runtime, scope: Any, token: str, pool: SessionPool) -> None:
        self.runtime = runtime
        self.scope = scope
        self.token = token
        #: The pool's lookup statement, when it reads the account's version (the rider's width).
        self.lookup = pool.sql if pool.version_sql is not None else None
        self._settled: Principal | None = None

    @property
    def settled(self) -> bool:
        return self._settled is not None

    def rider(self) -> Rider | None:
        """The session lookup as a read the load answers (None once settled)."""
        if self._settled is not None or self.lookup is None:
            return None
        return Rider(self.lookup, (token_hash(self.token),), 4)

    def settle(self, rider: Rider | None = None) -> Principal:
        if self._settled is None:
            if rider is not None and rider.answered:
                live = None if rider.row is None else live_session(rider.row, with_version=True)
                self._settle(_principal_of_live(self.runtime, live))
            else:
                self._settle(_resolve(self.runtime, self.token))
        return self._checked()

    async def settle_async(self, pool: SessionPool) -> Principal:
        """``settle`` on the event loop (the session pool's lookup)."""
        if self._settled is None:
            self._settle((await _resolve_async(self.runtime, pool, self.token))[0])
        return self._checked()

    def _settle(self, principal: Principal | None) -> None:
        if principal is None:
            log.info("rejected credential", extra={"path": self.scope.get("path"), "how": "bearer"})
        self._settled = principal or ANONYMOUS
        self.scope["user"] = self._settled

    def _checked(self) -> Principal:
        assert self._settled is not None
        if not self._settled.authenticated:
            raise AuthenticationRequired()
        return self._settled


async def settle_pending(exc: Exception, scope: Any) -> None:
    """``after_exception`` hook (before ``log_denied``): a request that failed before its
    handler checked its deferred credential (a body that does not validate, one too large) has
    it checked now; a dead one is refused with 401 instead, as the input guard refuses an
    anonymous write before its body is read. (Raised from here, the refusal is answered by the
    app's outer exception handler.)"""
    pending = pending_session(scope)
    if pending is None or pending.settled:
        return
    pool: SessionPool | None = scope["app"].state.get(session_pool.STATE_KEY)
    if pool is None:  # the lifespan ended meanwhile: the threaded lookup
        await sync_to_thread(pending.settle)
    else:
        await pending.settle_async(pool)


def pending_session(scope: Any) -> DeferredSession | None:
    """The request's credential when its check waits for the handler's load."""
    user = scope.get("user")
    return user if isinstance(user, DeferredSession) else None


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
