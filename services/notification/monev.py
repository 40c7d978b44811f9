"""Monev reminders: the relay keeps ``notification_monev_visits`` (each scheduled visit, whether
a report closed it; created with the notification schema), and the beat scan reminds the
organisation's operators and the admins of a visit 3 days before and on its day while no report
names it. The source key carries the visit and the local date, so a repeated scan sends nothing
twice, and a rung whose day was missed is not sent late (as the deadline ladder)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from services.db import Tx
from services.domain import events as ev
from services.domain.call import format_date
from services.domain.lifecycle import STATUS_LABELS
from services.notification import directory
from services.notification.rules import Planned, fan_out

LADDER = (3, 0)  # days before the visit


def track(tx: Tx, e: ev.MonevEvent) -> None:
    """Fold a monev event into the relay's table of visits."""
    if isinstance(e, ev.MonevVisitScheduled):
        tx.execute(
            "INSERT INTO notification_monev_visits (visit_id, innovation_id, organisation_id, "
            "kind, due_on, reported) VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (visit_id) DO NOTHING",
            (
                str(e.visit_id),
                str(e.innovation_id),
                str(e.organisation_id) if e.organisation_id else None,
                e.kind,
                e.due_on.isoformat(),
            ),
        )
    elif isinstance(e, ev.MonevVisitRescheduled):  # the reminders follow the new date
        tx.execute(
            "UPDATE notification_monev_visits SET due_on = ? WHERE visit_id = ?",
            (e.due_on.isoformat(), str(e.visit_id)),
        )
    elif isinstance(e, ev.MonevVisitCancelled):  # no reminder for a visit called off
        tx.execute("DELETE FROM notification_monev_visits WHERE visit_id = ?", (str(e.visit_id),))
    elif isinstance(e, ev.MonevReportRecorded) and e.visit_id is not None:
        tx.execute(
            "UPDATE notification_monev_visits SET reported = 1 WHERE visit_id = ?",
            (str(e.visit_id),),
        )


def visit_row(tx: Tx, visit_id: UUID) -> dict[str, Any] | None:
    """The relay's row of a visit (its kind and current date), or None."""
    rows = tx.rows(
        "SELECT visit_id, kind, due_on FROM notification_monev_visits WHERE visit_id = ?",
        (str(visit_id),),
    )
    return dict(rows[0]) if rows else None


def reminders(tx: Tx, today: date, *, email: bool) -> list[Planned]:
    """Visits due in 3 days or today without a report: the organisation and the admins."""
    from services.domain.monev import VISIT_LABELS

    days = {(today.toordinal() + n): n for n in LADDER}
    planned: list[Planned] = []
    for visit in tx.rows(
        "SELECT visit_id, innovation_id, organisation_id, kind, due_on "
        "FROM notification_monev_visits WHERE reported = 0 AND due_on >= ? ORDER BY due_on",
        (today.isoformat(),),
    ):
        due = date.fromisoformat(visit["due_on"])
        if due.toordinal() not in days:
            continue
        row = directory.innovation(tx, visit["innovation_id"])
        if row is None:
            continue
        recipients = directory.operators(tx, visit["organisation_id"]) + directory.admins(tx)
        planned += fan_out(
            f"monev_due:{visit['visit_id']}:{today.isoformat()}",
            "monev_due",
            recipients,
            {
                "innovation_id": row.innovation_id,
                "call_id": row.call_id,
                "title": row.title,
                "organisation": directory.organisation_name(tx, row.organisation_id),
                "call": "",
                "krenova": False,
                "status": row.status,
                "status_label": STATUS_LABELS.get(row.status, row.status),
                "visit_kind": VISIT_LABELS.get(visit["kind"], visit["kind"]),
                "due_on": format_date(due),
                "days": days[due.toordinal()],
            },
            email=email,
        )
    return planned
