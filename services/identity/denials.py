"""Refused requests as structured log records: who, which route, why.

``log_denied`` is an ``after_exception`` hook, so every 401, every 403 and every 404 the policy
gives (a record hidden from the caller) is logged once, wherever it was raised. The record carries
the account, role, method, route template, status and reason; never a password, a token or a
request body.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar.exceptions import HTTPException
from litestar.types import Scope

from services.domain.errors import AuthenticationRequired, NotAllowed
from services.domain.principal import Principal
from services.identity.policy import Hidden

log = logging.getLogger("sirisma.security")


def _denial(exc: BaseException) -> tuple[int, str, str] | None:
    """(status, reason code, reason text) when ``exc`` is an authorisation refusal."""
    if isinstance(exc, AuthenticationRequired | NotAllowed):
        return exc.status, exc.code, exc.message
    if isinstance(exc, Hidden):
        return 404, "hidden", f"{exc.kind} not visible to caller"
    if isinstance(exc, HTTPException) and exc.status_code in (401, 403):
        type_ = str(getattr(exc, "type_", "") or "")
        code = type_.rsplit("/", 1)[-1] if type_ else str(exc.status_code)
        return exc.status_code, code, str(exc.detail)
    return None


def denial_record(exc: BaseException, scope: Scope) -> dict[str, Any] | None:
    found = _denial(exc)
    if found is None:
        return None
    status, code, reason = found
    user = scope.get("user")
    principal = user if isinstance(user, Principal) else None
    state = scope.get("state") or {}
    client = scope.get("client")
    return {
        "event": "authorisation_denied",
        "status": status,
        "reason_code": code,
        "reason": reason,
        "account_id": str(principal.account_id) if principal and principal.account_id else None,
        "username": principal.username if principal and principal.username else None,
        "role": str(principal.role) if principal and principal.role else None,
        "method": scope.get("method"),
        "route": scope.get("path_template") or scope.get("path"),
        "path": scope.get("path"),
        "client": str(client[0]) if client else None,
        "correlation_id": state.get("correlation_id"),
    }


async def log_denied(exc: Exception, scope: Scope) -> None:
    record = denial_record(exc, scope)
    if record is not None:
        log.warning(
            "authorisation denied: %s %s -> %s (%s)",
            record["method"],
            record["route"],
            record["status"],
            record["reason_code"],
            extra=record,
        )
