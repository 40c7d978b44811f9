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
from services.domain.call import jakarta_today
from services.domain.errors import DomainError, InvalidValue, NotAllowed
from services.domain.innovation import FIELD_LABELS, Innovation
from services.domain.lifecycle import IN_REVIEW, Command
from services.domain.ministry import VERDICT_LABELS, MinistryVerdict
from services.domain.rubric import DOCUMENT_KIND_LABELS
from services.domain.values import (
    STAGE_ORDER,
    CriterionScore,
    IndicatorVerdict,
    RevisionItem,
    Stage,
)
from services.eventstore.store import ConcurrencyConflict, NotFound
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
QUEUE_STATUSES = IN_REVIEW
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


QUEUE_PAGE_SIZE = 50


def queue_filters(
    status: str | None,
    organisasi: str | None,
    petugas: str | None,
    sla: str | None,
    jenis: str | None,
    q: str | None,
    urut: str | None,
) -> dict[str, str]:
    """The queue's filters from the query string, the unknown ones dropped (page and export)."""
    return {
        "status": status if status in {str(s) for s in QUEUE_STATUSES} else "",
        "organisasi": organisasi if organisasi and _uuid_or_none(organisasi) else "",
        # "semua" is an explicit choice (kept in paging links), so a reviewer's default to
        # their own items applies only when the query says nothing.
        "petugas": petugas if petugas in ("saya", "belum", "semua") else "",
        "sla": sla if sla in SLA_LABELS else "",
        "jenis": jenis if jenis in ("annual", "krenova") else "",
        "q": (q or "").strip()[: limits.QUERY_TEXT_MAX],
        "urut": urut if urut in SORTS else "umur",
    }


def queue_result(
    runtime: Any,
    principal: Any,
    filters: dict[str, str],
    moment: Any,
    *,
    limit: int,
    offset: int = 0,
) -> Any:
    """One page of the queue in its stable order (the sort key, then the id), filtered in SQL."""
    _, sort, descending = SORTS[filters["urut"]]
    return queries.review_queue(
        runtime,
        principal,
        status=[filters["status"]] if filters["status"] else [],
        organisation=_uuid_or_none(filters["organisasi"]),
        reviewer={"saya": "me", "belum": "none"}.get(filters["petugas"]),
        sla=filters["sla"] or None,
        kind=filters["jenis"] or None,
        q=filters["q"] or None,
        sort=sort,
        descending=descending,
        now=moment,
        limit=limit,
        offset=offset,
    )


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
    halaman: FromQuery[str | None] = None,
) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, *STAFF, Role.AUDITOR)  # auditors read it (no assigning)
    runtime, as_of = page_as_of(request, per)
    if petugas is None and principal.role == Role.REVIEWER:
        petugas = "saya"  # a reviewer's queue opens on their own work; "Semua" shows the rest
    filters = queue_filters(status, organisasi, petugas, sla, jenis, q, urut)
    page_no = limits.page_int(halaman, 1, limits.PAGE_MAX) or 1
    result = queue_result(
        runtime,
        principal,
        filters,
        as_of_moment(as_of),
        limit=QUEUE_PAGE_SIZE,
        offset=(page_no - 1) * QUEUE_PAGE_SIZE,
    )
    statuses = [str(s) for s in QUEUE_STATUSES]
    context: dict[str, Any] = {
        "rows": result.items,
        "queue": result,
        "page_no": page_no,
        "pages": max(1, -(-result.total // QUEUE_PAGE_SIZE)),
        "filters": filters,
        "sorts": {k: v[0] for k, v in SORTS.items()},
        "sla_labels": SLA_LABELS,
        "statuses": statuses,
        "organisations": [
            (str(o.id), o.name) for o in queries.rm.directory.organisations(runtime.db)
        ],
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
            titles={},
        )
    settle(runtime, report.notification_id)
    return render(
        request,
        "review/assign_result.html",
        error="",
        report=report,
        names=Names(runtime),
        titles=_titles(runtime, [r.innovation_id for r in report.results]),
    )


def _titles(runtime: Any, ids: list[UUID]) -> dict[str, str]:
    """Titles to show for innovation ids (an id that no longer loads keeps a short id)."""
    titles = {}
    for iid in ids:
        try:
            titles[str(iid)] = runtime.commands.innovation(iid).profile.title or "(tanpa nama)"
        except NotFound:
            titles[str(iid)] = f"inovasi {str(iid)[:8]}…"
    return titles


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
    threshold = call.threshold if call else 0
    from services.care_evidence import care_offers  # bimtek sessions and monev reports

    return {
        "care": care_offers(runtime, innovation, jakarta_today()),
        "decision_basis": decision_basis(innovation, view, names),
        "below_threshold": view.scores.verified_total < threshold,
        "next_stage": next_stage(innovation),
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
        "last_document": "",
        "today": jakarta_today().isoformat(),
        "stages": [(str(s), s) for s in later_stages(innovation)],
        "criteria": rubric.krenova_criteria,
        "verdict_labels": VERDICT_LABELS,
    }


RECOMMENDATION_LABELS = {"approve": "Layak disetujui", "reject": "Tidak layak"}


def decision_basis(innovation: Innovation, view: Any, names: Names) -> list[dict[str, Any]]:
    """Each assigned reviewer's total and recommendation, what the admin decides on."""
    rows = []
    for r in view.scores.reviewer_totals:
        recommendation, note = innovation.recommendations.get(r.reviewer_id, ("", ""))
        rows.append(
            {
                "name": names.person(r.reviewer_id),
                "total": r.total if r.scored else None,
                "recommendation": RECOMMENDATION_LABELS.get(recommendation, ""),
                "note": note,
            }
        )
    return rows


def next_stage(innovation: Innovation) -> str:
    """The stage after the current one (what "Naikkan tahapan" proposes), or ''."""
    later = later_stages(innovation)
    return str(later[0]) if later else ""


def later_stages(innovation: Innovation) -> list[Stage]:
    """The stages an innovation may still advance to (the domain refuses going back)."""
    current = innovation.profile.stage
    return list(STAGE_ORDER[STAGE_ORDER.index(current) + 1 :] if current else STAGE_ORDER)


@get("/verifikasi/{innovation_id:str}", sync_to_thread=True, name="page:review")
def review_page(
    request: Request[Any, Any, Any],
    innovation_id: FromPath[str],
    terakhir: FromQuery[str | None] = None,
) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, Role.REVIEWER, Role.ADMIN, Role.AUDITOR, Role.PIMPINAN)
    innovation = load_record(request, parse_uuid(innovation_id))  # 403 if conflicted
    context = review_context(request, innovation)
    # The document whose verdict was just saved: the page says so beside it.
    last = _uuid_or_none(terakhir)
    context["last_document"] = str(last) if last else ""
    return render(request, "review/review.html", **context)


def _command_post(
    request: Request[Any, Any, Any],
    innovation_id: FromPath[str],
    command: Command,
    data: dict[str, Any],
    action: Any,
    notice: str,
    anchor: str = "",
) -> Any:
    """Policy first, then the command with the form's version; errors shown on the page. On
    success the page comes back at ``anchor`` (a query and/or fragment), where the person was."""
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
    return redirect(back + anchor, notice)


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
        f"?terakhir={document_id}#dokumen-{document_id}",
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

    return _command_post(
        request, innovation_id, Command.SCORE, data, action, "dinilai", "#bagian-nilai"
    )


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
