"""Monev: the monitoring visits and evaluation reports of an innovation once it runs.

One stream per innovation (``monev_id``). Monev starts when the innovation is established (the
lifecycle's ``IN_OPERATION`` group); before that there is nothing to monitor. Bappeda staff
(admin, reviewer) schedule visits and record reports; the organisation reads them. A report's
kind is the level of the "Monitoring dan evaluasi" indicator it evidences (internal monev,
satisfaction survey, external monev based on research: iga-index.md (i)).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec

from services.domain.actor import Role
from services.domain.aggregate import Aggregate, Context, applies
from services.domain.errors import IllegalTransition, InvalidValue
from services.domain.events import IndicatorMeasure, MonevReportRecorded, MonevVisitScheduled
from services.domain.lifecycle import IN_OPERATION, STATUS_LABELS


class VisitKind(StrEnum):
    KUNJUNGAN = "kunjungan"
    RAPAT = "rapat"
    DARING = "daring"


VISIT_LABELS: dict[str, str] = {
    VisitKind.KUNJUNGAN: "Kunjungan lapangan",
    VisitKind.RAPAT: "Rapat evaluasi",
    VisitKind.DARING: "Monitoring daring",
}


class ReportKind(StrEnum):
    INTERNAL = "internal"
    SKM = "skm"
    EKSTERNAL = "eksternal"


REPORT_LABELS: dict[str, str] = {
    ReportKind.INTERNAL: "Monev internal pemerintah daerah",
    ReportKind.SKM: "Survei Kepuasan Masyarakat (SKM)",
    ReportKind.EKSTERNAL: "Monev eksternal berbasis riset/kajian",
}
#: The level of the "Monitoring dan evaluasi" indicator each report kind evidences.
REPORT_LEVEL: dict[str, int] = {ReportKind.INTERNAL: 1, ReportKind.SKM: 2, ReportKind.EKSTERNAL: 3}


class Recommendation(StrEnum):
    LANJUTKAN = "lanjutkan"
    PERBAIKI = "perbaiki"
    REPLIKASI = "replikasi"
    HENTIKAN = "hentikan"


RECOMMENDATION_LABELS: dict[str, str] = {
    Recommendation.LANJUTKAN: "Lanjutkan",
    Recommendation.PERBAIKI: "Perbaiki",
    Recommendation.REPLIKASI: "Replikasi",
    Recommendation.HENTIKAN: "Hentikan",
}


class MonevCommand(StrEnum):
    SCHEDULE_VISIT = "schedule_visit"
    RECORD_REPORT = "record_report"


#: Who may give each command: Bappeda staff; the organisation reads.
RULES: dict[MonevCommand, frozenset[Role]] = {
    MonevCommand.SCHEDULE_VISIT: frozenset({Role.REVIEWER, Role.ADMIN}),
    MonevCommand.RECORD_REPORT: frozenset({Role.REVIEWER, Role.ADMIN}),
}


def monev_id(innovation_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"https://sirisma/monev/{innovation_id}")


class Visit(msgspec.Struct, kw_only=True):
    id: UUID
    due_on: date
    kind: str
    note: str
    scheduled_at: str
    report_id: UUID | None = None


class Report(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    visit_id: UUID | None
    kind: str
    reported_on: date
    period: str
    findings: str
    indicators: tuple[IndicatorMeasure, ...]
    recommendation: str
    recorded_by: UUID | None
    recorded_at: str


class Monev(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.innovation_id: UUID | None = None
        self.organisation_id: UUID | None = None
        self.visits: dict[UUID, Visit] = {}
        self.reports: list[Report] = []

    @classmethod
    def start(cls, innovation_id: UUID, organisation_id: UUID | None) -> Monev:
        monev = cls(monev_id(innovation_id))
        monev.innovation_id, monev.organisation_id = innovation_id, organisation_id
        return monev

    # ==== commands ==============================================================================

    def schedule_visit(
        self,
        ctx: Context,
        *,
        status: str,
        visit_id: UUID,
        due_on: date,
        kind: str,
        note: str = "",
    ) -> None:
        """A visit planned on a date not in the past, for an innovation that runs."""
        self._allow(ctx, MonevCommand.SCHEDULE_VISIT, status)
        if due_on < ctx.timestamp().date():
            raise InvalidValue("due_on", "Tanggal kunjungan tidak boleh di masa lalu.")
        if kind not in VISIT_LABELS:
            raise InvalidValue(
                "kind", "Jenis kunjungan harus salah satu dari: " + ", ".join(VISIT_LABELS)
            )
        if visit_id in self.visits:
            raise InvalidValue("visit_id", "Kunjungan dengan id ini sudah dijadwalkan.")
        self._record(
            ctx,
            MonevVisitScheduled,
            **self._about(),
            visit_id=visit_id,
            due_on=due_on,
            kind=kind,
            note=note.strip(),
        )

    def record_report(
        self,
        ctx: Context,
        *,
        status: str,
        report_id: UUID,
        kind: str,
        reported_on: date,
        findings: str,
        recommendation: str,
        period: str = "",
        indicators: Sequence[IndicatorMeasure] = (),
        visit_id: UUID | None = None,
    ) -> None:
        """An evaluation (not dated in the future); naming a visit closes that visit."""
        self._allow(ctx, MonevCommand.RECORD_REPORT, status)
        if reported_on > ctx.timestamp().date():
            raise InvalidValue("reported_on", "Tanggal laporan tidak boleh di masa depan.")
        if kind not in REPORT_LABELS:
            raise InvalidValue(
                "kind", "Jenis laporan harus salah satu dari: " + ", ".join(REPORT_LABELS)
            )
        if recommendation not in RECOMMENDATION_LABELS:
            raise InvalidValue(
                "recommendation",
                "Rekomendasi harus salah satu dari: " + ", ".join(RECOMMENDATION_LABELS),
            )
        if not findings.strip():
            raise InvalidValue("findings", "Temuan evaluasi wajib diisi.")
        if visit_id is not None:
            visit = self.visits.get(visit_id)
            if visit is None:
                raise InvalidValue("visit_id", "Kunjungan tidak ditemukan.")
            if visit.report_id is not None:
                raise InvalidValue("visit_id", "Kunjungan ini sudah memiliki laporan.")
        if any(r.id == report_id for r in self.reports):
            raise InvalidValue("report_id", "Laporan dengan id ini sudah tercatat.")
        measures = tuple(
            IndicatorMeasure(name=m.name.strip(), value=m.value.strip(), target=m.target.strip())
            for m in indicators
        )
        if any(not m.name or not m.value for m in measures):
            raise InvalidValue("indicators", "Setiap indikator wajib berisi nama dan nilai.")
        self._record(
            ctx,
            MonevReportRecorded,
            **self._about(),
            report_id=report_id,
            visit_id=visit_id,
            kind=kind,
            reported_on=reported_on,
            period=period.strip(),
            findings=findings.strip(),
            indicators=measures,
            recommendation=recommendation,
        )

    # ==== rules =================================================================================

    def _allow(self, ctx: Context, command: MonevCommand, status: str) -> None:
        role = ctx.actor.role
        if role not in RULES[command]:
            allowed = [str(c) for c, roles in RULES.items() if role in roles]
            raise IllegalTransition(str(command), "monev", str(role), allowed)
        if status not in IN_OPERATION:
            raise InvalidValue(
                "status",
                "Monev hanya untuk inovasi yang sudah ditetapkan; status inovasi ini "
                f"'{STATUS_LABELS.get(status, status)}'.",
            )

    def _about(self) -> dict[str, UUID | None]:
        assert self.innovation_id is not None
        return {"innovation_id": self.innovation_id, "organisation_id": self.organisation_id}

    # ==== views =================================================================================

    def open_visits(self) -> list[Visit]:
        """Visits without a report, earliest first."""
        return sorted(
            (v for v in self.visits.values() if v.report_id is None), key=lambda v: v.due_on
        )

    def evidence_level(self) -> int:
        """The highest level of the monev indicator the recorded reports evidence (0: none)."""
        return max((REPORT_LEVEL.get(r.kind, 0) for r in self.reports), default=0)

    # ==== state changes =========================================================================

    @applies(MonevVisitScheduled)
    def _scheduled(self, e: MonevVisitScheduled) -> None:
        self.innovation_id, self.organisation_id = e.innovation_id, e.organisation_id
        self.visits[e.visit_id] = Visit(
            id=e.visit_id,
            due_on=e.due_on,
            kind=e.kind,
            note=e.note,
            scheduled_at=e.timestamp.isoformat(),
        )

    @applies(MonevReportRecorded)
    def _reported(self, e: MonevReportRecorded) -> None:
        self.innovation_id, self.organisation_id = e.innovation_id, e.organisation_id
        self.reports.append(
            Report(
                id=e.report_id,
                visit_id=e.visit_id,
                kind=e.kind,
                reported_on=e.reported_on,
                period=e.period,
                findings=e.findings,
                indicators=e.indicators,
                recommendation=e.recommendation,
                recorded_by=e.actor.account_id,
                recorded_at=e.timestamp.isoformat(),
            )
        )
        if e.visit_id is not None and e.visit_id in self.visits:
            self.visits[e.visit_id].report_id = e.report_id
