"""Who is told what, for each event: the notification rules as one readable table.

``plan_event`` turns one event of the log into ``Planned`` side effects: an audit-trail record
for every event, and for the events people care about one message per recipient and channel.
Recipients are resolved from the relay's directory *as of this event* (see ``directory``):

=======================  ===========================================  ==========================
event                    recipients                                   kind
=======================  ===========================================  ==========================
Submitted                admins (new submission to assign)            submission_received
RevisionRequested        the organisation's operators                 revision_requested
Approved / Rejected      the organisation's operators                 approved / rejected
Established              the organisation's operators                 established
ReportedToIGA            the organisation's operators                 reported_to_iga
ReviewerAssigned         the assigned reviewer                        reviewer_assigned
Resubmitted              the assigned reviewers (admins if none)      resubmitted
Withdrawn                the assigned reviewers                       withdrawn
Endorsed                 the organisation's operators (ready to       endorsed
                         submit)
MentorAssigned           the assigned mentor                          mentor_assigned
MentoringSessionRecorded the organisation's operators (follow-ups)    mentoring_session
MonevVisitScheduled      the organisation's operators                 monev_visit
MonevVisitRescheduled    the organisation's operators (from, to, why) monev_visit_rescheduled
MonevVisitCancelled      the organisation's operators (why)           monev_visit_cancelled
(a visit 3 days ahead    the organisation's operators and the admins  monev_due (schedules)
 and on its day)
any status change of a   the participant who submitted it             the specific kind above,
Krenova entry                                                         else entry_status_changed
=======================  ===========================================  ==========================

For a Krenova entry (no organisation) "the organisation's operators" is the participant. The
actor is never told about their own action, except the participant's submission receipt.
Reminders and escalations come from ``schedules``; they use the same ``Planned`` shape.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from services.db import Tx
from services.domain import events as ev
from services.domain.actor import Role
from services.domain.call import format_date, format_jakarta
from services.domain.lifecycle import STATUS_LABELS
from services.domain.research.events import ResearchEvent
from services.notification import directory
from services.notification.directory import InnovationRow, Recipient
from services.notification.schema import stamp

INAPP = "inapp"
EMAIL = "email"
AUDIT = "audit"
CHANNELS = (INAPP, EMAIL, AUDIT)

# Events whose news goes to the submitting organisation (or the Krenova participant).
TO_SUBMITTER: dict[type[ev.Event], str] = {
    ev.RevisionRequested: "revision_requested",
    ev.Approved: "approved",
    ev.Rejected: "rejected",
    ev.Established: "established",
    ev.ReportedToIGA: "reported_to_iga",
    ev.Endorsed: "endorsed",
}

KINDS = (
    "submission_received",
    "submission_confirmed",
    "reviewer_assigned",
    "resubmitted",
    "withdrawn",
    "revision_requested",
    "approved",
    "rejected",
    "established",
    "reported_to_iga",
    "endorsed",
    "mentor_assigned",
    "mentoring_session",
    "follow_up_overdue",  # beat scan: services/notification/mentoring_schedule.py
    "monev_visit",
    "monev_due",
    "monev_visit_rescheduled",
    "monev_visit_cancelled",
    "entry_status_changed",
    "deadline_reminder",
    "compliance_reminder",
    "sla_reviewer",
    "sla_admin",
    "research_status",  # riset daerah (services/notification/research.py)
)


class Planned(msgspec.Struct, frozen=True, kw_only=True):
    """One side effect to perform once: the outbox row's key and what the task needs."""

    source_key: str  # what it is about: "event:<notification id>" or a reminder's key
    recipient_id: str  # account id; "" for the audit record
    channel: str  # inapp | email | audit
    kind: str
    payload: dict[str, Any]
    notification_id: int | None = None
    occurred_at: str | None = None


def event_source(notification_id: int) -> str:
    return f"event:{notification_id}"


def fan_out(
    source_key: str,
    kind: str,
    recipients: list[Recipient],
    params: dict[str, Any],
    *,
    email: bool,
    notification_id: int | None = None,
    occurred_at: str | None = None,
) -> list[Planned]:
    """One in-app message per recipient, plus an email where SMTP is set up and they have one."""
    planned: list[Planned] = []
    for r in recipients:
        payload = {
            "kind": kind,
            "params": params,
            "recipient": {"name": r.full_name or r.username, "email": r.email, "role": r.role},
        }
        channels = [INAPP] + ([EMAIL] if email and r.email else [])
        for channel in channels:
            planned.append(
                Planned(
                    source_key=source_key,
                    recipient_id=r.account_id,
                    channel=channel,
                    kind=kind,
                    payload=payload,
                    notification_id=notification_id,
                    occurred_at=occurred_at,
                )
            )
    return planned


def _fmt_date(value: Any) -> str:
    return format_date(value)


def _params(tx: Tx, e: ev.InnovationEvent, row: InnovationRow) -> dict[str, Any]:
    call = directory.call(tx, row.call_id)
    params: dict[str, Any] = {
        "innovation_id": row.innovation_id,
        "call_id": row.call_id,
        "title": row.title,
        "organisation": directory.organisation_name(tx, row.organisation_id),
        "call": call["title"] if call else "",
        "krenova": row.call_kind == "krenova",
        "actor": directory.display_name(tx, e.actor.account_id),
        "status": row.status,
        "status_label": STATUS_LABELS.get(row.status, row.status),
        "when": format_jakarta(e.timestamp),
        "note": "",
    }
    match e:
        case ev.RevisionRequested():
            params["note"] = e.note
            params["round"] = e.round
            params["revision_items"] = [f"{i.key}: {i.note}" if i.note else i.key for i in e.items]
        case ev.Approved():
            params["note"] = e.note
            params["score"] = e.verified_score
        case ev.Rejected():
            params["note"] = e.reason
        case ev.Established():
            params["sk_number"] = e.sk_number
            params["sk_date"] = _fmt_date(e.sk_date)
        case ev.ReportedToIGA():
            params["year"] = e.year
        case ev.Resubmitted():
            params["note"] = e.note
            params["round"] = e.round
        case ev.Withdrawn():
            params["note"] = e.reason
        case ev.Endorsed():
            params["note"] = e.note
            params["endorser"] = e.endorser_name
            params["by_letter"] = e.by_letter
        case _:
            note = getattr(e, "note", None) or getattr(e, "reason", None)
            if isinstance(note, str) and note:
                params["note"] = note
    return params


def _submitters(tx: Tx, row: InnovationRow) -> list[Recipient]:
    """The organisation's operators, or the participant for a Krenova entry."""
    if row.organisation_id is not None:
        return directory.operators(tx, row.organisation_id)
    participant = directory.account(tx, row.submitter_id)
    return [participant] if participant else []


def _reviewers(tx: Tx, row: InnovationRow) -> list[Recipient]:
    found = [directory.account(tx, r) for r in row.reviewers]
    return [r for r in found if r is not None and r.role == Role.REVIEWER]


def recipients_for(
    tx: Tx, e: ev.InnovationEvent, before: InnovationRow | None, after: InnovationRow
) -> list[tuple[str, list[Recipient]]]:
    """(kind, recipients) pairs for an innovation event, most specific first."""
    out: list[tuple[str, list[Recipient]]] = []
    if isinstance(e, ev.Submitted):
        out.append(("submission_received", directory.admins(tx)))
        if after.organisation_id is None:
            out.append(("submission_confirmed", _submitters(tx, after)))
    elif type(e) in TO_SUBMITTER:
        out.append((TO_SUBMITTER[type(e)], _submitters(tx, after)))
    elif isinstance(e, ev.ReviewerAssigned):
        assigned = directory.account(tx, str(e.reviewer_id))
        out.append(("reviewer_assigned", [assigned] if assigned else []))
    elif isinstance(e, ev.Resubmitted):
        out.append(("resubmitted", _reviewers(tx, after) or directory.admins(tx)))
    elif isinstance(e, ev.Withdrawn):
        out.append(("withdrawn", _reviewers(tx, after)))
    status_changed = before is not None and before.status != after.status
    if after.organisation_id is None and status_changed:
        out.append(("entry_status_changed", _submitters(tx, after)))
    return out


def plan_event(tx: Tx, notification_id: int, event: ev.Event, *, email: bool) -> list[Planned]:
    """Fold the event into the directory and plan its side effects (audit record first)."""
    occurred = stamp(event.timestamp)
    source = event_source(notification_id)
    planned = [
        Planned(
            source_key=source,
            recipient_id="",
            channel=AUDIT,
            kind="audit",
            payload={"topic": event.TOPIC},
            notification_id=notification_id,
            occurred_at=occurred,
        )
    ]
    before, after = directory.apply(tx, event)
    if isinstance(event, ev.MentoringEvent):
        return planned + _mentoring(tx, source, event, email, notification_id, occurred)
    if isinstance(event, ev.MonevEvent):
        from services.notification import monev

        told = _monev_visit(tx, source, event, email, notification_id, occurred)
        monev.track(tx, event)  # after: a rescheduled or cancelled visit is read as it was
        return planned + told
    if isinstance(event, ResearchEvent):
        return planned + _plan_research(tx, event, source, notification_id, occurred, email)
    if not isinstance(event, ev.InnovationEvent) or after is None:
        return planned
    seen: set[str] = set()
    actor = str(event.actor.account_id) if event.actor.account_id else None
    params = _params(tx, event, after)
    for kind, recipients in recipients_for(tx, event, before, after):
        chosen = [
            r
            for r in recipients
            if r.account_id not in seen
            and (r.account_id != actor or kind == "submission_confirmed")
        ]
        seen.update(r.account_id for r in chosen)
        planned += fan_out(
            source,
            kind,
            chosen,
            params,
            email=email,
            notification_id=notification_id,
            occurred_at=occurred,
        )
    return planned


def _innovation_params(tx: Tx, row: Any, e: ev.Event) -> dict[str, Any]:
    """What every message about an innovation's care (mentoring, monev) shows of it."""
    return {
        "innovation_id": row.innovation_id,
        "call_id": row.call_id,
        "title": row.title,
        "organisation": directory.organisation_name(tx, row.organisation_id),
        "call": "",
        "krenova": False,
        "actor": directory.display_name(tx, e.actor.account_id),
        "status": row.status,
        "status_label": STATUS_LABELS.get(row.status, row.status),
        "when": format_jakarta(e.timestamp),
        "note": "",
    }


def _mentoring(
    tx: Tx,
    source: str,
    e: ev.MentoringEvent,
    email: bool,
    notification_id: int,
    occurred: str | None,
) -> list[Planned]:
    """Pendampingan: the mentor hears of the assignment; the organisation of each session."""
    from services.domain.mentoring import MODE_LABELS

    row = directory.innovation(tx, str(e.innovation_id))
    if row is None:
        return []
    params = _innovation_params(tx, row, e)
    if isinstance(e, ev.MentorAssigned):
        kind, recipients = "mentor_assigned", [directory.account(tx, str(e.mentor_id))]
        params["note"] = e.note
    elif isinstance(e, ev.MentoringSessionRecorded):
        kind, recipients = "mentoring_session", list(directory.operators(tx, row.organisation_id))
        params["mode"] = MODE_LABELS.get(e.mode, e.mode)
        params["held_on"] = format_date(e.held_on)
        params["topics"] = list(e.topics)
        params["follow_ups"] = [
            f"{f.text} (tenggat {format_date(f.due)})" if f.due else f.text for f in e.follow_ups
        ]
    else:
        return []
    actor = str(e.actor.account_id) if e.actor.account_id else None
    chosen = [r for r in recipients if r is not None and r.account_id != actor]
    return fan_out(
        source,
        kind,
        chosen,
        params,
        email=email,
        notification_id=notification_id,
        occurred_at=occurred,
    )


def _monev_visit(
    tx: Tx,
    source: str,
    e: ev.MonevEvent,
    email: bool,
    notification_id: int,
    occurred: str | None,
) -> list[Planned]:
    """Monev: the organisation hears when and how its innovation will be visited, and when a
    visit is moved (from, to, why) or called off (why)."""
    from services.domain.monev import VISIT_LABELS
    from services.notification.monev import visit_row

    if isinstance(e, ev.MonevVisitScheduled):
        kind, visit_kind, due_on = "monev_visit", e.kind, e.due_on
        extra = {"note": e.note}
    elif isinstance(e, ev.MonevVisitRescheduled | ev.MonevVisitCancelled):
        visit = visit_row(tx, e.visit_id)
        if visit is None:
            return []
        visit_kind, due_on = visit["kind"], date.fromisoformat(visit["due_on"])
        if isinstance(e, ev.MonevVisitRescheduled):
            kind, due_on = "monev_visit_rescheduled", e.due_on
            extra = {"reason": e.reason, "previous_due_on": format_date(e.previous_due_on)}
        else:
            kind, extra = "monev_visit_cancelled", {"reason": e.reason}
    else:
        return []
    row = directory.innovation(tx, str(e.innovation_id))
    if row is None:
        return []
    params = _innovation_params(tx, row, e) | {
        "visit_kind": VISIT_LABELS.get(visit_kind, visit_kind),
        "due_on": format_date(due_on),
        **extra,
    }
    actor = str(e.actor.account_id) if e.actor.account_id else None
    recipients = [r for r in directory.operators(tx, row.organisation_id) if r.account_id != actor]
    return fan_out(
        source,
        kind,
        recipients,
        params,
        email=email,
        notification_id=notification_id,
        occurred_at=occurred,
    )


def _plan_research(
    tx: Tx, event: ResearchEvent, source: str, notification_id: int, occurred: str, email: bool
) -> list[Planned]:
    """Riset daerah's rules (``services.notification.research``), the actor left out."""
    from services.notification import research as notify

    found = notify.recipients(tx, event)
    if found is None:
        return []
    recipients, params = found
    actor = str(event.actor.account_id) if event.actor.account_id else None
    chosen = list({r.account_id: r for r in recipients if r.account_id != actor}.values())
    return fan_out(
        source,
        notify.KIND,
        chosen,
        params,
        email=email,
        notification_id=notification_id,
        occurred_at=occurred,
    )
