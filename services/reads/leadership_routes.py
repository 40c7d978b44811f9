"""``GET /api/leadership/summary``: the leadership summary (``services.reads.leadership``) for
the regent and the Bappeda head (``Role.PIMPINAN``) and Bappeda's own staff.

A read: it records nothing, so signing in and reading leave no event besides the session.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Response

from projections.regency import rescorer
from services.http.context import runtime_of
from services.identity.policy import LEADERSHIP_READ
from services.reads.leadership import LeadershipSummary, leadership_summary
from services.reads.routes import After, Year, _respond, _this_year

#: The read models the summary reads (read-your-writes waits for all of them).
MODELS = ("innovations", "directory", "compliance", "spd", "research", "monev", "mentoring")


@get(
    "/api/leadership/summary",
    tags=["read models"],
    summary="Ringkasan pimpinan: indeks, SPD, inovasi, kepatuhan, riset, monev, pendampingan",
    guards=[LEADERSHIP_READ],
    sync_to_thread=True,
)
def summary(
    request: Request[Any, Any, Any], year: Year = None, after: After = None
) -> Response[LeadershipSummary]:
    """One budget year of the regency for its leadership (bawaan: tahun berjalan, WIB): the
    regency index "terverifikasi" and "klaim" with the year before, SPD rows by status,
    innovations by status and stage, organisations without a submitted proposal (Perbup
    87/2021 pasal 38), the research pipeline (agenda, proposals by status, completed studies,
    recommendations and their adoption), monev visits due and overdue with the recommendations
    of the year's reports, and mentoring follow-ups past their date. Read-only for every role
    that may call it; pimpinan, admin and verifikator only."""
    runtime = runtime_of(request)
    return _respond(
        request,
        after,
        MODELS,
        lambda _seen: leadership_summary(
            runtime.db, year or _this_year(), rescore=rescorer(runtime.commands)
        ),
    )


route_handlers: list[Any] = [summary]
