"""HTTP routes of the review context: assignment, verification, revision, scoring, decisions,
Krenova judging and the IGA report.

Every route checks the caller with ``services.identity.policy`` before doing any work, then
gives one command to ``Commands``; a refusal records nothing. Command routes answer with the
review view at the version the command produced (``ETag``, ``X-Notification-Id``). The review
queue is a read model and lives with the projections.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath, JSONBody
from litestar.response import Stream
from msgspec import Meta

from services.commands import Outcome
from services.domain.actor import Role
from services.domain.call import JAKARTA, format_jakarta
from services.domain.innovation import Innovation
from services.domain.lifecycle import Command
from services.domain.rubric import load_rubric
from services.domain.values import CriterionScore, IndicatorVerdict, RevisionItem, Stage
from services.http.context import command_context, principal_of, runtime_of
from services.http.limits import (
    IDS_MAX,
    LIST_MAX,
    POSITION_MAX,
    Code,
    Note,
    QueryYear,
    Reason,
    RequiredCode,
    RequiredName,
    Year,
)
from services.http.problems import problem
from services.identity.policy import ensure_role
from services.review import assignment, export, krenova, views
from services.review.http import (
    COMMAND_ROUTE,
    TAG,
    IfMatch,
    load_for_review,
    problems,
    review_command,
    review_response,
    write_headers,
)
from services.review.iga import IGAReports, Issue, ReportRecord, Selection
from services.review.revision import check_items

if TYPE_CHECKING:
    from services.runtime import Runtime

log = logging.getLogger("sirisma.review")

Ids = Annotated[list[UUID], Meta(min_length=1, max_length=500)]

# ==== bodies ===================================================================================


class AssignRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``reviewer``: the reviewer's account id or username."""

    reviewer: RequiredCode


class BulkAssignRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Give ``reviewer`` to assign every item to one reviewer, or ``reviewers`` to share the items
    round-robin (a reviewer who cannot take an item is skipped for it, with the reason)."""

    innovation_ids: Ids
    reviewer: RequiredCode | None = None
    reviewers: Annotated[list[Code], Meta(max_length=LIST_MAX)] = []


class VerifyRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Accept the document, or reject it with a note (required when rejecting)."""

    accepted: bool
    note: Note = ""


class RevisionItemInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``key``: a field name (e.g. ``goals``, ``design.problem``), a document id or document kind
    (``sk``, ``sop``, …), or an indicator number."""

    kind: Literal["field", "document", "indicator"]
    key: RequiredCode
    note: Note = ""


class RevisionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Reason
    items: Annotated[list[RevisionItemInput], Meta(max_length=60)] = []


class ScoreInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    no: Annotated[int, Meta(ge=1, le=99)]
    level: Annotated[int, Meta(ge=0, le=3)]
    note: Note = ""


class ScoreRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    indicators: Annotated[list[ScoreInput], Meta(min_length=1, max_length=60)]


class RecommendRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    recommendation: Literal["approve", "reject"]
    note: Note = ""


class ApproveRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Note = ""


class RejectRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Reason


class EstablishRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sk_number: RequiredName
    sk_date: date


class AdvanceStageRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    to_stage: Stage
    on: date


class AdministrationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Seleksi administrasi of a Krenova entry; ``note`` is the reason when it fails."""

    passed: bool
    note: Note = ""


class CriterionInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    key: RequiredCode
    score: Annotated[int, Meta(ge=0, le=100)]
    note: Note = ""


class JudgeRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    scores: Annotated[list[CriterionInput], Meta(min_length=1, max_length=20)]


class ShortlistRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Name the entries, or give ``top`` to shortlist the best N judged entries."""

    innovation_ids: Annotated[list[UUID], Meta(max_length=500)] = []
    top: Annotated[int, Meta(ge=1, le=500)] | None = None
    note: Note = ""


class WinnersRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    winners: Annotated[list[krenova.Winner], Meta(min_length=1, max_length=50)]
    note: Note = ""


class IGASelectionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``expected_versions`` (optional): the version of each innovation the admin looked at."""

    year: Year
    innovation_ids: Annotated[list[UUID], Meta(min_length=1, max_length=IDS_MAX)]
    expected_versions: Annotated[
        dict[UUID, Annotated[int, Meta(ge=0, le=POSITION_MAX)]], Meta(max_length=IDS_MAX)
    ] = {}


# ==== responses ================================================================================


class StageView(msgspec.Struct, kw_only=True):
    id: UUID
    version: int
    status: str
    stage: Stage | None
    trial_date: date | None
    implementation_date: date | None
    notification_id: int | None = None


class BatchItem(msgspec.Struct, kw_only=True):
    id: UUID
    version: int
    status: str
    notification_id: int


class BatchResult(msgspec.Struct, kw_only=True):
    items: list[BatchItem]
    notification_id: int


class ReportFileView(msgspec.Struct, kw_only=True):
    name: str
    content_type: str
    sha256: str
    size: int
    url: str


class ReportItemView(msgspec.Struct, kw_only=True):
    position: int
    innovation_id: UUID
    version: int
    title: str
    organisation: str
    claimed_score: int
    verified_score: int
    warnings: list[Issue]


class IGAReportView(msgspec.Struct, kw_only=True):
    id: UUID
    year: int
    created_at: str  # ISO 8601 in Asia/Jakarta
    created_at_text: str
    created_by: UUID | None
    created_by_name: str
    count: int
    total_verified_score: int
    items: list[ReportItemView]
    warnings: int
    files: list[ReportFileView]
    evidence_url: str
    evidence_sha256: str  # fingerprint of the ZIP's manifest (content by hash, paths, times)
    notification_id: int


class IGAReportSummary(msgspec.Struct, kw_only=True):
    id: UUID
    year: int
    created_at: str
    created_by_name: str
    count: int
    url: str


# ==== helpers ==================================================================================


def _batch(outcomes: list[Outcome], runtime: Runtime) -> Response[BatchResult]:
    items = []
    for o in outcomes:
        innovation = runtime.store.load(Innovation, o.id, o.version)
        items.append(
            BatchItem(
                id=o.id,
                version=o.version,
                status=str(innovation.status),
                notification_id=o.notification_id,
            )
        )
    last = max(o.notification_id for o in outcomes)
    return Response(
        BatchResult(items=items, notification_id=last),
        headers={"X-Notification-Id": str(last)},
    )


def _iga(runtime: Runtime) -> IGAReports:
    return IGAReports.of(runtime)


# ==== assignment ===============================================================================


@post("/api/innovations/{id:uuid}/assign", summary="Tugaskan verifikator (admin)", **COMMAND_ROUTE)
def assign(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[AssignRequest],
    if_match_header: IfMatch = None,
) -> Response[views.ReviewView]:
    """Refused with the reason when the reviewer belongs to the submitting organisation."""

    c = review_command(request, id, Command.ASSIGN_REVIEWER)
    reviewer = assignment.resolve_reviewer(c.commands, data.reviewer)
    outcome = c.commands.assign_reviewer(
        c.ctx, id, reviewer.id, expected_version=c.expected_version, loaded=c.innovation
    )
    return review_response(c, outcome)


@post(
    "/api/review/assignments",
    tags=[TAG],
    summary="Penugasan massal (admin): satu verifikator atau bergiliran",
    status_code=200,
    sync_to_thread=True,
    responses=problems(400, 401, 403, 422),
)
def bulk_assign(
    request: Request[Any, Any, Any], data: JSONBody[BulkAssignRequest]
) -> Response[assignment.AssignmentReport]:
    """Each item is assigned on its own and reported with its outcome: assigned (to whom, at
    which version) or refused (why: conflict of interest, status, not found)."""
    principal = principal_of(request)
    ensure_role(principal, Role.ADMIN)
    runtime = runtime_of(request)
    if (data.reviewer is None) == (not data.reviewers):
        raise problem(
            422,
            "Isi 'reviewer' (satu verifikator) atau 'reviewers' (bergiliran), salah satu saja.",
            "invalid-value",
            field="reviewers",
        )
    refs = [data.reviewer] if data.reviewer is not None else data.reviewers
    reviewers = [assignment.resolve_reviewer(runtime.commands, ref) for ref in refs]
    report = assignment.assign_many(
        runtime.commands,
        command_context(request),
        data.innovation_ids,
        reviewers,
        round_robin=data.reviewer is None,
    )
    return Response(report, headers=write_headers(None, report.notification_id))


# ==== verification and revision ================================================================


@post(
    "/api/innovations/{id:uuid}/documents/{doc_id:uuid}/verify",
    summary="Verifikasi dokumen: terima, atau tolak dengan catatan",
    **COMMAND_ROUTE,
)
def verify_document(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    doc_id: FromPath[UUID],
    data: JSONBody[VerifyRequest],
    if_match_header: IfMatch = None,
) -> Response[views.ReviewView]:
    """Only accepted evidence counts towards an indicator's verified level."""
    c = review_command(request, id, Command.VERIFY_DOCUMENT)
    outcome = c.commands.verify_document(
        c.ctx,
        id,
        doc_id,
        accepted=data.accepted,
        note=data.note.strip(),
        expected_version=c.expected_version,
        loaded=c.innovation,
    )
    return review_response(c, outcome)


@post(
    "/api/innovations/{id:uuid}/request-revision",
    summary="Minta perbaikan: catatan dan butir yang harus diperbaiki",
    **COMMAND_ROUTE,
)
def request_revision(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[RevisionRequest],
    if_match_header: IfMatch = None,
) -> Response[views.ReviewView]:
    """Each item names a field, a document (id or kind) or an indicator of this innovation, so
    the operator sees exactly what to fix; any number of rounds."""

    c = review_command(request, id, Command.REQUEST_REVISION)
    items = [RevisionItem(kind=i.kind, key=i.key.strip(), note=i.note.strip()) for i in data.items]
    check_items(c.innovation, load_rubric(c.innovation.rubric_year), items)
    outcome = c.commands.request_revision(
        c.ctx,
        id,
        note=data.note,
        items=items,
        expected_version=c.expected_version,
        loaded=c.innovation,
    )
    return review_response(c, outcome)


# ==== scoring and decisions ====================================================================


@post(
    "/api/innovations/{id:uuid}/score",
    summary="Nilai indikator (level terverifikasi per indikator)",
    **COMMAND_ROUTE,
)
def score(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[ScoreRequest],
    if_match_header: IfMatch = None,
) -> Response[views.ReviewView]:
    """A second reviewer may score too: the view shows both totals and their difference."""

    c = review_command(request, id, Command.SCORE)
    verdicts = [IndicatorVerdict(no=i.no, level=i.level, note=i.note) for i in data.indicators]
    outcome = c.commands.score(
        c.ctx, id, verdicts, expected_version=c.expected_version, loaded=c.innovation
    )
    return review_response(c, outcome)


@post(
    "/api/innovations/{id:uuid}/recommend",
    summary="Rekomendasi verifikator: setujui atau tolak",
    **COMMAND_ROUTE,
)
def recommend(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[RecommendRequest],
    if_match_header: IfMatch = None,
) -> Response[views.ReviewView]:
    c = review_command(request, id, Command.RECOMMEND)
    outcome = c.commands.recommend(
        c.ctx,
        id,
        recommendation=data.recommendation,
        note=data.note.strip(),
        expected_version=c.expected_version,
        loaded=c.innovation,
    )
    return review_response(c, outcome)


@post(
    "/api/innovations/{id:uuid}/approve",
    summary="Setujui (admin), setelah dinilai",
    **COMMAND_ROUTE,
)
def approve(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[ApproveRequest | None] = None,
    if_match_header: IfMatch = None,
) -> Response[views.ReviewView]:
    c = review_command(request, id, Command.APPROVE)
    outcome = c.commands.approve(
        c.ctx,
        id,
        note=data.note.strip() if data else "",
        expected_version=c.expected_version,
        loaded=c.innovation,
    )
    return review_response(c, outcome)


@post("/api/innovations/{id:uuid}/reject", summary="Tolak (admin) dengan alasan", **COMMAND_ROUTE)
def reject(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[RejectRequest],
    if_match_header: IfMatch = None,
) -> Response[views.ReviewView]:
    c = review_command(request, id, Command.REJECT)
    outcome = c.commands.reject(
        c.ctx, id, data.reason, expected_version=c.expected_version, loaded=c.innovation
    )
    return review_response(c, outcome)


@post(
    "/api/innovations/{id:uuid}/establish",
    summary="Tetapkan dengan nomor dan tanggal SK (admin)",
    **COMMAND_ROUTE,
)
def establish(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[EstablishRequest],
    if_match_header: IfMatch = None,
) -> Response[views.ReviewView]:
    c = review_command(request, id, Command.ESTABLISH)
    outcome = c.commands.establish(
        c.ctx,
        id,
        sk_number=data.sk_number,
        sk_date=data.sk_date,
        expected_version=c.expected_version,
        loaded=c.innovation,
    )
    return review_response(c, outcome)


@post(
    "/api/innovations/{id:uuid}/publish",
    summary="Publikasikan ke katalog publik (admin)",
    **COMMAND_ROUTE,
)
def publish(
    request: Request[Any, Any, Any], id: FromPath[UUID], if_match_header: IfMatch = None
) -> Response[views.ReviewView]:
    c = review_command(request, id, Command.PUBLISH)
    outcome = c.commands.publish(
        c.ctx, id, expected_version=c.expected_version, loaded=c.innovation
    )
    return review_response(c, outcome)


@post(
    "/api/innovations/{id:uuid}/advance-stage",
    summary="Naikkan tahapan: inisiatif → uji coba → penerapan, dengan tanggal",
    **COMMAND_ROUTE,
)
def advance_stage(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[AdvanceStageRequest],
    if_match_header: IfMatch = None,
) -> Response[StageView]:
    """The date fills the trial or implementation date when it is still empty."""
    c = review_command(request, id, Command.ADVANCE_STAGE)
    outcome = c.commands.advance_stage(
        c.ctx,
        id,
        to_stage=data.to_stage,
        on=data.on,
        expected_version=c.expected_version,
        loaded=c.innovation,
    )
    return _stage_response(c.innovation, outcome)


def _stage_response(innovation: Innovation, outcome: Outcome) -> Response[StageView]:
    """The stage and its dates as the command left them (the aggregate it saved)."""
    profile = innovation.profile
    return Response(
        StageView(
            id=innovation.id,
            version=innovation.version,
            status=str(innovation.status),
            stage=profile.stage,
            trial_date=profile.trial_date,
            implementation_date=profile.implementation_date,
            notification_id=outcome.notification_id,
        ),
        headers=write_headers(outcome.version, outcome.notification_id),
    )


@get(
    "/api/innovations/{id:uuid}/review",
    tags=[TAG],
    summary="Tampilan penilaian: klaim vs terverifikasi, nilai tiap verifikator, selisihnya",
    sync_to_thread=True,
    responses=problems(401, 403, 404),
)
def review_view(request: Request[Any, Any, Any], id: FromPath[UUID]) -> Response[views.ReviewView]:
    """Always current (read from the log). ``exceeds_margin`` flags two reviewers whose totals
    differ by more than ``SIRISMA_SCORE_MARGIN``."""
    runtime = runtime_of(request)
    principal = principal_of(request)
    innovation = load_for_review(runtime, principal, id)
    etag = f'"{innovation.version}"'
    if request.headers.get("if-none-match", "").strip().removeprefix("W/") == etag:
        return Response(None, status_code=304, headers={"ETag": etag})  # type: ignore[arg-type]
    view = views.build(runtime.store, innovation, principal, runtime.settings.score_margin)
    return Response(view, headers={"ETag": etag})


# ==== Krenova judging ==========================================================================


@post(
    "/api/innovations/{id:uuid}/administration",
    summary="Seleksi administrasi Krenova: lulus, atau gugur dengan alasan",
    **COMMAND_ROUTE,
)
def administration(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[AdministrationRequest],
    if_match_header: IfMatch = None,
) -> Response[views.ReviewView]:
    command = Command.PASS_ADMINISTRATION if data.passed else Command.FAIL_ADMINISTRATION
    c = review_command(request, id, command)
    if data.passed:
        outcome = c.commands.pass_administration(
            c.ctx, id, data.note.strip(), expected_version=c.expected_version, loaded=c.innovation
        )
    else:
        outcome = c.commands.fail_administration(
            c.ctx, id, data.note, expected_version=c.expected_version, loaded=c.innovation
        )
    return review_response(c, outcome)


@post(
    "/api/innovations/{id:uuid}/judge",
    summary="Nilai juri Krenova per kriteria (0–100)",
    **COMMAND_ROUTE,
)
def judge(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    data: JSONBody[JudgeRequest],
    if_match_header: IfMatch = None,
) -> Response[views.ReviewView]:
    """Every criterion of the year's Krenova rubric, once; the total is weighted (0–100)."""

    c = review_command(request, id, Command.JUDGE)
    scores = [CriterionScore(key=s.key, score=s.score, note=s.note) for s in data.scores]
    outcome = c.commands.judge(
        c.ctx, id, scores, expected_version=c.expected_version, loaded=c.innovation
    )
    return review_response(c, outcome)


@get(
    "/api/krenova/calls/{call_id:uuid}/ranking",
    tags=[TAG],
    summary="Peringkat Krenova: rata-rata nilai juri",
    sync_to_thread=True,
    responses=problems(401, 403, 404, 422),
)
def krenova_ranking(request: Request[Any, Any, Any], call_id: FromPath[UUID]) -> krenova.Ranking:
    ensure_role(principal_of(request), Role.ADMIN, Role.REVIEWER, Role.AUDITOR)
    return krenova.ranking(runtime_of(request).commands, call_id)


@post(
    "/api/krenova/calls/{call_id:uuid}/shortlist",
    summary="Nominasi Krenova (admin)",
    **COMMAND_ROUTE,
)
def krenova_shortlist(
    request: Request[Any, Any, Any], call_id: FromPath[UUID], data: JSONBody[ShortlistRequest]
) -> Response[BatchResult]:
    """All named entries are shortlisted together, or none (the answer lists why per entry)."""
    ensure_role(principal_of(request), Role.ADMIN)
    runtime = runtime_of(request)
    krenova.krenova_call(runtime.commands, call_id)
    outcomes = krenova.shortlist(
        runtime.commands,
        command_context(request),
        call_id,
        innovation_ids=data.innovation_ids,
        top=data.top,
        note=data.note.strip(),
    )
    return _batch(outcomes, runtime)


@post(
    "/api/krenova/calls/{call_id:uuid}/winners",
    summary="Tetapkan pemenang Krenova: juara dan harapan (admin)",
    **COMMAND_ROUTE,
)
def krenova_winners(
    request: Request[Any, Any, Any], call_id: FromPath[UUID], data: JSONBody[WinnersRequest]
) -> Response[BatchResult]:
    """One atomic decision; a place (juara 1, harapan 2, …) is given once per call."""
    ensure_role(principal_of(request), Role.ADMIN)
    runtime = runtime_of(request)
    outcomes = krenova.award(
        runtime.commands,
        command_context(request),
        call_id,
        data.winners,
        note=data.note.strip(),
    )
    return _batch(outcomes, runtime)


# ==== IGA reports ==============================================================================


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
    assign,
    bulk_assign,
    verify_document,
    request_revision,
    score,
    recommend,
    approve,
    reject,
    establish,
    publish,
    advance_stage,
    review_view,
    administration,
    judge,
    krenova_ranking,
    krenova_shortlist,
    krenova_winners,
    iga_preview,
    iga_create,
    iga_list,
    iga_get,
    iga_xlsx,
    iga_csv,
    iga_evidence,
]
