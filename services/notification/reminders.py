"""Reminders an admin sends by hand: from the compliance page, to every organisation with
nothing submitted in a budget year (Perbup 87/2021 art. 38).

The messages go into the outbox like the monthly scan's (``schedules.compliance_plan``) and are
delivered by the same relay and tasks (in-app, and email when SMTP is configured); nothing is
mailed from the request. The source key names the year and the day, so pressing the button
twice on one day reaches each organisation once.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from services.notification import outbox
from services.notification.delivery import Services
from services.notification.schedules import compliance_plan, local_date
from services.notification.schema import utcnow


class BulkReminder(msgspec.Struct, frozen=True):
    organisations: int  # organisations with nothing submitted that have an operator to tell
    messages: int  # new messages put in the outbox (0 when already sent today)


def remind_unsubmitted(
    rt: Services, year: int, *, note: str = "", now: datetime | None = None
) -> BulkReminder:
    moment = now or utcnow()
    day = local_date(moment).isoformat()
    with rt.db.transaction() as tx:
        planned = compliance_plan(
            tx,
            moment,
            year=year,
            source=f"compliance-manual:{{org}}:{year}:{day}",
            email=bool(rt.settings.smtp_host),
            note=note,
        )
        added = outbox.insert(tx, planned)
    organisations = {p.source_key for p in planned}
    return BulkReminder(organisations=len(organisations), messages=added)
