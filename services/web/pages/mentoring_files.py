"""Attachments of a mentoring session on the pendampingan page: the session's documents and
photos (invitation, attendance list, minutes, photos), uploaded by its mentor, Bappeda or the
organisation's operator through the API's own streaming, sniffing and keeping
(``services.care_uploads``); a refusal is shown on the same page."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.concurrency import sync_to_thread
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from services import care_uploads
from services.domain.care_files import ATTACHMENT_TYPES, ATTACHMENT_TYPES_TEXT
from services.domain.errors import DomainError
from services.domain.mentoring import MentoringCommand
from services.http.context import runtime_of
from services.web.pages.common import parse_uuid, refusal, run_command, settle
from services.web.pages.mentoring import _page, _visible
from services.web.pages.rendering import redirect


@post(
    "/inovasi/{innovation_id:str}/pendampingan/sesi/{session_id:str}/lampiran",
    name="page:mentoring-attachment",
    status_code=303,
    request_max_body_size=None,  # enforced while streaming (settings.max_upload_mb)
)
async def attach_file(
    request: Request[Any, Any, Any], innovation_id: FromPath[str], session_id: FromPath[str]
) -> Any:
    service, innovation = await sync_to_thread(
        _visible, request, innovation_id, MentoringCommand.ATTACH_FILE
    )
    session = parse_uuid(session_id)
    form_key = f"attach-{session_id}"
    try:
        form = await care_uploads.read_form(
            request, care_uploads.limit_bytes(request), care_uploads.PAGE_FIELDS
        )
    except HTTPException as exc:
        message = str(exc.detail or "Unggahan tidak dapat dibaca.")
        return await sync_to_thread(
            _page, request, service, innovation, exc.status_code, message, form_key
        )
    try:
        file = care_uploads.file_of(form, ATTACHMENT_TYPES, ATTACHMENT_TYPES_TEXT)
        keep = care_uploads.keeper(form)
        outcome = await sync_to_thread(
            lambda: run_command(
                request,
                lambda ctx: service.attach_file(
                    ctx, innovation, session_id=session, file=file, keep=keep
                ),
            )
        )
    except HTTPException as exc:
        message = str(exc.detail or "Unggahan tidak dapat dibaca.")
        return await sync_to_thread(
            _page, request, service, innovation, exc.status_code, message, form_key
        )
    except DomainError as exc:
        message = refusal(exc).message
        return await sync_to_thread(
            _page, request, service, innovation, exc.status, message, form_key
        )
    finally:
        form.abort()  # no-op after a commit
    settle(runtime_of(request), outcome)
    return redirect(f"/inovasi/{innovation.id}/pendampingan#sesi", "lampiran_diunggah")


route_handlers: list[Any] = [attach_file]
