"""The in-app inbox as a page: the bell's unread count in every page's header, the list of
messages linked to their subject, mark one read and mark all read.

The rows, the paging cursor and the marking are the notification context's own
(``services.notification.inbox``), the same functions ``/api/me/notifications`` answers from.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery

from services.domain.actor import Role
from services.domain.errors import AuthenticationRequired
from services.domain.principal import Principal
from services.http.context import principal_of, runtime_of
from services.notification import inbox
from services.web.pages.rendering import redirect, render

log = logging.getLogger("sirisma.web")
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

PAGE_SIZE = 20
MAX_ID = 100  # inbox ids are UUIDs; anything longer is not one of them

# Where a message about an innovation opens, by the reader's role.
SUBJECT_PAGE: dict[str, str] = {
    Role.OPERATOR: "/inovasi/{id}",
    Role.PARTICIPANT: "/inovasi/{id}",
    Role.REVIEWER: "/verifikasi/{id}",
    Role.ADMIN: "/verifikasi/{id}",
    Role.AUDITOR: "/audit/inovasi/{id}",
}


def unread_for(request: Request[Any, Any, Any]) -> int | None:
    """The bell's number; None for anonymous visitors (no bell). A failing count never turns a
    page into an error: the header then shows the bell without a number."""
    principal = principal_of(request)
    if not principal.authenticated or principal.account_id is None:
        return None
    try:
        return inbox.unread_count(runtime_of(request).db, str(principal.account_id))
    except Exception:
        log.warning("inbox count failed", exc_info=True)
        return 0


def subject_link(principal: Principal, item: inbox.NotificationView) -> str:
    if item.innovation_id:
        pattern = SUBJECT_PAGE.get(str(principal.role), "/inovasi/{id}")
        return pattern.format(id=item.innovation_id)
    return "/"  # calls and reminders: the home page lists the open calls and their countdowns


def _signed_in(request: Request[Any, Any, Any]) -> Principal:
    principal = principal_of(request)
    if not principal.authenticated:
        raise AuthenticationRequired()
    return principal


@get("/notifikasi", sync_to_thread=True, name="page:inbox")
def inbox_page(
    request: Request[Any, Any, Any],
    belum: FromQuery[str | None] = None,
    sebelum: FromQuery[str | None] = None,
) -> Any:
    principal = _signed_in(request)
    unread_only = belum == "1"
    cursor = sebelum if sebelum and len(sebelum) <= 200 else None
    try:
        page = inbox.page(
            runtime_of(request).db,
            str(principal.account_id),
            unread_only=unread_only,
            limit=PAGE_SIZE,
            before=cursor,
        )
    except inbox.BadCursor:
        page = inbox.page(
            runtime_of(request).db, str(principal.account_id), unread_only=unread_only
        )
        cursor = None
    return render(
        request,
        "notifications/inbox.html",
        page=page,
        items=[(item, subject_link(principal, item)) for item in page.items],
        unread_only=unread_only,
        paged=cursor is not None,
    )


def _back(data: dict[str, Any]) -> str:
    return "/notifikasi?belum=1" if str(data.get("belum", "")) == "1" else "/notifikasi"


@post("/notifikasi/{notification_id:str}/dibaca", sync_to_thread=True, status_code=303)
def mark_read_page(
    request: Request[Any, Any, Any], notification_id: FromPath[str], data: Form
) -> Any:
    principal = _signed_in(request)
    if (
        len(notification_id) > MAX_ID
        or inbox.mark_read(runtime_of(request).db, str(principal.account_id), notification_id)
        is None
    ):
        return redirect(_back(data), "notifikasi_tidak_ada")
    return redirect(_back(data), "notifikasi_dibaca")


@post("/notifikasi/semua-dibaca", sync_to_thread=True, status_code=303)
def mark_all_read_page(request: Request[Any, Any, Any], data: Form) -> Any:
    principal = _signed_in(request)
    inbox.mark_all_read(runtime_of(request).db, str(principal.account_id))
    return redirect(_back(data), "notifikasi_semua_dibaca")


route_handlers: list[Any] = [inbox_page, mark_read_page, mark_all_read_page]
