"""Commands on an innovation's monev record and its view.

The record is loaded (or started empty) for an innovation the caller may see; the innovation's
status is passed to the aggregate, which refuses monev before establishment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from uuid import UUID

import msgspec

from services.commands import Commands, Outcome
from services.domain.aggregate import Context
from services.domain.events import FileRef, IndicatorMeasure
from services.domain.innovation import Innovation
from services.domain.lifecycle import IN_OPERATION
from services.domain.monev import (
    RECOMMENDATION_LABELS,
    REPORT_LABELS,
    VISIT_LABELS,
    Monev,
    monev_id,
)
from services.domain.monev_visits import VISIT_STATUS_LABELS, VisitCommand, allowed
from services.eventstore.store import EventStore, NotFound


class VisitView(msgspec.Struct, kw_only=True):
    id: UUID
    due_on: date
    kind: str
    kind_label: str
    note: str
    scheduled_at: str
    report_id: UUID | None
    overdue: bool
    status: str = "planned"
    status_label: str = ""
    first_due_on: date | None = None  # set when the visit was rescheduled
    reason: str = ""  # why it was last rescheduled or cancelled
    commands: list[str] = []  # what the visit's status still allows (monev_visits.TRANSITIONS)
    photos: list[FileRef] = []


class ReportView(msgspec.Struct, kw_only=True):
    id: UUID
    visit_id: UUID | None
    kind: str
    kind_label: str
    reported_on: date
    period: str
    findings: str
    indicators: list[IndicatorMeasure]
    recommendation: str
    recommendation_label: str
    recorded_by: UUID | None
    recorded_at: str
    photos: list[FileRef] = []


class MonevView(msgspec.Struct, kw_only=True):
    innovation_id: UUID
    version: int
    open: bool  # the innovation is established or later: monev may be recorded
    visits: list[VisitView]
    reports: list[ReportView]
    open_visits: int
    evidence_level: int  # level of the "Monitoring dan evaluasi" indicator the reports evidence
    notification_id: int | None = None


class MonevCommands:
    def __init__(self, store: EventStore, commands: Commands) -> None:
        self.store = store
        self.commands = commands

    def load(self, innovation: Innovation) -> Monev:
        try:
            return self.store.load(Monev, monev_id(innovation.id))
        except NotFound:
            return Monev.start(innovation.id, innovation.organisation_id)

    def _save(self, monev: Monev) -> Outcome:
        ids = self.store.save(monev) if monev.pending_events else []
        return Outcome(monev.id, monev.version, ids[-1] if ids else 0)

    def schedule_visit(
        self,
        ctx: Context,
        innovation: Innovation,
        *,
        visit_id: UUID,
        due_on: date,
        kind: str,
        note: str = "",
    ) -> Outcome:
        monev = self.load(innovation)
        monev.schedule_visit(
            ctx, status=innovation.status, visit_id=visit_id, due_on=due_on, kind=kind, note=note
        )
        return self._save(monev)

    def record_report(
        self,
        ctx: Context,
        innovation: Innovation,
        *,
        report_id: UUID,
        kind: str,
        reported_on: date,
        findings: str,
        recommendation: str,
        period: str = "",
        indicators: Sequence[IndicatorMeasure] = (),
        visit_id: UUID | None = None,
    ) -> Outcome:
        monev = self.load(innovation)
        monev.record_report(
            ctx,
            status=innovation.status,
            report_id=report_id,
            kind=kind,
            reported_on=reported_on,
            findings=findings,
            recommendation=recommendation,
            period=period,
            indicators=indicators,
            visit_id=visit_id,
        )
        return self._save(monev)

    def reschedule_visit(
        self, ctx: Context, innovation: Innovation, *, visit_id: UUID, due_on: date, reason: str
    ) -> Outcome:
        monev = self.load(innovation)
        monev.reschedule_visit(
            ctx, status=innovation.status, visit_id=visit_id, due_on=due_on, reason=reason
        )
        return self._save(monev)

    def cancel_visit(
        self, ctx: Context, innovation: Innovation, *, visit_id: UUID, reason: str
    ) -> Outcome:
        monev = self.load(innovation)
        monev.cancel_visit(ctx, status=innovation.status, visit_id=visit_id, reason=reason)
        return self._save(monev)

    def attach_photo(
        self,
        ctx: Context,
        innovation: Innovation,
        *,
        photo: FileRef,
        keep: Callable[[], object],
        visit_id: UUID | None = None,
        report_id: UUID | None = None,
    ) -> Outcome:
        """Decide, then ``keep`` the blob (only an accepted photo is stored), then save."""
        monev = self.load(innovation)
        monev.attach_photo(
            ctx, status=innovation.status, photo=photo, visit_id=visit_id, report_id=report_id
        )
        keep()
        return self._save(monev)


def monev_view(
    monev: Monev, innovation: Innovation, today: date, notification_id: int | None = None
) -> MonevView:
    return MonevView(
        innovation_id=innovation.id,
        version=monev.version,
        open=innovation.status in IN_OPERATION,
        visits=[
            VisitView(
                id=v.id,
                due_on=v.due_on,
                kind=v.kind,
                kind_label=VISIT_LABELS.get(v.kind, v.kind),
                note=v.note,
                scheduled_at=v.scheduled_at,
                report_id=v.report_id,
                overdue=v.status == "planned" and v.due_on < today,
                status=str(v.status),
                status_label=VISIT_STATUS_LABELS[v.status],
                first_due_on=v.first_due_on,
                reason=v.reason,
                commands=[str(c) for c in allowed(v.status) if c != VisitCommand.REPORT],
                photos=monev.photos_of(v.id),
            )
            for v in sorted(monev.visits.values(), key=lambda v: v.due_on)
        ],
        reports=[
            ReportView(
                id=r.id,
                visit_id=r.visit_id,
                kind=r.kind,
                kind_label=REPORT_LABELS.get(r.kind, r.kind),
                reported_on=r.reported_on,
                period=r.period,
                findings=r.findings,
                indicators=list(r.indicators),
                recommendation=r.recommendation,
                recommendation_label=RECOMMENDATION_LABELS.get(r.recommendation, r.recommendation),
                recorded_by=r.recorded_by,
                recorded_at=r.recorded_at,
                photos=monev.photos_of(r.id),
            )
            for r in sorted(monev.reports, key=lambda r: r.reported_on, reverse=True)
        ],
        open_visits=len(monev.open_visits()),
        evidence_level=monev.evidence_level(),
        notification_id=notification_id,
    )
