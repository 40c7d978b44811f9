"""The status board: one organisation's (or participant's) innovations and call deadlines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from projections.queries.common import (
    CallDeadline,
    ReadPosition,
    columns,
    deadline_of,
    decode_json,
    jakarta,
    optional_uuid,
    paged,
    placeholders,
    position_column,
    status_label,
    take_position,
    uuid_of,
)


class BoardItem(msgspec.Struct):
    id: UUID
    title: str
    status: str
    status_label: str
    stage: str | None
    call_kind: str
    organisation_id: UUID | None
    submitter_id: UUID | None
    last_change: str | None
    updated_at: str | None
    claimed_score: int | None
    verified_score: int | None
    max_score: int | None
    completeness: int | None
    missing: list[dict[str, Any]]
    revision: dict[str, Any] | None  # what the reviewer asked for, while a revision is open
    reviewers: list[dict[str, Any]]
    published: bool
    version: int
    call: CallDeadline | None


class StatusBoard(msgspec.Struct):
    organisation_id: UUID | None
    organisation_name: str | None
    counts: dict[str, int]
    items: list[BoardItem]
    total: int
    limit: int
    offset: int


#: What a board item shows (``_board_item``): the page reads these, not the whole row.
_BOARD_COLUMNS = columns(
    "i",
    "id title status stage call_kind call_id organisation_id submitter_id "
    "status_changed_at updated_at claimed_score verified_score max_score completeness "
    "missing revision reviewers published version",
)


def status_board(
    db: Any,
    *,
    organisation_id: UUID | None = None,
    submitter_id: UUID | None = None,
    status: Sequence[str] = (),
    now: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    position: ReadPosition | None = None,
) -> StatusBoard:
    """Each innovation of one organisation (or one participant): where it stands, what is
    missing, what the reviewer asked for, and how long until the call closes."""
    now = now or datetime.now(UTC)
    clauses: list[str] = []
    args: list[Any] = []
    if organisation_id is not None:
        clauses.append("i.organisation_id = ?")
        args.append(str(organisation_id))
    if submitter_id is not None:
        clauses.append("i.submitter_id = ?")
        args.append(str(submitter_id))
    scope = " AND ".join(clauses) or "1 = 1"
    scope_args = list(args)
    if status:
        clauses.append(f"i.status IN ({placeholders(status)})")
        args += list(status)
    condition = " AND ".join(clauses) or "1 = 1"
    # One statement: the counts by status and the organisation's name in a one-row head, the
    # page joined to it (so an empty page still answers them); the total is the counts' sum.
    concat = "string_agg" if db.dialect == "postgres" else "group_concat"
    name_sql = (
        "SELECT name FROM rm_organisations WHERE id = ?" if organisation_id else "SELECT NULL"
    )
    found = db.rows(
        "SELECT h.*, p.* FROM (SELECT "
        f"(SELECT {concat}(s.status || '=' || s.n, ',') FROM (SELECT i.status, count(*) AS n "
        f"FROM rm_innovations i WHERE {scope} GROUP BY i.status) s) AS board_counts, "
        f"({name_sql}) AS board_organisation{position_column(position)}) h LEFT JOIN ("
        f"SELECT {_BOARD_COLUMNS}, k.title AS call_title, k.deadline AS call_deadline "
        "FROM rm_innovations i "
        "LEFT JOIN rm_calls k ON k.id = i.call_id "
        f"WHERE {condition} ORDER BY i.updated_at DESC, i.id {paged(limit, offset)}) p ON 1 = 1 "
        "ORDER BY p.updated_at DESC, p.id",
        [*scope_args, *([str(organisation_id)] if organisation_id else []), *args],
    )
    head = found[0]
    take_position(position, head)
    counts = {
        key: int(n)
        for key, _, n in (part.partition("=") for part in (head["board_counts"] or "").split(","))
        if key
    }
    total = sum(counts.get(s, 0) for s in set(status)) if status else sum(counts.values())
    name = head["board_organisation"]
    rows = [r for r in found if r["id"] is not None]
    # Most of a board's rows share a call: its deadline is worked out once per call.
    deadlines: dict[tuple[Any, Any, Any], CallDeadline | None] = {}
    for r in rows:
        key = (r["call_id"], r["call_title"], r["call_deadline"])
        if key not in deadlines:
            deadlines[key] = deadline_of(r, now)
    items = [
        _board_item(r, deadlines[(r["call_id"], r["call_title"], r["call_deadline"])]) for r in rows
    ]
    return StatusBoard(
        organisation_id=organisation_id,
        organisation_name=name,
        counts=counts,
        items=items,
        total=total,
        limit=limit,
        offset=offset,
    )


def _board_item(r: Any, call: CallDeadline | None) -> BoardItem:
    """One innovation on the board, with its call's deadline (as seen now)."""
    return BoardItem(
        id=uuid_of(r["id"]),
        title=r["title"] or "",
        status=r["status"],
        status_label=status_label(r["status"]),
        stage=r["stage"],
        call_kind=r["call_kind"],
        organisation_id=optional_uuid(r["organisation_id"]),
        submitter_id=optional_uuid(r["submitter_id"]),
        last_change=jakarta(r["status_changed_at"]),
        updated_at=jakarta(r["updated_at"]),
        claimed_score=r["claimed_score"],
        verified_score=r["verified_score"],
        max_score=r["max_score"],
        completeness=r["completeness"],
        missing=decode_json(r["missing"] or "[]"),
        revision=decode_json(r["revision"]) if r["revision"] else None,
        reviewers=decode_json(r["reviewers"] or "[]"),
        published=bool(r["published"]),
        version=int(r["version"]),
        call=call,
    )
