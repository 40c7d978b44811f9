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
from services.domain.call import jakarta_date
from services.domain.care_files import MAX_PHOTOS, PHOTO_TYPES, PHOTO_TYPES_TEXT, checked_file
from services.domain.errors import IllegalTransition, InvalidValue
from services.domain.events import (
    FileRef,
    IndicatorMeasure,
    MonevPhotoAttached,
    MonevReportRecorded,
    MonevVisitCancelled,
    MonevVisitRescheduled,
    MonevVisitScheduled,
)
from services.domain.lifecycle import IN_OPERATION, STATUS_LABELS
from services.domain.monev_visits import VisitCommand, VisitStatus, next_visit_status


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
    RESCHEDULE_VISIT = "reschedule_visit"
    CANCEL_VISIT = "cancel_visit"
    ATTACH_PHOTO = "attach_photo"


_STAFF = frozenset({Role.REVIEWER, Role.ADMIN})
#: Who may give each command: Bappeda staff; the organisation reads.
RULES: dict[MonevCommand, frozenset[Role]] = {
    MonevCommand.SCHEDULE_VISIT: _STAFF,
    MonevCommand.RECORD_REPORT: _STAFF,
    MonevCommand.RESCHEDULE_VISIT: _STAFF,
    MonevCommand.CANCEL_VISIT: _STAFF,
    MonevCommand.ATTACH_PHOTO: _STAFF,
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
    status: VisitStatus = VisitStatus.PLANNED
    first_due_on: date | None = None  # the date first planned, when it was rescheduled
    reason: str = ""  # why it was last rescheduled or cancelled


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
        self.photos: dict[UUID, tuple[FileRef, UUID | None, UUID | None]] = {}

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
        if due_on < jakarta_date(ctx.timestamp()):
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
        if reported_on > jakarta_date(ctx.timestamp()):
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
            visit = self._visit(visit_id)
            if visit.report_id is not None:
                raise InvalidValue("visit_id", "Kunjungan ini sudah memiliki laporan.")
            next_visit_status(visit.status, VisitCommand.REPORT)
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

    def reschedule_visit(
        self, ctx: Context, *, status: str, visit_id: UUID, due_on: date, reason: str
    ) -> None:
        """A planned visit moved to another date (not in the past), with the reason."""
        self._allow(ctx, MonevCommand.RESCHEDULE_VISIT, status)
        visit = self._visit(visit_id)
        next_visit_status(visit.status, VisitCommand.RESCHEDULE)
        if due_on < jakarta_date(ctx.timestamp()):
            raise InvalidValue("due_on", "Tanggal kunjungan tidak boleh di masa lalu.")
        if due_on == visit.due_on:
            raise InvalidValue("due_on", "Tanggal baru sama dengan jadwal sekarang.")
        if not reason.strip():
            raise InvalidValue("reason", "Alasan penjadwalan ulang wajib diisi.")
        self._record(
            ctx,
            MonevVisitRescheduled,
            **self._about(),
            visit_id=visit_id,
            due_on=due_on,
            previous_due_on=visit.due_on,
            reason=reason.strip(),
        )

    def cancel_visit(self, ctx: Context, *, status: str, visit_id: UUID, reason: str) -> None:
        """A planned visit called off, with the reason; its reminders stop."""
        self._allow(ctx, MonevCommand.CANCEL_VISIT, status)
        visit = self._visit(visit_id)
        next_visit_status(visit.status, VisitCommand.CANCEL)
        if not reason.strip():
            raise InvalidValue("reason", "Alasan pembatalan wajib diisi.")
        self._record(
            ctx, MonevVisitCancelled, **self._about(), visit_id=visit_id, reason=reason.strip()
        )

    def attach_photo(
        self,
        ctx: Context,
        *,
        status: str,
        photo: FileRef,
        visit_id: UUID | None = None,
        report_id: UUID | None = None,
    ) -> None:
        """A photo (JPEG/PNG/WebP, with alt text) of a visit not cancelled, or of a report."""
        self._allow(ctx, MonevCommand.ATTACH_PHOTO, status)
        if (visit_id is None) == (report_id is None):
            raise InvalidValue("target", "Foto harus milik satu kunjungan atau satu laporan.")
        if visit_id is not None:
            next_visit_status(self._visit(visit_id).status, VisitCommand.ATTACH_PHOTO)
        elif not any(r.id == report_id for r in self.reports):
            raise InvalidValue("report_id", "Laporan tidak ditemukan.")
        if photo.id in self.photos:
            raise InvalidValue("photo_id", "Foto dengan id ini sudah tercatat.")
        target = visit_id if visit_id is not None else report_id
        assert target is not None
        held = len(self.photos_of(target))
        checked = checked_file(
            photo,
            types=PHOTO_TYPES,
            types_text=PHOTO_TYPES_TEXT,
            held=held,
            limit=MAX_PHOTOS,
            caption_required=True,
        )
        self._record(
            ctx,
            MonevPhotoAttached,
            **self._about(),
            photo=checked,
            visit_id=visit_id,
            report_id=report_id,
        )

    # ==== rules =================================================================================

    def _visit(self, visit_id: UUID) -> Visit:
        visit = self.visits.get(visit_id)
        if visit is None:
            raise InvalidValue("visit_id", "Kunjungan tidak ditemukan.")
        return visit

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
        """Planned visits (no report, not cancelled), earliest first."""
        return sorted(
            (v for v in self.visits.values() if v.status == VisitStatus.PLANNED),
            key=lambda v: v.due_on,
        )

    def photos_of(self, target: UUID) -> list[FileRef]:
        """The photos of one visit or report, in upload order."""
        return [f for f, visit, report in self.photos.values() if target in (visit, report)]

    def photo(self, photo_id: UUID) -> FileRef | None:
        found = self.photos.get(photo_id)
        return found[0] if found else None

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
            self.visits[e.visit_id].status = VisitStatus.REPORTED

    @applies(MonevVisitRescheduled)
    def _rescheduled(self, e: MonevVisitRescheduled) -> None:
        visit = self.visits[e.visit_id]
        visit.first_due_on = visit.first_due_on or e.previous_due_on
        visit.due_on, visit.reason = e.due_on, e.reason

    @applies(MonevVisitCancelled)
    def _cancelled(self, e: MonevVisitCancelled) -> None:
        visit = self.visits[e.visit_id]
        visit.status, visit.reason = VisitStatus.CANCELLED, e.reason

    @applies(MonevPhotoAttached)
    def _photo(self, e: MonevPhotoAttached) -> None:
        self.photos[e.photo.id] = (e.photo, e.visit_id, e.report_id)
