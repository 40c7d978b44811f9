"""CSV and XLSX downloads of the lists people pass on: the review queue and the compliance list.

Each export takes the page's own filters (``review.queue_filters``, ``dashboards.
compliance_rows``) and writes every matching row, in the page's order, with every text cell
neutralised against formula injection (``services.spreadsheet``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromQuery

from services.domain.actor import Role
from services.http.context import principal_of
from services.identity import policy
from services.spreadsheet import csv_row, xlsx_row
from services.web.pages.as_of import moment as as_of_moment
from services.web.pages.as_of import page_as_of
from services.web.pages.dashboards import compliance_rows
from services.web.pages.review import STAFF, queue_filters, queue_result

EXPORT_MAX = 10_000  # rows in one download (the queue of a whole regency fits many times)
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

QUEUE_HEADER = (
    "Nama inovasi",
    "Organisasi",
    "Panggilan",
    "Status",
    "Diajukan",
    "Menunggu sejak",
    "Umur (hari kerja)",
    "Batas layanan",
    "Verifikator",
    "Nilai klaim",
    "Nilai terverifikasi",
    "Kelengkapan (%)",
    "Dokumen belum diperiksa",
    "Putaran perbaikan",
)
SLA_TEXT = {"ok": "Dalam batas", "due": "Jatuh tempo hari ini", "breached": "Lewat batas"}
COMPLIANCE_HEADER = (
    "Kode",
    "Organisasi",
    "Jenis",
    "Keadaan",
    "Diajukan",
    "Draf",
    "Dalam verifikasi",
    "Disetujui",
    "Ditolak",
    "Ditarik",
    "Pengajuan pertama",
    "Aktivitas terakhir",
)


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark (Excel reads the Indonesian text right), CRLF lines."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_row(header))
    for values in rows:
        writer.writerow(csv_row(values))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.properties.creator = "SI-RISMA"
    sheet = wb.active
    sheet.title = title[:31]
    sheet.append(xlsx_row(sheet, header))
    for values in rows:
        sheet.append(xlsx_row(sheet, values))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _download(
    name: str, fmt: str, header: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Response[bytes]:
    if fmt == "xlsx":
        body, media = _xlsx(name, header, rows), XLSX_TYPE
    else:
        body, media = _csv(header, rows), CSV_TYPE
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )


def _queue_rows(request: Request[Any, Any, Any], params: dict[str, str | None]) -> list[list[Any]]:
    principal = principal_of(request)
    policy.ensure_role(principal, *STAFF, Role.AUDITOR)
    runtime, as_of = page_as_of(request, params.pop("per"))
    filters = queue_filters(**params)  # type: ignore[arg-type]
    result = queue_result(runtime, principal, filters, as_of_moment(as_of), limit=EXPORT_MAX)
    return [
        [
            r.title,
            r.organisation_name or "Masyarakat (Krenova)",
            r.call_title or "",
            r.status_label,
            r.submitted_at or "",
            r.waiting_since or "",
            r.age_working_days,
            SLA_TEXT.get(r.sla_state, r.sla_state),
            ", ".join(str(x.get("name", "")) for x in r.reviewers),
            r.claimed_score,
            r.verified_score,
            r.completeness,
            r.documents_pending,
            r.revision_round,
        ]
        for r in result.items
    ]


def _export_queue(
    request: Request[Any, Any, Any], fmt: str, **params: str | None
) -> Response[bytes]:
    return _download("antrean-verifikasi", fmt, QUEUE_HEADER, _queue_rows(request, params))


@get("/ekspor/antrean.csv", sync_to_thread=True, name="page:export-queue-csv")
def queue_csv(
    request: Request[Any, Any, Any],
    status: FromQuery[str | None] = None,
    organisasi: FromQuery[str | None] = None,
    petugas: FromQuery[str | None] = None,
    sla: FromQuery[str | None] = None,
    jenis: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
    urut: FromQuery[str | None] = None,
    per: FromQuery[str | None] = None,
) -> Response[bytes]:
    return _export_queue(
        request,
        "csv",
        status=status,
        organisasi=organisasi,
        petugas=petugas,
        sla=sla,
        jenis=jenis,
        q=q,
        urut=urut,
        per=per,
    )


@get("/ekspor/antrean.xlsx", sync_to_thread=True, name="page:export-queue-xlsx")
def queue_xlsx(
    request: Request[Any, Any, Any],
    status: FromQuery[str | None] = None,
    organisasi: FromQuery[str | None] = None,
    petugas: FromQuery[str | None] = None,
    sla: FromQuery[str | None] = None,
    jenis: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
    urut: FromQuery[str | None] = None,
    per: FromQuery[str | None] = None,
) -> Response[bytes]:
    return _export_queue(
        request,
        "xlsx",
        status=status,
        organisasi=organisasi,
        petugas=petugas,
        sla=sla,
        jenis=jenis,
        q=q,
        urut=urut,
        per=per,
    )


def _export_compliance(
    request: Request[Any, Any, Any],
    fmt: str,
    tahun: str | None,
    keadaan: str | None,
    per: str | None,
) -> Response[bytes]:
    year, _, rows, _, _ = compliance_rows(request, tahun, keadaan, per)
    values: list[Sequence[Any]] = [
        [
            r.code,
            r.name,
            r.kind.upper(),
            r.state_label,
            r.submitted,
            r.drafts,
            r.in_review,
            r.approved,
            r.rejected,
            r.withdrawn,
            r.first_submitted_at or "",
            r.last_activity_at or "",
        ]
        for r in rows
    ]
    return _download(f"kepatuhan-{year}", fmt, COMPLIANCE_HEADER, values)


@get("/ekspor/kepatuhan.csv", sync_to_thread=True, name="page:export-compliance-csv")
def compliance_csv(
    request: Request[Any, Any, Any],
    tahun: FromQuery[str | None] = None,
    keadaan: FromQuery[str | None] = None,
    per: FromQuery[str | None] = None,
) -> Response[bytes]:
    return _export_compliance(request, "csv", tahun, keadaan, per)


@get("/ekspor/kepatuhan.xlsx", sync_to_thread=True, name="page:export-compliance-xlsx")
def compliance_xlsx(
    request: Request[Any, Any, Any],
    tahun: FromQuery[str | None] = None,
    keadaan: FromQuery[str | None] = None,
    per: FromQuery[str | None] = None,
) -> Response[bytes]:
    return _export_compliance(request, "xlsx", tahun, keadaan, per)


route_handlers: list[Any] = [queue_csv, queue_xlsx, compliance_csv, compliance_xlsx]
