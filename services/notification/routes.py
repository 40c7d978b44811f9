"""HTTP routes of the notification context (mounted by services.app).

* ``GET /api/me/notifications``: the caller's inbox, newest first, with the unread count;
  ``POST /api/me/notifications/{notification_id}/read`` and ``POST .../read-all`` mark read.
  Every signed-in role has an inbox; nobody sees another account's messages (404).
* ``GET /api/admin/dead-letters`` and ``POST /api/admin/dead-letters/{dead_letter_id}/retry``:
  tasks that gave up, for admins (the same as ``sirisma dead-letters list|retry``).
* ``GET /api/admin/notifications/status``: relay position and lag, outbox counts (admins).
* ``GET /api/audit/digests``: the audit trail's daily signed digests and their verification,
  for auditors and admins.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, Parameter

from services.domain.actor import Role
from services.domain.errors import AuthenticationRequired
from services.domain.principal import Principal
from services.http.context import principal_of, runtime_of
from services.http.problems import problem
from services.identity.policy import ensure_role
from services.notification import inbox, operations, outbox
from services.notification import metrics as _metrics  # noqa: F401  (registers the gauges)
from services.notification.audit_trail import DigestReport, verify
from services.notification.inbox import NotificationPage, NotificationView
from services.notification.outbox import DeadLetter

TAG = "notifikasi"


def _signed_in(request: Request[Any, Any, Any]) -> Principal:
    principal = principal_of(request)
    if not principal.authenticated:
        raise AuthenticationRequired()
    return principal


@get(
    "/api/me/notifications",
    tags=[TAG],
    summary="Notifikasi saya",
    sync_to_thread=True,
)
def my_notifications(
    request: Request[Any, Any, Any],
    unread: Annotated[bool, Parameter(description="Hanya yang belum dibaca.")] = False,
    limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
    before: Annotated[
        str | None, Parameter(max_length=200, description="`next_before` halaman sebelumnya.")
    ] = None,
) -> NotificationPage:
    principal = _signed_in(request)
    try:
        return inbox.page(
            runtime_of(request).db,
            str(principal.account_id),
            unread_only=unread,
            limit=limit,
            before=before,
        )
    except inbox.BadCursor:
        raise problem(400, "Parameter 'before' tidak valid.", "validation") from None


@post(
    "/api/me/notifications/{notification_id:str}/read",
    tags=[TAG],
    summary="Tandai notifikasi sudah dibaca",
    sync_to_thread=True,
    status_code=200,
)
def mark_read(request: Request[Any, Any, Any], notification_id: FromPath[str]) -> NotificationView:
    principal = _signed_in(request)
    view = inbox.mark_read(runtime_of(request).db, str(principal.account_id), notification_id)
    if view is None:
        raise problem(404, "Notifikasi tidak ditemukan.", "not-found")
    return view


class MarkedAll(msgspec.Struct, frozen=True):
    updated: int


@post(
    "/api/me/notifications/read-all",
    tags=[TAG],
    summary="Tandai semua notifikasi sudah dibaca",
    sync_to_thread=True,
    status_code=200,
)
def mark_all_read(request: Request[Any, Any, Any]) -> MarkedAll:
    principal = _signed_in(request)
    return MarkedAll(updated=inbox.mark_all_read(runtime_of(request).db, str(principal.account_id)))


@get(
    "/api/admin/dead-letters",
    tags=[TAG],
    summary="Tugas notifikasi yang gagal (dead letter)",
    sync_to_thread=True,
)
def list_dead_letters(
    request: Request[Any, Any, Any],
    include_retried: Annotated[
        bool, Parameter(description="Sertakan yang sudah dicoba ulang.")
    ] = False,
    limit: Annotated[int, Parameter(ge=1, le=1000)] = 200,
) -> list[DeadLetter]:
    ensure_role(principal_of(request), Role.ADMIN)
    return outbox.dead_letters(runtime_of(request).db, include_retried=include_retried, limit=limit)


@post(
    "/api/admin/dead-letters/{dead_letter_id:str}/retry",
    tags=[TAG],
    summary="Coba ulang tugas yang gagal",
    sync_to_thread=True,
    status_code=202,
)
def retry_dead_letter(request: Request[Any, Any, Any], dead_letter_id: FromPath[str]) -> DeadLetter:
    principal = principal_of(request)
    ensure_role(principal, Role.ADMIN)
    letter = operations.retry(runtime_of(request), dead_letter_id, principal.username)
    if letter is None:
        raise problem(404, "Dead letter tidak ditemukan atau sudah dicoba ulang.", "not-found")
    return letter


@get(
    "/api/admin/notifications/status",
    tags=[TAG],
    summary="Status layanan notifikasi",
    sync_to_thread=True,
)
def notification_status(request: Request[Any, Any, Any]) -> operations.Status:
    ensure_role(principal_of(request), Role.ADMIN)
    return operations.status(runtime_of(request))


class DigestRow(msgspec.Struct, frozen=True, kw_only=True):
    day: str
    record_count: int
    records_hash: str
    previous_digest: str
    digest: str
    sealed_at: str


class DigestChain(msgspec.Struct, frozen=True, kw_only=True):
    verification: DigestReport
    digests: list[DigestRow]  # newest first


@get(
    "/api/audit/digests",
    tags=["audit"],
    summary="Digest harian jejak audit (bertanda tangan) dan verifikasinya",
    sync_to_thread=True,
)
def audit_digests(
    request: Request[Any, Any, Any],
    limit: Annotated[int, Parameter(ge=1, le=3660)] = 60,
) -> DigestChain:
    ensure_role(principal_of(request), Role.AUDITOR, Role.ADMIN)
    rt = runtime_of(request)
    rows = rt.db.rows(
        "SELECT day, record_count, records_hash, previous_digest, digest, sealed_at "
        "FROM notification_audit_digests ORDER BY day DESC LIMIT ?",
        (limit,),
    )
    return DigestChain(
        verification=verify(rt.db, rt.settings.secret_key),
        digests=[msgspec.convert(r, DigestRow) for r in rows],
    )


route_handlers: list[Any] = [
    my_notifications,
    mark_read,
    mark_all_read,
    list_dead_letters,
    retry_dead_letter,
    notification_status,
    audit_digests,
]
