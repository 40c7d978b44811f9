"""HTTP routes of the review context: assignment, verification, revision, scoring, decisions and
Krenova judging. The IGA report's routes are in ``iga_routes``; bodies and answers in ``schemas``.

Every route checks the caller with ``services.identity.policy`` before doing any work, then
gives one command to ``Commands``; a refusal records nothing. Command routes answer with the
review view at the version the command produced (``ETag``, ``X-Notification-Id``). The review
queue is a read model and lives with the projections.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.params import FromPath, JSONBody

from services.commands import Outcome
from services.domain.actor import Role
from services.domain.innovation import Innovation
from services.domain.lifecycle import Command
from services.domain.rubric import load_rubric
from services.domain.values import CriterionScore, IndicatorVerdict, RevisionItem
from services.http.context import command_context, principal_of, runtime_of
from services.http.problems import problem
from services.identity.policy import ensure_role
from services.review import assignment, iga_routes, krenova, views
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
from services.review.revision import check_items
from services.review.schemas import (
    AdministrationRequest,
    AdvanceStageRequest,
    ApproveRequest,
    AssignRequest,
    BatchItem,
    BatchResult,
    BulkAssignRequest,
    EstablishRequest,
    JudgeRequest,
    RecommendRequest,
    RejectRequest,
    RevisionRequest,
    ScoreRequest,
    ShortlistRequest,
    StageView,
    VerifyRequest,
    WinnersRequest,
)

if TYPE_CHECKING:
    from services.runtime import Runtime

log = logging.getLogger("sirisma.review")

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
    *iga_routes.route_handlers,
]
