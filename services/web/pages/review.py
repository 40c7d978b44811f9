"""Pages for reviewers and admins: the work queue, the review page, and the decisions.

The review page puts the documents beside the scorecard (claimed vs verified per indicator), so a
reviewer checks evidence and scores in one place. Buttons and forms appear only where the
lifecycle table and the policy allow them for this caller; the command itself still decides.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery

from services.domain.actor import Role
from services.domain.errors import DomainError, InvalidValue, NotAllowed
from services.domain.innovation import FIELD_LABELS, Innovation
from services.domain.lifecycle import Command, Status
from services.domain.ministry import VERDICT_LABELS, MinistryVerdict
from services.domain.rubric import DOCUMENT_KIND_LABELS
from services.domain.values import CriterionScore, IndicatorVerdict, RevisionItem, Stage
from services.eventstore.store import ConcurrencyConflict
from services.http import limits
from services.http.context import principal_of, runtime_of
from services.identity import policy
from services.web.pages import queries
from services.web.pages.as_of import moment as as_of_moment
from services.web.pages.as_of import page_as_of
from services.web.pages.common import (
    Names,
    allowed,
    call_of,
    conflict_page,
    guard,
    load_record,
    load_visible,
    parse_uuid,
    rubric_of,
    run_command,
    settle,
    version_of,
)
from services.web.pages.rendering import redirect, render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

STAFF = (Role.REVIEWER, Role.ADMIN)
QUEUE_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.RESUBMITTED, Status.SCORED)
# Page sort key → (label, read-model sort, descending).
SORTS: dict[str, tuple[str, str, bool]] = {
    "umur": ("Paling lama menunggu", "age", False),
    "nilai": ("Nilai klaim tertinggi", "score", True),
    "kelengkapan": ("Kelengkapan terendah", "completeness", False),
    "organisasi": ("Organisasi (A–Z)", "organisation", False),
}
SLA_LABELS = {"ok": "Dalam batas", "due": "Jatuh tempo hari ini", "breached": "Lewat batas"}


def _listify(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _first(value: Any, default: str = "") -> str:
    items = _listify(value)
    return items[-1].strip() if items else default


def _uuid_or_none(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# the queue


@get("/verifikasi", sync_to_thread=True, name="page:queue")
def queue(
    request: Request[Any, Any, Any],
    status: FromQuery[str | None] = None,
    organisasi: FromQuery[str | None] = None,
    petugas: FromQuery[str | None] = None,
    sla: FromQuery[str | None] = None,
    jenis: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
    urut: FromQuery[str | None] = None,
    per: FromQuery[str | None] = None,
) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, *STAFF, Role.AUDITOR)  # auditors read it (no assigning)
    runtime, as_of = page_as_of(request, per)
    order = urut if urut in SORTS else "umur"
    _, sort, descending = SORTS[order]
    statuses = [str(s) for s in QUEUE_STATUSES]
    result = queries.review_queue(
        runtime,
        principal,
        status=[status] if status in statuses else [],
        organisation=_uuid_or_none(organisasi),
        reviewer={"saya": "me", "belum": "none"}.get(petugas or ""),
        sla=sla if sla in SLA_LABELS else None,
        kind=jenis if jenis in ("annual", "krenova") else None,
        sort=sort,
        descending=descending,
        now=as_of_moment(as_of),
    )
    rows = result.items
    if q:
        needle = q.strip().lower()
        rows = [r for r in rows if needle in f"{r.title} {r.organisation_name or ''}".lower()]
    filters = {
        "status": status or "",
        "organisasi": organisasi or "",
        "petugas": petugas or "",
        "sla": sla or "",
        "jenis": jenis or "",
        "q": q or "",
        "urut": order,
    }
    context: dict[str, Any] = {
        "rows": rows,
        "queue": result,
        "filters": filters,
        "sorts": {k: v[0] for k, v in SORTS.items()},
        "sla_labels": SLA_LABELS,
        "statuses": statuses,
        "organisations": [(str(o.id), o.name) for o in queries.rm.organisations(runtime.db)],
        "reviewer_accounts": queries.reviewers(runtime) if principal.role == Role.ADMIN else [],
        "as_of": as_of,
    }
    hx = request.headers.get("hx-request") == "true"
    return render(request, "review/_queue_table.html" if hx else "review/queue.html", **context)


@post("/verifikasi/tugaskan", sync_to_thread=True, name="page:assign-bulk", status_code=303)
def assign_bulk(request: Request[Any, Any, Any], data: Form) -> Any:
    """Admin: several innovations to one reviewer, or round-robin across the chosen reviewers."""
    from services.review.assignment import assign_many, resolve_reviewer

    principal = principal_of(request)
    policy.ensure_role(principal, Role.ADMIN)
    runtime = runtime_of(request)
    ids = [parse_uuid(v) for v in _listify(data.get("innovation"))]
    refs = [v for v in _listify(data.get("reviewer")) if v]
    round_robin = _first(data.get("mode")) == "bergilir"
    try:
        accounts = [resolve_reviewer(runtime.commands, ref) for ref in refs]
        report = run_command(
            request,
            lambda ctx: assign_many(runtime.commands, ctx, ids, accounts, round_robin=round_robin),
        )
    except DomainError as exc:
        return render(
            request,
            "review/assign_result.html",
            status_code=exc.status,
            error=exc.message,
            report=None,
            names=Names(runtime),
        )
    settle(runtime, report.notification_id)
    return render(
        request, "review/assign_result.html", error="", report=report, names=Names(runtime)
    )


# ---------------------------------------------------------------------------------------------
# the review page


def review_context(
    request: Request[Any, Any, Any], innovation: Innovation, error: str = ""
) -> dict[str, Any]:
    from services.review.views import build

    runtime = runtime_of(request)
    principal = principal_of(request)
    view = build(runtime.store, innovation, principal, runtime.settings.score_margin)
    rubric = rubric_of(innovation)
    names = Names(runtime)
    call = call_of(runtime, innovation)
    my_levels = {}
    if principal.account_id in innovation.scores:
        my_levels = {no: v.level for no, v in innovation.scores[principal.account_id].items()}
    missing = innovation.completeness(rubric, call).missing
    return {
        "innovation": innovation,
        "view": view,
        "rubric": rubric,
        "call": call,
        "organisation": names.org_name(innovation.organisation_id),
        "names": names,
        "can": allowed(principal, innovation),
        "my_levels": my_levels,
        "is_krenova": str(innovation.call_kind) == "krenova",
        "assigned": principal.account_id in innovation.reviewers,
        "reviewer_accounts": queries.reviewers(runtime) if principal.role == Role.ADMIN else [],
        "field_labels": FIELD_LABELS,
        "kind_labels": DOCUMENT_KIND_LABELS,
        "missing": missing,
        "error": error,
        "today": date.today().isoformat(),
        "stages": [(str(s), s) for s in Stage],
        "criteria": rubric.krenova_criteria,
        "verdict_labels": VERDICT_LABELS,
    }


@get("/verifikasi/{innovation_id:str}", sync_to_thread=True, name="page:review")
def review_page(request: Request[Any, Any, Any], innovation_id: FromPath[str]) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, Role.REVIEWER, Role.ADMIN, Role.AUDITOR)
    innovation = load_record(request, parse_uuid(innovation_id))  # 403 if conflicted
    return render(request, "review/review.html", **review_context(request, innovation))


def _command_post(
    request: Request[Any, Any, Any],
    innovation_id: FromPath[str],
    command: Command,
    data: dict[str, Any],
    action: Any,
    notice: str,
) -> Any:
    """Policy first, then the command with the form's version; errors shown on the page."""
    runtime = runtime_of(request)
    innovation = load_visible(request, parse_uuid(innovation_id))
    guard(request, command, innovation)
    expected = version_of(data)
    back = f"/verifikasi/{innovation.id}"
    try:
        outcome = run_command(request, lambda ctx: action(ctx, innovation, expected))
    except ConcurrencyConflict as exc:
        return conflict_page(request, innovation.id, exc, back)
    except DomainError as exc:
        context = review_context(request, innovation, exc.message)
        return render(request, "review/review.html", status_code=exc.status, **context)
    settle(runtime, outcome)
    return redirect(back, notice)


@post(
    "/verifikasi/{innovation_id:str}/dokumen/{doc_id:str}",
    sync_to_thread=True,
    name="page:verify-document",
    status_code=303,
)
def verify_document(
    request: Request[Any, Any, Any], innovation_id: FromPath[str], doc_id: FromPath[str], data: Form
) -> Any:
    runtime = runtime_of(request)
    accepted = _first(data.get("verdict")) == "terima"
    note = _first(data.get("note"))[:2000]
    document_id = parse_uuid(doc_id)
    return _command_post(
        request,
        innovation_id,
        Command.VERIFY_DOCUMENT,
        data,
        lambda ctx, i, v: runtime.commands.verify_document(
            ctx, i.id, document_id, accepted=accepted, note=note, expected_version=v
        ),
        "diverifikasi",
    )


@post(
    "/verifikasi/{innovation_id:str}/perbaikan",
    sync_to_thread=True,
    name="page:request-revision",
    status_code=303,
)
def request_revision(
    request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form
) -> Any:
    from services.review.revision import check_items

    runtime = runtime_of(request)
    note = _first(data.get("note"))[:4000]
    items: list[RevisionItem] = []
    for raw in _listify(data.get("item")):
        kind, _, key = raw.partition(":")
        item_note = _first(data.get(f"item-note-{raw}"))[:1000]
        items.append(RevisionItem(kind=kind, key=key, note=item_note))

    def action(ctx: Any, innovation: Innovation, version: int | None) -> Any:
        check_items(innovation, rubric_of(innovation), items)
        return runtime.commands.request_revision(
            ctx, innovation.id, note=note, items=items, expected_version=version
        )

    return _command_post(
        request, innovation_id, Command.REQUEST_REVISION, data, action, "perbaikan"
    )


@post(
    "/verifikasi/{innovation_id:str}/nilai",
    sync_to_thread=True,
    name="page:score",
    status_code=303,
)
def score(request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form) -> Any:
    runtime = runtime_of(request)

    def action(ctx: Any, innovation: Innovation, version: int | None) -> Any:
        verdicts = []
        for ind in rubric_of(innovation).indicators:
            raw = _first(data.get(f"level-{ind.no}"))
            if raw == "":
                continue
            try:
                level = int(raw)
            except ValueError:
                raise InvalidValue("level", f"Level indikator {ind.no} tidak valid.") from None
            note = _first(data.get(f"note-{ind.no}"))[:2000]
            verdicts.append(IndicatorVerdict(no=ind.no, level=level, note=note))
        return runtime.commands.score(ctx, innovation.id, verdicts, expected_version=version)

    return _command_post(request, innovation_id, Command.SCORE, data, action, "dinilai")


@post(
    "/verifikasi/{innovation_id:str}/penjurian",
    sync_to_thread=True,
    name="page:judge",
    status_code=303,
)
def judge(request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form) -> Any:
    """Krenova: one judge's scores (0–100) on every criterion of the year's Krenova rubric."""
    runtime = runtime_of(request)

    def action(ctx: Any, innovation: Innovation, version: int | None) -> Any:
        scores = []
        for criterion in rubric_of(innovation).krenova_criteria:
            raw = _first(data.get(f"criterion-{criterion.key}"))
            try:
                value = int(raw)
            except ValueError:
                raise InvalidValue(
                    "scores", f"Nilai '{criterion.label}' harus angka 0–100."
                ) from None
            scores.append(CriterionScore(key=criterion.key, score=value))
        return runtime.commands.judge(ctx, innovation.id, scores, expected_version=version)

    return _command_post(request, innovation_id, Command.JUDGE, data, action, "dinilai")


DECISIONS = {
    "approve": Command.APPROVE,
    "reject": Command.REJECT,
    "establish": Command.ESTABLISH,
    "publish": Command.PUBLISH,
    "recommend": Command.RECOMMEND,
    "select_for_iga": Command.SELECT_FOR_IGA,
    "assign_reviewer": Command.ASSIGN_REVIEWER,
    "advance_stage": Command.ADVANCE_STAGE,
    "pass_administration": Command.PASS_ADMINISTRATION,
    "fail_administration": Command.FAIL_ADMINISTRATION,
    "record_ministry_verdict": Command.RECORD_MINISTRY_VERDICT,
}


@post(
    "/verifikasi/{innovation_id:str}/keputusan",
    sync_to_thread=True,
    name="page:decide",
    status_code=303,
)
def decide(request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form) -> Any:
    runtime = runtime_of(request)
    c = runtime.commands
    name = _first(data.get("action"))
    command = DECISIONS.get(name)
    if command is None:
        raise NotAllowed("Keputusan tidak dikenal.")
    note = _first(data.get("note"))[:4000]

    def action(ctx: Any, innovation: Innovation, version: int | None) -> Any:
        iid = innovation.id
        if command == Command.APPROVE:
            return c.approve(ctx, iid, note, expected_version=version)
        if command == Command.REJECT:
            return c.reject(ctx, iid, note, expected_version=version)
        if command == Command.PUBLISH:
            return c.publish(ctx, iid, expected_version=version)
        if command == Command.RECOMMEND:
            return c.recommend(
                ctx,
                iid,
                recommendation=_first(data.get("recommendation")),
                note=note,
                expected_version=version,
            )
        if command == Command.ESTABLISH:
            return c.establish(
                ctx,
                iid,
                sk_number=_first(data.get("sk_number")),
                sk_date=_date(_first(data.get("sk_date")), "sk_date"),
                expected_version=version,
            )
        if command == Command.SELECT_FOR_IGA:
            year = _first(data.get("year")) or str(innovation.budget_year)
            iga_year = limits.page_int(year, limits.YEAR_MIN, limits.YEAR_MAX)
            if iga_year is None:
                raise InvalidValue("year", "Tahun IGA tidak valid.")
            return c.select_for_iga(ctx, iid, iga_year, expected_version=version)
        if command == Command.ASSIGN_REVIEWER:
            return c.assign_reviewer(
                ctx, iid, parse_uuid(_first(data.get("reviewer"))), expected_version=version
            )
        if command == Command.ADVANCE_STAGE:
            stage = _first(data.get("stage"))
            if stage not in {str(s) for s in Stage}:
                raise InvalidValue("stage", "Pilih tahapan.")
            return c.advance_stage(
                ctx,
                iid,
                to_stage=Stage(stage),
                on=_date(_first(data.get("on")), "on"),
                expected_version=version,
            )
        if command == Command.RECORD_MINISTRY_VERDICT:
            verdict = _first(data.get("verdict"))
            if verdict not in {str(v) for v in MinistryVerdict}:
                raise InvalidValue("verdict", "Pilih keputusan Kemendagri.")
            decided = _first(data.get("decided_on"))
            return c.record_ministry_verdict(
                ctx,
                iid,
                year=innovation.iga_year or innovation.budget_year,
                verdict=MinistryVerdict(verdict),
                reason=_first(data.get("reason"))[:4000],
                note=note,
                decided_on=_date(decided, "decided_on") if decided else None,
                expected_version=version,
            )
        if command == Command.PASS_ADMINISTRATION:
            return c.pass_administration(ctx, iid, note, expected_version=version)
        return c.fail_administration(ctx, iid, note, expected_version=version)

    notice = "ditugaskan" if command == Command.ASSIGN_REVIEWER else "diputuskan"
    return _command_post(request, innovation_id, command, data, action, notice)


def _date(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidValue(field, "Tanggal tidak valid.") from None


route_handlers: list[Any] = [
    queue,
    assign_bulk,
    review_page,
    verify_document,
    request_revision,
    score,
    judge,
    decide,
]
