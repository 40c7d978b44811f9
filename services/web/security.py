"""HTTP hardening in one place: security headers, CSRF, body size limits, login throttling.

``services.app.create_app`` wires what this module exposes; nothing here knows about a
particular route except the login throttle.

Security headers (``add_security_headers``, a ``before_send`` hook, so it also covers 404/405
answers that never reach a route): ``Content-Security-Policy`` (``CSP``: scripts only from this
origin, no inline script, no framing), ``X-Content-Type-Options: nosniff``,
``Referrer-Policy: same-origin``, ``X-Frame-Options: DENY`` (older browsers),
``Permissions-Policy`` and, over HTTPS (or with ``SIRISMA_HTTPS`` behind a TLS proxy),
``Strict-Transport-Security``. Two documented relaxations:
inline ``style`` is allowed (progress bars and htmx's indicator styles use it; inline styles
cannot run code), and the API reference under ``/schema`` may load Scalar from jsDelivr.

CSRF (``SessionCSRFMiddleware``): Litestar's double-submit CSRF middleware, applied only where a
forged request could ride on ambient credentials, i.e. a request that carries the session cookie
and no ``Authorization: Bearer`` header. Bearer requests (API clients, scripts) and requests with
no session at all need no token. How a page gets and sends the token:

- every GET response sets the cookie ``sirisma_csrf`` (HttpOnly) when it is missing, and puts the
  token in the request scope; Litestar templates get it as ``csrf_token`` / ``csrf_input``
  (``{{ csrf_input | safe }}`` inside a ``<form method="post">`` renders the hidden
  ``_csrf_token`` field);
- htmx or fetch requests send it in the header ``X-CSRF-Token`` (for htmx without inline script:
  ``<body hx-headers='{"X-CSRF-Token": "{{ csrf_token }}"}'>``);
- ``csrf_token_for(request)`` gives the same token to any handler that builds HTML itself.

A cookie-authenticated unsafe request without a matching token gets 403 problem JSON with type
``…/problems/csrf``.

Body limits (``BodyLimitMiddleware`` plus Litestar's ``request_max_body_size``): multipart uploads
may be up to ``SIRISMA_MAX_UPLOAD_MB`` (plus form overhead); every other body (JSON, forms) up to
``JSON_MAX_BYTES``. Too large → 413 problem JSON, before the body is read when the length is
declared.

Login throttling: at most ``LOGIN_RATE`` login requests per minute per client address
(Litestar's ``RateLimitMiddleware``, on the login route only), and failed logins counted per
account name and per client address in a Litestar store (``login_throttle``: in memory in the
embedded mode, Redis when ``SIRISMA_REDIS_URL`` is set, so every worker shares the counts). After
``ACCOUNT_FAILURES`` failures for one name (or ``ADDRESS_FAILURES`` from one address) within
``FAILURE_WINDOW_SECONDS``, further attempts get 429 problem JSON with ``Retry-After`` until the
window passes, whether the password is right or not and whether the account exists or not.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import anyio
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection, Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send
from litestar.utils.scope.state import ScopeState

from services.config import Settings
from services.identity.auth import COOKIE as SESSION_COOKIE
from services.web.problems import problem

log = logging.getLogger("sirisma.security")

MIB = 1024 * 1024
JSON_MAX_BYTES = 1 * MIB
MULTIPART_OVERHEAD = 256 * 1024  # boundaries and the small form fields next to the file

CSRF_COOKIE = "sirisma_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf_token"  # fixed by Litestar's middleware and template helper

LOGIN_PATH = "/api/auth/login"
LOGIN_RATE = 30  # login requests per minute per client address, successful or not
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
FAILURE_WINDOW_SECONDS = 15 * 60
LOGIN_THROTTLE_STORE = "login_throttle"
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
SCHEMA_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.scalar.com",
        "img-src 'self' data: https:",
        "font-src 'self' data: https://cdn.jsdelivr.net https://fonts.scalar.com",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)
STATIC_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
}


# --- security headers ---------------------------------------------------------------------


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: every HTTP response gets the headers (a handler's own CSP wins)."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)  # type: ignore[arg-type]
    path = scope.get("path", "")
    if "content-security-policy" not in headers:
        headers["content-security-policy"] = SCHEMA_CSP if path.startswith("/schema") else CSP
    for name, value in STATIC_HEADERS.items():
        if name not in headers:
            headers[name] = value
    if _served_over_https(scope) and "strict-transport-security" not in headers:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"


def _served_over_https(scope: Scope) -> bool:
    """HTTPS at this process, or (SIRISMA_HTTPS) at the proxy in front of it."""
    if scope.get("scheme") == "https":
        return True
    app = scope.get("litestar_app")
    runtime = getattr(getattr(app, "state", None), "runtime", None)
    return bool(getattr(getattr(runtime, "settings", None), "https", False))


# --- CSRF ---------------------------------------------------------------------------------


def csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=settings.https,
        cookie_httponly=True,
        cookie_samesite="lax",
    )


def is_cookie_authenticated(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """The browser would attach this credential on its own: a session cookie and no bearer."""
    bearer = connection.headers.get("authorization", "").lower().startswith("bearer ")
    return not bearer and bool(connection.cookies.get(SESSION_COOKIE))


class SessionCSRFMiddleware(CSRFMiddleware):
    """Litestar's CSRF check, only for cookie-authenticated unsafe requests.

    Safe requests always pass through the parent, so the CSRF cookie is set and the token is in
    the scope for templates.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") in self.config.safe_methods:
            await super().__call__(scope, receive, send)
            return
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope, receive)
        if not is_cookie_authenticated(request):
            await self.app(scope, receive, send)
            return
        token = request.headers.get(self.config.header_name)
        content_type, _ = request.content_type
        if not token and content_type in {
            RequestEncodingType.URL_ENCODED,
            RequestEncodingType.MULTI_PART,
        }:
            # Read the raw body first: Litestar caches it in the connection state, so the
            # handler can still parse or stream it (parsing the form alone would drain it).
            await request.body()
            value = (await request.form()).get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
        cookie = request.cookies.get(self.config.cookie_name)
        if not (token and cookie and self._csrf_tokens_match(token, cookie)):
            raise problem(
                403,
                "Token keamanan formulir (CSRF) tidak ada atau tidak cocok. "
                "Muat ulang halaman lalu coba lagi.",
                "csrf",
            )
        ScopeState.from_scope(scope).csrf_token = token
        await self.app(scope, receive, send)


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
        if scope["type"] != "http":
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


# --- login throttling ---------------------------------------------------------------------


class LoginRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's per-address limiter; its 429 gets Indonesian problem JSON and Retry-After."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except TooManyRequestsException as exc:
            headers = dict(exc.headers or {})
            retry = headers.get(self.config.rate_limit_reset_header_key, "60")
            log.warning(
                "login rate limited",
                extra={"client": _client(scope), "route": LOGIN_PATH, "reason": "address-rate"},
            )
            raise problem(
                429,
                "Terlalu banyak percobaan masuk dari alamat ini. Coba lagi sebentar lagi.",
                "too-many-requests",
                headers={**headers, "Retry-After": retry},
            ) from None


LOGIN_RATE_LIMIT = RateLimitConfig(
    rate_limit=("minute", LOGIN_RATE),
    middleware_class=LoginRateLimitMiddleware,
    store=RATE_LIMIT_STORE,
)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class LoginThrottle:
    """Counts failed logins per account name and per client address in a Litestar store.

    The counter's expiry is renewed by every failure, so a sustained guessing run stays locked
    out; a successful login clears its account's counter (not the address's).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = anyio.Lock()

    @staticmethod
    def _keys(username: str, client: str) -> list[tuple[str, int]]:
        return [(f"account:{username}", ACCOUNT_FAILURES), (f"address:{client}", ADDRESS_FAILURES)]

    async def retry_after(self, username: str, client: str) -> int | None:
        """Seconds until this name/address may try again, or None when not throttled."""
        waits = []
        for key, limit in self._keys(username, client):
            raw = await self.store.get(key)
            if raw is not None and int(raw) >= limit:
                waits.append(await self.store.expires_in(key) or FAILURE_WINDOW_SECONDS)
        return max(waits) if waits else None

    async def failed(self, username: str, client: str) -> None:
        async with self._lock:
            for key, _ in self._keys(username, client):
                raw = await self.store.get(key)
                count = int(raw) + 1 if raw is not None else 1
                await self.store.set(key, str(count), expires_in=FAILURE_WINDOW_SECONDS)

    async def succeeded(self, username: str) -> None:
        await self.store.delete(f"account:{username}")


def login_throttle(connection: ASGIConnection[Any, Any, Any, Any]) -> LoginThrottle:
    app = connection.app
    throttle = getattr(app.state, "login_throttle", None)
    if throttle is None:
        throttle = LoginThrottle(app.stores.get(LOGIN_THROTTLE_STORE))
        app.state.login_throttle = throttle
    return throttle


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"


# --- wiring -------------------------------------------------------------------------------


class FallbackStore(Store):
    """Redis-shared counters that fall back to this process's memory while Redis is down.

    A Redis outage must only delay notifications, never lock civil servants out of logging in;
    during the outage throttling still works, per process.
    """

    def __init__(self, primary: Store, name: str) -> None:
        self.primary = primary
        self.fallback = MemoryStore()
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


def stores(settings: Settings) -> dict[str, Store]:
    """Throttle counters: shared through Redis when configured, else in this process."""
    if settings.redis_url:
        from litestar.stores.redis import RedisStore

        root = RedisStore.with_client(url=settings.redis_url, namespace="sirisma")
        return {
            RATE_LIMIT_STORE: FallbackStore(root.with_namespace(RATE_LIMIT_STORE), "rate"),
            LOGIN_THROTTLE_STORE: FallbackStore(root.with_namespace(LOGIN_THROTTLE_STORE), "login"),
        }
    return {RATE_LIMIT_STORE: MemoryStore(), LOGIN_THROTTLE_STORE: MemoryStore()}


def outer_middleware(settings: Settings) -> list[DefineMiddleware]:
    """Before authentication: refuse oversized bodies before anything reads them."""
    return [DefineMiddleware(BodyLimitMiddleware, settings=settings)]


def inner_middleware(settings: Settings) -> list[DefineMiddleware]:
    """After authentication (so refusals are logged with the account): CSRF."""
    return [DefineMiddleware(SessionCSRFMiddleware, config=csrf_config(settings))]
