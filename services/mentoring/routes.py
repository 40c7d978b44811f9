"""HTTP routes of pendampingan: an innovation's mentors, sessions and follow-ups.

Who may see the record is the policy's answer (``policy.ensure_mentoring``: the owning
organisation, staff, and the innovation's mentors; 404 for everyone else); who may give which
command is the mentoring rules table and the aggregate (the assigned mentor only, the owning
organisation only), answered as problem JSON in Bahasa Indonesia.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid4

import msgspec
from litestar import Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath, JSONBody
from litestar.response import File
from msgspec import Meta

from services import care_uploads
from services.commands import Outcome
from services.domain.call import jakarta_today
from services.domain.care_files import ATTACHMENT_TYPES, ATTACHMENT_TYPES_TEXT
from services.domain.events import FollowUpItem
from services.domain.innovation import Innovation
from services.domain.mentoring import MentoringCommand, Mode
from services.http.context import command_context, principal_of, runtime_of
from services.http.limits import LIST_MAX, LongText, Note, RequiredName
from services.http.problems import problem
from services.http.writes import write_headers
from services.identity import policy
from services.mentoring.service import MentoringCommands, MentoringView, mentoring_view
from services.submission.common import problems

TAG = "pendampingan"
Items = Annotated[list[RequiredName], Meta(min_length=1, max_length=LIST_MAX)]


class MentorInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    mentor_id: UUID
    note: Note = ""


class FollowUpInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: Annotated[str, Meta(min_length=1, max_length=4_000)]
    due: date | None = None


class SessionInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A session held: when, how, who attended, what was discussed, which rubric indicators it
    touched, and the follow-ups agreed (each tracked until done)."""

    held_on: date
    mode: Mode
    attendees: Items
    topics: Items
    notes: LongText = ""
    indicators: Annotated[list[Annotated[int, Meta(ge=1, le=99)]], Meta(max_length=LIST_MAX)] = []
    follow_ups: Annotated[list[FollowUpInput], Meta(max_length=LIST_MAX)] = []


class DoneInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Note = ""


def _service(request: Request[Any, Any, Any]) -> MentoringCommands:
    runtime = runtime_of(request)
    return MentoringCommands(runtime.store, runtime.commands)


def _visible(
    request: Request[Any, Any, Any], id: UUID, command: MentoringCommand | None = None
) -> tuple[MentoringCommands, Innovation]:
    """404 for a record the caller may not see, then 403 for a role the rules never allow."""
    service = _service(request)
    innovation = runtime_of(request).commands.innovation(id)
    mentoring = service.load(innovation)
    principal = principal_of(request)
    policy.ensure_mentoring(principal, innovation, mentoring.mentors.keys())
    if command is not None:
        policy.ensure_mentoring_command(principal, command)
    return service, innovation


def _answer(
    request: Request[Any, Any, Any], innovation: Innovation, outcome: Outcome, status: int
) -> Response[MentoringView]:
    view = mentoring_view(
        _service(request).load(innovation), jakarta_today(), outcome.notification_id or None
    )
    return Response(
        view,
        status_code=status,
        headers=write_headers(view.version, outcome.notification_id),
    )


ROUTE: dict[str, Any] = {"tags": [TAG], "sync_to_thread": True}


@get(
    "/api/innovations/{id:uuid}/mentoring",
    summary="Pendampingan inovasi: pendamping, sesi, tindak lanjut",
    responses=problems(401, 403, 404),
    **ROUTE,
)
def get_mentoring(request: Request[Any, Any, Any], id: FromPath[UUID]) -> Response[MentoringView]:
    """The innovation's mentors, its sessions (newest first) with their follow-ups, how many
    follow-ups are still open, and the bimtek sessions of the last two years."""
    service, innovation = _visible(request, id)
    view = mentoring_view(service.load(innovation), jakarta_today())
    return Response(view, headers={"ETag": f'"{view.version}"'})


@post(
    "/api/innovations/{id:uuid}/mentoring/mentors",
    summary="Tugaskan pendamping (admin)",
    status_code=201,
    responses=problems(400, 401, 403, 404, 409, 422),
    **ROUTE,
)
def assign_mentor(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[MentorInput]
) -> Response[MentoringView]:
    service, innovation = _visible(request, id, MentoringCommand.ASSIGN_MENTOR)
    outcome = service.assign(command_context(request), innovation, data.mentor_id, data.note)
    return _answer(request, innovation, outcome, 201)


@post(
    "/api/innovations/{id:uuid}/mentoring/sessions",
    summary="Catat sesi pendampingan (pendamping yang ditugaskan)",
    status_code=201,
    responses=problems(400, 401, 403, 404, 409, 422),
    **ROUTE,
)
def record_session(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[SessionInput]
) -> Response[MentoringView]:
    service, innovation = _visible(request, id, MentoringCommand.RECORD_SESSION)
    outcome = service.record_session(
        command_context(request),
        innovation,
        session_id=uuid4(),
        held_on=data.held_on,
        mode=str(data.mode),
        attendees=data.attendees,
        topics=data.topics,
        notes=data.notes,
        indicators=data.indicators,
        follow_ups=[FollowUpItem(id=uuid4(), text=f.text, due=f.due) for f in data.follow_ups],
    )
    return _answer(request, innovation, outcome, 201)


@post(
    "/api/innovations/{id:uuid}/mentoring/follow-ups/{follow_up_id:uuid}/done",
    summary="Nyatakan tindak lanjut selesai",
    status_code=200,
    responses=problems(400, 401, 403, 404, 409, 422),
    **ROUTE,
)
def complete_follow_up(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    follow_up_id: FromPath[UUID],
    data: JSONBody[DoneInput | None] = None,
) -> Response[MentoringView]:
    service, innovation = _visible(request, id, MentoringCommand.COMPLETE_FOLLOW_UP)
    outcome = service.complete(
        command_context(request), innovation, follow_up_id, data.note if data else ""
    )
    return _answer(request, innovation, outcome, 200)


@post(
    "/api/innovations/{id:uuid}/mentoring/sessions/{session_id:uuid}/attachments",
    summary="Lampirkan berkas sesi pendampingan (multipart: file, caption)",
    tags=[TAG],
    status_code=201,
    request_max_body_size=None,  # enforced while streaming (settings.max_upload_mb)
    responses=problems(400, 401, 403, 404, 409, 413, 415, 422),
)
async def attach_file(
    request: Request[Any, Any, Any], id: FromPath[UUID], session_id: FromPath[UUID]
) -> Response[MentoringView]:
    """A PDF, DOCX, XLSX or photo (JPEG, PNG, WebP; type from the bytes) of the session:
    invitation, attendance list, minutes; a photo carries its caption (alt text)."""
    service, innovation = await sync_to_thread(_visible, request, id, MentoringCommand.ATTACH_FILE)
    ctx = command_context(request)
    form = await care_uploads.read_form(request, care_uploads.limit_bytes(request))
    try:
        file = care_uploads.file_of(form, ATTACHMENT_TYPES, ATTACHMENT_TYPES_TEXT)
        outcome = await sync_to_thread(
            lambda: service.attach_file(
                ctx, innovation, session_id=session_id, file=file, keep=care_uploads.keeper(form)
            )
        )
    finally:
        form.abort()  # no-op after a commit
    return await sync_to_thread(_answer, request, innovation, outcome, 201)


@get(
    "/api/innovations/{id:uuid}/mentoring/attachments/{attachment_id:uuid}",
    summary="Unduh lampiran sesi pendampingan",
    media_type="application/octet-stream",
    responses=problems(401, 404),
    **ROUTE,
)
def download_attachment(
    request: Request[Any, Any, Any], id: FromPath[UUID], attachment_id: FromPath[UUID]
) -> File:
    """The operator, the mentors and Bappeda see it (as the mentoring record); others 404."""
    service, innovation = _visible(request, id)
    found = service.load(innovation).attachments.get(attachment_id)
    if found is None:
        raise problem(404, f"Lampiran {attachment_id} tidak ditemukan.", "not-found")
    return care_uploads.serve(request, found[1])


route_handlers: list[Any] = [
    get_mentoring,
    assign_mentor,
    record_session,
    complete_follow_up,
    attach_file,
    download_attachment,
]
