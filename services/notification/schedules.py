"""What Celery beat (or the embedded runner) sends on a clock: reminders and escalations.

Each function takes ``now`` (so tests freeze the clock) and returns ``Planned`` messages whose
source key names the reminder, the subject and the local date or period, for example
``deadline:<call>:<organisation>:2025-03-28``. They go into the outbox with ``ON CONFLICT DO
NOTHING``, so a scan that runs twice (two beat processes, a restart, the 13:30 safety run) still
sends each reminder once.

* **Deadline ladder**: 7, 3 and 1 days before an open call's deadline, and on the day itself
  (Asia/Jakarta dates), to every eligible organisation that has nothing submitted in the call
  (an item sent back for revision counts as not submitted), and to Krenova participants whose
  entry is still a draft. A rung whose day was missed entirely is not sent late: "3 days left"
  on the second day would be wrong.
* **Perbup 87/2021 art. 38**: once a month, to every organisation with no submitted innovation
  in the current budget year.
* **SLA escalation ladder**: an item waiting in review (submitted, under review, resubmitted) for
  more than ``SIRISMA_SLA_WORKING_DAYS`` working days (Monday-Friday; public holidays are not
  modelled) is first brought to its reviewers (to the admins if none is assigned), then, after
  ``ESCALATE_AFTER`` more working days, to the admins. The clock restarts on resubmission.
* **Monev visits** (``services.notification.monev``): 3 days before a scheduled visit and on its
  day, while no report names it, to the organisation's operators and the admins.

Nothing is sent before 07:00 WIB: reminders arrive in office hours.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from services.db import Tx
from services.domain.call import JAKARTA, format_date, format_jakarta
from services.domain.lifecycle import STATUS_LABELS, Status
from services.domain.workdays import working_days
from services.notification import directory, monev, outbox
from services.notification.delivery import Services
from services.notification.mentoring_schedule import overdue_follow_ups
from services.notification.rules import Planned, fan_out
from services.notification.schema import parse_stamp, utcnow

LADDER = (7, 3, 1, 0)  # days before the deadline
ESCALATE_AFTER = 2  # working days after the reviewer was reminded, the admins are told
OFFICE_HOURS_START = time(7, 0)
NOT_SUBMITTED = {Status.DRAFT.value, Status.WITHDRAWN.value, Status.REVISION_REQUESTED.value}
WAITING_REVIEW = (Status.SUBMITTED.value, Status.UNDER_REVIEW.value, Status.RESUBMITTED.value)


def parse_now(text: str | None) -> datetime:
    """The scan's time: given (ISO 8601, for a replayed or tested run) or the clock's."""
    if not text:
        return utcnow()
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=JAKARTA)


def local_date(moment: datetime) -> date:
    return moment.astimezone(JAKARTA).date()


def _format_date(day: date) -> str:
    return format_date(day)


# ==== deadline ladder ===========================================================================


def deadline_reminders(tx: Tx, now: datetime, *, email: bool) -> list[Planned]:
    today = local_date(now)
    planned: list[Planned] = []
    for call in tx.rows("SELECT * FROM notification_calls ORDER BY deadline, call_id"):
        deadline = parse_stamp(call["deadline"])
        if not parse_stamp(call["opens_at"]) <= now < deadline:
            continue
        days_left = (local_date(deadline) - today).days
        if days_left not in LADDER:
            continue
        base = {
            "call": call["title"],
            "call_id": call["call_id"],
            "deadline": format_jakarta(deadline),
            "days_left": days_left,
            "note": "",
        }
        entries = tx.rows(
            "SELECT organisation_id, submitter_id, title, status FROM notification_innovations "
            "WHERE call_id = ? ORDER BY title",
            (call["call_id"],),
        )
        if call["kind"] == "krenova":
            planned += _krenova_ladder(tx, call, entries, base, today, email)
        else:
            planned += _annual_ladder(tx, call, entries, base, today, email)
    return planned


def _annual_ladder(
    tx: Tx,
    call: dict[str, Any],
    entries: list[dict[str, Any]],
    base: dict[str, Any],
    today: date,
    email: bool,
) -> list[Planned]:
    eligible = set(json.loads(call["eligible_kinds"]))
    by_org: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry["organisation_id"]:
            by_org.setdefault(entry["organisation_id"], []).append(entry)
    planned: list[Planned] = []
    for org in tx.rows(
        "SELECT organisation_id, kind, name FROM notification_organisations ORDER BY code"
    ):
        if org["kind"] not in eligible:
            continue
        own = by_org.get(org["organisation_id"], [])
        if any(e["status"] not in NOT_SUBMITTED for e in own):
            continue
        drafts = [e["title"] for e in own if e["status"] != Status.WITHDRAWN.value]
        planned += fan_out(
            f"deadline:{call['call_id']}:{org['organisation_id']}:{today.isoformat()}",
            "deadline_reminder",
            directory.operators(tx, org["organisation_id"]),
            {**base, "organisation": org["name"], "drafts": drafts},
            email=email,
        )
    return planned


def _krenova_ladder(
    tx: Tx,
    call: dict[str, Any],
    entries: list[dict[str, Any]],
    base: dict[str, Any],
    today: date,
    email: bool,
) -> list[Planned]:
    by_participant: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry["organisation_id"] is None and entry["submitter_id"]:
            by_participant.setdefault(entry["submitter_id"], []).append(entry)
    planned: list[Planned] = []
    for participant_id, own in sorted(by_participant.items()):
        if any(e["status"] not in NOT_SUBMITTED for e in own):
            continue
        drafts = [e["title"] for e in own if e["status"] != Status.WITHDRAWN.value]
        if not drafts:
            continue
        participant = directory.account(tx, participant_id)
        planned += fan_out(
            f"deadline:{call['call_id']}:{participant_id}:{today.isoformat()}",
            "deadline_reminder",
            [participant] if participant else [],
            {**base, "organisation": "", "drafts": drafts},
            email=email,
        )
    return planned


# ==== Perbup 87/2021 art. 38 ====================================================================


def compliance_reminders(tx: Tx, now: datetime, *, email: bool) -> list[Planned]:
    today = local_date(now)
    return compliance_plan(
        tx,
        now,
        year=today.year,
        source=f"compliance:{{org}}:{today.year}-{today.month:02d}",
        email=email,
    )


def compliance_plan(
    tx: Tx, now: datetime, *, year: int, source: str, email: bool, note: str = ""
) -> list[Planned]:
    """A Perbup 87/2021 art. 38 reminder to the operators of every organisation with nothing
    submitted in budget year ``year``. ``source`` names the message per organisation
    (``{org}`` is filled in); the outbox sends each source once. Used by the monthly scan and
    by the admin's bulk reminder from the compliance page."""
    today = local_date(now)
    compliant = {
        row[0]
        for row in tx.execute(
            "SELECT DISTINCT organisation_id FROM notification_innovations "
            "WHERE budget_year = ? AND submitted_at IS NOT NULL AND status <> ? "
            "AND organisation_id IS NOT NULL",
            (year, Status.WITHDRAWN.value),
        ).fetchall()
    }
    calls = [
        {"title": c["title"], "deadline": format_jakarta(parse_stamp(c["deadline"]))}
        for c in tx.rows(
            "SELECT title, deadline, opens_at FROM notification_calls "
            "WHERE kind = 'annual' AND budget_year = ? ORDER BY deadline",
            (year,),
        )
        if parse_stamp(c["opens_at"]) <= now < parse_stamp(c["deadline"])
    ]
    planned: list[Planned] = []
    for org in tx.rows(
        "SELECT organisation_id, name FROM notification_organisations ORDER BY code"
    ):
        if org["organisation_id"] in compliant:
            continue
        planned += fan_out(
            source.format(org=org["organisation_id"]),
            "compliance_reminder",
            directory.operators(tx, org["organisation_id"]),
            {
                "organisation": org["name"],
                "year": year,
                "today": _format_date(today),
                "calls": calls,
                "note": note,
            },
            email=email,
        )
    return planned


# ==== SLA escalation ============================================================================


def sla_escalations(tx: Tx, now: datetime, *, sla_days: int, email: bool) -> list[Planned]:
    today = local_date(now)
    placeholders = ", ".join("?" for _ in WAITING_REVIEW)
    planned: list[Planned] = []
    for row in tx.rows(
        "SELECT innovation_id FROM notification_innovations "
        f"WHERE status IN ({placeholders}) AND review_since IS NOT NULL ORDER BY review_since",
        WAITING_REVIEW,
    ):
        item = directory.innovation(tx, row["innovation_id"])
        if item is None or item.review_since is None:
            continue
        since = parse_stamp(item.review_since)
        waited = working_days(local_date(since), today)
        if waited <= sla_days:
            continue
        reviewers = [a for a in (directory.account(tx, r) for r in item.reviewers) if a]
        call = directory.call(tx, item.call_id)
        params = {
            "innovation_id": item.innovation_id,
            "call_id": item.call_id,
            "title": item.title,
            "organisation": directory.organisation_name(tx, item.organisation_id),
            "call": call["title"] if call else "",
            "status_label": STATUS_LABELS.get(item.status, item.status),
            "waiting_days": waited,
            "since": format_jakarta(since),
            "sla_days": sla_days,
            "reviewers": ", ".join(r.full_name or r.username for r in reviewers),
            "note": "",
        }
        key = f"sla:{item.innovation_id}:{item.review_since}"
        if reviewers:
            planned += fan_out(f"{key}:1", "sla_reviewer", reviewers, params, email=email)
        else:
            planned += fan_out(f"{key}:1", "sla_admin", directory.admins(tx), params, email=email)
        if waited > sla_days + ESCALATE_AFTER:
            planned += fan_out(f"{key}:2", "sla_admin", directory.admins(tx), params, email=email)
    return planned


# ==== all of it =================================================================================


def due(tx: Tx, now: datetime, *, sla_days: int, email: bool) -> list[Planned]:
    """Every scheduled message due at ``now`` (nothing before office hours)."""
    if now.astimezone(JAKARTA).time() < OFFICE_HOURS_START:
        return []
    return (
        deadline_reminders(tx, now, email=email)
        + compliance_reminders(tx, now, email=email)
        + sla_escalations(tx, now, sla_days=sla_days, email=email)
        + overdue_follow_ups(tx, now, email=email)
        + monev.reminders(tx, local_date(now), email=email)
    )


def plan_due(rt: Services, now: datetime | None = None) -> int:
    """Put the due messages in the outbox; returns how many were new (repeats add nothing)."""
    moment = now or utcnow()
    with rt.db.transaction() as tx:
        planned = due(
            tx,
            moment,
            sla_days=rt.settings.sla_working_days,
            email=bool(rt.settings.smtp_host),
        )
        return outbox.insert(tx, planned)
