"""The monev read model: every visit and every evaluation report, for the lists that cut across
innovations (visits due, the reports per organisation, the recommendations of the regency).

``rm_monev_visits(visit_id, innovation_id, organisation_id, kind, due_on, note, report_id,
scheduled_at, status, reason)`` (status: ``services.domain.monev_visits.VisitStatus``; a
rescheduled visit carries its new date) and ``rm_monev_reports(report_id, innovation_id,
organisation_id, visit_id, kind, reported_on, period, recommendation, indicators, recorded_at)``:
both are folded only from the monev events, so they rebuild from the log like every read model.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from projections.base import Envelope
from projections.sql import upsert
from services.db import Tx
from services.domain import events as ev

VISITS = "rm_monev_visits"
REPORTS = "rm_monev_reports"
VISIT_COLUMNS = (
    "visit_id",
    "innovation_id",
    "organisation_id",
    "kind",
    "due_on",
    "note",
    "report_id",
    "scheduled_at",
    "status",
    "reason",
)
REPORT_COLUMNS = (
    "report_id",
    "innovation_id",
    "organisation_id",
    "visit_id",
    "kind",
    "reported_on",
    "period",
    "recommendation",
    "indicators",
    "recorded_at",
)


class MonevProjection:
    name = "monev"
    tables: tuple[str, ...] = (VISITS, REPORTS)
    topics = frozenset(
        {
            ev.MonevVisitScheduled.TOPIC,
            ev.MonevReportRecorded.TOPIC,
            ev.MonevVisitRescheduled.TOPIC,
            ev.MonevVisitCancelled.TOPIC,
        }
    )

    def schema(self, dialect: str, suffix: str = "") -> list[str]:
        v, r = f"{VISITS}{suffix}", f"{REPORTS}{suffix}"
        visit_cols = ",\n".join(f"{c} TEXT" for c in VISIT_COLUMNS)
        report_cols = ",\n".join(
            f"{c} {'BIGINT' if c == 'indicators' else 'TEXT'}" for c in REPORT_COLUMNS
        )
        return [
            f"CREATE TABLE IF NOT EXISTS {v} (\n{visit_cols},\nPRIMARY KEY (visit_id)\n)",
            f"CREATE INDEX IF NOT EXISTS {v}_due ON {v} (report_id, due_on)",
            f"CREATE INDEX IF NOT EXISTS {v}_by_innovation ON {v} (innovation_id, due_on)",
            f"CREATE TABLE IF NOT EXISTS {r} (\n{report_cols},\nPRIMARY KEY (report_id)\n)",
            f"CREATE INDEX IF NOT EXISTS {r}_by_innovation ON {r} (innovation_id, reported_on)",
        ]

    def apply(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        visits: dict[str, dict[str, Any]] = {}
        reports: dict[str, tuple[Any, ...]] = {}
        table = f"{VISITS}{suffix}"
        for env in batch:
            e = env.event
            organisation = (
                str(e.organisation_id)
                if isinstance(e, ev.MonevEvent) and e.organisation_id
                else None
            )
            if isinstance(e, ev.MonevVisitScheduled):
                visits[str(e.visit_id)] = {
                    "visit_id": str(e.visit_id),
                    "innovation_id": str(e.innovation_id),
                    "organisation_id": organisation,
                    "kind": e.kind,
                    "due_on": e.due_on.isoformat(),
                    "note": e.note,
                    "report_id": None,
                    "scheduled_at": env.time,
                    "status": "planned",
                    "reason": "",
                }
            elif isinstance(e, ev.MonevVisitRescheduled | ev.MonevVisitCancelled):
                key = str(e.visit_id)
                row = visits.get(key) or _load(tx, table, key)
                if row is not None:
                    if isinstance(e, ev.MonevVisitRescheduled):
                        row["due_on"] = e.due_on.isoformat()
                    else:
                        row["status"] = "cancelled"
                    row["reason"] = e.reason
                    visits[key] = row
            elif isinstance(e, ev.MonevReportRecorded):
                reports[str(e.report_id)] = (
                    str(e.report_id),
                    str(e.innovation_id),
                    organisation,
                    str(e.visit_id) if e.visit_id else None,
                    e.kind,
                    e.reported_on.isoformat(),
                    e.period,
                    e.recommendation,
                    len(e.indicators),
                    env.time,
                )
                if e.visit_id is not None:
                    key = str(e.visit_id)
                    row = visits.get(key) or _load(tx, table, key)
                    if row is not None:
                        row["report_id"] = str(e.report_id)
                        row["status"] = "reported"
                        visits[key] = row
        if visits:
            upsert(
                tx,
                table,
                VISIT_COLUMNS,
                ("visit_id",),
                [tuple(r[c] for c in VISIT_COLUMNS) for r in visits.values()],
            )
        if reports:
            upsert(tx, f"{REPORTS}{suffix}", REPORT_COLUMNS, ("report_id",), list(reports.values()))


def _load(tx: Tx, table: str, key: str) -> dict[str, Any] | None:
    found = tx.execute(
        f"SELECT {', '.join(VISIT_COLUMNS)} FROM {table} WHERE visit_id = ?", (key,)
    ).fetchone()
    return dict(zip(VISIT_COLUMNS, found, strict=True)) if found else None


def visits_due(tx: Tx, on_or_before: date) -> list[dict[str, Any]]:
    """Planned visits (no report, not cancelled) due on or before a date, earliest first."""
    rows = tx.execute(
        f"SELECT {', '.join(VISIT_COLUMNS)} FROM {VISITS} WHERE status = 'planned' "
        "AND due_on <= ? ORDER BY due_on, visit_id",
        (on_or_before.isoformat(),),
    ).fetchall()
    return [dict(zip(VISIT_COLUMNS, r, strict=True)) for r in rows]


def recommendations(tx: Tx) -> dict[str, int]:
    """How many reports recommend each course (lanjutkan, perbaiki, replikasi, hentikan)."""
    rows = tx.execute(
        f"SELECT recommendation, COUNT(*) FROM {REPORTS} GROUP BY recommendation"
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}
