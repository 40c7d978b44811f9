"""HTTP routes of the SPD sheet: read the year's sheet, enter a row's raw values, upload its
evidence, submit it, and Bappeda's verification.

Who may call is the policy's answer (``services.identity.policy.SPD_*`` guards, before the body
is read); which row a caller may touch is the sheet's own rule (the owning organisation's
operator or the admin; a reviewer never verifies a row of their own organisation).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post, put
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath, JSONBody
from litestar.response import File
from msgspec import Meta

from projections.research_evidence import spd_evidence
from services.blobs import MB, blob_store
from services.commands import Outcome
from services.domain.values import SpdValues
from services.http.context import command_context, runtime_of
from services.http.problems import problem
from services.http.stored_files import stored_file
from services.identity.policy import SPD_FILL, SPD_READ, SPD_VERIFY
from services.review.http import IfMatch, if_match, write_headers
from services.spd.service import RowView, SheetView, SpdCommands, row_of, sheet_view
from services.submission.common import problems
from services.submission.documents import build_document
from services.submission.uploads import read_request_upload

TAG = "spd"
Year = Annotated[int, Meta(ge=2000, le=2100)]
RowNo = Annotated[str, Meta(pattern=r"^[0-9]{1,2}[a-z]?$")]
Number = Decimal  # bounded and checked finite by the sheet (msgspec has no bounds on Decimal)


class ValuesInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only what the row's kind needs: ``t1``/``t2`` (T-1, T-2 figures), ``value`` (a count)
    or ``choice`` (an option key)."""

    t1: Number | None = None
    t2: Number | None = None
    value: Number | None = None
    choice: Annotated[str, Meta(max_length=40)] | None = None


class RowInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``owner_organisation_id`` (admin only): the organisation that owns the row; send
    ``null`` to clear it, leave it out to keep it."""

    values: ValuesInput
    note: Annotated[str, Meta(max_length=4_000)] = ""
    owner_organisation_id: UUID | None | msgspec.UnsetType = msgspec.UNSET


class VerifyInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    accepted: bool
    note: Annotated[str, Meta(max_length=4_000)] = ""


class RowResult(msgspec.Struct, kw_only=True):
    year: int
    version: int
    row: RowView
    notification_id: int | None = None


def _spd(request: Request[Any, Any, Any]) -> SpdCommands:
    return SpdCommands(runtime_of(request).store)


def _row_result(
    request: Request[Any, Any, Any], year: int, no: str, outcome: Outcome, status: int = 200
) -> Response[RowResult]:
    sheet = _spd(request).load(year, outcome.version or None)
    view = sheet_view(year, sheet, spd_evidence(runtime_of(request).db, year))
    row = next(r for r in view.rows if r.no == no)
    return Response(
        RowResult(
            year=year,
            version=view.version,
            row=row,
            notification_id=outcome.notification_id or None,
        ),
        status_code=status,
        headers=write_headers(view.version, outcome.notification_id),
    )


@get(
    "/api/spd/{year:int}",
    tags=[TAG],
    summary="Lembar SPD tahun ini: nilai, level, bukti dukung, verifikasi",
    guards=[SPD_READ],
    sync_to_thread=True,
    responses=problems(401, 403, 422),
)
def get_sheet(request: Request[Any, Any, Any], year: FromPath[int]) -> Response[SheetView]:
    """Every SPD row of the year (untouched rows at level 0), what each still lacks and the
    points it could still earn; ``claimed_score`` from the raw values, ``verified_score`` from
    the rows Bappeda accepted."""
    view = sheet_view(year, _spd(request).load(year), spd_evidence(runtime_of(request).db, year))
    return Response(view, headers={"ETag": f'"{view.version}"'})


@put(
    "/api/spd/{year:int}/indicators/{no:str}",
    tags=[TAG],
    summary="Isi nilai mentah satu baris SPD (pemilik baris atau admin)",
    guards=[SPD_FILL],
    sync_to_thread=True,
    responses=problems(400, 401, 403, 409, 422),
)
def put_row(
    request: Request[Any, Any, Any],
    year: FromPath[Year],
    no: FromPath[RowNo],
    data: JSONBody[RowInput],
    if_match_header: IfMatch = None,
) -> Response[RowResult]:
    row_of(year, no)
    values = SpdValues(**msgspec.structs.asdict(data.values))
    assign = data.owner_organisation_id is not msgspec.UNSET
    owner = data.owner_organisation_id if assign else None
    outcome = _spd(request).fill(
        command_context(request),
        year,
        no,
        values,
        data.note,
        assign=assign,
        owner=owner if isinstance(owner, UUID) else None,
        expected_version=if_match(request),
    )
    return _row_result(request, year, no, outcome)


@post(
    "/api/spd/{year:int}/indicators/{no:str}/evidence",
    tags=[TAG],
    summary="Unggah bukti dukung satu baris SPD (multipart: kind, replaces?, file)",
    guards=[SPD_FILL],
    status_code=201,
    request_max_body_size=None,  # enforced while streaming, per file (settings.max_upload_mb)
    responses=problems(400, 401, 403, 413, 415, 422),
)
async def upload_evidence(
    request: Request[Any, Any, Any], year: FromPath[Year], no: FromPath[RowNo]
) -> Response[RowResult]:
    """Like an innovation's documents: typed (``kind``), the type sniffed from the bytes,
    stored by content hash, ``replaces`` keeps the older version in the history."""
    runtime = runtime_of(request)
    row_of(year, no)
    ctx = command_context(request)
    form = await read_request_upload(
        request, blob_store(runtime), runtime.settings.max_upload_mb * MB
    )
    try:
        document = msgspec.structs.replace(build_document(form), indicator=None)
        if form.writer is None:
            raise problem(422, "Bukti dukung SPD harus berkas, bukan tautan.", "invalid-value")
        spd = _spd(request)
        await sync_to_thread(spd.check_attach, ctx, year, no, document)
        await sync_to_thread(form.writer.commit)
    finally:
        form.abort()  # no-op after a commit
    outcome = await sync_to_thread(spd.attach, ctx, year, no, document)
    return await sync_to_thread(_row_result, request, year, no, outcome, 201)


@get(
    "/api/spd/{year:int}/indicators/{no:str}/evidence/{doc_id:uuid}",
    tags=[TAG],
    summary="Unduh bukti dukung SPD",
    guards=[SPD_READ],
    media_type="application/octet-stream",
    sync_to_thread=True,
    responses=problems(401, 403, 404),
)
def download_evidence(
    request: Request[Any, Any, Any], year: FromPath[int], no: FromPath[str], doc_id: FromPath[UUID]
) -> File:
    sheet = _spd(request).load(year)
    found = sheet.row(no).evidence.get(doc_id) if sheet is not None else None
    if found is None:
        raise problem(404, f"Dokumen {doc_id} tidak ditemukan.", "not-found")
    doc = found.document
    return stored_file(
        blob_store(runtime_of(request)),
        storage_key=doc.storage_key,
        name=doc.name,
        content_type=doc.content_type,
        sha256=doc.sha256,
        inline=True,
    )


@post(
    "/api/spd/{year:int}/indicators/{no:str}/submit",
    tags=[TAG],
    summary="Ajukan baris SPD untuk diverifikasi Bappeda",
    guards=[SPD_FILL],
    status_code=200,
    sync_to_thread=True,
    responses=problems(401, 403, 422),
)
def submit_row(
    request: Request[Any, Any, Any], year: FromPath[Year], no: FromPath[RowNo]
) -> Response[RowResult]:
    outcome = _spd(request).submit(command_context(request), year, no)
    return _row_result(request, year, no, outcome)


@post(
    "/api/spd/{year:int}/indicators/{no:str}/verify",
    tags=[TAG],
    summary="Verifikasi baris SPD (admin atau verifikator Bappeda)",
    guards=[SPD_VERIFY],
    status_code=200,
    sync_to_thread=True,
    responses=problems(400, 401, 403, 422),
)
def verify_row(
    request: Request[Any, Any, Any],
    year: FromPath[Year],
    no: FromPath[RowNo],
    data: JSONBody[VerifyInput],
) -> Response[RowResult]:
    outcome = _spd(request).verify(command_context(request), year, no, data.accepted, data.note)
    return _row_result(request, year, no, outcome)


route_handlers: list[Any] = [
    get_sheet,
    put_row,
    upload_evidence,
    download_evidence,
    submit_row,
    verify_row,
]
