"""Monev on the innovation page: the visits and reports of an established innovation, and the
forms Bappeda staff (admin, reviewer) record them with. The form is decoded into the API's input
structs, so the page checks exactly what the API checks; a refusal shows on the same page."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from litestar import Request, post
from litestar.params import FromPath

from services.domain.call import jakarta_today
from services.domain.care_files import PHOTO_MAX_MB, PHOTO_TYPES
from services.domain.errors import DomainError
from services.domain.events import IndicatorMeasure
from services.domain.innovation import Innovation
from services.domain.lifecycle import IN_OPERATION
from services.domain.monev import (
    RECOMMENDATION_LABELS,
    REPORT_LABELS,
    RULES,
    VISIT_LABELS,
    MonevCommand,
)
from services.eventstore.store import ConcurrencyConflict
from services.http.context import principal_of, runtime_of
from services.identity import policy
from services.monev.routes import ReportInput, VisitInput
from services.monev.service import MonevCommands, monev_view
from services.web.pages import form_input
from services.web.pages.common import (
    conflict_page,
    load_visible,
    parse_uuid,
    refusal,
    run_command,
    settle,
)
from services.web.pages.rendering import redirect, render
from services.web.pages.submission import Form, workspace

MEASURE_ROWS = 3  # indicator rows the form offers


def monev_section(request: Request[Any, Any, Any], innovation: Innovation) -> dict[str, Any] | None:
    """What the page shows: nothing before establishment (unless something was recorded)."""
    runtime = runtime_of(request)
    record = MonevCommands(runtime.store, runtime.commands).load(innovation)
    if innovation.status not in IN_OPERATION and not record.version:
        return None
    role = principal_of(request).role
    return {
        "view": monev_view(record, innovation, jakarta_today()),
        "can_record": role in RULES[MonevCommand.RECORD_REPORT]
        and innovation.status in IN_OPERATION,
        "can_move": role in RULES[MonevCommand.RESCHEDULE_VISIT]
        and innovation.status in IN_OPERATION,
        "can_photo": role in RULES[MonevCommand.ATTACH_PHOTO] and innovation.status in IN_OPERATION,
        "photo_accept": ",".join(sorted(PHOTO_TYPES)),
        "photo_max_mb": PHOTO_MAX_MB,
        "today": jakarta_today().isoformat(),
        "visit_kinds": VISIT_LABELS,
        "report_kinds": REPORT_LABELS,
        "recommendations": RECOMMENDATION_LABELS,
        "measure_rows": range(MEASURE_ROWS),
    }


LABELS = {
    "due_on": "Tanggal kunjungan",
    "kind": "Jenis",
    "note": "Catatan",
    "reported_on": "Tanggal laporan",
    "findings": "Temuan",
    "recommendation": "Rekomendasi",
    "period": "Periode",
    "visit_id": "Kunjungan",
    "indicators": "Indikator yang diukur",
}


def _visit(data: dict[str, Any]) -> VisitInput:
    values = {k: str(data.get(k, "")).strip() for k in ("due_on", "kind", "note")}
    return form_input.convert(VisitInput, values, LABELS)


def _report(data: dict[str, Any]) -> ReportInput:
    fields: dict[str, Any] = {
        k: str(data.get(k, "")).strip()
        for k in ("kind", "reported_on", "findings", "recommendation", "period")
    }
    visit = str(data.get("visit_id", "")).strip()
    if visit:
        fields["visit_id"] = visit
    fields["indicators"] = [
        {
            "name": str(data.get(f"ind_name_{i}", "")).strip(),
            "value": str(data.get(f"ind_value_{i}", "")).strip(),
            "target": str(data.get(f"ind_target_{i}", "")).strip(),
        }
        for i in range(MEASURE_ROWS)
        if str(data.get(f"ind_name_{i}", "")).strip() or str(data.get(f"ind_value_{i}", "")).strip()
    ]
    return form_input.convert(ReportInput, fields, LABELS)


def _record(
    request: Request[Any, Any, Any], innovation_id: str, data: dict[str, Any], command: MonevCommand
) -> Any:
    runtime = runtime_of(request)
    innovation = load_visible(request, parse_uuid(innovation_id))
    principal = principal_of(request)
    policy.ensure_record(principal, innovation)
    policy.ensure_monev_command(principal, command)
    service = MonevCommands(runtime.store, runtime.commands)
    try:
        if command is MonevCommand.SCHEDULE_VISIT:
            visit = _visit(data)
            outcome = run_command(
                request,
                lambda ctx: service.schedule_visit(
                    ctx,
                    innovation,
                    visit_id=uuid4(),
                    due_on=visit.due_on,
                    kind=str(visit.kind),
                    note=visit.note,
                ),
            )
        else:
            report = _report(data)
            outcome = run_command(
                request,
                lambda ctx: service.record_report(
                    ctx,
                    innovation,
                    report_id=uuid4(),
                    kind=str(report.kind),
                    reported_on=report.reported_on,
                    findings=report.findings,
                    recommendation=str(report.recommendation),
                    period=report.period,
                    indicators=[
                        IndicatorMeasure(name=m.name, value=m.value, target=m.target)
                        for m in report.indicators
                    ],
                    visit_id=report.visit_id,
                ),
            )
    except ConcurrencyConflict as exc:
        return conflict_page(request, innovation.id, exc, f"/inovasi/{innovation.id}")
    except (DomainError, form_input.FormError) as exc:
        return render(
            request,
            "submission/overview.html",
            status_code=exc.status if isinstance(exc, DomainError) else 400,
            monev_error=refusal(exc).message if isinstance(exc, DomainError) else exc.message,
            monev=monev_section(request, innovation),
            **workspace(request, innovation, "ringkasan"),
        )
    settle(runtime, outcome)
    return redirect(f"/inovasi/{innovation.id}#monev", "monev")


@post(
    "/inovasi/{innovation_id:str}/monev/kunjungan",
    sync_to_thread=True,
    name="page:monev-visit",
    status_code=303,
)
def schedule_visit(
    request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form
) -> Any:
    return _record(request, innovation_id, data, MonevCommand.SCHEDULE_VISIT)


@post(
    "/inovasi/{innovation_id:str}/monev/laporan",
    sync_to_thread=True,
    name="page:monev-report",
    status_code=303,
)
def record_report(request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form) -> Any:
    return _record(request, innovation_id, data, MonevCommand.RECORD_REPORT)


route_handlers: list[Any] = [schedule_visit, record_report]
