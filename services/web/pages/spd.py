"""The SPD sheet page (``/spd/{year}``): for the Bappeda (every row) and the organisations that
own rows (their rows first): completeness, the level each row's values earn, what Bappeda
verified, and per row what is still open and the points it could still earn.

Filling and uploading use the API (``PUT /api/spd/{year}/indicators/{no}`` and the evidence
upload); this page is the overview both sides work from.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath

from projections.research_evidence import spd_evidence
from services.domain.actor import Role
from services.http.context import principal_of, runtime_of
from services.identity import policy
from services.spd.service import SpdCommands, sheet_view
from services.web.pages import queries
from services.web.pages.common import now
from services.web.pages.rendering import render

SPD_PAGE_ROLES = (Role.ADMIN, Role.REVIEWER, Role.AUDITOR, Role.OPERATOR)


def _page(request: Request[Any, Any, Any], year: int) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, *SPD_PAGE_ROLES)
    runtime = runtime_of(request)
    view = sheet_view(year, SpdCommands(runtime.store).load(year), spd_evidence(runtime.db, year))
    names = {str(o.id): o.name for o in queries.rm.directory.organisations(runtime.db)}
    own = str(principal.organisation_id) if principal.role == Role.OPERATOR else None
    rows = view.rows
    if own is not None:  # the organisation's own rows first
        rows = sorted(rows, key=lambda r: str(r.owner_organisation_id) != own)
    return render(
        request,
        "spd/sheet.html",
        year=year,
        sheet=view,
        rows=rows,
        own=own,
        owner_names=names,
        years=list(range(now().year + 1, now().year - 3, -1)),
    )


@get("/spd", sync_to_thread=True, name="page:spd-current")
def spd_current(request: Request[Any, Any, Any]) -> Any:
    return _page(request, now().year)


@get("/spd/{year:int}", sync_to_thread=True, name="page:spd")
def spd_year(request: Request[Any, Any, Any], year: FromPath[int]) -> Any:
    return _page(request, year)


route_handlers: list[Any] = [spd_current, spd_year]
