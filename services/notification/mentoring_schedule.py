"""Follow-ups past their due date: one reminder per follow-up to the mentor who agreed it and
the organisation's operators, sent by the beat scan (``schedules.due``).

It reads the pendampingan read model (``rm_mentoring_follow_ups``, same database as the other
read models); the source key ``follow-up-overdue:<id>`` makes the outbox send it once however
often the scan runs.
"""

from __future__ import annotations

from datetime import date, datetime

from services.db import Tx
from services.domain.call import JAKARTA, format_date
from services.domain.lifecycle import STATUS_LABELS
from services.notification import directory
from services.notification.rules import Planned, fan_out


def overdue_follow_ups(tx: Tx, now: datetime, *, email: bool) -> list[Planned]:
    today = now.astimezone(JAKARTA).date()
    planned: list[Planned] = []
    for row in tx.rows(
        "SELECT follow_up_id, innovation_id, organisation_id, mentor_id, text, due "
        "FROM rm_mentoring_follow_ups WHERE done_at IS NULL AND due IS NOT NULL AND due < ? "
        "ORDER BY due, follow_up_id",
        (today.isoformat(),),
    ):
        item = directory.innovation(tx, row["innovation_id"])
        if item is None:  # the notification copy is behind: the next scan sends it
            continue
        mentor = directory.account(tx, row["mentor_id"])
        recipients = [
            *directory.operators(tx, row["organisation_id"]),
            *([mentor] if mentor else []),
        ]
        due = date.fromisoformat(row["due"])
        planned += fan_out(
            f"follow-up-overdue:{row['follow_up_id']}",
            "follow_up_overdue",
            recipients,
            {
                "innovation_id": row["innovation_id"],
                "call_id": item.call_id,
                "title": item.title,
                "organisation": directory.organisation_name(tx, row["organisation_id"]),
                "call": "",
                "krenova": False,
                "status_label": STATUS_LABELS.get(item.status, item.status),
                "text": row["text"],
                "due": format_date(due),
                "days_late": (today - due).days,
                "note": "",
            },
            email=email,
        )
    return planned
