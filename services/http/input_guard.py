"""The request checks that run before any body is decoded (the app's ``before_request`` hook).

* An anonymous write to the API is 401 before its body is looked at: the caller learns to sign
  in, not how to shape a body it may not send. Handlers anonymous callers may write to say so
  with ``opt={"anonymous": True}`` (login, logout, the Krenova registration).
* Every query parameter, text path parameter and HTML-form or multipart field (names and
  values) is checked for control characters and lone surrogates (services/http/limits.py): 422
  naming the field. JSON bodies are checked by msgspec through the annotated types in limits.py
  instead; the streaming upload route checks its own fields (services/submission/uploads.py).
* The route being served is remembered, so a schema error can list an enum's allowed values
  (services/http/explain.py).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile

from services.domain.errors import AuthenticationRequired
from services.domain.principal import PendingCaller
from services.http import limits
from services.http.context import principal_of
from services.http.explain import CURRENT_HANDLER
from services.http.problems import problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
QUERY_VALUE_MAX = limits.URL_MAX  # a page's ``next`` may be a whole local address


def refuse(field: str, reason: str) -> None:
    """422 naming the field: the one refusal for bad text outside JSON bodies."""
    raise problem(422, f"Isian `{field}` {reason}.", "invalid-text", field=field)


def check_text(field: str, value: str, max_length: int, *, form: bool = False) -> None:
    """Refuse control characters, lone surrogates and over-long text in one named field. Browsers
    send a textarea's line breaks as CRLF, so in form fields a CR before LF is allowed."""
    reason = limits.bad_text(value.replace("\r\n", "\n") if form else value)
    if reason is None and len(value) > max_length:
        reason = limits.limits_text(max_length)
    if reason is None and (field_reason := limits.bad_text(field)):
        reason = f"(nama isian) {field_reason}"
    if reason is not None:
        refuse(field.encode("ascii", "backslashreplace").decode()[:100], reason)


def refuses_anonymous(scope: Any) -> bool:
    """The rule: a write to the API needs a signed-in caller, unless its route says otherwise."""
    opt = getattr(scope.get("route_handler"), "opt", {}) or {}
    return (
        scope.get("method", "GET") not in SAFE_METHODS
        and scope.get("path", "").startswith("/api/")  # not request.url: built for this only
        and not opt.get("anonymous")
    )


async def check_request(request: Request[Any, Any, Any]) -> None:
    handler = request.scope.get("route_handler")
    opt = getattr(handler, "opt", {}) or {}
    if opt.get("probe"):  # no parameters, no body (services.http.security.PROBE_OPT)
        return
    CURRENT_HANDLER.set(handler)
    # A credential left for the handler's load (``PendingCaller``) is refused with the same 401
    # when it turns out dead: by the handler, or should the request fail before it, by the
    # after_exception hook (``services.identity.auth.settle_pending``).
    if (
        refuses_anonymous(request.scope)
        and not isinstance(request.scope.get("user"), PendingCaller)
        and not principal_of(request).authenticated
    ):
        raise AuthenticationRequired()
    if request.scope.get("query_string"):
        for name, value in request.query_params.multi_items():
            check_text(name, value, QUERY_VALUE_MAX)
    for name, value in request.path_params.items():
        if isinstance(value, str):
            check_text(name, value, QUERY_VALUE_MAX)
    signature = getattr(handler, "parsed_fn_signature", None)
    if (
        signature is not None
        and "data" in signature.parameters
        and request.content_type[0] in FORM_TYPES
    ):
        form = await request.form()  # cached: the handler's ``data`` is this same form
        for name, item in form.multi_items():
            if isinstance(item, UploadFile):
                check_text(name, item.filename or "", limits.NAME_MAX * 2)
            else:
                check_text(name, str(item), limits.FORM_FIELD_MAX, form=True)
