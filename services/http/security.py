"""HTTP hardening in one place: security headers, CSRF, body size limits, per-address rate limits.

``services.app.create_app`` wires what this module exposes; nothing here knows about a
particular route except the login throttle.

Security headers (``add_security_headers``, a ``before_send`` hook, so it also covers 404/405
answers that never reach a route): ``Content-Security-Policy`` (``CSP``: scripts only from this
origin, no inline script, no framing), ``X-Content-Type-Options: nosniff``,
``Referrer-Policy: same-origin``, ``X-Frame-Options: DENY`` (older browsers),
``Permissions-Policy`` and, over HTTPS (or with ``SIRISMA_HTTPS`` behind a TLS proxy),
``Strict-Transport-Security``. Two documented relaxations:
inline ``style`` is allowed (progress bars, htmx's indicator styles and the vendored API
reference's injected stylesheet use it; inline styles cannot run code). The API reference under
``/schema`` runs under this same policy (services.web.api_docs).

CSRF (``SessionCSRFMiddleware``): a token bound to the session, applied where a forged request
could ride on ambient credentials, i.e. a request that carries the session cookie and no
``Authorization: Bearer`` header, plus the login form. The token is an HMAC (``SIRISMA_SECRET_KEY``)
of the session cookie, so a token from another visit or another session is worthless; before a
session exists it is bound to the visitor's random ``sirisma_csrf`` cookie (HttpOnly), which only
the login form uses. Bearer requests (API clients, scripts), requests with no session and JSON
logins need no token. How a page gets and sends the token:

- every GET puts the token in the request scope (and sets ``sirisma_csrf`` when there is neither
  cookie); templates get it as ``csrf`` / ``csrf_field`` (services.web.pages.rendering);
- htmx or fetch requests send it in the header ``X-CSRF-Token`` (static/app.js);
- forms send it as the field ``_csrf_token``, rendered first in the form: for a multipart upload
  the token is decided from the first part, before the file is read;
- ``csrf_token_for(request)`` gives the same token to any handler that builds HTML itself.

A request that needs a token and lacks a matching one gets 403 problem JSON with type
``…/problems/csrf``, before its body (beyond the first part) is read.

Body limits (``BodyLimitMiddleware`` plus Litestar's ``request_max_body_size``): multipart uploads
may be up to ``SIRISMA_MAX_UPLOAD_MB`` (plus form overhead); every other body (JSON, forms) up to
``JSON_MAX_BYTES``. Too large → 413 problem JSON, before the body is read when the length is
declared.

Login throttling: at most ``LOGIN_RATE`` login requests per minute per client address
(Litestar's ``RateLimitMiddleware`` keyed by the connection's address, never by a header the
client writes), and failed logins counted by ``LoginThrottle`` (services.identity.throttle) in a
Litestar store
(``login_throttle``: in memory in the embedded mode, Redis when ``SIRISMA_REDIS_URL`` is set, so
every worker shares the counts). Failures slow the caller down with a doubling wait (429 problem
JSON with ``Retry-After``) instead of locking the account: an anonymous guesser cannot lock a
real user out, and a user's browser that signed in before (``sirisma_device`` cookie) is counted
on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

import anyio
from litestar.connection import ASGIConnection, Request
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send
from litestar.utils.scope.state import ScopeState
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from services.config import Settings
from services.http.problems import problem

# Named here, where the middleware reads them; the identity context imports them (auth, throttle).
SESSION_COOKIE = "sirisma_session"  # the session cookie set at login (services.identity.auth)
LOGIN_THROTTLE_STORE = "login_throttle"  # failed logins per key (services.identity.throttle)

log = logging.getLogger("sirisma.security")

MIB = 1024 * 1024
JSON_MAX_BYTES = 1 * MIB
MULTIPART_OVERHEAD = 256 * 1024  # boundaries and the small form fields next to the file

CSRF_COOKIE = "sirisma_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf_token"  # the hidden form field (Litestar's template helper uses it too)
CSRF_PREFIX_BYTES = 64 * 1024  # a multipart body's token must arrive within these first bytes
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_LOGIN_PATHS = frozenset({"/masuk"})  # login forms: checked even without a session

LOGIN_PATH = "/api/auth/login"
LOGIN_RATE = 30  # login requests per minute per client address, successful or not
REGISTRATION_RATE = 10  # Krenova self-registrations per hour per client address (API and page)
RATE_LIMIT_STORE = "rate_limit"

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PROBES = "/health/"  # liveness and readiness: answered for machines, many times a second
#: A probe handler's ``opt``: no caller, no body, no session, no command. The request layers
#: (correlation id and metrics, body limit, authentication, CSRF, idempotency) skip it, so a
#: probe costs what the framework costs (issue 19); the security headers still come on.
PROBE_OPT = {"probe": True, "exclude_from_auth": True, "skip_idempotency": True}


def is_probe(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return bool(handler is not None and handler.opt.get("probe"))


STATIC_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
}


# --- security headers ---------------------------------------------------------------------


_RAW_HEADERS = [
    (name.encode(), value.encode())
    for name, value in {"content-security-policy": CSP, **STATIC_HEADERS}.items()
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: every HTTP response gets the headers (a handler's own CSP wins).

    Runs on every response, so it reads the response's header names once and appends the raw
    pairs (``MutableScopeHeaders`` scans and decodes the whole list for each lookup)."""
    if message["type"] != "http.response.start":
        return
    headers = message.setdefault("headers", [])  # type: ignore[typeddict-item]
    present = {name.lower() for name, _ in headers}
    missing = [pair for pair in _RAW_HEADERS if pair[0] not in present]
    if _served_over_https(scope) and _HSTS[0] not in present:
        missing.append(_HSTS)
    if missing:
        message["headers"] = [*headers, *missing]  # type: ignore[typeddict-unknown-key]


def _served_over_https(scope: Scope) -> bool:
    """HTTPS at this process, or (SIRISMA_HTTPS) at the proxy in front of it."""
    if scope.get("scheme") == "https":
        return True
    state = getattr(scope.get("litestar_app"), "state", None)
    runtime = state.get("runtime") if state is not None else None
    return bool(getattr(getattr(runtime, "settings", None), "https", False))


# --- CSRF ---------------------------------------------------------------------------------


def csrf_token_bound_to(secret: str, binding: str) -> str:
    """The token for one session (or one pre-session visitor): an HMAC only the server makes."""
    mac = hmac.new(secret.encode(), b"sirisma-csrf\x00" + binding.encode(), hashlib.sha256)
    return mac.hexdigest()


def _binding(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """What the token is bound to: the session cookie when there is one, else the visitor's
    random ``sirisma_csrf`` cookie (for the login form, before any session exists)."""
    session = connection.cookies.get(SESSION_COOKIE)
    if session:
        return f"session:{session}"
    visitor = connection.cookies.get(CSRF_COOKIE)
    return f"visitor:{visitor}" if visitor else None


def _is_bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return connection.headers.get("authorization", "")[:7].lower() == "bearer "


def is_cookie_authenticated(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """The browser would attach this credential on its own: a session cookie and no bearer."""
    return not _is_bearer(connection) and bool(connection.cookies.get(SESSION_COOKIE))


def _media_type(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()


class SessionCSRFMiddleware:
    """Session-bound CSRF tokens, checked before the body is read.

    Checked on unsafe requests that carry the session cookie without ``Authorization: Bearer``,
    and on the login form (``/masuk``) always. ``/api/auth/login`` takes JSON only
    (``application/json`` cannot be sent cross-site without a CORS preflight, which this app
    never grants), so an API client holding an old session cookie still logs in.

    The token comes from the ``X-CSRF-Token`` header, else from the form field ``_csrf_token``:
    in a urlencoded body (at most ``JSON_MAX_BYTES``, read whole), or as the *first* part of a
    multipart body (every page form renders it first), read from the stream's first
    ``CSRF_PREFIX_BYTES``; the bytes read are replayed to the handler, which still streams the
    rest. A multipart body whose first part is not the token is refused without reading on.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        # The visitor cookie's attributes, formatted once by Litestar (a ``Cookie`` per request
        # cost a fifth of a cheap read): each response only puts its own value in front.
        sample = Cookie(
            key=CSRF_COOKIE,
            value="v",
            path="/",
            httponly=True,
            samesite="lax",
            secure=settings.https,
        ).to_header(header="")
        head, _, self._cookie_attributes = sample.partition(";")
        assert head == f"{CSRF_COOKIE}=v", sample

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if is_probe(scope) or scope.get("path", "").startswith(PROBES):  # no form, no cookie
            await self.app(scope, receive, send)
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        state = ScopeState.from_scope(scope)
        binding = _binding(connection)
        if scope.get("method", "GET") in SAFE_METHODS:
            if binding is None and _is_bearer(connection):  # an API client: no form, no cookie
                await self.app(scope, receive, send)
                return
            if binding is None:
                visitor = secrets.token_urlsafe(32)
                binding = f"visitor:{visitor}"
                send = self._setting_cookie(send, visitor)
            state.csrf_token = csrf_token_bound_to(self.settings.secret_key, binding)
            await self.app(scope, receive, send)
            return
        expected = csrf_token_bound_to(self.settings.secret_key, binding) if binding else ""
        state.csrf_token = expected  # a form shown again after this request carries it
        path = scope.get("path", "")
        if path == LOGIN_PATH:
            if _media_type(connection) != "application/json":
                raise problem(
                    415,
                    "Kirim nama pengguna dan kata sandi sebagai application/json.",
                    "json-required",
                )
            await self.app(scope, receive, send)
            return
        if not (is_cookie_authenticated(connection) or path in FORM_LOGIN_PATHS):
            await self.app(scope, receive, send)
            return
        token = connection.headers.get(CSRF_HEADER)
        replay: list[bytes] = []
        more = True
        if not token:
            token, replay, more = await _token_from_body(connection, receive)
        if not (token and expected and hmac.compare_digest(token.encode(), expected.encode())):
            raise problem(
                403,
                "Token keamanan formulir (CSRF) tidak ada atau tidak cocok. "
                "Muat ulang halaman lalu coba lagi.",
                "csrf",
            )
        await self.app(scope, _replaying(replay, more, receive) if replay else receive, send)

    def _setting_cookie(self, send: Send, visitor: str) -> Send:
        cookie = f"{CSRF_COOKIE}={visitor};{self._cookie_attributes}"  # token_urlsafe: no quoting

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)  # type: ignore[arg-type]
                headers.add("set-cookie", cookie)
            await send(message)

        return wrapped


async def _token_from_body(
    connection: ASGIConnection[Any, Any, Any, Any], receive: Receive
) -> tuple[str | None, list[bytes], bool]:
    """(token, the body bytes read, whether more body follows)."""
    media = _media_type(connection)
    chunks: list[bytes] = []
    if media == "application/x-www-form-urlencoded":
        more = True
        while more:  # bounded by BodyLimitMiddleware (JSON_MAX_BYTES) outside this one
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))  # type: ignore[arg-type]
            more = bool(message.get("more_body", False))
        fields = parse_qs(b"".join(chunks).decode("latin-1"), keep_blank_values=True)
        values = fields.get(CSRF_FIELD)
        return (values[0] if values else None), chunks, False
    if media != "multipart/form-data":
        return None, chunks, True
    match = re.search(
        r'boundary="?([^";]{1,200})"?', connection.headers.get("content-type", ""), re.I
    )
    if not match:
        return None, chunks, True
    # Not used as a context manager: leaving it early would raise for the unfinished body.
    parser = PushMultipartParser(
        match.group(1).encode("latin-1", "replace"), max_segment_size=CSRF_PREFIX_BYTES
    )
    value = bytearray()
    read = 0
    more = True
    seen_first = False
    try:
        while more and read <= CSRF_PREFIX_BYTES:
            message = await receive()
            if message["type"] != "http.request":
                return None, chunks, False
            chunk: bytes = message.get("body", b"")  # type: ignore[assignment]
            more = bool(message.get("more_body", False))
            chunks.append(chunk)
            read += len(chunk)
            for event in parser.parse(chunk):
                if isinstance(event, MultipartSegment):
                    if seen_first or event.name != CSRF_FIELD or event.filename is not None:
                        return None, chunks, more
                    seen_first = True
                elif event is None:
                    return value.decode("ascii", "replace"), chunks, more
                else:
                    value.extend(event)
                    if len(value) > 256:
                        return None, chunks, more
    except (ParserError, ParserLimitReached):
        pass
    return None, chunks, more


def _replaying(chunks: list[bytes], more: bool, receive: Receive) -> Receive:
    """A ``receive`` that hands the handler the bytes already read, then the rest of the body."""
    pending = [b"".join(chunks)]

    async def replay() -> ReceiveMessage:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": more}
        return await receive()

    return replay


def csrf_token_for(request: Request[Any, Any, Any]) -> str:
    """The token a page must echo back (empty when the CSRF middleware did not run)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


# --- body size limits ---------------------------------------------------------------------


def upload_limit(settings: Settings) -> int:
    return settings.max_upload_mb * MIB + MULTIPART_OVERHEAD


def limit_for(scope: Scope, settings: Settings) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            if value.lower().startswith(b"multipart/form-data"):
                return upload_limit(settings)
            break
    return JSON_MAX_BYTES


def _too_large(limit: int) -> Exception:
    size = f"{limit // MIB} MB" if limit >= MIB else f"{math.ceil(limit / 1024)} KB"
    return problem(413, f"Isi permintaan melebihi batas {size}.", "too-large", limit=limit)


class BodyLimitMiddleware:
    """413 for a body over its limit: refused up front by Content-Length, else while streaming.

    Litestar's own ``request_max_body_size`` (set app-wide to the upload limit) is the backstop;
    this adds the smaller limit for everything that is not a multipart upload.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_probe(scope):
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope, self.settings)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    raise _too_large(limit)
                break
        received = 0

        async def limited_receive() -> ReceiveMessage:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))  # type: ignore[arg-type]
                if received > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, limited_receive, send)


# --- per-address rate limits (failed logins: services.identity.throttle) ---------------------


class LoginRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's per-address limiter; its 429 gets Indonesian problem JSON and Retry-After."""

    message = "Terlalu banyak percobaan masuk dari alamat ini. Coba lagi sebentar lagi."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except TooManyRequestsException as exc:
            headers = dict(exc.headers or {})
            retry = headers.get(self.config.rate_limit_reset_header_key, "60")
            log.warning(
                "rate limited",
                extra={
                    "client": _client(scope),
                    "route": scope.get("path", ""),
                    "reason": "address-rate",
                },
            )
            raise problem(
                429,
                self.message,
                "too-many-requests",
                headers={**headers, "Retry-After": retry},
            ) from None


class RegistrationRateLimitMiddleware(LoginRateLimitMiddleware):
    """Krenova self-registration: each one costs an argon2 hash and an account."""

    message = "Terlalu banyak pendaftaran dari alamat ini. Coba lagi nanti."


LOGIN_RATE_LIMIT = RateLimitConfig(
    rate_limit=("minute", LOGIN_RATE),
    middleware_class=LoginRateLimitMiddleware,
    store=RATE_LIMIT_STORE,
)
REGISTRATION_RATE_LIMIT = RateLimitConfig(
    rate_limit=("hour", REGISTRATION_RATE),
    middleware_class=RegistrationRateLimitMiddleware,
    store=RATE_LIMIT_STORE,
)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


# --- wiring -------------------------------------------------------------------------------


# Counts one failure under a key in one step on the Redis server, so workers never lose each
# other's counts. The value is "<count>:<stamp>"; ARGV[1] is the stamp, ARGV[2..] the seconds to
# keep the key after its 1st, 2nd … failure (the last one for every failure beyond).
_COUNT_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
local count = 1
if raw then count = (tonumber(string.match(raw, '^(%d+)')) or 0) + 1 end
local keep = tonumber(ARGV[math.min(count, #ARGV - 1) + 1])
redis.call('SET', KEYS[1], count .. ':' .. ARGV[1], 'EX', keep)
return count
"""


class RedisCounterStore(RedisStore):
    """Litestar's Redis store plus an atomic counter (a Lua script: one round trip)."""

    async def increment(self, key: str, stamp: str, keeps: Sequence[int]) -> int:
        script = self._redis.register_script(_COUNT_SCRIPT)
        return int(await script(keys=[self._make_key(key)], args=[stamp, *keeps]))


class MemoryCounterStore(MemoryStore):
    """Litestar's memory store plus the same counter, atomic within this process."""

    def __init__(self) -> None:
        super().__init__()
        self._count_lock = anyio.Lock()

    async def increment(self, key: str, stamp: str, keeps: Sequence[int]) -> int:
        async with self._count_lock:
            raw = await self.get(key)
            text = raw.decode() if isinstance(raw, bytes) else ""
            count = int(text.partition(":")[0] or 0) + 1 if text[:1].isdigit() else 1
            keep = keeps[min(count, len(keeps)) - 1]
            await self.set(key, f"{count}:{stamp}", expires_in=keep)
            return count


class FallbackStore(Store):
    """Redis-shared counters that fall back to this process's memory while Redis is down.

    A Redis outage must only delay notifications, never lock civil servants out of logging in;
    during the outage throttling still works, per process.
    """

    def __init__(self, primary: Store, name: str) -> None:
        self.primary = primary
        self.fallback = MemoryCounterStore()
        self.name = name

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return await getattr(self.primary, method)(*args, **kwargs)
        except (OSError, ConnectionError, TimeoutError) as exc:
            log.warning(
                "throttle store unavailable, using memory",
                extra={"store": self.name, "error": type(exc).__name__},
            )
        except Exception as exc:  # redis-py raises its own ConnectionError subclasses
            if "redis" not in type(exc).__module__:
                raise
            log.warning(
                "throttle store unavailable, using memory",
                extra={"store": self.name, "error": type(exc).__name__},
            )
        return await getattr(self.fallback, method)(*args, **kwargs)

    async def set(self, key: str, value: str | bytes, expires_in: Any = None) -> None:
        await self._call("set", key, value, expires_in=expires_in)

    async def get(self, key: str, renew_for: Any = None) -> bytes | None:
        return await self._call("get", key, renew_for=renew_for)  # type: ignore[no-any-return]

    async def delete(self, key: str) -> None:
        await self._call("delete", key)

    async def delete_all(self) -> None:
        await self._call("delete_all")

    async def exists(self, key: str) -> bool:
        return await self._call("exists", key)  # type: ignore[no-any-return]

    async def expires_in(self, key: str) -> int | None:
        return await self._call("expires_in", key)  # type: ignore[no-any-return]

    async def increment(self, key: str, stamp: str, keeps: Sequence[int]) -> int:
        return await self._call("increment", key, stamp, keeps)  # type: ignore[no-any-return]


def stores(settings: Settings) -> dict[str, Store]:
    """Throttle counters: shared through Redis when configured, else in this process."""
    if settings.redis_url:
        root = RedisCounterStore.with_client(url=settings.redis_url, namespace="sirisma")
        return {
            RATE_LIMIT_STORE: FallbackStore(root.with_namespace(RATE_LIMIT_STORE), "rate"),
            LOGIN_THROTTLE_STORE: FallbackStore(root.with_namespace(LOGIN_THROTTLE_STORE), "login"),
        }
    return {RATE_LIMIT_STORE: MemoryStore(), LOGIN_THROTTLE_STORE: MemoryCounterStore()}


def outer_middleware(settings: Settings) -> list[DefineMiddleware]:
    """Before authentication: refuse oversized bodies before anything reads them."""
    return [DefineMiddleware(BodyLimitMiddleware, settings=settings)]


def inner_middleware(settings: Settings) -> list[DefineMiddleware]:
    """After authentication (so refusals are logged with the account): CSRF."""
    return [DefineMiddleware(SessionCSRFMiddleware, settings=settings)]
