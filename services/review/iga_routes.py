"""HTTP routes of the IGA report: check a selection, create the report, list, read it and download
its exports and evidence (admins create; admins and auditors read)."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING, Annotated, Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath, JSONBody
from litestar.response import Stream

from services.domain.actor import Role
from services.domain.call import JAKARTA, format_jakarta
from services.http.context import command_context, principal_of, runtime_of
from services.http.limits import (
    QueryYear,
)
from services.http.problems import problem
from services.identity.policy import ensure_role
from services.review import export
from services.review.http import (
    TAG,
    problems,
)
from services.review.iga import IGAReports, Issue, ReportRecord, Selection
from services.review.schemas import (
    IGAReportSummary,
    IGAReportView,
    IGASelectionRequest,
    ReportFileView,
    ReportItemView,
)

if TYPE_CHECKING:
    from services.runtime import Runtime


log = logging.getLogger("sirisma.review")


def _iga(runtime: Runtime) -> IGAReports:
    return IGAReports.of(runtime)


def _report_view(service: IGAReports, record: ReportRecord) -> IGAReportView:
    report = service.report(record)
    files = service.files(record)
    warnings: dict[str, list[Issue]] = {}
    for w in record.warnings:
        warnings.setdefault(w["innovation_id"], []).append(
            Issue(code=w["code"], message=w["message"])
        )
    base = f"/api/iga/reports/{record.report_id}"
    entries = export.evidence_entries(report)
    return IGAReportView(
        id=record.report_id,
        year=record.year,
        created_at=record.created_at.astimezone(JAKARTA).isoformat(),
        created_at_text=format_jakarta(record.created_at),
        created_by=record.created_by,
        created_by_name=record.created_by_name,
        count=len(report.rows),
        total_verified_score=sum(r.verified_total for r in report.rows),
        items=[
            ReportItemView(
                position=r.position,
                innovation_id=r.innovation_id,
                version=r.version,
                title=r.profile.title,
                organisation=r.organisation,
                claimed_score=r.claimed_total,
                verified_score=r.verified_total,
                warnings=warnings.get(str(r.innovation_id), []),
            )
            for r in report.rows
        ],
        warnings=len(record.warnings),
        files=[
            ReportFileView(
                name=f"laporan-iga-{record.year}.{f.name}",
                content_type=f.content_type,
                sha256=f.sha256,
                size=f.size,
                url=f"{base}/export.{f.name}",
            )
            for f in sorted(files.values(), key=lambda f: f.name)
        ],
        evidence_url=f"{base}/evidence.zip",
        evidence_sha256=export.manifest_digest(entries),
        notification_id=record.notification_id,
    )


@post(
    "/api/iga/reports/preview",
    tags=[TAG],
    summary="Periksa pilihan IGA tanpa mencatat: kesalahan dan peringatan per inovasi",
    status_code=200,
    sync_to_thread=True,
    responses=problems(400, 401, 403, 422),
)
def iga_preview(request: Request[Any, Any, Any], data: JSONBody[IGASelectionRequest]) -> Selection:
    """Warnings: below the call's threshold, applied more than two years ago, not in penerapan,
    no SK yet, reviewers far apart. Errors: not approved, already reported, missing files."""
    ensure_role(principal_of(request), Role.ADMIN)
    today = datetime.now(JAKARTA).date()
    return _iga(runtime_of(request)).check(data.year, data.innovation_ids, today)


@post(
    "/api/iga/reports",
    tags=[TAG],
    summary="Laporkan ke Kemendagri (admin): catat pilihan IGA dan buat berkas laporan",
    status_code=201,
    responses=problems(400, 401, 403, 404, 409, 422),
)
async def iga_create(
    request: Request[Any, Any, Any], data: JSONBody[IGASelectionRequest]
) -> Response[IGAReportView]:
    """Records SelectedForIGA and ReportedToIGA for every innovation in one atomic save, or
    nothing (409 listing each innovation that cannot be reported, and why). The answer carries
    the warnings and the links to the XLSX, CSV and evidence ZIP.

    Async, like ``iga_list``: Litestar wraps a ``sync_to_thread`` handler that shares its path
    with another method twice, so the work runs in a thread explicitly."""
    ensure_role(principal_of(request), Role.ADMIN)
    return await sync_to_thread(_create_report, request, data)


def _create_report(
    request: Request[Any, Any, Any], data: IGASelectionRequest
) -> Response[IGAReportView]:
    service = _iga(runtime_of(request))
    record, _ = service.create(
        command_context(request),
        data.year,
        data.innovation_ids,
        expected_versions=data.expected_versions or None,
    )
    view = _report_view(service, record)
    log.info(
        "iga report created",
        extra={"report_id": str(record.report_id), "year": record.year, "count": view.count},
    )
    return Response(
        view,
        status_code=201,
        headers={
            "Location": f"/api/iga/reports/{record.report_id}",
            "X-Notification-Id": str(record.notification_id),
        },
    )


@get(
    "/api/iga/reports",
    tags=[TAG],
    summary="Daftar laporan IGA",
    responses=problems(401, 403),
)
async def iga_list(
    request: Request[Any, Any, Any], year: Annotated[int | None, QueryYear] = None
) -> list[IGAReportSummary]:
    ensure_role(principal_of(request), Role.ADMIN, Role.AUDITOR)
    return await sync_to_thread(_list_reports, runtime_of(request), year)


def _list_reports(runtime: Runtime, year: int | None) -> list[IGAReportSummary]:
    return [
        IGAReportSummary(
            id=r.report_id,
            year=r.year,
            created_at=r.created_at.astimezone(JAKARTA).isoformat(),
            created_by_name=r.created_by_name,
            count=len(r.items),
            url=f"/api/iga/reports/{r.report_id}",
        )
        for r in _iga(runtime).reports(year)
    ]


@get(
    "/api/iga/reports/{report_id:uuid}",
    tags=[TAG],
    summary="Satu laporan IGA",
    sync_to_thread=True,
    responses=problems(401, 403, 404),
)
def iga_get(request: Request[Any, Any, Any], report_id: FromPath[UUID]) -> IGAReportView:
    ensure_role(principal_of(request), Role.ADMIN, Role.AUDITOR)
    service = _iga(runtime_of(request))
    return _report_view(service, service.get(report_id))


def _download_name(record: ReportRecord, ext: str) -> str:
    return f"laporan-iga-{record.year}-{str(record.report_id)[:8]}.{ext}"


def _file_response(request: Request[Any, Any, Any], report_id: UUID, name: str) -> Response[bytes]:
    ensure_role(principal_of(request), Role.ADMIN, Role.AUDITOR)
    service = _iga(runtime_of(request))
    record = service.get(report_id)
    stored = service.files(record)[name]
    etag = f'"{stored.sha256}"'
    headers = {
        "ETag": etag,
        "Content-Disposition": f'attachment; filename="{_download_name(record, name)}"',
        "Cache-Control": "private, no-cache",
    }
    if request.headers.get("if-none-match", "").strip().removeprefix("W/") == etag:
        return Response(b"", status_code=304, headers=headers)
    # Litestar adds "; charset=utf-8" to text/* itself: the stored type's parameters would double it
    media_type = stored.content_type.partition(";")[0].strip()
    return Response(stored.content, media_type=media_type, headers=headers)


@get(
    "/api/iga/reports/{report_id:uuid}/export.xlsx",
    tags=[TAG],
    summary="Unduh laporan IGA (XLSX)",
    sync_to_thread=True,
    media_type=export.XLSX_TYPE,
    responses=problems(401, 403, 404),
)
def iga_xlsx(request: Request[Any, Any, Any], report_id: FromPath[UUID]) -> Response[bytes]:
    """Byte-identical on every download: the file is a function of the report's events."""
    return _file_response(request, report_id, "xlsx")


@get(
    "/api/iga/reports/{report_id:uuid}/export.csv",
    tags=[TAG],
    summary="Unduh laporan IGA (CSV)",
    sync_to_thread=True,
    media_type="text/csv",
    responses=problems(401, 403, 404),
)
def iga_csv(request: Request[Any, Any, Any], report_id: FromPath[UUID]) -> Response[bytes]:
    return _file_response(request, report_id, "csv")


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        file.seek(0)
        while chunk := file.read(1024 * 1024):
            yield chunk
    finally:
        file.close()


@get(
    "/api/iga/reports/{report_id:uuid}/evidence.zip",
    tags=[TAG],
    summary="Unduh bukti dukung (ZIP per inovasi dan indikator)",
    sync_to_thread=True,
    media_type=export.ZIP_TYPE,
    responses=problems(401, 403, 404, 422),
)
def iga_evidence(request: Request[Any, Any, Any], report_id: FromPath[UUID]) -> Stream:
    """Folders ``NN-<inovasi>/indikator-NN/`` plus ``MANIFEST.csv`` (path, SHA-256, size)."""
    ensure_role(principal_of(request), Role.ADMIN, Role.AUDITOR)
    service = _iga(runtime_of(request))
    record = service.get(report_id)
    report, entries = service.evidence(record)
    etag = f'"{export.manifest_digest(entries)}"'
    headers = {
        "ETag": etag,
        "Content-Disposition": f'attachment; filename="{_download_name(record, "zip")}"',
        "Cache-Control": "private, no-cache",
    }
    for entry in entries:  # refuse before streaming, so a missing file is a clear 422
        if entry.storage_key and not service.blobs.exists(entry.storage_key):
            raise problem(
                422,
                f"Berkas bukti '{entry.path}' tidak ada di penyimpanan.",
                "evidence-missing",
            )
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    try:
        export.write_evidence_zip(report, entries, service.read_blob, spool)
    except BaseException:
        spool.close()
        raise
    headers["Content-Length"] = str(spool.tell())
    return Stream(_chunks(spool), media_type=export.ZIP_TYPE, headers=headers)


route_handlers: list[Any] = [
    iga_preview,
    iga_create,
    iga_list,
    iga_get,
    iga_xlsx,
    iga_csv,
    iga_evidence,
]
