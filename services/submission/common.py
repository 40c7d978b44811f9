"""What every submission route shares: loading what the caller may see, preconditions, views.

A command route always answers with the record as it is right after the command (loaded at the
version the command produced), its ``version`` and ``ETag``, and the ``notification_id`` the
command wrote (also ``X-Notification-Id``), so the client can read its own write from a read
model with ``?after=<notification_id>``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from litestar import Request, Response
from litestar.openapi.datastructures import ResponseSpec

from services.commands import Outcome
from services.domain.call import Call, format_jakarta
from services.domain.innovation import Innovation
from services.domain.innovation_views import to_state
from services.domain.lifecycle import Command
from services.domain.principal import Principal
from services.domain.rubric import Rubric, load_rubric
from services.eventstore.store import NotFound
from services.http.context import principal_of, runtime_of
from services.http.problems import problem
from services.http.writes import (
    PROBLEM_TEXT,
    if_match_header,
    parse_version,
    problem_specs,
    write_headers,
)
from services.identity import policy
from services.identity.auth import SESSION_IN_LOAD
from services.identity.command_route import Checked, checked
from services.identity.policy import ensure_view
from services.submission.schemas import CallSummary, InnovationView, jakarta_iso

if TYPE_CHECKING:
    from services.runtime import Runtime

TAG = "submission"
IfMatch = Annotated[
    str | None,
    if_match_header(
        'Versi yang Anda ubah, dari ETag respons terakhir (mis. "3"). Wajib untuk PATCH; '
        "opsional untuk perintah lain (bila ada, versi usang ditolak dengan 409)."
    ),
]

_PROBLEM_TEXT = {
    **PROBLEM_TEXT,
    403: "Peran atau organisasi Anda tidak berwenang",
    409: "Konflik: versi usang, status tidak mengizinkan, atau sudah ada",
    413: "Berkas terlalu besar",
    415: "Jenis berkas tidak didukung",
    422: "Melanggar aturan (mis. batas waktu lewat, data belum lengkap)",
    428: "Header If-Match wajib",
    429: "Terlalu banyak permintaan dari alamat ini; lihat Retry-After",
}


def problems(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem responses a route can give."""
    return problem_specs(_PROBLEM_TEXT, codes)


# What the decorator of a command route on one innovation says besides its path and summary.
# ``sync_to_thread`` only suits a path served by one method (see ``routes.get_call``).
COMMAND_ROUTE: dict[str, Any] = {
    "tags": [TAG],
    "status_code": 200,
    "sync_to_thread": True,
    "responses": problems(400, 401, 403, 404, 409, 422),
    # A bearer request's session is read in the command's load (``auth.DeferredSession``).
    "opt": {SESSION_IN_LOAD: True},
}


def if_match(request: Request[Any, Any, Any], *, required: bool) -> int | None:
    """The version named by ``If-Match`` (``"5"``, ``W/"5"`` or ``5``); 428 when required."""
    raw = request.headers.get("if-match")
    if raw is None:
        if required:
            raise problem(
                428,
                'Sertakan header If-Match dengan versi yang Anda ubah (mis. If-Match: "3"), '
                "agar perubahan orang lain tidak tertimpa.",
                "if-match-required",
            )
        return None
    return parse_version(raw)


def now() -> datetime:
    return datetime.now(UTC)


def load_innovation(runtime: Runtime, id: UUID, version: int | None = None) -> Innovation:
    return runtime.store.load(Innovation, id, version)


def load_visible(runtime: Runtime, principal: Principal, id: UUID) -> Innovation:
    """The innovation if the caller may see it; 404 otherwise (ids do not leak)."""
    innovation = load_innovation(runtime, id)
    ensure_view(principal, innovation)
    return innovation


def load_call(runtime: Runtime, call_id: UUID | None) -> Call | None:
    if call_id is None:
        return None
    try:
        return runtime.store.load(Call, call_id)
    except NotFound:
        return None


# ``call=LOAD``: the view loads the innovation's call itself.
LOAD: Any = object()


def innovation_view(
    runtime: Runtime,
    principal: Principal,
    innovation: Innovation,
    notification_id: int | None = None,
    rubric: Rubric | None = None,
    call: Call | None = LOAD,
) -> InnovationView:
    """``rubric`` (what-if) scores the innovation under another year's rubric; ``call``: the
    innovation's call when the caller has loaded it already."""
    if call is LOAD:
        call = load_call(runtime, innovation.call_id)
    moment = now()
    summary = (
        CallSummary(
            id=call.id,
            title=call.title,
            kind=call.kind,
            deadline=deadline_iso(call.deadline),
            deadline_text=deadline_text(call.deadline),
            remaining_seconds=int(call.remaining(moment).total_seconds()),
            is_open=call.is_open(moment),
            requires_endorsement=call.requires_endorsement,
        )
        if call is not None
        else None
    )
    return to_state(
        innovation,
        rubric or load_rubric(innovation.rubric_year),
        call,
        InnovationView,
        {
            "allowed_commands": [str(c) for c in policy.allowed_commands(principal, innovation)],
            "call": summary,
            "notification_id": notification_id,
        },
    )


# A call's deadline is shown in every answer on its innovations: formatted once per deadline (a
# time zone conversion and a strftime each, ~10 µs of every command's answer).
deadline_iso = lru_cache(maxsize=256)(jakarta_iso)
deadline_text = lru_cache(maxsize=256)(format_jakarta)


def command_response(
    request: Request[Any, Any, Any],
    outcome: Outcome,
    status_code: int = 200,
    *,
    saved: Innovation | None = None,
    checked: Checked | None = None,
) -> Response[InnovationView]:
    """The record exactly as this command left it: the aggregate the command saved (``checked``
    on a command route, with the call loaded beside it; or ``saved``), or read at the outcome's
    version (after a creation)."""
    runtime = runtime_of(request)
    principal = principal_of(request)
    call = LOAD
    if checked is not None:
        saved, call = checked.innovation, checked.call
    innovation = saved
    if innovation is None:
        innovation = load_innovation(runtime, outcome.id, outcome.version)
    view = innovation_view(runtime, principal, innovation, outcome.notification_id, call=call)
    headers = write_headers(outcome.version, outcome.notification_id)
    if status_code == 201:
        headers["Location"] = f"/api/innovations/{outcome.id}"
    return Response(view, status_code=status_code, headers=headers)


def submission_command(
    request: Request[Any, Any, Any],
    id: UUID,
    command: Command,
    *,
    if_match_required: bool = False,
) -> Checked:
    """A command on one innovation, step 1: the policy check before any work. The route then
    gives the command (``loaded=c.innovation``, ``c.expected_version`` from ``If-Match``) and
    answers with ``command_response(..., checked=c)``."""
    return checked(request, id, command, read_version=partial(if_match, required=if_match_required))
