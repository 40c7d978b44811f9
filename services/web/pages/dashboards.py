"""Regency-level pages: compliance (Perbup 87/2021 art. 38), the dashboard with charts, and the
IGA report builder.

Compliance answers "which organisations have no innovation this budget year, and how long is
left"; the dashboard shows innovations by status, stage and organisation, the maturity
distribution and the regency index as the ministry computes it, with the report planner and
another year's rules as a what-if (``services.domain.regency_index``).
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery

from projections.regency import resolve_rules
from services.domain.actor import Role
from services.domain.call import jakarta_today
from services.domain.errors import DomainError, InvalidValue
from services.domain.index_rules import available_years as index_years
from services.domain.lifecycle import STATUS_LABELS, Status
from services.domain.ministry import VERDICT_LABELS
from services.domain.values import STAGE_LABELS
from services.http import limits
from services.http.context import principal_of, runtime_of
from services.identity import policy
from services.iga import verdicts
from services.web import charts
from services.web.pages import queries
from services.web.pages.as_of import moment as as_of_moment
from services.web.pages.as_of import page_as_of
from services.web.pages.common import now, parse_uuid, run_command, settle
from services.web.pages.rendering import render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

DASHBOARD_ROLES = (Role.ADMIN, Role.REVIEWER, Role.AUDITOR, Role.PIMPINAN)
COMPLIANCE_ROLES = (Role.ADMIN, Role.AUDITOR, Role.PIMPINAN)
# An innovation counts for the year's obligation once it exists and is not withdrawn.
NOT_COUNTED = frozenset({Status.WITHDRAWN})


def _year(raw: str | None, default: int) -> int:
    if (year := limits.page_int(raw, limits.YEAR_MIN, limits.YEAR_MAX)) is not None:
        return year
    return default


COMPLIANCE_PAGE_SIZE = 25
COMPLIANCE_ORDER = {"none": 0, "draft_only": 1, "compliant": 2}


def compliance_rows(
    request: Request[Any, Any, Any],
    tahun: str | None,
    keadaan: str | None,
    per: str | None,
) -> tuple[int, Any, list[Any], str, Any]:
    """(year, report, rows, state, as_of) for the page and its export: rows filtered by state
    and in one stable order (nothing submitted first, then by name and code)."""
    policy.ensure_role(principal_of(request), *COMPLIANCE_ROLES)
    runtime, as_of = page_as_of(request, per)
    moment = now()
    year = _year(tahun, as_of.day.year if as_of and as_of.day else moment.year)
    report = queries.compliance(runtime, year, now=as_of_moment(as_of))
    state = keadaan if keadaan in COMPLIANCE_ORDER else ""
    rows = [r for r in report.rows if not state or r.state == state]
    rows.sort(key=lambda r: (COMPLIANCE_ORDER.get(r.state, 3), r.name, r.code))
    return year, report, rows, state, as_of


@get("/kepatuhan", sync_to_thread=True, name="page:compliance")
def compliance(
    request: Request[Any, Any, Any],
    tahun: FromQuery[str | None] = None,
    keadaan: FromQuery[str | None] = None,
    per: FromQuery[str | None] = None,
    halaman: FromQuery[str | None] = None,
) -> Any:
    year, report, rows, state, as_of = compliance_rows(request, tahun, keadaan, per)
    pages = max(1, -(-len(rows) // COMPLIANCE_PAGE_SIZE))
    page_no = min(limits.page_int(halaman, 1, limits.PAGE_MAX) or 1, pages)
    start = (page_no - 1) * COMPLIANCE_PAGE_SIZE
    moment = now()
    return render(
        request,
        "dashboards/compliance.html",
        year=year,
        report=report,
        rows=rows[start : start + COMPLIANCE_PAGE_SIZE],
        matching=len(rows),
        page_no=page_no,
        pages=pages,
        filters={"tahun": str(year), "keadaan": state, "per": per or ""},
        state=state,
        years=list(range(moment.year, moment.year - 4, -1)),
        as_of=as_of,
        can_remind=principal_of(request).role == Role.ADMIN and not (as_of and as_of.day),
    )


@post("/kepatuhan/pengingat", sync_to_thread=True, name="page:compliance-remind", status_code=200)
def compliance_remind(request: Request[Any, Any, Any], data: Form) -> Any:
    """The admin's bulk reminder to every organisation with nothing submitted in the year."""
    from services.notification.reminders import remind_unsubmitted

    policy.ensure_role(principal_of(request), Role.ADMIN)
    year = _year(str(data.get("tahun", "")), now().year)
    note = str(data.get("catatan", "")).strip()
    if len(note) > limits.NOTE_MAX:
        raise InvalidValue("catatan", f"Catatan {limits.limits_text(limits.NOTE_MAX)}.")
    sent = remind_unsubmitted(runtime_of(request), year, note=note)
    return render(request, "dashboards/reminded.html", year=year, sent=sent, note=note)


def _spd(raw: str | None, maximum: float) -> tuple[float | None, str]:
    """The optional what-if SPD total; empty means "use the SPD sheet"."""
    if raw is None or raw.strip() == "":
        return None, ""
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = -1
    if not 0 <= value <= maximum:
        return None, f"Nilai SPD harus angka 0–{maximum:g}."
    return value, ""


def _rubric(raw: str | None) -> int | None:
    """The what-if rules year from the selector; unknown years fall back to the year's own."""
    if raw and raw.isdigit() and int(raw) in index_years():
        return int(raw)
    return None


@get("/dasbor-daerah", sync_to_thread=True, name="page:regency")
def regency(
    request: Request[Any, Any, Any],
    tahun: FromQuery[str | None] = None,
    spd: FromQuery[str | None] = None,
    rubrik: FromQuery[str | None] = None,
    per: FromQuery[str | None] = None,
) -> Any:
    policy.ensure_role(principal_of(request), *DASHBOARD_ROLES)
    runtime, as_of = page_as_of(request, per)
    moment = now()
    year = _year(tahun, as_of.day.year if as_of and as_of.day else moment.year)
    what_if = _rubric(rubrik)
    rules = resolve_rules(year, what_if)
    spd_value, spd_error = _spd(spd, rules.spd_max)
    board = queries.index_dashboard(runtime, year, spd_value, what_if)
    plan = queries.index_plan(runtime, year, spd_value, what_if)
    bands = [(b.name, b.min, b.max) for b in rules.bands if b.min > 0]
    stage_labels = {**{str(k): v for k, v in STAGE_LABELS.items()}, "belum_diisi": "Belum diisi"}
    total = sum(board.by_status.values())
    charts_ = {
        "status": charts.bar_chart(
            [(STATUS_LABELS.get(s, s), n) for s, n in Counter(board.by_status).most_common()],
            title=f"Inovasi per status, tahun {year}",
            chart_id="c-status",
        ),
        "stage": charts.bar_chart(
            [(stage_labels.get(s, s), n) for s, n in Counter(board.by_stage).most_common()],
            title=f"Inovasi per tahapan, tahun {year}",
            chart_id="c-stage",
        ),
        "organisation": charts.bar_chart(
            [
                (o.organisation_name or "—", o.innovations)
                for o in sorted(board.organisations, key=lambda o: -o.innovations)[:15]
            ],
            title=f"Organisasi dengan inovasi terbanyak, tahun {year}",
            chart_id="c-org",
        ),
        "maturity": charts.bar_chart(
            list(board.maturity_histogram.items()),
            title="Sebaran nilai kematangan terverifikasi (inovasi yang sudah diajukan)",
            chart_id="c-maturity",
            alt=True,
        ),
        "index": charts.gauge(
            board.index.verified.value,
            100,
            title=f"Perkiraan Indeks Inovasi Daerah {year}",
            chart_id="c-index",
            bands=bands,
        ),
    }
    return render(
        request,
        "dashboards/regency.html",
        year=year,
        total=total,
        board=board,
        charts=charts_,
        rules=rules,
        plan=plan.plan,
        titles={i.id: i.title for i in board.innovations},
        rubric_years=index_years(),
        what_if=what_if,
        spd=spd or "",
        spd_error=spd_error,
        years=list(range(moment.year, moment.year - 4, -1)),
        as_of=as_of,
    )


# ---------------------------------------------------------------------------------------------
# IGA report builder


def _reports(runtime: Any) -> Any:
    from services.review.iga import IGAReports

    return IGAReports.of(runtime)


def _candidates(request: Request[Any, Any, Any], year: int) -> list[Any]:
    """Approved or established annual innovations of the year, best verified score first."""
    page = queries.innovations(
        runtime_of(request),
        principal_of(request),
        status=[str(Status.APPROVED), str(Status.ESTABLISHED)],
        year=year,
        limit=200,
    )
    items = [i for i in page.items if i.call_kind == "annual"]
    return sorted(items, key=lambda i: -(i.verified_score or 0))


def _iga_page(
    request: Request[Any, Any, Any],
    year: int,
    selection: Any = None,
    chosen: list[str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Any:
    runtime = runtime_of(request)
    reports = _reports(runtime)
    verdict_counts, verdict_lines = verdicts.year_summary(runtime.db, year)
    return render(
        request,
        "dashboards/iga.html",
        verdict_counts=verdict_counts,
        verdict_lines=verdict_lines,
        verdict_labels=VERDICT_LABELS,
        status_code=status_code,
        year=year,
        candidates=_candidates(request, year),
        selection=selection,
        chosen=set(chosen or []),
        error=error,
        reports=reports.reports(year),
        years=list(range(now().year, now().year - 4, -1)),
    )


@get("/iga", sync_to_thread=True, name="page:iga")
def iga(request: Request[Any, Any, Any], tahun: FromQuery[str | None] = None) -> Any:
    policy.ensure_role(principal_of(request), Role.ADMIN)
    return _iga_page(request, _year(tahun, now().year))


@post("/iga", sync_to_thread=True, name="page:iga-submit", status_code=200)
def iga_submit(request: Request[Any, Any, Any], data: Form) -> Any:
    """'Periksa' shows the warnings (threshold, age) first; 'Laporkan' records the report."""
    policy.ensure_role(principal_of(request), Role.ADMIN)
    runtime = runtime_of(request)
    year = _year(str(data.get("year", "")), now().year)
    raw = data.get("innovation") or []
    chosen = raw if isinstance(raw, list) else [raw]
    ids = [parse_uuid(str(v)) for v in chosen]
    action = str(data.get("action", "periksa"))
    reports = _reports(runtime)
    try:
        selection = reports.check(year, ids, jakarta_today())
        if action != "laporkan" or not selection.can_report:
            return _iga_page(request, year, selection, chosen)
        record, selection = run_command(request, lambda ctx: reports.create(ctx, year, ids))
    except DomainError as exc:
        return _iga_page(request, year, None, chosen, exc.message, exc.status)
    settle(runtime, record.notification_id)
    return render(request, "dashboards/iga_done.html", record=record, selection=selection)


route_handlers: list[Any] = [compliance, compliance_remind, regency, iga, iga_submit]
