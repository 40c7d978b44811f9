"""The relay's own picture of the world: accounts, organisations, calls and innovations.

Folded from the notification log by the relay, in the same transaction as its position and the
outbox rows it plans, so "who are the operators of this organisation" is answered exactly as of
the event being planned, and a replay after a crash plans the same recipients. It is a small
disposable read model (rebuilt by replaying the log) kept here rather than in ``projections/``
because it must move in lockstep with the relay's position, not with another runner's.

Only what notifications and the schedules need is kept: role and organisation of accounts,
deadlines of calls, status / reviewers / waiting-since of innovations.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import msgspec

from services.db import Tx
from services.domain import events as ev
from services.domain.actor import Role
from services.domain.lifecycle import Status, status_after
from services.notification.schema import stamp


class Recipient(msgspec.Struct, frozen=True):
    account_id: str
    username: str
    full_name: str
    email: str
    role: str


class InnovationRow(msgspec.Struct, kw_only=True):
    innovation_id: str
    call_id: str | None
    call_kind: str
    organisation_id: str | None
    submitter_id: str | None
    title: str
    status: str
    budget_year: int
    reviewers: list[str]
    review_since: str | None
    submitted_at: str | None


def _id(value: UUID | None) -> str | None:
    return str(value) if value is not None else None


# ==== reads =====================================================================================

_RECIPIENT = "SELECT account_id, username, full_name, email, role FROM notification_accounts "


def _recipients(tx: Tx, where: str, params: tuple[Any, ...]) -> list[Recipient]:
    rows = tx.execute(_RECIPIENT + where + " ORDER BY username", params).fetchall()
    return [Recipient(*row) for row in rows]


def admins(tx: Tx) -> list[Recipient]:
    return _recipients(tx, "WHERE role = ? AND disabled = 0", (Role.ADMIN.value,))


def operators(tx: Tx, organisation_id: str | None) -> list[Recipient]:
    if organisation_id is None:
        return []
    return _recipients(
        tx,
        "WHERE role = ? AND organisation_id = ? AND disabled = 0",
        (Role.OPERATOR.value, organisation_id),
    )


def account(tx: Tx, account_id: str | None) -> Recipient | None:
    """The account if it exists and is enabled (a disabled account is never notified)."""
    if account_id is None:
        return None
    found = _recipients(tx, "WHERE account_id = ? AND disabled = 0", (account_id,))
    return found[0] if found else None


def username(tx: Tx, account_id: UUID | None) -> str | None:
    if account_id is None:
        return None
    return tx.scalar(
        "SELECT username FROM notification_accounts WHERE account_id = ?", (str(account_id),)
    )


def display_name(tx: Tx, account_id: UUID | None) -> str:
    if account_id is None:
        return "Sistem"
    row = tx.execute(
        "SELECT full_name, username FROM notification_accounts WHERE account_id = ?",
        (str(account_id),),
    ).fetchone()
    return (row[0] or row[1]) if row else "pengguna"


def organisation_name(tx: Tx, organisation_id: str | None) -> str:
    if organisation_id is None:
        return ""
    return str(
        tx.scalar(
            "SELECT name FROM notification_organisations WHERE organisation_id = ?",
            (organisation_id,),
        )
        or ""
    )


def call(tx: Tx, call_id: str | None) -> dict[str, Any] | None:
    if call_id is None:
        return None
    rows = tx.rows("SELECT * FROM notification_calls WHERE call_id = ?", (call_id,))
    return rows[0] if rows else None


def innovation(tx: Tx, innovation_id: str) -> InnovationRow | None:
    rows = tx.rows(
        "SELECT * FROM notification_innovations WHERE innovation_id = ?", (innovation_id,)
    )
    if not rows:
        return None
    row = rows[0]
    row["reviewers"] = json.loads(row["reviewers"])
    return msgspec.convert(row, InnovationRow)


def _save_innovation(tx: Tx, row: InnovationRow) -> None:
    tx.execute(
        "UPDATE notification_innovations SET title = ?, status = ?, reviewers = ?, "
        "review_since = ?, submitted_at = ? WHERE innovation_id = ?",
        (
            row.title,
            row.status,
            json.dumps(row.reviewers),
            row.review_since,
            row.submitted_at,
            row.innovation_id,
        ),
    )


# ==== the fold ==================================================================================


def apply(tx: Tx, event: ev.Event) -> tuple[InnovationRow | None, InnovationRow | None]:
    """Fold one event into the tables; for innovation events return (before, after)."""
    if isinstance(event, ev.InnovationEvent):
        return _apply_innovation(tx, event)
    _apply_other(tx, event)
    return None, None


def _apply_other(tx: Tx, e: ev.Event) -> None:
    oid = str(e.originator_id)
    match e:
        case ev.AccountCreated():
            tx.execute(
                "INSERT INTO notification_accounts (account_id, username, full_name, email, "
                "role, organisation_id, disabled) VALUES (?, ?, ?, ?, ?, ?, 0) "
                "ON CONFLICT (account_id) DO UPDATE SET username = excluded.username, "
                "full_name = excluded.full_name, email = excluded.email, role = excluded.role, "
                "organisation_id = excluded.organisation_id, disabled = 0",
                (oid, e.username, e.full_name, e.email, str(e.role), _id(e.organisation_id)),
            )
        case ev.RoleChanged():
            tx.execute(
                "UPDATE notification_accounts SET role = ? WHERE account_id = ?", (str(e.role), oid)
            )
        case ev.OrganisationChanged():
            tx.execute(
                "UPDATE notification_accounts SET organisation_id = ? WHERE account_id = ?",
                (_id(e.organisation_id), oid),
            )
        case ev.AccountDisabled():
            tx.execute("UPDATE notification_accounts SET disabled = 1 WHERE account_id = ?", (oid,))
        case ev.AccountEnabled():
            tx.execute("UPDATE notification_accounts SET disabled = 0 WHERE account_id = ?", (oid,))
        case ev.OrganisationRegistered():
            tx.execute(
                "INSERT INTO notification_organisations (organisation_id, kind, code, name) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (organisation_id) DO UPDATE SET "
                "kind = excluded.kind, code = excluded.code, name = excluded.name",
                (oid, str(e.kind), e.code, e.name),
            )
        case ev.OrganisationRenamed():
            tx.execute(
                "UPDATE notification_organisations SET name = ? WHERE organisation_id = ?",
                (e.name, oid),
            )
        case ev.CallOpened():
            tx.execute(
                "INSERT INTO notification_calls (call_id, kind, title, budget_year, opens_at, "
                "deadline, eligible_kinds) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (call_id) DO UPDATE SET kind = excluded.kind, "
                "title = excluded.title, budget_year = excluded.budget_year, "
                "opens_at = excluded.opens_at, deadline = excluded.deadline, "
                "eligible_kinds = excluded.eligible_kinds",
                (
                    oid,
                    str(e.kind),
                    e.title,
                    e.budget_year,
                    stamp(e.opens_at),
                    stamp(e.deadline),
                    json.dumps(list(e.eligible_kinds)),
                ),
            )
        case ev.DeadlineChanged():
            tx.execute(
                "UPDATE notification_calls SET deadline = ? WHERE call_id = ?",
                (stamp(e.deadline), oid),
            )
        case _:
            pass


def _apply_innovation(
    tx: Tx, e: ev.InnovationEvent
) -> tuple[InnovationRow | None, InnovationRow | None]:
    oid = str(e.originator_id)
    if isinstance(e, ev.Proposed):
        tx.execute(
            "INSERT INTO notification_innovations (innovation_id, call_id, call_kind, "
            "organisation_id, submitter_id, title, status, budget_year) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (innovation_id) DO NOTHING",
            (
                oid,
                str(e.call_id),
                str(e.call_kind),
                _id(e.organisation_id),
                _id(e.submitter_id),
                e.profile.title,
                Status.DRAFT.value,
                e.budget_year,
            ),
        )
        return None, innovation(tx, oid)
    before = innovation(tx, oid)
    if before is None:  # its Proposed was never seen (cannot happen in an ordered log)
        return None, None
    after = msgspec.structs.replace(before, reviewers=list(before.reviewers))
    target = status_after(before.status, type(e))
    if target is not None:
        after.status = target.value
    moment = stamp(e.timestamp)
    match e:
        case ev.ProfileUpdated():
            title = getattr(e.changes, "title", None)
            if isinstance(title, str) and title.strip():
                after.title = title
        case ev.Submitted():
            after.submitted_at = moment
            after.review_since = moment
        case ev.Resubmitted():
            after.review_since = moment
        case ev.ReviewerAssigned():
            if str(e.reviewer_id) not in after.reviewers:
                after.reviewers.append(str(e.reviewer_id))
        case _:
            pass
    _save_innovation(tx, after)
    return before, after
