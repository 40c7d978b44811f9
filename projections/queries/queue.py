"""The review queue: innovations waiting for review work, with their SLA state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from uuid import UUID

import msgspec

from projections.queries.common import (
    QUEUE_STATUSES,
    QueryError,
    ReadPosition,
    decode_json,
    jakarta,
    optional_uuid,
    paged,
    position_column,
    status_label,
    take_position,
    uuid_of,
)
from projections.sql import ts
from services.domain.actor import Role
from services.domain.call import JAKARTA
from services.domain.principal import Principal
from services.domain.workdays import add_working_days, working_days


class QueueItem(msgspec.Struct):
    id: UUID
    title: str
    status: str
    status_label: str
    call_kind: str
    organisation_id: UUID | None
    organisation_name: str | None
    call_id: UUID | None
    call_title: str | None
    claimed_score: int | None
    verified_score: int | None
    completeness: int | None
    missing_count: int
    documents_pending: int
    reviewers: list[dict[str, Any]]
    revision_round: int
    submitted_at: str | None
    waiting_since: str | None
    age_working_days: int
    sla_due: str | None  # the date the SLA runs out (Asia/Jakarta)
    sla_state: str  # ok | due | breached
    version: int


class Queue(msgspec.Struct):
    items: list[QueueItem]
    total: int
    limit: int
    offset: int
    sla_working_days: int
    counts: dict[str, int]  # by SLA state, over the whole filtered queue


#: How the queue sorts: an SQL key (then the id, in the same direction) and whether it is text.
#: The keys are the ones the queue always sorted by: missing values first ('' / 0), text in code
#: point order (``COLLATE "C"`` on PostgreSQL, whatever the database's locale; SQLite compares
#: bytes), titles and organisation names lower-cased by Python when the read models are written
#: (``title_sort``, ``name_sort``: SQL's lower() folds only ASCII).
QUEUE_SORTS: dict[str, tuple[str, bool]] = {
    "age": ("COALESCE(i.waiting_since, '')", True),
    "score": ("COALESCE(i.claimed_score, 0)", False),
    "completeness": ("COALESCE(i.completeness, 0)", False),
    "submitted": ("COALESCE(i.submitted_at, '')", True),
    "organisation": ("COALESCE(o.name_sort, '')", True),
    "title": ("COALESCE(i.title_sort, '')", True),
}
SLA_STATES = ("ok", "due", "breached")

_QUEUE_COLUMNS = (
    "i.id, i.title, i.status, i.call_kind, i.organisation_id, i.call_id, i.claimed_score, "
    "i.verified_score, i.completeness, i.missing_count, i.documents_pending, i.reviewers, "
    "i.revision_round, i.submitted_at, i.waiting_since, i.version, "
    "o.name AS organisation_name, k.title AS call_title"
)


def sla_state(age_working_days: int, sla_working_days: int) -> str:
    """The queue's SLA rule: an item waiting longer than the SLA (in working days) is
    ``breached``, on its last day ``due``, else ``ok``."""
    if age_working_days > sla_working_days:
        return "breached"
    return "due" if age_working_days == sla_working_days else "ok"


def sla_ranges(today: date, sla_working_days: int) -> dict[str, tuple[date | None, date | None]]:
    """Which waiting-since dates (Asia/Jakarta) are in which SLA state on ``today``: per state
    ``(first, end)``, ``first`` included, ``end`` excluded, ``None`` unbounded; a state no date
    is in is absent. Found by walking back from today with ``working_days`` and ``sla_state``
    (the rule stays there): age only grows as the date goes back, so each state is one range,
    and dates from today on (age 0) share today's state."""
    ranges: dict[str, tuple[date | None, date | None]] = {}
    current, end, day = sla_state(0, sla_working_days), None, today
    while current != "breached":
        before = day - timedelta(days=1)
        state = sla_state(working_days(before, today), sla_working_days)
        if state != current:
            ranges[current] = (day, end)
            current, end = state, day
        day = before
    ranges["breached"] = (None, end)
    return ranges


def _day_starts(day: date) -> str:
    """The stored (UTC text) form of the first moment of ``day`` in Jakarta."""
    return ts(datetime.combine(day, time(), tzinfo=JAKARTA)) or ""


def _sla_condition(
    ranges: dict[str, tuple[date | None, date | None]], state: str
) -> tuple[str, list[Any]]:
    """The SQL condition for rows in SLA ``state``: a range of ``waiting_since`` (stored UTC
    text, fixed width, so text order is time order); rows without it have age 0."""
    if state not in ranges:
        return "1 = 0", []
    first, end = ranges[state]
    parts: list[str] = []
    args: list[Any] = []
    if first is not None:
        parts.append("i.waiting_since >= ?")
        args.append(_day_starts(first))
    if end is not None:
        parts.append("i.waiting_since < ?")
        args.append(_day_starts(end))
    condition = " AND ".join(parts) or "1 = 1"
    if end is None:  # the range holds today: also the rows that have no waiting_since
        condition = f"({condition} OR i.waiting_since IS NULL)"
    return f"({condition})", args


def review_queue(
    db: Any,
    principal: Principal,
    *,
    sla_working_days: int,
    status: Sequence[str] = (),
    organisation: UUID | None = None,
    call: UUID | None = None,
    reviewer: str | None = None,
    sla: str | None = None,
    kind: str | None = None,
    sort: str = "age",
    descending: bool = False,
    now: datetime | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    position: ReadPosition | None = None,
) -> Queue:
    """Innovations waiting for review work, oldest first by default.

    Reviewers never see their own organisation's innovations (conflict of interest).
    ``reviewer``: ``me``, an account id, or ``none`` (not assigned yet).

    Filtered, counted, sorted and paged in SQL; only the page's rows are read. The SLA state
    depends on ``now``: it is turned into ranges of ``waiting_since`` (``sla_ranges``).
    """
    now = now or datetime.now(UTC)
    wanted = _checked_statuses(status, sort, sla)
    clauses, args = _queue_filters(
        principal, wanted, organisation=organisation, call=call, kind=kind, q=q, reviewer=reviewer
    )
    today = now.astimezone(JAKARTA).date()
    ranges = sla_ranges(today, sla_working_days)
    sums: list[str] = []
    sum_args: list[Any] = []
    for state in SLA_STATES:
        condition, extra = _sla_condition(ranges, state)
        sums.append(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {state}")
        sum_args += extra
    where = " AND ".join(clauses)
    head = (
        f"SELECT {', '.join(sums)}{position_column(position)} FROM rm_innovations i WHERE {where}"
    )
    head_args = [*sum_args, *args]
    if sla is not None:
        condition, extra = _sla_condition(ranges, sla)
        clauses.append(condition)
        args += extra
    key, text = QUEUE_SORTS[sort]
    collate = ' COLLATE "C"' if db.dialect == "postgres" else ""
    direction = " DESC" if descending else ""
    # The page's ids first (from the index when sorted by age), then only their rows joined.
    names = ""
    if sort == "organisation":
        names = "LEFT JOIN rm_organisations o ON o.id = i.organisation_id "
    # One statement: the SLA counts in a one-row head, the page joined to it (an empty page
    # still answers the counts).
    found = db.rows(
        f"SELECT h.*, g.* FROM ({head}) h LEFT JOIN ("
        f"SELECT {_QUEUE_COLUMNS}, p.sort_key FROM (SELECT i.id AS page_id, {key} AS sort_key "
        f"FROM rm_innovations i {names}WHERE {' AND '.join(clauses)} "
        f"ORDER BY {key}{collate if text else ''}{direction}, i.id{collate}{direction} "
        f"{paged(limit, offset)}) p JOIN rm_innovations i ON i.id = p.page_id "
        "LEFT JOIN rm_organisations o ON o.id = i.organisation_id "
        "LEFT JOIN rm_calls k ON k.id = i.call_id) g ON 1 = 1 "
        f"ORDER BY g.sort_key{collate if text else ''}{direction}, g.id{collate}{direction}",
        [*head_args, *args],
    )
    counts = {s: int(found[0][s] or 0) if found else 0 for s in SLA_STATES}
    take_position(position, found[0])
    sla_of = _sla(today, sla_working_days)
    return Queue(
        items=[_queue_item(r, sla_of) for r in found if r["id"] is not None],
        total=counts[sla] if sla is not None else sum(counts.values()),
        limit=limit,
        offset=offset,
        sla_working_days=sla_working_days,
        counts=counts,
    )


def _checked_statuses(status: Sequence[str], sort: str, sla: str | None) -> list[str]:
    """The statuses asked for (all the queue's by default); bad sort, SLA or status is refused."""
    if sort not in QUEUE_SORTS:
        raise QueryError("sort", f"Urutan harus salah satu dari: {', '.join(QUEUE_SORTS)}.")
    if sla is not None and sla not in SLA_STATES:
        raise QueryError("sla", f"Status SLA harus salah satu dari: {', '.join(SLA_STATES)}.")
    wanted = list(status) or [s.value for s in QUEUE_STATUSES]
    if set(wanted) - {s.value for s in QUEUE_STATUSES}:
        raise QueryError(
            "status",
            "Antrean hanya memuat status: " + ", ".join(s.value for s in QUEUE_STATUSES) + ".",
        )
    return wanted


def _queue_filters(
    principal: Principal,
    wanted: list[str],
    *,
    organisation: UUID | None,
    call: UUID | None,
    kind: str | None,
    q: str | None,
    reviewer: str | None,
) -> tuple[list[str], list[Any]]:
    """The WHERE clauses and their arguments, conflict of interest included (SLA not yet)."""
    # Written in (checked against the enum above), so the planner can use the partial index
    # on the queue's statuses (``rm_innovations_queue_age``) whatever plan it caches.
    clauses = [f"i.status IN ({', '.join(repr(str(s)) for s in wanted)})"]
    args: list[Any] = []
    if principal.role == Role.REVIEWER and principal.organisation_id is not None:
        clauses.append("(i.organisation_id IS NULL OR i.organisation_id <> ?)")
        args.append(str(principal.organisation_id))
    for column, value in (
        ("i.organisation_id", organisation),
        ("i.call_id", call),
        ("i.call_kind", kind),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(str(value))
    if q:  # title or organisation name, on the lower-cased sort columns
        needle = f"%{q.strip().lower()}%"
        clauses.append(
            "(i.title_sort LIKE ? OR i.organisation_id IN "
            "(SELECT id FROM rm_organisations WHERE name_sort LIKE ?))"
        )
        args += [needle, needle]
    if reviewer == "none":
        clauses.append("i.reviewers = '[]'")
    elif reviewer is not None:
        who = principal.account_id if reviewer == "me" else _parse_uuid(reviewer, "reviewer")
        clauses.append("i.reviewers LIKE ?")
        args.append(f'%"{who}"%')
    return clauses, args


class _Sla(msgspec.Struct):
    age: int
    due: str | None
    state: str


def _sla(today: date, sla_working_days: int) -> Callable[[date | None], _Sla]:
    """Age, SLA due date and state of an item waiting since a day, as of ``today``: computed
    once per distinct day of a page (the calendar walks day by day), not once per row."""

    @cache
    def of(since: date | None) -> _Sla:
        age = working_days(since, today) if since else 0
        due = add_working_days(since, sla_working_days).isoformat() if since else None
        return _Sla(age, due, sla_state(age, sla_working_days))

    return of


def _queue_item(r: Any, sla_of: Callable[[date | None], _Sla]) -> QueueItem:
    """One row of the page, with its age and SLA state (``_sla``)."""
    waiting = jakarta(r["waiting_since"])  # its first ten characters: the day in Jakarta
    sla = sla_of(date.fromisoformat(waiting[:10]) if waiting else None)
    return QueueItem(
        id=uuid_of(r["id"]),
        title=r["title"] or "",
        status=r["status"],
        status_label=status_label(r["status"]),
        call_kind=r["call_kind"],
        organisation_id=optional_uuid(r["organisation_id"]),
        organisation_name=r["organisation_name"],
        call_id=optional_uuid(r["call_id"]),
        call_title=r["call_title"],
        claimed_score=r["claimed_score"],
        verified_score=r["verified_score"],
        completeness=r["completeness"],
        missing_count=int(r["missing_count"] or 0),
        documents_pending=int(r["documents_pending"] or 0),
        reviewers=decode_json(r["reviewers"] or "[]"),
        revision_round=int(r["revision_round"] or 0),
        submitted_at=jakarta(r["submitted_at"]),
        waiting_since=waiting,
        age_working_days=sla.age,
        sla_due=sla.due,
        sla_state=sla.state,
        version=int(r["version"]),
    )


def _parse_uuid(value: str, field: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise QueryError(field, f"'{value}' bukan id yang valid.") from None
