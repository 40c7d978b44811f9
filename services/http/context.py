"""From an HTTP request to what the domain needs: the caller and a command ``Context``."""

from __future__ import annotations

import re
from secrets import token_hex
from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.types import Scope

from services.domain.aggregate import Context
from services.domain.errors import AuthenticationRequired
from services.domain.principal import Principal, caller

if TYPE_CHECKING:
    from services.runtime import Runtime

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def runtime_of(request: Request[Any, Any, Any]) -> Runtime:
    return app_runtime(request.app)


def app_runtime(app: Any) -> Runtime:
    """The app's ``Runtime``: an item of its state (Litestar's ``State`` answers an attribute
    only after the ordinary lookup fails, ~0.4 µs against ~0.07; several times a request)."""
    return app.state["runtime"]  # type: ignore[no-any-return]


def principal_of(request: Request[Any, Any, Any]) -> Principal:
    return caller(request.scope.get("user"))


def correlation_id(request: Request[Any, Any, Any]) -> str:
    """The caller's X-Correlation-ID (if sane) or one made for this request, kept in the scope."""
    return scope_correlation_id(request.scope)


def scope_correlation_id(scope: Scope) -> str:
    """``correlation_id`` from the ASGI scope itself: the outermost middleware fixes it before
    any ``Request`` exists (the raw header pairs read once, no header mapping built)."""
    state = scope.setdefault("state", {})
    existing = state.get("correlation_id")
    if existing:
        return str(existing)
    correlation = request_id = b""
    for name, raw in scope.get("headers", ()):
        if name == b"x-correlation-id" and not correlation:
            correlation = raw
        elif name == b"x-request-id" and not request_id:
            request_id = raw
    given = (correlation or request_id).decode("latin-1")
    made = given if _SAFE_ID.match(given) else token_hex(16)  # 32 hex digits, as uuid4().hex
    state["correlation_id"] = made
    return made


def command_context(request: Request[Any, Any, Any]) -> Context:
    principal = principal_of(request)
    if not principal.authenticated:
        raise AuthenticationRequired()
    return Context(actor=principal.actor, correlation_id=correlation_id(request))
