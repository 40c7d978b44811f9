"""Operations pages for admins: the quarantine of events the read models or the relay skipped.

A follower of the log that fails on one event again and again quarantines it and goes on
(``services.quarantine``); this page lists those events with their error, says what is
inconsistent meanwhile, and applies one again on request (POST with the CSRF token).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from services.domain.actor import Role
from services.http.context import principal_of, runtime_of
from services.identity import policy
from services.reads import requeue
from services.web.pages.rendering import render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _page(request: Request[Any, Any, Any], message: str = "", error: str = "") -> Any:
    items = requeue.pending(runtime_of(request).settings)
    return render(request, "ops/quarantine.html", items=items, message=message, error=error)


@get("/karantina", sync_to_thread=True, name="page:quarantine")
def quarantine_page(request: Request[Any, Any, Any]) -> Any:
    policy.ensure_role(principal_of(request), Role.ADMIN)
    return _page(request)


@post("/karantina/coba-ulang", sync_to_thread=True, name="page:quarantine-retry", status_code=200)
def quarantine_retry(request: Request[Any, Any, Any], data: Form) -> Any:
    policy.ensure_role(principal_of(request), Role.ADMIN)
    follower = str(data.get("follower", ""))[:100]
    raw = str(data.get("notification_id", ""))
    if not raw.isdigit() or not follower:
        return _page(request, error="Permintaan tidak lengkap: pilih peristiwa dari daftar.")
    runtime = runtime_of(request)
    outcomes = requeue.retry(
        runtime.settings, [follower], notification_id=int(raw), store=runtime.store
    )
    if not outcomes:
        return _page(request, error=f"Peristiwa #{raw} untuk {follower} tidak ada dalam karantina.")
    outcome = outcomes[0]
    if outcome.released:
        return _page(request, message=f"Peristiwa #{raw} berhasil diterapkan ke {follower}.")
    return _page(request, error=f"Peristiwa #{raw} masih gagal: {outcome.error}")


route_handlers: list[Any] = [quarantine_page, quarantine_retry]
