"""HTTP routes of the submission context: calls, innovations, self-assessment, submit/withdraw.

Every write goes through ``Commands`` (one event per command, optimistic concurrency); every
route checks the caller with ``services.identity.policy`` before doing any work, so a refused
request costs nothing and records nothing. The innovation and call lists are read models and
live with the projections (``services/reads/routes.py``); the document routes are in
``documents.py`` and Krenova registration in ``krenova.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from litestar import Request, Response, get, patch, post, put
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath, JSONBody, QueryParameter

from services.domain.actor import Role
from services.domain.call import JAKARTA, Call
from services.domain.errors import InvalidValue
from services.domain.events import CallOpened
from services.domain.lifecycle import Command
from services.domain.organisation import Organisation
from services.domain.principal import Principal
from services.domain.values import CallKind, DocumentKind, OrganisationKind
from services.http.context import command_context, principal_of, runtime_of
from services.http.what_if import what_if_rubric
from services.http.writes import write_headers
from services.identity.policy import ensure_role, record_or_public
from services.submission import documents, krenova
from services.submission.common import (
    COMMAND_ROUTE,
    TAG,
    IfMatch,
    command_response,
    innovation_view,
    load_innovation,
    now,
    problems,
    submission_command,
)
from services.submission.public import PublicInnovationView, public_view
from services.submission.schemas import (
    CallCreate,
    CallView,
    ClaimRequest,
    EndorseRequest,
    InnovationView,
    ProfilePatchInput,
    ProposeRequest,
    ResubmitRequest,
    WithdrawRequest,
    call_view,
    patch_from,
    profile_from,
)

if TYPE_CHECKING:
    from services.runtime import Runtime

SUBMITTER_KINDS = frozenset({*(str(k) for k in OrganisationKind), "masyarakat"})

# --- calls ----------------------------------------------------------------------------------


def _zoned(moment: datetime) -> datetime:
    """Times typed without a zone are meant in WIB (Asia/Jakarta)."""
    return moment.replace(tzinfo=JAKARTA) if moment.tzinfo is None else moment


@post(
    "/api/calls",
    tags=[TAG],
    summary="Buka panggilan (admin)",
    status_code=201,
    responses=problems(400, 401, 403, 409, 422),
)
async def create_call(
    request: Request[Any, Any, Any], data: JSONBody[CallCreate]
) -> Response[CallView]:
    return await sync_to_thread(_create_call, request, data)


def _create_call(request: Request[Any, Any, Any], data: JSONBody[CallCreate]) -> Response[CallView]:
    """Open a call (annual OPD obligation or the Krenova contest) with its deadline in WIB."""
    principal = principal_of(request)
    ensure_role(principal, Role.ADMIN)
    ctx = command_context(request)
    unknown = sorted(set(data.eligible_kinds) - SUBMITTER_KINDS)
    if unknown or not data.eligible_kinds:
        raise InvalidValue(
            "eligible_kinds",
            "Jenis pengusul harus salah satu dari: " + ", ".join(sorted(SUBMITTER_KINDS)) + ".",
        )
    kinds = {str(k) for k in DocumentKind}
    if bad := sorted(set(data.required_documents) - kinds):
        raise InvalidValue(
            "required_documents",
            f"Jenis dokumen tidak dikenal: {', '.join(bad)}. Pilihan: {', '.join(sorted(kinds))}.",
        )
    runtime = runtime_of(request)
    outcome = runtime.commands.open_call(
        ctx,
        kind=data.kind,
        title=data.title,
        budget_year=data.budget_year,
        opens_at=_zoned(data.opens_at),
        deadline=_zoned(data.deadline),
        eligible_kinds=data.eligible_kinds,
        rubric_year=data.rubric_year,
        required_documents=data.required_documents,
        threshold=data.threshold,
        description=data.description,
        requires_endorsement=(
            data.kind == CallKind.ANNUAL
            if data.requires_endorsement is None
            else data.requires_endorsement
        ),
    )
    call = runtime.store.load(Call, outcome.id)
    headers = write_headers(outcome.version, outcome.notification_id)
    headers["Location"] = f"/api/calls/{outcome.id}"
    return Response(
        call_view(call, now(), outcome.notification_id), status_code=201, headers=headers
    )


@get(
    "/api/calls/{id:uuid}",
    tags=[TAG],
    summary="Satu panggilan dengan hitung mundurnya",
    responses=problems(404),
)
async def get_call(request: Request[Any, Any, Any], id: FromPath[UUID]) -> Response[CallView]:
    """Public: the countdown (``remaining_seconds``) and the deadline in WIB, always current.

    Handlers on a path served by more than one method are async here, with the blocking part in
    a worker thread: Litestar 2.25 registers a handler again for each handler added later on its
    path, and wraps a ``sync_to_thread`` one for the thread pool each time (a 500 when it returns
    a ``Response``), whatever the method. Handlers alone on their path use ``sync_to_thread``."""
    call = await sync_to_thread(runtime_of(request).store.load, Call, id)
    return Response(call_view(call, now()), headers={"ETag": f'"{call.version}"'})


def open_calls(runtime: Runtime, kind: CallKind, moment: datetime) -> list[Call]:
    """Calls of this kind open at ``moment``, read from the log's CallOpened records."""
    store = runtime.store
    calls: list[Call] = []
    start = 1
    while True:
        page = store.notifications(start, 500, topics=[CallOpened.TOPIC])
        for notification in page:
            call = store.load(Call, UUID(str(notification.originator_id)))
            if call.kind == kind and call.is_open(moment):
                calls.append(call)
        if len(page) < 500:
            return calls
        start = page[-1].id + 1


def default_call(runtime: Runtime, principal: Principal) -> UUID:
    """The one open call the caller would propose to; 422 naming the choices otherwise."""
    if principal.role == Role.PARTICIPANT:
        kind, submitter = CallKind.KRENOVA, "masyarakat"
    else:
        kind = CallKind.ANNUAL
        org = runtime.store.load(Organisation, principal.organisation_id)  # type: ignore[arg-type]
        submitter = str(org.kind)
    candidates = [c for c in open_calls(runtime, kind, now()) if submitter in c.eligible_kinds]
    if len(candidates) == 1:
        return candidates[0].id
    if not candidates:
        raise InvalidValue(
            "call_id",
            "Tidak ada panggilan "
            + ("Krenova" if kind == CallKind.KRENOVA else "inovasi tahunan")
            + " yang sedang dibuka untuk Anda.",
        )
    raise InvalidValue(
        "call_id",
        "Ada beberapa panggilan terbuka; pilih salah satu: "
        + "; ".join(f"{c.title} ({c.id})" for c in candidates),
    )


# --- innovations ----------------------------------------------------------------------------


@post(
    "/api/innovations",
    tags=[TAG],
    summary="Usulkan inovasi",
    status_code=201,
    responses=problems(400, 401, 403, 409, 422),
)
async def propose(
    request: Request[Any, Any, Any], data: JSONBody[ProposeRequest]
) -> Response[InnovationView]:
    return await sync_to_thread(_propose, request, data)


def _propose(
    request: Request[Any, Any, Any], data: JSONBody[ProposeRequest]
) -> Response[InnovationView]:
    """Start a draft: operators in their organisation's annual call, participants in Krenova."""
    principal = principal_of(request)
    ensure_role(principal, Role.OPERATOR, Role.PARTICIPANT)
    ctx = command_context(request)
    runtime = runtime_of(request)
    if data.call_id is None:
        call_id = default_call(runtime, principal)
    else:
        call_id = data.call_id
        if not runtime.store.exists(call_id):
            raise InvalidValue("call_id", f"Panggilan {call_id} tidak ditemukan.")
    profile = profile_from(data.profile)
    if profile.krenova is not None and len(profile.krenova.members) > 5:
        raise InvalidValue("krenova.members", "Kelompok Krenova paling banyak 5 orang.")
    outcome = runtime.commands.propose(ctx, call_id=call_id, profile=profile)
    return command_response(request, outcome, status_code=201)


@get(
    "/api/innovations/{id:uuid}",
    tags=[TAG],
    summary="Satu inovasi (selalu terkini)",
    responses=problems(400, 403, 404),
)
async def get_innovation(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    rubric: Annotated[
        int | None,
        QueryParameter(ge=2000, le=2100, description="Nilai dengan rubrik tahun lain (what-if)."),
    ] = None,
) -> Response[InnovationView | PublicInnovationView]:
    """Read from the event log, so it includes the caller's last write at once; ``rubric``
    scores it under another year's rubric (what-if).

    Staff and the owning organisation get the full record; everyone else (anonymous callers
    included) the public face of a published innovation (``"view": "public"``, what
    ``/katalog/{id}`` shows), and 404 for any other. A reviewer of the innovation's own
    organisation gets 403 (conflict of interest) instead of its internal record."""
    return await sync_to_thread(_get_innovation, request, id, rubric)


def _get_innovation(
    request: Request[Any, Any, Any], id: UUID, rubric: int | None = None
) -> Response[InnovationView | PublicInnovationView]:
    runtime = runtime_of(request)
    principal = principal_of(request)
    what_if = what_if_rubric(rubric)
    innovation = load_innovation(runtime, id)
    internal = record_or_public(principal, innovation)
    tag = "" if internal else "-public"
    if rubric is not None:
        tag += f"-r{rubric}"
    etag = f'"{innovation.version}{tag}"'
    if request.headers.get("if-none-match", "").strip().removeprefix("W/") == etag:
        return Response(None, status_code=304, headers={"ETag": etag})  # type: ignore[arg-type]
    if not internal:
        return Response(public_view(runtime.store, innovation), headers={"ETag": etag})
    view = innovation_view(runtime, principal, innovation, rubric=what_if)
    return Response(view, headers={"ETag": etag})


@patch(
    "/api/innovations/{id:uuid}",
    tags=[TAG],
    summary="Ubah profil (If-Match wajib)",
    responses=problems(400, 401, 403, 404, 409, 422, 428),
)
async def update_profile(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[ProfilePatchInput],
    if_match_header: IfMatch = None,
) -> Response[InnovationView]:
    """Change only the fields sent; a stale If-Match is refused with the current version.

    Async (the work in a worker thread) for the reason given at ``get_call``: the path is shared
    with GET."""
    return await sync_to_thread(_update_profile, request, id, data)


def _update_profile(
    request: Request[Any, Any, Any], id: UUID, data: ProfilePatchInput
) -> Response[InnovationView]:
    c = submission_command(request, id, Command.UPDATE_PROFILE, if_match_required=True)
    outcome = c.commands.update_profile(
        c.ctx, id, patch_from(data), expected_version=c.expected_version, loaded=c.innovation
    )
    return command_response(request, outcome, checked=c)


@put(
    "/api/innovations/{id:uuid}/indicators/{no:int}",
    summary="Penilaian mandiri satu indikator",
    **COMMAND_ROUTE,
)
def claim_indicator(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    no: FromPath[int],
    data: JSONBody[ClaimRequest],
    if_match_header: IfMatch = None,
) -> Response[InnovationView]:
    """Claim a level with evidence documents; the answer shows score, completeness, what is
    missing and what each missing item would gain."""
    c = submission_command(request, id, Command.CLAIM_INDICATOR)
    outcome = c.commands.claim_indicator(
        c.ctx,
        id,
        no=no,
        level=data.level,
        evidence=data.evidence,
        note=data.note,
        expected_version=c.expected_version,
        loaded=c.innovation,
    )
    return command_response(request, outcome, checked=c)


@post("/api/innovations/{id:uuid}/submit", summary="Ajukan", **COMMAND_ROUTE)
def submit(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    if_match_header: IfMatch = None,
) -> Response[InnovationView]:
    """Refused after the call's deadline (naming it, in WIB) or while anything is missing."""
    c = submission_command(request, id, Command.SUBMIT)
    outcome = c.commands.submit(c.ctx, id, expected_version=c.expected_version, loaded=c.innovation)
    return command_response(request, outcome, checked=c)


@post("/api/innovations/{id:uuid}/withdraw", summary="Tarik usulan", **COMMAND_ROUTE)
def withdraw(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[WithdrawRequest | None] = None,
    if_match_header: IfMatch = None,
) -> Response[InnovationView]:
    c = submission_command(request, id, Command.WITHDRAW)
    outcome = c.commands.withdraw(
        c.ctx,
        id,
        reason=data.reason if data else "",
        expected_version=c.expected_version,
        loaded=c.innovation,
    )
    return command_response(request, outcome, checked=c)


@post(
    "/api/innovations/{id:uuid}/resubmit", summary="Ajukan ulang setelah perbaikan", **COMMAND_ROUTE
)
def resubmit(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[ResubmitRequest | None] = None,
    if_match_header: IfMatch = None,
) -> Response[InnovationView]:
    """Answer a revision request (allowed after the deadline: the revision loop must finish)."""
    c = submission_command(request, id, Command.RESUBMIT)
    outcome = c.commands.resubmit(
        c.ctx,
        id,
        note=data.note if data else "",
        expected_version=c.expected_version,
        loaded=c.innovation,
    )
    return command_response(request, outcome, checked=c)


@post(
    "/api/innovations/{id:uuid}/endorse",
    summary="Sahkan usulan (kepala perangkat daerah, atau surat pengesahannya)",
    **COMMAND_ROUTE,
)
def endorse(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[EndorseRequest | None] = None,
    if_match_header: IfMatch = None,
) -> Response[InnovationView]:
    """The head of the organisation endorses the draft with their own account; an operator
    records the head's signed letter instead (``letter_doc_id``: an attached ``endorsement``
    document, ``endorser_name``: the head who signed it)."""
    body = data or EndorseRequest()
    c = submission_command(request, id, Command.ENDORSE)
    outcome = c.commands.endorse(
        c.ctx,
        id,
        endorser_name=body.endorser_name,
        letter_doc_id=body.letter_doc_id,
        note=body.note,
        expected_version=c.expected_version,
        loaded=c.innovation,
    )
    return command_response(request, outcome, checked=c)


route_handlers: list[Any] = [
    create_call,
    get_call,
    propose,
    get_innovation,
    update_profile,
    claim_indicator,
    submit,
    withdraw,
    resubmit,
    endorse,
    *documents.route_handlers,
    *krenova.route_handlers,
]
