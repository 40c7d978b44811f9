"""Monev on the innovation page, beyond scheduling and reporting: a planned visit moved to another
date or called off (with the reason), and photos of a visit or a report.

The forms decode into the API's own input Structs and call the same ``MonevCommands``; a photo is
streamed, sniffed and kept by the same functions as the API's (``services.care_uploads``). A
refusal is shown on the innovation page in the monev section.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, post
from litestar.concurrency import sync_to_thread
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from services import care_uploads
from services.commands import Outcome
from services.domain.care_files import PHOTO_MAX_MB, PHOTO_TYPES, PHOTO_TYPES_TEXT
from services.domain.errors import DomainError
from services.domain.innovation import Innovation
from services.domain.monev import MonevCommand
from services.eventstore.store import ConcurrencyConflict
from services.http.context import principal_of, runtime_of
from services.identity import policy
from services.monev.routes import CancelInput, RescheduleInput
from services.monev.service import MonevCommands
from services.web.pages import form_input
from services.web.pages.common import (
    conflict_page,
    load_visible,
    parse_uuid,
    refusal,
    run_command,
    settle,
)
from services.web.pages.monev import monev_section
from services.web.pages.rendering import redirect, render
from services.web.pages.submission import Form, workspace

LABELS = {"due_on": "Tanggal baru", "reason": "Alasan"}


def _allowed(
    request: Request[Any, Any, Any], innovation_id: str, command: MonevCommand
) -> tuple[MonevCommands, Innovation]:
    """The API's order: 404 for a record the caller may not see, then 403 for the role."""
    runtime = runtime_of(request)
    innovation = load_visible(request, parse_uuid(innovation_id))
    principal = principal_of(request)
    policy.ensure_record(principal, innovation)
    policy.ensure_monev_command(principal, command)
    return MonevCommands(runtime.store, runtime.commands), innovation


def _refused(
    request: Request[Any, Any, Any], innovation: Innovation, status: int, message: str
) -> Any:
    return render(
        request,
        "submission/overview.html",
        status_code=status,
        monev_error=message,
        monev=monev_section(request, innovation),
        **workspace(request, innovation, "ringkasan"),
    )


def _done(request: Request[Any, Any, Any], innovation: Innovation, outcome: Outcome) -> Any:
    settle(runtime_of(request), outcome)
    return redirect(f"/inovasi/{innovation.id}#monev", "monev")


def _visit_command(
    request: Request[Any, Any, Any],
    innovation_id: str,
    visit_id: str,
    data: dict[str, Any],
    command: MonevCommand,
) -> Any:
    service, innovation = _allowed(request, innovation_id, command)
    try:
        visit = parse_uuid(visit_id)
        reason = str(data.get("reason", "")).strip()
        if command is MonevCommand.RESCHEDULE_VISIT:
            values = {"due_on": str(data.get("due_on", "")).strip(), "reason": reason}
            moved = form_input.convert(RescheduleInput, values, LABELS)
            outcome = run_command(
                request,
                lambda ctx: service.reschedule_visit(
                    ctx, innovation, visit_id=visit, due_on=moved.due_on, reason=moved.reason
                ),
            )
        else:
            called_off = form_input.convert(CancelInput, {"reason": reason}, LABELS)
            outcome = run_command(
                request,
                lambda ctx: service.cancel_visit(
                    ctx, innovation, visit_id=visit, reason=called_off.reason
                ),
            )
    except ConcurrencyConflict as exc:
        return conflict_page(request, innovation.id, exc, f"/inovasi/{innovation.id}")
    except DomainError as exc:
        return _refused(request, innovation, exc.status, refusal(exc).message)
    except form_input.FormError as exc:
        return _refused(request, innovation, 400, exc.message)
    return _done(request, innovation, outcome)


@post(
    "/inovasi/{innovation_id:str}/monev/kunjungan/{visit_id:str}/jadwal-ulang",
    sync_to_thread=True,
    name="page:monev-reschedule",
    status_code=303,
)
def reschedule_visit(
    request: Request[Any, Any, Any],
    innovation_id: FromPath[str],
    visit_id: FromPath[str],
    data: Form,
) -> Any:
    return _visit_command(request, innovation_id, visit_id, data, MonevCommand.RESCHEDULE_VISIT)


@post(
    "/inovasi/{innovation_id:str}/monev/kunjungan/{visit_id:str}/batal",
    sync_to_thread=True,
    name="page:monev-cancel",
    status_code=303,
)
def cancel_visit(
    request: Request[Any, Any, Any],
    innovation_id: FromPath[str],
    visit_id: FromPath[str],
    data: Form,
) -> Any:
    return _visit_command(request, innovation_id, visit_id, data, MonevCommand.CANCEL_VISIT)


async def _photo(
    request: Request[Any, Any, Any],
    innovation_id: str,
    visit_id: UUID | None,
    report_id: UUID | None,
) -> Any:
    service, innovation = await sync_to_thread(
        _allowed, request, innovation_id, MonevCommand.ATTACH_PHOTO
    )
    limit = care_uploads.limit_bytes(request, PHOTO_MAX_MB)
    try:
        form = await care_uploads.read_form(request, limit, care_uploads.PAGE_FIELDS)
    except HTTPException as exc:
        message = str(exc.detail or "Unggahan tidak dapat dibaca.")
        return await sync_to_thread(_refused, request, innovation, exc.status_code, message)
    try:
        photo = care_uploads.file_of(form, PHOTO_TYPES, PHOTO_TYPES_TEXT)
        keep = care_uploads.keeper(form)
        outcome = await sync_to_thread(
            lambda: run_command(
                request,
                lambda ctx: service.attach_photo(
                    ctx,
                    innovation,
                    photo=photo,
                    keep=keep,
                    visit_id=visit_id,
                    report_id=report_id,
                ),
            )
        )
    except HTTPException as exc:
        message = str(exc.detail or "Unggahan tidak dapat dibaca.")
        return await sync_to_thread(_refused, request, innovation, exc.status_code, message)
    except DomainError as exc:
        message = refusal(exc).message
        return await sync_to_thread(_refused, request, innovation, exc.status, message)
    finally:
        form.abort()  # no-op after a commit
    return await sync_to_thread(_done, request, innovation, outcome)


@post(
    "/inovasi/{innovation_id:str}/monev/kunjungan/{visit_id:str}/foto",
    name="page:monev-visit-photo",
    status_code=303,
    request_max_body_size=None,  # enforced while streaming (PHOTO_MAX_MB)
)
async def visit_photo(
    request: Request[Any, Any, Any], innovation_id: FromPath[str], visit_id: FromPath[str]
) -> Any:
    return await _photo(request, innovation_id, parse_uuid(visit_id), None)


@post(
    "/inovasi/{innovation_id:str}/monev/laporan/{report_id:str}/foto",
    name="page:monev-report-photo",
    status_code=303,
    request_max_body_size=None,  # enforced while streaming (PHOTO_MAX_MB)
)
async def report_photo(
    request: Request[Any, Any, Any], innovation_id: FromPath[str], report_id: FromPath[str]
) -> Any:
    return await _photo(request, innovation_id, None, parse_uuid(report_id))


route_handlers: list[Any] = [reschedule_visit, cancel_visit, visit_photo, report_photo]
