"""Regency-level pages: compliance (Perbup 87/2021 art. 38), the dashboard with charts, and the
IGA report builder.

Compliance answers "which organisations have no innovation this budget year, and how long is
left"; the dashboard shows innovations by status, stage and organisation, the maturity
distribution and the regency IID estimate with its band (``services.domain.scoring``).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from services.domain import scoring
from services.domain.actor import Role
from services.domain.errors import DomainError
from services.domain.events import OrganisationRegistered
from services.domain.lifecycle import STATUS_LABELS, Status
from services.domain.organisation import Organisation
from services.domain.rubric import available_years, load_rubric
from services.domain.values import STAGE_LABELS, CallKind
from services.identity import policy
from services.web import charts
from services.web.context import principal_of, runtime_of
from services.web.pages import queries
from services.web.pages.common import Names, now, parse_uuid, rubric_of, run_command, settle
from services.web.pages.rendering import render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

DASHBOARD_ROLES = (Role.ADMIN, Role.REVIEWER, Role.AUDITOR)
COMPLIANCE_ROLES = (Role.ADMIN, Role.AUDITOR)
# An innovation counts for the year's obligation once it exists and is not withdrawn.
NOT_COUNTED = frozenset({Status.WITHDRAWN})
# The innovations the regency reports: the basis of the IID estimate.
SELECTED = frozenset({Status.SELECTED_FOR_IGA, Status.REPORTED_TO_IGA})
DECIDED = frozenset(
    {Status.APPROVED, Status.ESTABLISHED, Status.SELECTED_FOR_IGA, Status.REPORTED_TO_IGA}
)


def _year(raw: str | None, default: int) -> int:
    if raw and raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return default


def organisations(runtime: Any) -> list[Organisation]:
    found = []
    for id in queries._ids(runtime, OrganisationRegistered.TOPIC):
        found.append(runtime.store.load(Organisation, id))
    return sorted(found, key=lambda o: o.name)


@get("/kepatuhan", sync_to_thread=True, name="page:compliance")
def compliance(request: Request[Any, Any, Any], tahun: str | None = None) -> Any:
    policy.ensure_role(principal_of(request), *COMPLIANCE_ROLES)
    runtime = runtime_of(request)
    moment = now()
    year = _year(tahun, moment.year)
    counts: Counter[Any] = Counter()
    for innovation in queries.innovations(runtime):
        if (
            innovation.budget_year == year
            and innovation.status not in NOT_COUNTED
            and innovation.call_kind == CallKind.ANNUAL
        ):
            counts[innovation.organisation_id] += 1
    annual = [
        c for c in queries.calls(runtime) if c.kind == CallKind.ANNUAL and c.budget_year == year
    ]
    deadline = max((c.deadline for c in annual), default=None)
    days_left = max((deadline - moment).days, 0) if deadline else None
    rows = [{"organisation": org, "count": counts.get(org.id, 0)} for org in organisations(runtime)]
    missing = [r for r in rows if r["count"] == 0]
    return render(
        request,
        "dashboards/compliance.html",
        year=year,
        rows=sorted(rows, key=lambda r: (r["count"] > 0, r["organisation"].name)),
        missing=len(missing),
        complied=len(rows) - len(missing),
        deadline=deadline,
        days_left=days_left,
        years=list(range(moment.year, moment.year - 4, -1)),
    )


@get("/dasbor-daerah", sync_to_thread=True, name="page:regency")
def regency(
    request: Request[Any, Any, Any], tahun: str | None = None, spd: str | None = None
) -> Any:
    policy.ensure_role(principal_of(request), *DASHBOARD_ROLES)
    runtime = runtime_of(request)
    names = Names(runtime)
    moment = now()
    year = _year(tahun, moment.year)
    found = [i for i in queries.innovations(runtime) if i.budget_year == year]
    by_status = Counter(str(i.status) for i in found)
    by_stage = Counter(str(i.profile.stage) if i.profile.stage else "" for i in found)
    by_org = Counter(names.org_name(i.organisation_id) for i in found)
    maturity = [
        float(i.scorecard(rubric_of(i)).verified_total) for i in found if i.status in DECIDED
    ]
    selected = [
        float(i.scorecard(rubric_of(i)).verified_total) for i in found if i.status in SELECTED
    ]
    rubric_year = year if year in available_years() else max(available_years())
    rubric = load_rubric(rubric_year)
    spd_error = ""
    try:
        spd_value = float((spd or "0").replace(",", "."))
        if not 0 <= spd_value <= rubric.index.spd_max:
            raise ValueError
    except ValueError:
        spd_error = f"Nilai SPD harus angka 0–{rubric.index.spd_max:g}."
        spd_value = 0.0
    estimate = scoring.regency_index(rubric, selected, spd_value)
    bands = [(b.name, b.min, b.max) for b in rubric.index.bands]
    charts_ = {
        "status": charts.bar_chart(
            [(STATUS_LABELS.get(s, s), n) for s, n in by_status.most_common()],
            title=f"Inovasi per status, tahun {year}",
            chart_id="c-status",
        ),
        "stage": charts.bar_chart(
            [(STAGE_LABELS.get(s, "Belum diisi"), n) for s, n in by_stage.most_common()],  # type: ignore[call-overload]
            title=f"Inovasi per tahapan, tahun {year}",
            chart_id="c-stage",
        ),
        "organisation": charts.bar_chart(
            by_org.most_common(15),
            title=f"Organisasi dengan inovasi terbanyak, tahun {year}",
            chart_id="c-org",
        ),
        "maturity": charts.histogram(
            maturity,
            edges=[0, 20, 40, 60, 80, 100, rubric.max_score],
            title="Sebaran nilai kematangan terverifikasi (inovasi yang disetujui)",
            chart_id="c-maturity",
        ),
        "index": charts.gauge(
            estimate.value,
            100,
            title=f"Perkiraan Indeks Inovasi Daerah {year}",
            chart_id="c-index",
            bands=[b for b in bands if b[1] > 0],
        ),
    }
    return render(
        request,
        "dashboards/regency.html",
        year=year,
        total=len(found),
        charts=charts_,
        estimate=estimate,
        rubric=rubric,
        spd=spd or "0",
        spd_error=spd_error,
        selected=len(selected),
        decided=len(maturity),
        years=list(range(moment.year, moment.year - 4, -1)),
    )


# ---------------------------------------------------------------------------------------------
# IGA report builder


def _reports(runtime: Any) -> Any:
    from services.review.iga import IGAReports
    from services.submission.common import blob_store

    return IGAReports(
        runtime.store,
        runtime.commands,
        runtime.db,
        blob_store(runtime),
        runtime.settings.score_margin,
    )


def _candidates(runtime: Any, year: int) -> list[dict[str, Any]]:
    names = Names(runtime)
    rows = []
    for innovation in queries.innovations(runtime, statuses=[Status.APPROVED, Status.ESTABLISHED]):
        if innovation.budget_year != year:
            continue
        rows.append(
            {
                "innovation": innovation,
                "organisation": names.org_name(innovation.organisation_id),
                "score": innovation.scorecard(rubric_of(innovation)).verified_total,
            }
        )
    return sorted(rows, key=lambda r: -r["score"])


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
    return render(
        request,
        "dashboards/iga.html",
        status_code=status_code,
        year=year,
        candidates=_candidates(runtime, year),
        selection=selection,
        chosen=set(chosen or []),
        error=error,
        reports=reports.list(year),
        years=list(range(now().year, now().year - 4, -1)),
    )


@get("/iga", sync_to_thread=True, name="page:iga")
def iga(request: Request[Any, Any, Any], tahun: str | None = None) -> Any:
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
        selection = reports.check(year, ids, date.today())
        if action != "laporkan" or not selection.can_report:
            return _iga_page(request, year, selection, chosen)
        record, selection = run_command(request, lambda ctx: reports.create(ctx, year, ids))
    except DomainError as exc:
        return _iga_page(request, year, None, chosen, exc.message, exc.status)
    settle(runtime, record.notification_id)
    return render(request, "dashboards/iga_done.html", record=record, selection=selection)


route_handlers: list[Any] = [compliance, regency, iga, iga_submit]
