"""The pages' side of CSRF protection: where a form finds the token it must send back.

The identity context's CSRF middleware (services.http.security) keeps the token in the request
scope; every page form carries it as ``_csrf_token`` and HTMX requests send it as a header.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from services.http.security import CSRF_HEADER, csrf_token_for

HEADER = CSRF_HEADER


def csrf_token(request: Request[Any, Any, Any]) -> str:
    return csrf_token_for(request)
