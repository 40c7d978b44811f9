"""Organisations, accounts and calls (``rm_organisations``, ``rm_accounts``, ``rm_calls``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from projections.queries.common import (
    Page,
    QueryError,
    decode_json,
    jakarta,
    optional_uuid,
)
from projections.sql import parse_ts
from services.domain.call import JAKARTA, format_jakarta


class OrganisationItem(msgspec.Struct):
    id: UUID
    code: str
    name: str
    kind: str
    registered_at: str | None


def organisations(
    db: Any, *, kind: str | None = None, q: str | None = None
) -> list[OrganisationItem]:
    clauses: list[str] = ["1 = 1"]
    args: list[Any] = []
    if kind:
        clauses.append("kind = ?")
        args.append(kind)
    if q:
        clauses.append("(lower(name) LIKE ? OR lower(code) LIKE ?)")
        args += [f"%{q.lower()}%"] * 2
    rows = db.rows(
        f"SELECT * FROM rm_organisations WHERE {' AND '.join(clauses)} ORDER BY name, id", args
    )
    return [
        OrganisationItem(
            id=UUID(r["id"]),
            code=r["code"] or "",
            name=r["name"] or "",
            kind=r["kind"] or "",
            registered_at=jakarta(r["registered_at"]),
        )
        for r in rows
    ]


class AccountItem(msgspec.Struct):
    id: UUID
    username: str
    full_name: str
    email: str
    phone: str
    role: str
    organisation_id: UUID | None
    organisation_name: str | None
    disabled: bool
    members: list[str]
    created_at: str | None
    updated_at: str | None


def accounts(
    db: Any,
    *,
    role: str | None = None,
    organisation: UUID | None = None,
    disabled: bool | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Page:
    clauses: list[str] = ["1 = 1"]
    args: list[Any] = []
    if role:
        clauses.append("a.role = ?")
        args.append(role)
    if organisation is not None:
        clauses.append("a.organisation_id = ?")
        args.append(str(organisation))
    if disabled is not None:
        clauses.append("a.disabled = ?")
        args.append(int(disabled))
    if q:
        clauses.append("(lower(a.username) LIKE ? OR lower(a.full_name) LIKE ?)")
        args += [f"%{q.lower()}%"] * 2
    condition = " AND ".join(clauses)
    total = db.scalar(f"SELECT count(*) FROM rm_accounts a WHERE {condition}", args)
    rows = db.rows(
        "SELECT a.*, o.name AS organisation_name FROM rm_accounts a "
        "LEFT JOIN rm_organisations o ON o.id = a.organisation_id "
        f"WHERE {condition} ORDER BY a.username LIMIT ? OFFSET ?",
        [*args, limit, offset],
    )
    items = [
        AccountItem(
            id=UUID(r["id"]),
            username=r["username"] or "",
            full_name=r["full_name"] or "",
            email=r["email"] or "",
            phone=r["phone"] or "",
            role=r["role"] or "",
            organisation_id=optional_uuid(r["organisation_id"]),
            organisation_name=r["organisation_name"],
            disabled=bool(r["disabled"]),
            members=decode_json(r["members"] or "[]"),
            created_at=jakarta(r["created_at"]),
            updated_at=jakarta(r["updated_at"]),
        )
        for r in rows
    ]
    return Page(items=items, total=int(total or 0), limit=limit, offset=offset)


class CallItem(msgspec.Struct):
    id: UUID
    kind: str
    title: str
    budget_year: int
    opens_at: str | None
    deadline: str | None
    deadline_label: str | None
    state: str  # upcoming | open | closed
    remaining_seconds: int  # until the deadline; 0 once closed
    days_to_deadline: int | None
    eligible_kinds: list[str]
    rubric_year: int
    required_documents: list[str]
    threshold: int
    description: str


def calls(
    db: Any,
    *,
    kind: str | None = None,
    year: int | None = None,
    state: str | None = None,
    now: datetime | None = None,
) -> list[CallItem]:
    now = now or datetime.now(UTC)
    if state is not None and state not in ("upcoming", "open", "closed"):
        raise QueryError("state", "Status panggilan harus upcoming, open atau closed.")
    clauses: list[str] = ["1 = 1"]
    args: list[Any] = []
    if kind:
        clauses.append("kind = ?")
        args.append(kind)
    if year is not None:
        clauses.append("budget_year = ?")
        args.append(year)
    out = []
    for r in db.rows(
        f"SELECT * FROM rm_calls WHERE {' AND '.join(clauses)} ORDER BY deadline, id", args
    ):
        opens, deadline = parse_ts(r["opens_at"]), parse_ts(r["deadline"])
        if opens is None or deadline is None:
            continue
        call_state = "upcoming" if now < opens else "open" if now < deadline else "closed"
        if state is not None and call_state != state:
            continue
        out.append(
            CallItem(
                id=UUID(r["id"]),
                kind=r["kind"],
                title=r["title"] or "",
                budget_year=int(r["budget_year"]),
                opens_at=opens.astimezone(JAKARTA).isoformat(),
                deadline=deadline.astimezone(JAKARTA).isoformat(),
                deadline_label=format_jakarta(deadline),
                state=call_state,
                remaining_seconds=int(max((deadline - now).total_seconds(), 0)),
                days_to_deadline=(
                    deadline.astimezone(JAKARTA).date() - now.astimezone(JAKARTA).date()
                ).days,
                eligible_kinds=decode_json(r["eligible_kinds"] or "[]"),
                rubric_year=int(r["rubric_year"]),
                required_documents=decode_json(r["required_documents"] or "[]"),
                threshold=int(r["threshold"] or 0),
                description=r["description"] or "",
            )
        )
    return out
