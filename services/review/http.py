"""What the review routes share: preconditions, the caller's checks, commands, write responses.

Every write names the version it acted on when the client sends ``If-Match`` (a stale one gets
409 with the current version and records nothing) and answers with ``version``, ``ETag`` and
``X-Notification-Id``. ``Idempotency-Key`` on every POST is handled app-wide by
``services.http.idempotency``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from litestar import Request, Response
from litestar.openapi.datastructures import ResponseSpec

from services.commands import Outcome
from services.domain.actor import Role
from services.domain.innovation import Innovation
from services.domain.lifecycle import Command
from services.domain.principal import Principal
from services.http.context import principal_of, runtime_of
from services.http.writes import PROBLEM_TEXT, if_match_header, parse_version, problem_specs
from services.http.writes import write_headers as _write_headers
from services.identity.auth import SESSION_IN_LOAD
from services.identity.command_route import Checked, checked
from services.identity.policy import ensure_record, ensure_role, ensure_view
from services.review import views

if TYPE_CHECKING:
    from services.runtime import Runtime

TAG = "review"
IfMatch = Annotated[
    str | None,
    if_match_header(
        'Versi yang Anda periksa, dari ETag respons terakhir (mis. "7"). Bila dikirim dan '
        "sudah usang, perintah ditolak dengan 409 beserta versi terkini."
    ),
]

_PROBLEM_TEXT = {
    **PROBLEM_TEXT,
    403: "Peran tidak berwenang atau konflik kepentingan",
    409: "Konflik: versi usang atau status tidak mengizinkan perintah ini",
    422: "Melanggar aturan (mis. alasan kosong, indikator tidak dikenal)",
}


def problems(*codes: int) -> dict[int, ResponseSpec]:
    return problem_specs(_PROBLEM_TEXT, codes)


WRITE_PROBLEMS = problems(400, 401, 403, 404, 409, 422)
# What the decorator of a command route says besides its path and summary. ``sync_to_thread``
# only suits a path served by one method (see ``services.submission.routes.get_call``).
COMMAND_ROUTE: dict[str, Any] = {
    "tags": [TAG],
    "status_code": 200,
    "sync_to_thread": True,
    "responses": WRITE_PROBLEMS,
    # A bearer request's session is read in the command's load (``auth.DeferredSession``).
    "opt": {SESSION_IN_LOAD: True},
}


def if_match(request: Request[Any, Any, Any]) -> int | None:
    """The version named by ``If-Match`` (``"5"``, ``W/"5"`` or ``5``); ``*`` means any."""
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    return parse_version(raw)


def write_headers(version: int | None, notification_id: int | None) -> dict[str, str]:
    """As everywhere, except that no notification (0) sends no ``X-Notification-Id``."""
    return _write_headers(version, notification_id or None)


def review_response(c: Checked, outcome: Outcome) -> Response[views.ReviewView]:
    """The review view exactly as this command left it: built from the aggregate it saved."""
    runtime = runtime_of(c.request)
    view = views.build(
        runtime.store,
        c.innovation,
        principal_of(c.request),
        runtime.settings.score_margin,
        outcome.notification_id,
    )
    return Response(view, headers=write_headers(outcome.version, outcome.notification_id))


def review_command(request: Request[Any, Any, Any], id: UUID, command: Command) -> Checked:
    """A command on one innovation, step 1: the policy check (404 hidden, 403 role, 403
    conflict of interest) before any work. The route then gives the command
    (``loaded=c.innovation``, ``c.expected_version`` from ``If-Match``) and answers with the
    record as the command left it (``review_response`` unless the route says otherwise)."""
    return checked(request, id, command, read_version=if_match)


def load_for_review(runtime: Runtime, principal: Principal, id: UUID) -> Innovation:
    """Review staff only; a reviewer never sees the review of their own organisation's item
    (``policy.ensure_record``: the same rule as the record and the verification page)."""
    innovation = runtime.store.load(Innovation, id)
    ensure_view(principal, innovation)
    ensure_role(principal, Role.ADMIN, Role.REVIEWER, Role.AUDITOR, Role.PIMPINAN)
    ensure_record(principal, innovation)
    return innovation
