"""HTTP routes of the IGA follow-up: the fixed urusan list, the ministry's verdicts, and
"bawa ke tahun berikutnya".

The urusan list is public reference data (the forms and any client build their choices from it).
Verdicts are recorded by the Bappeda admin, by hand or from the ministry's download; an
innovation is carried into the next year's call by its organisation's operator or the admin.
Every command route checks the caller with ``services.identity.policy`` before any work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody
from msgspec import Meta

from services.commands import Outcome
from services.domain import urusan
from services.domain.errors import InvalidValue
from services.domain.innovation import Innovation, VerdictEntry
from services.domain.lifecycle import Command
from services.domain.ministry import MinistryVerdict
from services.http.context import command_context, runtime_of
from services.identity.command_route import checked
from services.identity.policy import admin_only
from services.iga import verdicts
from services.review.http import COMMAND_ROUTE, IfMatch, if_match, problems, write_headers

TAG = "iga"
MAX_IMPORT_BYTES = 5 * 1024 * 1024


class UrusanView(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    group: str
    no: int  # the IID form's item number (1–38)


class VerdictRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``reason`` is required for ``rejected``; ``note`` holds e.g. the award's name."""

    year: Annotated[int, Meta(ge=2000, le=2100)]
    verdict: MinistryVerdict
    reason: Annotated[str, Meta(max_length=4_000)] = ""
    note: Annotated[str, Meta(max_length=4_000)] = ""
    decided_on: date | None = None


class VerdictsView(msgspec.Struct, kw_only=True):
    id: UUID
    version: int
    status: str
    iga_year: int | None
    ministry_verdict: MinistryVerdict | None
    ministry_verdicts: list[VerdictEntry]
    notification_id: int | None = None


class CarryForwardRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Without ``call_id``: the one open annual call of the next budget year."""

    call_id: UUID | None = None


class CarriedView(msgspec.Struct, kw_only=True):
    id: UUID  # the new draft
    version: int
    budget_year: int
    call_id: UUID | None
    carried_from: UUID | None
    entry_no: int
    documents: int
    source_version: int
    notification_id: int | None = None


@dataclass
class VerdictUpload:
    """``mode``: ``preview`` checks and reports only; ``commit`` records every row or none."""

    year: int
    file: UploadFile
    mode: Literal["preview", "commit"] = "preview"


@get(
    "/api/reference/urusan",
    tags=[TAG],
    summary="Daftar urusan pemerintahan (38 butir IGA)",
    sync_to_thread=False,
)
def list_urusan() -> list[UrusanView]:
    """The 38 urusan an innovation is filed under, in the IID form's order: ``code`` is what
    ``profile.urusan`` and ``profile.urusan_lain`` hold."""
    return [
        UrusanView(code=u.code, name=u.name, group=u.group, no=u.no) for u in urusan.all_urusan()
    ]


def _verdicts_view(innovation: Innovation, outcome: Outcome) -> Response[VerdictsView]:
    """The verdicts as the command left them (the aggregate it saved)."""
    view = VerdictsView(
        id=innovation.id,
        version=innovation.version,
        status=str(innovation.status),
        iga_year=innovation.iga_year,
        ministry_verdict=innovation.ministry_verdict,
        ministry_verdicts=innovation.ministry_verdicts,
        notification_id=outcome.notification_id or None,
    )
    return Response(view, headers=write_headers(outcome.version, outcome.notification_id))


@post(
    "/api/innovations/{id:uuid}/ministry-verdict",
    summary="Catat keputusan Kemendagri atas inovasi yang dilaporkan (admin)",
    **{**COMMAND_ROUTE, "tags": [TAG]},
)
def record_verdict(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[VerdictRequest],
    if_match_header: IfMatch = None,
) -> Response[VerdictsView]:
    c = checked(request, id, Command.RECORD_MINISTRY_VERDICT, read_version=if_match)
    outcome = c.commands.record_ministry_verdict(
        c.ctx,
        id,
        year=data.year,
        verdict=data.verdict,
        reason=data.reason,
        note=data.note,
        decided_on=data.decided_on,
        expected_version=c.expected_version,
        loaded=c.innovation,
    )
    return _verdicts_view(c.innovation, outcome)


@post(
    "/api/innovations/{id:uuid}/carry-forward",
    summary="Bawa ke tahun berikutnya: draf baru di panggilan tahun berikutnya",
    **{**COMMAND_ROUTE, "tags": [TAG], "status_code": 201},
)
def carry_forward(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[CarryForwardRequest],
    if_match_header: IfMatch = None,
) -> Response[CarriedView]:
    c = checked(request, id, Command.CARRY_FORWARD, read_version=if_match)
    draft, outcome, source = c.commands.carry_forward_draft(
        c.ctx, id, call_id=data.call_id, expected_version=c.expected_version, loaded=c.innovation
    )
    last = max(outcome.notification_id, source.notification_id)
    view = CarriedView(
        id=draft.id,
        version=draft.version,
        budget_year=draft.budget_year,
        call_id=draft.call_id,
        carried_from=draft.carried_from,
        entry_no=draft.entry_no,
        documents=sum(1 for d in draft.documents.values() if not d.removed),
        source_version=source.version,
        notification_id=last or None,
    )
    return Response(
        view,
        status_code=201,
        headers={
            **write_headers(draft.version, last),
            "Location": f"/api/innovations/{draft.id}",
        },
    )


@post(
    "/api/iga/verdicts/import",
    tags=[TAG],
    summary="Impor keputusan Kemendagri dari berkas CSV/XLSX (pratinjau atau simpan)",
    guards=[admin_only],
    status_code=200,
    sync_to_thread=True,
    responses=problems(400, 401, 403, 422),
)
def import_verdicts(
    request: Request[Any, Any, Any],
    data: Annotated[VerdictUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[verdicts.VerdictImport]:
    """``mode=preview`` returns the per-row report and records nothing; ``mode=commit`` records
    every row in one atomic save, or nothing (422 with the failing rows)."""
    if not 2000 <= data.year <= 2100:
        raise InvalidValue("year", "Tahun IGA harus antara 2000 dan 2100.")
    content = data.file.file.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        raise InvalidValue("file", "Berkas keputusan paling besar 5 MB.")
    runtime = runtime_of(request)
    report = verdicts.run(
        runtime.commands,
        runtime.db,
        command_context(request),
        year=data.year,
        content=content,
        commit=data.mode == "commit",
    )
    headers = {"X-Notification-Id": str(report.notification_id)} if report.notification_id else {}
    return Response(report, status_code=201 if report.committed else 200, headers=headers)


route_handlers: list[Any] = [list_urusan, record_verdict, carry_forward, import_verdicts]
