"""Queries over the read models: what the status board, queue, dashboards and catalogue show.

Used by the JSON routes (``services.reads.routes``) and the web pages alike. Every function reads
read-model tables only (never the event log), takes the caller's scope as plain arguments, and
computes the time-dependent parts (age in working days, SLA, days to a deadline) from ``now`` at
query time, so the read models themselves stay pure functions of the log.

Times are stored in UTC and returned as ISO 8601 in Asia/Jakarta.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import msgspec

from projections.regency import IndexInputs, Rescore, index_inputs, resolve_rules
from projections.sql import parse_ts, ts
from projections.text import fts5_query, pg_tsquery, terms
from services.domain import regency_index
from services.domain.actor import Role
from services.domain.call import JAKARTA, format_jakarta
from services.domain.index_rules import IndexRules, UnknownIndexYear
from services.domain.lifecycle import STATUS_LABELS, Status
from services.domain.principal import Principal
from services.domain.rubric import available_years
from services.identity import policy

QUEUE_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.RESUBMITTED, Status.SCORED)
DECIDED = (
    Status.APPROVED,
    Status.ESTABLISHED,
    Status.SELECTED_FOR_IGA,
    Status.REPORTED_TO_IGA,
)

_json = msgspec.json.Decoder()


class QueryError(ValueError):
    """A filter value the caller got wrong; routes answer 400 with ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- shared -------------------------------------------------------------------------------------


def jakarta(value: str | None) -> str | None:
    moment = parse_ts(value)
    return moment.astimezone(JAKARTA).isoformat() if moment else None


def jakarta_date(value: str | None) -> date | None:
    moment = parse_ts(value)
    return moment.astimezone(JAKARTA).date() if moment else None


def working_days(start: date, end: date) -> int:
    """Monday–Friday days from ``start`` (exclusive of it) up to ``end`` (inclusive): the age of
    something that arrived on ``start`` as seen on ``end``. National holidays are not known."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    weekday = start.weekday()
    for i in range(1, rest + 1):
        if (weekday + i) % 7 < 5:
            count += 1
    return count


def add_working_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def _page(limit: int, offset: int) -> str:
    """``LIMIT … OFFSET …`` with the numbers written in (integers: nothing to escape), so the
    plan a prepared statement settles on still knows a page is small and joins only its rows."""
    return f"LIMIT {int(limit)} OFFSET {int(offset)}"


def search_clause(dialect: str, query: str, column: str = "c.doc_no") -> tuple[str, list[Any]]:
    """A WHERE fragment matching catalogue rows (``column`` = doc_no) against the query words."""
    words = terms(query)
    if not words:
        return "", []
    if dialect == "postgres":
        return (
            f"{column} IN (SELECT doc_no FROM rm_catalogue_fts "
            "WHERE document @@ to_tsquery('simple', ?))",
            [pg_tsquery(words)],
        )
    return (
        f"{column} IN (SELECT rowid FROM rm_catalogue_fts WHERE rm_catalogue_fts MATCH ?)",
        [fts5_query(words)],
    )


def _public_matches(dialect: str, words: list[str], filters: list[str]) -> tuple[str, list[Any]]:
    """``SELECT id, published_at, relevance``: the published catalogue rows matching every query
    word and ``filters`` (conditions on ``c``, their ``rm_catalogue`` row), found once through the
    search index and ranked in the same pass (higher ``relevance`` is better).

    PostgreSQL ranks with ``ts_rank`` and reads ``id`` and ``published_at`` from the index rows,
    joining ``rm_catalogue`` only when a filter needs it; SQLite ranks with FTS5's ``bm25`` (title
    weighted 10 to the body's 1, negated) and joins each match through a covering index."""
    if dialect == "postgres":
        tsquery = pg_tsquery(words)
        source = "rm_catalogue_fts f"
        if filters:
            source += " JOIN rm_catalogue c ON c.doc_no = f.doc_no"
        where = " AND ".join(
            ["f.document @@ to_tsquery('simple', ?)", "f.published_at IS NOT NULL", *filters]
        )
        return (
            "SELECT f.id, f.published_at, ts_rank(f.document, to_tsquery('simple', ?)) "
            f"AS relevance FROM {source} WHERE {where}",
            [tsquery, tsquery],
        )
    where = " AND ".join(["rm_catalogue_fts MATCH ?", "c.published = 1", *filters])
    return (
        "SELECT c.id, c.published_at, bm25(rm_catalogue_fts, 10.0, 1.0) * -1 AS relevance "
        "FROM rm_catalogue_fts JOIN rm_catalogue c ON c.doc_no = rm_catalogue_fts.rowid "
        f"WHERE {where}",
        [fts5_query(words)],
    )


class Page(msgspec.Struct):
    items: list[Any]
    total: int
    limit: int
    offset: int


# --- innovations (list) -------------------------------------------------------------------------


class InnovationItem(msgspec.Struct):
    id: UUID
    title: str
    status: str
    status_label: str
    stage: str | None
    kind: str | None
    form: str | None
    theme: str | None
    call_kind: str
    budget_year: int
    organisation_id: UUID | None
    organisation_name: str | None
    submitter_id: UUID | None
    call_id: UUID | None
    call_title: str | None
    claimed_score: int | None
    verified_score: int | None
    max_score: int | None
    completeness: int | None
    missing_count: int
    published: bool
    version: int
    updated_at: str | None
    status_changed_at: str | None

    # policy.InnovationLike: the route re-checks every row with policy.can_view.


def _scope(principal: Principal) -> tuple[str, list[Any]]:
    """The SQL form of who may list what (``policy.can_view``, narrowed for lists): staff all,
    operators their organisation's, participants their own, anonymous callers published ones."""
    role = principal.role
    if role in policy.STAFF:
        return "1 = 1", []
    if role == Role.OPERATOR:
        if principal.organisation_id is None:
            return "1 = 0", []
        return "i.organisation_id = ?", [str(principal.organisation_id)]
    if role == Role.PARTICIPANT:
        return "i.submitter_id = ?", [str(principal.account_id)]
    return "i.published = 1", []


def list_innovations(
    db: Any,
    principal: Principal,
    *,
    status: Sequence[str] = (),
    organisation: UUID | None = None,
    call: UUID | None = None,
    year: int | None = None,
    stage: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    where, params = _scope(principal)
    clauses: list[str] = [where]
    args: list[Any] = list(params)
    if status:
        unknown = [s for s in status if s not in {x.value for x in Status}]
        if unknown:
            raise QueryError("status", f"Status tidak dikenal: {', '.join(unknown)}.")
        clauses.append(f"i.status IN ({_placeholders(status)})")
        args += list(status)
    for column, value in (
        ("i.organisation_id", organisation),
        ("i.call_id", call),
        ("i.budget_year", year),
        ("i.stage", stage),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(str(value) if isinstance(value, UUID) else value)
    searching = False
    if q:
        # The row's own ``doc_no`` (its Proposed event's notification id, the catalogue's and
        # the search index's key): a semi-join with the index, not a subquery per innovation.
        fragment, extra = search_clause(db.dialect, q, "i.doc_no")
        if fragment:
            clauses.append(fragment)
            args += extra
            searching = True
    condition = " AND ".join(clauses)
    # The page's ids first (narrow rows, from the indexes), then only their rows joined.
    page = (
        "SELECT {}i.*, o.name AS organisation_name, k.title AS call_title FROM ({}) p "
        "JOIN rm_innovations i ON i.id = p.page_id "
        "LEFT JOIN rm_organisations o ON o.id = i.organisation_id "
        "LEFT JOIN rm_calls k ON k.id = i.call_id "
        "ORDER BY p.sort_key DESC, p.page_id"
    )
    total = None
    if searching:
        # The matches are found once, then counted and paged: a search matching most
        # innovations reads the index once, whatever plan a prepared statement settled on.
        rows = db.rows(
            f"WITH m AS (SELECT i.id, i.updated_at FROM rm_innovations i WHERE {condition}) "
            + page.format(
                "(SELECT count(*) FROM m) AS matches, ",
                "SELECT m.id AS page_id, m.updated_at AS sort_key FROM m "
                f"ORDER BY m.updated_at DESC, m.id {_page(limit, offset)}",
            ),
            args,
        )
        if rows or offset == 0:
            total = rows[0]["matches"] if rows else 0
    else:
        rows = db.rows(
            page.format(
                "",
                "SELECT i.id AS page_id, i.updated_at AS sort_key FROM rm_innovations i "
                f"WHERE {condition} ORDER BY i.updated_at DESC, i.id {_page(limit, offset)}",
            ),
            args,
        )
    if total is None:
        total = db.scalar(f"SELECT count(*) FROM rm_innovations i WHERE {condition}", args)
    items = [_innovation_item(r) for r in rows]
    visible = [i for i in items if policy.can_view(principal, _Viewable(i))]
    return Page(items=visible, total=int(total or 0), limit=limit, offset=offset)


class _Viewable:
    """An item in the shape ``policy.can_view`` reads."""

    def __init__(self, item: InnovationItem) -> None:
        self.id = item.id
        self.organisation_id = item.organisation_id
        self.submitter_id = item.submitter_id
        self.published = item.published


def _uuid(value: Any) -> UUID | None:
    return UUID(value) if value else None


def _innovation_item(r: dict[str, Any]) -> InnovationItem:
    return InnovationItem(
        id=UUID(r["id"]),
        title=r["title"] or "",
        status=r["status"],
        status_label=status_label(r["status"]),
        stage=r["stage"],
        kind=r["kind"],
        form=r["form"],
        theme=r["theme"],
        call_kind=r["call_kind"],
        budget_year=int(r["budget_year"] or 0),
        organisation_id=_uuid(r["organisation_id"]),
        organisation_name=r.get("organisation_name"),
        submitter_id=_uuid(r["submitter_id"]),
        call_id=_uuid(r["call_id"]),
        call_title=r.get("call_title"),
        claimed_score=r["claimed_score"],
        verified_score=r["verified_score"],
        max_score=r["max_score"],
        completeness=r["completeness"],
        missing_count=int(r["missing_count"] or 0),
        published=bool(r["published"]),
        version=int(r["version"]),
        updated_at=jakarta(r["updated_at"]),
        status_changed_at=jakarta(r["status_changed_at"]),
    )


# --- status board ---------------------------------------------------------------------------------


class CallDeadline(msgspec.Struct):
    id: UUID
    title: str
    deadline: str | None  # ISO 8601, Asia/Jakarta
    deadline_label: str | None  # "31 Desember 2026 23.59 WIB"
    days_to_deadline: int | None  # calendar days in Jakarta; negative once passed
    remaining_seconds: int
    closed: bool


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


def deadline_of(row: dict[str, Any], now: datetime) -> CallDeadline | None:
    if not row.get("call_deadline"):
        return None
    deadline = parse_ts(row["call_deadline"])
    assert deadline is not None
    remaining = int(max((deadline - now).total_seconds(), 0))
    return CallDeadline(
        id=UUID(row["call_id"]),
        title=row.get("call_title") or "",
        deadline=deadline.astimezone(JAKARTA).isoformat(),
        deadline_label=format_jakarta(deadline),
        days_to_deadline=(
            deadline.astimezone(JAKARTA).date() - now.astimezone(JAKARTA).date()
        ).days,
        remaining_seconds=remaining,
        closed=now >= deadline,
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
    condition = " AND ".join(clauses) or "1 = 1"
    counts = {
        r["status"]: int(r["n"])
        for r in db.rows(
            f"SELECT i.status, count(*) AS n FROM rm_innovations i WHERE {condition} "
            "GROUP BY i.status",
            args,
        )
    }
    if status:
        clauses.append(f"i.status IN ({_placeholders(status)})")
        args += list(status)
        condition = " AND ".join(clauses)
    total = db.scalar(f"SELECT count(*) FROM rm_innovations i WHERE {condition}", args)
    rows = db.rows(
        "SELECT i.*, k.title AS call_title, k.deadline AS call_deadline FROM rm_innovations i "
        "LEFT JOIN rm_calls k ON k.id = i.call_id "
        f"WHERE {condition} ORDER BY i.updated_at DESC, i.id LIMIT ? OFFSET ?",
        [*args, limit, offset],
    )
    name = None
    if organisation_id is not None:
        name = db.scalar("SELECT name FROM rm_organisations WHERE id = ?", (str(organisation_id),))
    items = [
        BoardItem(
            id=UUID(r["id"]),
            title=r["title"] or "",
            status=r["status"],
            status_label=status_label(r["status"]),
            stage=r["stage"],
            call_kind=r["call_kind"],
            organisation_id=_uuid(r["organisation_id"]),
            submitter_id=_uuid(r["submitter_id"]),
            last_change=jakarta(r["status_changed_at"]),
            updated_at=jakarta(r["updated_at"]),
            claimed_score=r["claimed_score"],
            verified_score=r["verified_score"],
            max_score=r["max_score"],
            completeness=r["completeness"],
            missing=_json.decode(r["missing"] or "[]"),
            revision=_json.decode(r["revision"]) if r["revision"] else None,
            reviewers=_json.decode(r["reviewers"] or "[]"),
            published=bool(r["published"]),
            version=int(r["version"]),
            call=deadline_of(r, now),
        )
        for r in rows
    ]
    return StatusBoard(
        organisation_id=organisation_id,
        organisation_name=name,
        counts=counts,
        items=items,
        total=int(total or 0),
        limit=limit,
        offset=offset,
    )


# --- review queue ---------------------------------------------------------------------------------


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
    limit: int = 50,
    offset: int = 0,
) -> Queue:
    """Innovations waiting for review work, oldest first by default.

    Reviewers never see their own organisation's innovations (conflict of interest).
    ``reviewer``: ``me``, an account id, or ``none`` (not assigned yet).

    Filtered, counted, sorted and paged in SQL; only the page's rows are read. The SLA state
    depends on ``now``: it is turned into ranges of ``waiting_since`` (``sla_ranges``).
    """
    now = now or datetime.now(UTC)
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
    clauses = [f"i.status IN ({_placeholders(wanted)})"]
    args: list[Any] = list(wanted)
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
    if reviewer == "none":
        clauses.append("i.reviewers = '[]'")
    elif reviewer is not None:
        who = principal.account_id if reviewer == "me" else _parse_uuid(reviewer, "reviewer")
        clauses.append("i.reviewers LIKE ?")
        args.append(f'%"{who}"%')
    today = now.astimezone(JAKARTA).date()
    ranges = sla_ranges(today, sla_working_days)
    sums: list[str] = []
    sum_args: list[Any] = []
    for state in SLA_STATES:
        condition, extra = _sla_condition(ranges, state)
        sums.append(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {state}")
        sum_args += extra
    where = " AND ".join(clauses)
    found = db.rows(
        f"SELECT {', '.join(sums)} FROM rm_innovations i WHERE {where}", [*sum_args, *args]
    )
    counts = {s: int(found[0][s] or 0) if found else 0 for s in SLA_STATES}
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
    rows = db.rows(
        f"SELECT {_QUEUE_COLUMNS} FROM (SELECT i.id AS page_id, {key} AS sort_key "
        f"FROM rm_innovations i {names}WHERE {' AND '.join(clauses)} "
        f"ORDER BY {key}{collate if text else ''}{direction}, i.id{collate}{direction} "
        f"{_page(limit, offset)}) p JOIN rm_innovations i ON i.id = p.page_id "
        "LEFT JOIN rm_organisations o ON o.id = i.organisation_id "
        "LEFT JOIN rm_calls k ON k.id = i.call_id "
        f"ORDER BY p.sort_key{collate if text else ''}{direction}, p.page_id{collate}{direction}",
        args,
    )
    items = []
    for r in rows:
        since = jakarta_date(r["waiting_since"])
        age = working_days(since, today) if since else 0
        items.append(
            QueueItem(
                id=UUID(r["id"]),
                title=r["title"] or "",
                status=r["status"],
                status_label=status_label(r["status"]),
                call_kind=r["call_kind"],
                organisation_id=_uuid(r["organisation_id"]),
                organisation_name=r["organisation_name"],
                call_id=_uuid(r["call_id"]),
                call_title=r["call_title"],
                claimed_score=r["claimed_score"],
                verified_score=r["verified_score"],
                completeness=r["completeness"],
                missing_count=int(r["missing_count"] or 0),
                documents_pending=int(r["documents_pending"] or 0),
                reviewers=_json.decode(r["reviewers"] or "[]"),
                revision_round=int(r["revision_round"] or 0),
                submitted_at=jakarta(r["submitted_at"]),
                waiting_since=jakarta(r["waiting_since"]),
                age_working_days=age,
                sla_due=add_working_days(since, sla_working_days).isoformat() if since else None,
                sla_state=sla_state(age, sla_working_days),
                version=int(r["version"]),
            )
        )
    return Queue(
        items=items,
        total=counts[sla] if sla is not None else sum(counts.values()),
        limit=limit,
        offset=offset,
        sla_working_days=sla_working_days,
        counts=counts,
    )


def _parse_uuid(value: str, field: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise QueryError(field, f"'{value}' bukan id yang valid.") from None


# --- compliance (Perbup 87/2021 art. 38) ----------------------------------------------------------

COMPLIANCE_LABELS = {
    "compliant": "Sudah mengajukan inovasi",
    "draft_only": "Baru draf, belum diajukan",
    "none": "Belum ada inovasi",
}


class ComplianceRow(msgspec.Struct):
    organisation_id: UUID
    code: str
    name: str
    kind: str
    state: str
    state_label: str
    submitted: int  # in review + approved + rejected: proposed to Bappeda, not withdrawn
    drafts: int
    in_review: int
    approved: int
    rejected: int
    withdrawn: int
    first_submitted_at: str | None
    last_activity_at: str | None


class ComplianceReport(msgspec.Struct):
    year: int
    rule: str
    organisations: int
    compliant: int
    draft_only: int
    none: int
    percent_compliant: float
    days_remaining_in_year: int
    calls: list[CallDeadline]
    rows: list[ComplianceRow]


def compliance(
    db: Any,
    year: int,
    *,
    organisation_id: UUID | None = None,
    state: str | None = None,
    kind: str | None = None,
    now: datetime | None = None,
) -> ComplianceReport:
    now = now or datetime.now(UTC)
    if state is not None and state not in COMPLIANCE_LABELS:
        raise QueryError("state", f"Status harus salah satu dari: {', '.join(COMPLIANCE_LABELS)}.")
    clauses: list[str] = ["1 = 1"]
    args: list[Any] = [year]
    if organisation_id is not None:
        clauses.append("o.id = ?")
        args.append(str(organisation_id))
    if kind is not None:
        clauses.append("o.kind = ?")
        args.append(kind)
    rows = db.rows(
        "SELECT o.id, o.code, o.name, o.kind, s.drafts, s.in_review, s.approved, s.rejected, "
        "s.withdrawn, s.first_submitted_at, s.last_activity_at FROM rm_compliance_orgs o "
        "LEFT JOIN rm_compliance s ON s.organisation_id = o.id AND s.budget_year = ? "
        f"WHERE {' AND '.join(clauses)} ORDER BY o.name, o.id",
        args,
    )
    report_rows = []
    for r in rows:
        counts = {
            k: int(r[k] or 0) for k in ("drafts", "in_review", "approved", "rejected", "withdrawn")
        }
        submitted = counts["in_review"] + counts["approved"] + counts["rejected"]
        row_state = "compliant" if submitted else "draft_only" if counts["drafts"] else "none"
        report_rows.append(
            ComplianceRow(
                organisation_id=UUID(r["id"]),
                code=r["code"] or "",
                name=r["name"] or "",
                kind=r["kind"] or "",
                state=row_state,
                state_label=COMPLIANCE_LABELS[row_state],
                submitted=submitted,
                first_submitted_at=jakarta(r["first_submitted_at"]),
                last_activity_at=jakarta(r["last_activity_at"]),
                **counts,
            )
        )
    tally = Counter(r.state for r in report_rows)
    if state is not None:
        report_rows = [r for r in report_rows if r.state == state]
    total = sum(tally.values())
    today = now.astimezone(JAKARTA).date()
    calls = [
        d
        for r in db.rows(
            "SELECT id AS call_id, title AS call_title, deadline AS call_deadline FROM rm_calls "
            "WHERE budget_year = ? AND kind = 'annual' ORDER BY deadline",
            (year,),
        )
        if (d := deadline_of(r, now)) is not None
    ]
    return ComplianceReport(
        year=year,
        rule="Perbup Sragen 87/2021 pasal 38: minimal satu inovasi satu OPD dalam satu tahun",
        organisations=total,
        compliant=tally["compliant"],
        draft_only=tally["draft_only"],
        none=tally["none"],
        percent_compliant=round(tally["compliant"] * 100 / total, 1) if total else 0.0,
        days_remaining_in_year=max((date(year, 12, 31) - today).days + 1, 0),
        calls=calls,
        rows=report_rows,
    )


# --- maturity leaderboard and regency index -------------------------------------------------------


class LeaderboardEntry(msgspec.Struct):
    rank: int
    id: UUID
    title: str
    organisation_id: UUID | None
    organisation_name: str | None
    status: str
    status_label: str
    stage: str | None
    verified_score: int | None
    claimed_score: int | None
    max_score: int | None


class OrganisationScore(msgspec.Struct):
    organisation_id: UUID
    organisation_name: str | None
    innovations: int
    approved: int
    best_score: int
    average_score: float


class IndexDashboard(msgspec.Struct):
    year: int
    index_year: int  # the year file whose rules apply (``rubric`` what-if or the nearest year)
    rubric_year: int  # the SID rubric the maturity scores are taken under
    what_if: bool  # True when ``rubric`` asked for another year's rules
    spd_source: str  # "sheet" (the SPD sheet) | "request" (explicit ``spd`` what-if) | "none"
    index: regency_index.RegencyIndex  # the reported innovations, klaim and terverifikasi
    potential: regency_index.IndexView  # if every approved innovation of the year were reported
    innovations: list[regency_index.InnovationInput]  # reported: the ids in n are in index
    rules: IndexRules
    by_status: dict[str, int]
    by_stage: dict[str, int]
    maturity_histogram: dict[str, int]  # verified score bands of submitted innovations
    leaderboard: list[LeaderboardEntry]
    organisations: list[OrganisationScore]


class IndexPlan(msgspec.Struct):
    year: int
    index_year: int
    rubric_year: int
    what_if: bool
    spd_source: str
    plan: regency_index.Plan


def _index_setup(
    db: Any, year: int, rubric: int | None, spd: float | None, rescore: Rescore | None
) -> tuple[IndexInputs, str]:
    try:
        rules = resolve_rules(year, rubric)
    except UnknownIndexYear as exc:
        years = ", ".join(map(str, exc.available))
        message = f"Aturan indeks tahun {exc.year} tidak ada; tersedia: {years}."
        raise QueryError("rubric", message) from None
    if spd is not None and not 0 <= spd <= rules.spd_max:
        raise QueryError("spd", f"SPD harus antara 0 dan {rules.spd_max:g}.")
    inputs = index_inputs(db, year, rules, rescore)
    return inputs, "request" if spd is not None else inputs.spd_source


def index_plan(
    db: Any,
    year: int,
    *,
    rubric: int | None = None,
    spd: float | None = None,
    rescore: Rescore | None = None,
) -> IndexPlan:
    """Which of the year's innovations to report to maximise the verified index."""
    inputs, source = _index_setup(db, year, rubric, spd, rescore)
    rules = inputs.rules
    return IndexPlan(
        year=year,
        index_year=rules.year,
        rubric_year=rules.sid_rubric_year,
        what_if=rubric is not None,
        spd_source=source,
        plan=regency_index.plan_report(rules, inputs.spd, inputs.candidates, spd_total=spd),
    )


def rubric_year_for(db: Any, year: int) -> int:
    """The rubric the year's innovations are scored with (its calls say), else the nearest file."""
    found = db.rows(
        "SELECT rubric_year, count(*) AS n FROM rm_innovations WHERE budget_year = ? "
        "AND call_kind = 'annual' GROUP BY rubric_year ORDER BY n DESC, rubric_year DESC",
        (year,),
    )
    years = available_years()
    if found and int(found[0]["rubric_year"]) in years:
        return int(found[0]["rubric_year"])
    if year in years:
        return year
    earlier = [y for y in years if y <= year]
    return max(earlier) if earlier else min(years)


def index_dashboard(
    db: Any,
    year: int,
    *,
    spd: float | None = None,
    limit: int = 20,
    rubric: int | None = None,
    rescore: Rescore | None = None,
) -> IndexDashboard:
    """The regency index as the ministry computes it (``services.domain.regency_index``) with
    the year's rules, or another year's (``rubric``, what-if); ``spd`` overrides the SPD sheet."""
    inputs, source = _index_setup(db, year, rubric, spd, rescore)
    rules = inputs.rules
    top = int(rules.sid_max)
    index = regency_index.compute_index(rules, inputs.spd, inputs.reported, spd_total=spd)
    potential = regency_index.compute_index(rules, inputs.spd, inputs.candidates, spd_total=spd)
    rows = db.rows(
        "SELECT i.id, i.title, i.status, i.stage, i.organisation_id, i.verified_score, "
        "i.claimed_score, i.max_score, o.name AS organisation_name FROM rm_innovations i "
        "LEFT JOIN rm_organisations o ON o.id = i.organisation_id "
        "WHERE i.budget_year = ? AND i.call_kind = 'annual'",
        (year,),
    )
    by_status = Counter(r["status"] for r in rows)
    by_stage = Counter(r["stage"] or "belum_diisi" for r in rows)
    counted = [r for r in rows if r["status"] not in (Status.DRAFT, Status.WITHDRAWN)]
    histogram: dict[str, int] = {}
    step = max(top // 5, 1)
    for low in range(0, top + 1, step):
        high = min(low + step - 1, top)
        histogram[f"{low}-{high}"] = sum(
            1 for r in counted if low <= min(r["verified_score"] or 0, top) <= high
        )
    ranked = sorted(
        counted,
        key=lambda r: (
            -(r["verified_score"] or 0),
            -(r["claimed_score"] or 0),
            r["title"] or "",
            r["id"],
        ),
    )
    leaderboard = [
        LeaderboardEntry(
            rank=n,
            id=UUID(r["id"]),
            title=r["title"] or "",
            organisation_id=_uuid(r["organisation_id"]),
            organisation_name=r["organisation_name"],
            status=r["status"],
            status_label=status_label(r["status"]),
            stage=r["stage"],
            verified_score=r["verified_score"],
            claimed_score=r["claimed_score"],
            max_score=r["max_score"],
        )
        for n, r in enumerate(ranked[:limit], start=1)
    ]
    per_org: dict[str, list[dict[str, Any]]] = {}
    for r in counted:
        if r["organisation_id"]:
            per_org.setdefault(r["organisation_id"], []).append(r)
    organisations = []
    for org_id, items in per_org.items():
        approved = [i for i in items if i["status"] in DECIDED]
        verified = [i["verified_score"] or 0 for i in approved]
        organisations.append(
            OrganisationScore(
                organisation_id=UUID(org_id),
                organisation_name=items[0]["organisation_name"],
                innovations=len(items),
                approved=len(approved),
                best_score=max((i["verified_score"] or 0 for i in items), default=0),
                average_score=round(sum(verified) / len(verified), 1) if verified else 0.0,
            )
        )
    organisations.sort(key=lambda o: (-o.best_score, -o.approved, o.organisation_name or ""))
    return IndexDashboard(
        year=year,
        index_year=rules.year,
        rubric_year=rules.sid_rubric_year,
        what_if=rubric is not None,
        spd_source=source,
        index=index,
        potential=potential.verified,
        innovations=inputs.reported,
        rules=rules,
        by_status=dict(by_status),
        by_stage=dict(by_stage),
        maturity_histogram=histogram,
        leaderboard=leaderboard,
        organisations=organisations,
    )


# --- public catalogue -----------------------------------------------------------------------------


class CatalogueItem(msgspec.Struct):
    id: UUID
    title: str
    organisation_id: UUID | None
    organisation_name: str | None
    call_kind: str
    budget_year: int
    stage: str | None
    kind: str | None
    form: str | None
    theme: str | None
    affair: str
    initiator: str | None
    goals: str
    benefits: str
    results: str
    abstract: str
    verified_score: int | None
    sk_number: str
    sk_date: str | None
    award: str | None
    published_at: str | None


#: What a catalogue item shows (not the folded state and profile blobs).
_CATALOGUE_COLUMNS = ", ".join(
    f"c.{column}"
    for column in (
        "id",
        "title",
        "organisation_id",
        "call_kind",
        "budget_year",
        "stage",
        "kind",
        "form",
        "theme",
        "affair",
        "initiator",
        "goals",
        "benefits",
        "results",
        "abstract",
        "verified_score",
        "sk_number",
        "sk_date",
        "award",
        "published_at",
    )
)


def public_catalogue(
    db: Any,
    *,
    q: str | None = None,
    organisation: UUID | None = None,
    year: int | None = None,
    stage: str | None = None,
    kind: str | None = None,
    form: str | None = None,
    theme: str | None = None,
    call_kind: str | None = None,
    limit: int = 24,
    offset: int = 0,
) -> Page:
    """Published innovations only, whatever the filters; with ``q``, best matches first (then
    the latest published, then by id).

    With ``q`` the matches are found once through the search index, ranked, counted and paged
    in one statement; without it the page comes from the (published, published_at) index. Only
    the page's rows are joined with their organisation and read into Python."""
    filters: list[str] = []
    args: list[Any] = []
    for column, value in (
        ("c.organisation_id", organisation),
        ("c.budget_year", year),
        ("c.stage", stage),
        ("c.kind", kind),
        ("c.form", form),
        ("c.theme", theme),
        ("c.call_kind", call_kind),
    ):
        if value is not None:
            filters.append(f"{column} = ?")
            args.append(str(value) if isinstance(value, UUID) else value)
    # The page's ids first, in order; then only their rows, with their organisation's name.
    page = (
        f"SELECT {{}}{_CATALOGUE_COLUMNS}, o.name AS organisation_name FROM ({{}}) p "
        "JOIN rm_catalogue c ON c.id = p.page_id "
        "LEFT JOIN rm_organisations o ON o.id = c.organisation_id "
        "ORDER BY {}"
    )
    words = terms(q) if q else []
    if words:
        matches, params = _public_matches(db.dialect, words, filters)
        # Every match ranked in the one pass that finds it (a CTE read twice is materialised on
        # both dialects), then counted and paged: the index is read once whatever the page.
        rows = db.rows(
            f"WITH m AS ({matches}) "
            + page.format(
                "(SELECT count(*) FROM m) AS matches, ",
                "SELECT m.id AS page_id, m.published_at AS published, m.relevance FROM m "
                f"ORDER BY m.relevance DESC, m.published_at DESC, m.id {_page(limit, offset)}",
                "p.relevance DESC, p.published DESC, p.page_id",
            ),
            [*params, *args],
        )
        if rows or offset == 0:
            total = rows[0]["matches"] if rows else 0
        else:  # past the last page
            total = db.scalar(f"SELECT count(*) FROM ({matches}) m", [*params, *args])
    else:
        condition = " AND ".join(["c.published = 1", *filters])
        rows = db.rows(
            page.format(
                "",
                "SELECT c.id AS page_id, c.published_at AS published FROM rm_catalogue c "
                f"WHERE {condition} ORDER BY c.published_at DESC, c.id {_page(limit, offset)}",
                "p.published DESC, p.page_id",
            ),
            args,
        )
        total = db.scalar(f"SELECT count(*) FROM rm_catalogue c WHERE {condition}", args)
    items = [
        CatalogueItem(
            id=UUID(r["id"]),
            title=r["title"] or "",
            organisation_id=_uuid(r["organisation_id"]),
            organisation_name=r["organisation_name"],
            call_kind=r["call_kind"],
            budget_year=int(r["budget_year"] or 0),
            stage=r["stage"],
            kind=r["kind"],
            form=r["form"],
            theme=r["theme"],
            affair=r["affair"] or "",
            initiator=r["initiator"],
            goals=r["goals"] or "",
            benefits=r["benefits"] or "",
            results=r["results"] or "",
            abstract=r["abstract"] or "",
            verified_score=r["verified_score"],
            sk_number=r["sk_number"] or "",
            sk_date=r["sk_date"],
            award=r["award"],
            published_at=jakarta(r["published_at"]),
        )
        for r in rows
    ]
    return Page(items=items, total=int(total or 0), limit=limit, offset=offset)


# --- directory -----------------------------------------------------------------------------------


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
            organisation_id=_uuid(r["organisation_id"]),
            organisation_name=r["organisation_name"],
            disabled=bool(r["disabled"]),
            members=_json.decode(r["members"] or "[]"),
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
                eligible_kinds=_json.decode(r["eligible_kinds"] or "[]"),
                rubric_year=int(r["rubric_year"]),
                required_documents=_json.decode(r["required_documents"] or "[]"),
                threshold=int(r["threshold"] or 0),
                description=r["description"] or "",
            )
        )
    return out
