"""``/pimpinan``: the leadership summary in Bahasa Indonesia, and its one-page PDF.

For the regent and the Bappeda head (``Role.PIMPINAN``, whose sign-in lands here) and Bappeda's
staff. The figures are ``services.reads.leadership`` (the API's answer); each links to the page
that details it, every one of which leadership may read but not change.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromQuery

from projections.regency import rescorer
from services.http import limits
from services.http.context import principal_of, runtime_of
from services.http.problems import problem
from services.identity import policy
from services.reads.leadership import LeadershipSummary, leadership_summary
from services.web.pages.common import now
from services.web.pages.rendering import render
from services.web.printing.leadership import summary_pdf

#: Organisations without a submitted proposal named on the page (and the printout) by name.
NAMED_ORGANISATIONS = 12
PRINTED_ORGANISATIONS = 8
YEAR_ERROR = f"Tahun harus bilangan bulat {limits.YEAR_MIN}–{limits.YEAR_MAX}."


def _year(raw: str | None) -> int | None:
    """The year asked for (this year when none is); None when it is not a usable year."""
    if raw is None or raw.strip() == "":
        return now().year
    return limits.page_int(raw, limits.YEAR_MIN, limits.YEAR_MAX)


def _summary(request: Request[Any, Any, Any], year: int) -> LeadershipSummary:
    runtime = runtime_of(request)
    return leadership_summary(runtime.db, year, rescore=rescorer(runtime.commands))


@get("/pimpinan", sync_to_thread=True, name="page:leadership")
def leadership(request: Request[Any, Any, Any], tahun: FromQuery[str | None] = None) -> Any:
    policy.ensure_role(principal_of(request), *policy.LEADERSHIP_SUMMARY_ROLES)
    this_year = now().year
    years = list(range(this_year + 1, this_year - 4, -1))
    year = _year(tahun)
    if year is None:
        return render(
            request,
            "leadership/summary.html",
            status_code=400,
            error=YEAR_ERROR,
            summary=None,
            year=this_year,
            years=years,
        )
    return render(
        request,
        "leadership/summary.html",
        summary=_summary(request, year),
        year=year,
        years=sorted({*years, year}, reverse=True),
        named=NAMED_ORGANISATIONS,
        error="",
    )


@get("/pimpinan/ringkasan.pdf", sync_to_thread=True, name="page:leadership-pdf")
def leadership_pdf(
    request: Request[Any, Any, Any], tahun: FromQuery[str | None] = None
) -> Response[bytes]:
    policy.ensure_role(principal_of(request), *policy.LEADERSHIP_SUMMARY_ROLES)
    year = _year(tahun)
    if year is None:
        raise problem(
            400, YEAR_ERROR, "validation", errors=[{"field": "tahun", "message": YEAR_ERROR}]
        )
    body = summary_pdf(_summary(request, year), now(), named=PRINTED_ORGANISATIONS)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="ringkasan-pimpinan-{year}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


route_handlers: list[Any] = [leadership, leadership_pdf]
