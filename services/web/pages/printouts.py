"""PDF downloads: the innovation profile, the submission receipt and the review sheet.

Each one is read with the same rule as the page it is linked from (``load_record``: staff and
the owning organisation or participant; 403 to a conflicted reviewer), so a PDF never shows
more than its page.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from services.domain.actor import Role
from services.http.context import principal_of, runtime_of
from services.http.problems import problem
from services.identity import policy
from services.web.pages.common import Names, call_of, load_record, now, parse_uuid, rubric_of
from services.web.printing import documents

PDF = "application/pdf"


def _pdf(body: bytes, name: str) -> Response[bytes]:
    return Response(
        body,
        media_type=PDF,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@get("/inovasi/{innovation_id:str}/profil.pdf", sync_to_thread=True, name="page:profile-pdf")
def profile_pdf(request: Request[Any, Any, Any], innovation_id: FromPath[str]) -> Response[bytes]:
    innovation = load_record(request, parse_uuid(innovation_id))
    runtime = runtime_of(request)
    call = call_of(runtime, innovation)
    body = documents.profile_pdf(
        innovation,
        rubric_of(innovation),
        Names(runtime).org_name(innovation.organisation_id),
        call.title if call else "",
        now(),
    )
    return _pdf(body, f"profil-inovasi-{innovation.id}")


@get("/inovasi/{innovation_id:str}/tanda-terima.pdf", sync_to_thread=True, name="page:receipt-pdf")
def receipt_pdf(request: Request[Any, Any, Any], innovation_id: FromPath[str]) -> Response[bytes]:
    innovation = load_record(request, parse_uuid(innovation_id))
    if innovation.submitted_at is None:
        raise problem(
            409,
            "Inovasi ini belum pernah diajukan; tanda terima tersedia setelah pengajuan.",
            "not-submitted",
        )
    runtime = runtime_of(request)
    names = Names(runtime)
    call = call_of(runtime, innovation)
    body = documents.receipt_pdf(
        innovation,
        names.org_name(innovation.organisation_id),
        call.title if call else "",
        _submitter(runtime, innovation, names),
        now(),
    )
    return _pdf(body, f"tanda-terima-{innovation.id}")


def _submitter(runtime: Any, innovation: Any, names: Names) -> str:
    """Who gave the first Submitted event (the receipt's "diajukan oleh")."""
    for event in runtime.store.events(innovation.id):
        if type(event).__name__ == "Submitted":
            return names.person(event.actor.account_id)
    return names.person(innovation.submitter_id)


@get(
    "/verifikasi/{innovation_id:str}/lembar-penilaian.pdf",
    sync_to_thread=True,
    name="page:review-sheet-pdf",
)
def review_sheet_pdf(
    request: Request[Any, Any, Any], innovation_id: FromPath[str]
) -> Response[bytes]:
    policy.ensure_role(
        principal_of(request), Role.REVIEWER, Role.ADMIN, Role.AUDITOR, Role.PIMPINAN
    )
    innovation = load_record(request, parse_uuid(innovation_id))
    runtime = runtime_of(request)
    names = Names(runtime)
    body = documents.review_sheet_pdf(
        innovation,
        rubric_of(innovation),
        names.org_name(innovation.organisation_id),
        names.person,
        now(),
    )
    return _pdf(body, f"lembar-penilaian-{innovation.id}")


route_handlers: list[Any] = [profile_pdf, receipt_pdf, review_sheet_pdf]
