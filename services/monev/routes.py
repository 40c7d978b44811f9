"""HTTP routes of monev: an established innovation's monitoring visits and evaluation reports.

Who may see the record is the innovation's internal record (``policy.ensure_record``: the owning
organisation and staff; 404 for everyone else); who may record is the monev rules table (403),
and the aggregate refuses monev before establishment (422), all as problem JSON in Bahasa
Indonesia.
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
from services.domain.care_files import PHOTO_MAX_MB, PHOTO_TYPES, PHOTO_TYPES_TEXT
from services.domain.errors import AuthenticationRequired
from services.domain.events import IndicatorMeasure
from services.domain.innovation import Innovation
from services.domain.monev import MonevCommand, Recommendation, ReportKind, VisitKind
from services.http.context import command_context, principal_of, runtime_of
from services.http.limits import LIST_MAX, LongText, Name, Note, RequiredName
from services.http.problems import problem
from services.http.writes import write_headers
from services.identity import policy
from services.monev.service import MonevCommands, MonevView, monev_view
from services.submission.common import problems

TAG = "monev"


class VisitInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A monitoring visit planned: when and how; the organisation is told."""

    due_on: date
    kind: VisitKind
    note: Note = ""


class MeasureInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: RequiredName
    value: RequiredName
    target: Name = ""


class ReportInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An evaluation: its kind (the monev indicator's level), date, period, findings, the
    indicators measured and the recommendation; optionally the visit it reports on."""

    kind: ReportKind
    reported_on: date
    findings: LongText
    recommendation: Recommendation
    period: Name = ""
    indicators: Annotated[list[MeasureInput], Meta(max_length=LIST_MAX)] = []
    visit_id: UUID | None = None


class RescheduleInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A planned visit moved: the new date and why; the organisation is told."""

    due_on: date
    reason: Annotated[str, Meta(min_length=1, max_length=2_000)]


class CancelInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A planned visit called off, and why; its reminders stop."""

    reason: Annotated[str, Meta(min_length=1, max_length=2_000)]


def _service(request: Request[Any, Any, Any]) -> MonevCommands:
    runtime = runtime_of(request)
    return MonevCommands(runtime.store, runtime.commands)


def _visible(
    request: Request[Any, Any, Any], id: UUID, command: MonevCommand | None = None
) -> tuple[MonevCommands, Innovation]:
    """401 signed out, 404 for a record the caller may not see, then 403 for a role the
    rules never allow."""
    innovation = runtime_of(request).commands.innovation(id)
    principal = principal_of(request)
    if principal.role is None:
        raise AuthenticationRequired()
    policy.ensure_record(principal, innovation)
    if command is not None:
        policy.ensure_monev_command(principal, command)
    return _service(request), innovation


def _answer(
    request: Request[Any, Any, Any], innovation: Innovation, outcome: Outcome
) -> Response[MonevView]:
    view = monev_view(
        _service(request).load(innovation),
        innovation,
        jakarta_today(),
        outcome.notification_id or None,
    )
    return Response(
        view, status_code=201, headers=write_headers(view.version, outcome.notification_id)
    )


ROUTE: dict[str, Any] = {"tags": [TAG], "sync_to_thread": True}


@get(
    "/api/innovations/{id:uuid}/monev",
    summary="Monev inovasi: jadwal kunjungan dan laporan evaluasi",
    responses=problems(401, 403, 404),
    **ROUTE,
)
def get_monev(request: Request[Any, Any, Any], id: FromPath[UUID]) -> Response[MonevView]:
    """Visits (earliest first, overdue marked), reports (newest first), and the level of the
    monitoring-and-evaluation indicator the reports evidence."""
    service, innovation = _visible(request, id)
    view = monev_view(service.load(innovation), innovation, jakarta_today())
    return Response(view, headers={"ETag": f'"{view.version}"'})


@post(
    "/api/innovations/{id:uuid}/monev/visits",
    summary="Jadwalkan kunjungan monev (admin/verifikator)",
    status_code=201,
    responses=problems(400, 401, 403, 404, 409, 422),
    **ROUTE,
)
def schedule_visit(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[VisitInput]
) -> Response[MonevView]:
    service, innovation = _visible(request, id, MonevCommand.SCHEDULE_VISIT)
    outcome = service.schedule_visit(
        command_context(request),
        innovation,
        visit_id=uuid4(),
        due_on=data.due_on,
        kind=str(data.kind),
        note=data.note,
    )
    return _answer(request, innovation, outcome)


@post(
    "/api/innovations/{id:uuid}/monev/reports",
    summary="Catat laporan evaluasi monev (admin/verifikator)",
    status_code=201,
    responses=problems(400, 401, 403, 404, 409, 422),
    **ROUTE,
)
def record_report(
    request: Request[Any, Any, Any], id: FromPath[UUID], data: JSONBody[ReportInput]
) -> Response[MonevView]:
    service, innovation = _visible(request, id, MonevCommand.RECORD_REPORT)
    outcome = service.record_report(
        command_context(request),
        innovation,
        report_id=uuid4(),
        kind=str(data.kind),
        reported_on=data.reported_on,
        findings=data.findings,
        recommendation=str(data.recommendation),
        period=data.period,
        indicators=[
            IndicatorMeasure(name=m.name, value=m.value, target=m.target) for m in data.indicators
        ],
        visit_id=data.visit_id,
    )
    return _answer(request, innovation, outcome)


@post(
    "/api/innovations/{id:uuid}/monev/visits/{visit_id:uuid}/reschedule",
    summary="Jadwalkan ulang kunjungan monev (admin/verifikator)",
    status_code=201,
    responses=problems(400, 401, 403, 404, 409, 422),
    **ROUTE,
)
def reschedule_visit(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    visit_id: FromPath[UUID],
    data: JSONBody[RescheduleInput],
) -> Response[MonevView]:
    service, innovation = _visible(request, id, MonevCommand.RESCHEDULE_VISIT)
    outcome = service.reschedule_visit(
        command_context(request),
        innovation,
        visit_id=visit_id,
        due_on=data.due_on,
        reason=data.reason,
    )
    return _answer(request, innovation, outcome)


@post(
    "/api/innovations/{id:uuid}/monev/visits/{visit_id:uuid}/cancel",
    summary="Batalkan kunjungan monev (admin/verifikator)",
    status_code=201,
    responses=problems(400, 401, 403, 404, 409, 422),
    **ROUTE,
)
def cancel_visit(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    visit_id: FromPath[UUID],
    data: JSONBody[CancelInput],
) -> Response[MonevView]:
    service, innovation = _visible(request, id, MonevCommand.CANCEL_VISIT)
    outcome = service.cancel_visit(
        command_context(request), innovation, visit_id=visit_id, reason=data.reason
    )
    return _answer(request, innovation, outcome)


async def _photo(
    request: Request[Any, Any, Any], id: UUID, visit_id: UUID | None, report_id: UUID | None
) -> Response[MonevView]:
    """Checked before a byte is read (401/404/403), streamed (413), sniffed (415), decided by
    the aggregate (422), and only then the blob kept and the event saved."""
    service, innovation = await sync_to_thread(_visible, request, id, MonevCommand.ATTACH_PHOTO)
    ctx = command_context(request)
    form = await care_uploads.read_form(request, care_uploads.limit_bytes(request, PHOTO_MAX_MB))
    try:
        photo = care_uploads.file_of(form, PHOTO_TYPES, PHOTO_TYPES_TEXT)
        outcome = await sync_to_thread(
            lambda: service.attach_photo(
                ctx,
                innovation,
                photo=photo,
                keep=care_uploads.keeper(form),
                visit_id=visit_id,
                report_id=report_id,
            )
        )
    finally:
        form.abort()  # no-op after a commit
    return await sync_to_thread(_answer, request, innovation, outcome)


PHOTO_ROUTE: dict[str, Any] = {
    "tags": [TAG],
    "status_code": 201,
    "request_max_body_size": None,  # enforced while streaming (PHOTO_MAX_MB)
    "responses": problems(400, 401, 403, 404, 409, 413, 415, 422),
}


@post(
    "/api/innovations/{id:uuid}/monev/visits/{visit_id:uuid}/photos",
    summary="Unggah foto kunjungan monev (multipart: file, caption)",
    **PHOTO_ROUTE,
)
async def visit_photo(
    request: Request[Any, Any, Any], id: FromPath[UUID], visit_id: FromPath[UUID]
) -> Response[MonevView]:
    """One JPEG, PNG or WebP photo (type from the bytes) with its caption (alt text)."""
    return await _photo(request, id, visit_id, None)


@post(
    "/api/innovations/{id:uuid}/monev/reports/{report_id:uuid}/photos",
    summary="Unggah foto laporan evaluasi monev (multipart: file, caption)",
    **PHOTO_ROUTE,
)
async def report_photo(
    request: Request[Any, Any, Any], id: FromPath[UUID], report_id: FromPath[UUID]
) -> Response[MonevView]:
    """One JPEG, PNG or WebP photo (type from the bytes) with its caption (alt text)."""
    return await _photo(request, id, None, report_id)


@get(
    "/api/innovations/{id:uuid}/monev/photos/{photo_id:uuid}",
    summary="Unduh foto monev",
    media_type="application/octet-stream",
    responses=problems(401, 404),
    **ROUTE,
)
def download_photo(
    request: Request[Any, Any, Any], id: FromPath[UUID], photo_id: FromPath[UUID]
) -> File:
    """Whoever sees the monev record sees its photos; everyone else gets 404."""
    service, innovation = _visible(request, id)
    photo = service.load(innovation).photo(photo_id)
    if photo is None:
        raise problem(404, f"Foto {photo_id} tidak ditemukan.", "not-found")
    return care_uploads.serve(request, photo)


route_handlers: list[Any] = [
    get_monev,
    schedule_visit,
    record_report,
    reschedule_visit,
    cancel_visit,
    visit_photo,
    report_photo,
    download_photo,
]
