"""What every screen's query shares: errors, paging, times in Asia/Jakarta, working days,
the search index's WHERE fragment and the status groups.

Every query reads read-model tables only (never the event log), takes the caller's scope
as plain arguments, and computes the time-dependent parts (age in working days, SLA, days
to a deadline) from ``now`` at query time, so the read models themselves stay pure
functions of the log. Times are stored in UTC and returned as ISO 8601 in Asia/Jakarta.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import msgspec

from projections import tracking
from projections.sql import parse_ts
from projections.text import fts5_query, pg_tsquery, terms
from services.domain.call import JAKARTA, format_jakarta
from services.domain.lifecycle import IN_REVIEW, STATUS_LABELS

QUEUE_STATUSES = IN_REVIEW


#: The JSON text a read-model column holds, decoded.
decode_json = msgspec.json.Decoder().decode


class QueryError(ValueError):
    """A filter value the caller got wrong; routes answer 400 with ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


#: Asia/Jakarta has been UTC+7 without daylight saving since 1964 (tzdata): from then on a stored
#: UTC time becomes Jakarta's by adding seven hours, without a time zone lookup.
_WIB = timedelta(hours=7)
_WIB_SINCE = "1964"


def jakarta(value: str | None) -> str | None:
    """A stored UTC time (``projections.sql.ts``: ``…Z``) as ISO 8601 in Asia/Jakarta. Every
    list row shows two or three of these, so the usual form takes the fixed offset's short
    way; anything else (older, or not in the stored form) takes the time zone's."""
    if value and value[-1] == "Z" and value[:4] >= _WIB_SINCE:
        return (datetime.fromisoformat(value[:-1]) + _WIB).isoformat() + "+07:00"
    moment = parse_ts(value)
    return moment.astimezone(JAKARTA).isoformat() if moment else None


def jakarta_date(value: str | None) -> date | None:
    moment = parse_ts(value)
    return moment.astimezone(JAKARTA).date() if moment else None


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def columns(alias: str, names: str) -> str:
    """``alias.name, …`` for the space-separated ``names``: what a page reads of a wide row."""
    return ", ".join(f"{alias}.{name}" for name in names.split())


def placeholders(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def paged(limit: int, offset: int) -> str:
    """``LIMIT … OFFSET …`` with the numbers written in (integers: nothing to escape), so the
    plan a prepared statement settles on still knows a page is small and joins only its rows."""
    return f"LIMIT {int(limit)} OFFSET {int(offset)}"


def ts_query(words: list[str]) -> str:
    """``to_tsquery('simple', '…')`` with the query written in, not bound.

    A bound tsquery makes psycopg's prepared statement fall back, after a few executions, to
    PostgreSQL's generic plan, which cannot know how many rows the words match: it guessed 150
    and ranked or sorted all 30,000 matches of a broad word (170 ms at national scale). Written
    in, every plan is made for its words (walk the sort order for a broad query, read the GIN
    index for a narrow one), and a repeated query still reuses its cached plan. Safe: ``words``
    are ``\\w+`` only (``projections.text.terms``); quotes are doubled all the same."""
    literal = pg_tsquery(words).replace("'", "''")
    return f"to_tsquery('simple', '{literal}')"


def ts_match(column: str, words: list[str]) -> str:
    """``column @@`` the query (``ts_query``)."""
    return f"{column} @@ {ts_query(words)}"


def search_rows(dialect: str, query: str) -> tuple[str, list[Any]]:
    """``SELECT doc_no FROM`` the search index ``WHERE`` it matches every query word (empty
    when the query has no words)."""
    words = terms(query)
    if not words:
        return "", []
    if dialect == "postgres":
        return f"SELECT doc_no FROM rm_catalogue_fts WHERE {ts_match('document', words)}", []
    return (
        "SELECT rowid AS doc_no FROM rm_catalogue_fts WHERE rm_catalogue_fts MATCH ?",
        [fts5_query(words)],
    )


def search_clause(dialect: str, query: str, column: str = "c.doc_no") -> tuple[str, list[Any]]:
    """A WHERE fragment matching catalogue rows (``column`` = doc_no) against the query words."""
    rows, args = search_rows(dialect, query)
    return (f"{column} IN ({rows})" if rows else ""), args


_MODEL_NAME = re.compile(r"^[a-z_]+$")


class ReadPosition:
    """How fresh an answer is: the lowest tracking position of the read models it reads (0
    while one has none), read by the query's own statement (columns of its one-row head).

    A read model's rows and its position commit in one transaction, so read in the same
    statement the position is exactly the state the answer shows, and it costs no statement
    of its own. A query given one sets ``value`` and ``marks`` (per model, its ``MARK``: the
    position and the projection's signature, None while it has none); the caller reads them
    afterwards. Equal marks mean equal read models (``services.reads.answers``)."""

    def __init__(self, models: Sequence[str]) -> None:
        for name in models:
            if not _MODEL_NAME.match(name):
                raise ValueError(f"not a read model's name: {name!r}")
        self.models = tuple(models)
        self.value: int | None = None
        self.marks: tuple[str | None, ...] | None = None

    def column(self) -> str:
        """``, (…) AS read_mark_0, …``: each model's mark as one more column of a one-row head."""
        return "".join(
            f", (SELECT {MARK} FROM {tracking.TABLE} t WHERE t.name = '{name}') AS read_mark_{i}"
            for i, name in enumerate(self.models)
        )

    def take(self, row: dict[str, Any]) -> None:
        self.marks = tuple(row[f"read_mark_{i}"] for i in range(len(self.models)))
        self.value = lowest_position(self.marks)


#: A read model's mark in the tracking table: its position and its projection's signature (a
#: rebuild by other code can reach the same position with other rows), as one text.
MARK = "t.position || ':' || COALESCE(t.signature, '')"


def lowest_position(marks: Sequence[str | None]) -> int:
    """The lowest position of ``marks`` (0 while one model has none)."""
    if not marks or any(mark is None for mark in marks):
        return 0
    return min(int(str(mark).partition(":")[0]) for mark in marks)


#: Every read model's mark in one text (``name=mark,…``; PostgreSQL): a scalar subquery another
#: statement can carry (the session lookup of a read: ``services.identity.session_pool``).
ALL_MARKS_SQL = f"SELECT string_agg(t.name || '=' || {MARK}, ',') FROM {tracking.TABLE} t"


def marks_in(text: str, models: Sequence[str]) -> tuple[str | None, ...]:
    """The marks of ``models`` out of ``ALL_MARKS_SQL``'s text (names are ``[a-z_]+`` and a
    mark is digits, ``:`` and a hex signature, so neither separator occurs inside a part)."""
    found = dict(part.partition("=")[::2] for part in text.split(",")) if text else {}
    return tuple(found.get(name) for name in models)


def read_marks(db: Any, models: Sequence[str]) -> tuple[str | None, ...]:
    """The current ``MARK`` of each of ``models`` (checked names), in one statement."""
    names = ReadPosition(models).models
    found = {
        r["name"]: r["mark"]
        for r in db.rows(
            f"SELECT t.name, {MARK} AS mark FROM {tracking.TABLE} t "
            f"WHERE t.name IN ({', '.join(repr(n) for n in names)})"
        )
    }
    return tuple(found.get(name) for name in names)


def position_column(seen: ReadPosition | None) -> str:
    """The head's column for ``seen`` (nothing without one)."""
    return seen.column() if seen is not None else ""


def take_position(seen: ReadPosition | None, row: dict[str, Any]) -> None:
    if seen is not None:
        seen.take(row)


#: Up to this many matching rows a list's ``total`` is counted exactly; beyond it the count
#: stops and ``total`` is the planner's estimate, flagged ``total_is_estimate``: a broad search
#: (``q=desa`` matches most of 30,000 innovations) then costs what a page costs.
COUNT_BOUND = 1000


class Page(msgspec.Struct):
    items: list[Any]
    total: Annotated[
        int,
        msgspec.Meta(
            description="Jumlah baris yang cocok: tepat sampai 1.000; di atasnya perkiraan "
            "(lihat total_is_estimate)."
        ),
    ]
    limit: int
    offset: int
    #: ``total`` is exact up to ``COUNT_BOUND`` rows; above it an estimate (never below it).
    total_is_estimate: Annotated[
        bool,
        msgspec.Meta(
            description="true bila total adalah perkiraan (lebih dari 1.000 baris cocok); "
            "halaman tetap lengkap dan berurutan."
        ),
    ] = False


def counted(rows_sql: str) -> str:
    """A scalar subquery counting the rows ``rows_sql`` selects, stopping past ``COUNT_BOUND``:
    a list puts it in the head of its page's statement (one statement, one round trip)."""
    return f"(SELECT count(*) FROM ({rows_sql} LIMIT {COUNT_BOUND + 1}) b)"


def bounded_total(db: Any, found: int, rows_sql: str, args: Sequence[Any]) -> tuple[int, bool]:
    """``(total, is_estimate)`` from ``found``, what ``counted(rows_sql)`` answered: exact up
    to ``COUNT_BOUND``; beyond it PostgreSQL's estimate of the whole of ``rows_sql`` (planned,
    not run; ``COUNT_BOUND + 1`` on SQLite, which has none), never below the bound."""
    if found <= COUNT_BOUND:
        return found, False
    estimate = _estimate(db, rows_sql, args) if db.dialect == "postgres" else 0
    return max(estimate, COUNT_BOUND + 1), True


#: PostgreSQL's estimates, per database, statement and arguments, reused for this many seconds:
#: every page of a broad list would otherwise plan its ``EXPLAIN`` again (EXPLAIN is never a
#: cached plan) in a round trip of its own, for a figure that is only an estimate anyway.
ESTIMATE_SECONDS = 60.0
_ESTIMATES_MAX = 512
_estimates: dict[tuple[str, str, tuple[Any, ...]], tuple[float, int]] = {}


def _estimate(db: Any, rows_sql: str, args: Sequence[Any]) -> int:
    conn = getattr(db, "conn", None)  # a transaction: its connection names the database
    key = None
    if conn is not None:  # libpq's own fields (``conn.info.dsn`` parses the whole conninfo)
        pg = conn.pgconn
        key = (repr((pg.host, pg.port, pg.db, pg.options)), rows_sql, tuple(args))
    now = time.monotonic()
    kept = _estimates.get(key) if key else None
    if kept is not None and now - kept[0] < ESTIMATE_SECONDS:
        return kept[1]
    plan = db.scalar(f"EXPLAIN (FORMAT JSON) {rows_sql}", args)
    plan = decode_json(plan) if isinstance(plan, str | bytes) else plan
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    if key is not None:
        if len(_estimates) >= _ESTIMATES_MAX:
            _estimates.clear()  # bounded; the next pages plan their estimates again
        _estimates[key] = (now, estimate)
    return estimate


def uuid_of(value: str) -> UUID:
    """A stored id as a UUID, parsed by msgspec (a third of what ``UUID(text)`` costs; a page
    of 50 innovations parses 200 of them)."""
    return msgspec.convert(value, UUID)


def optional_uuid(value: Any) -> UUID | None:
    return uuid_of(value) if value else None


class CallDeadline(msgspec.Struct):
    id: UUID
    title: str
    deadline: str | None  # ISO 8601, Asia/Jakarta
    deadline_label: str | None  # "31 Desember 2026 23.59 WIB"
    days_to_deadline: int | None  # calendar days in Jakarta; negative once passed
    remaining_seconds: int
    closed: bool


def deadline_of(row: dict[str, Any], now: datetime) -> CallDeadline | None:
    if not row.get("call_deadline"):
        return None
    deadline = parse_ts(row["call_deadline"])
    assert deadline is not None
    remaining = int(max((deadline - now).total_seconds(), 0))
    return CallDeadline(
        id=uuid_of(row["call_id"]),
        title=row.get("call_title") or "",
        deadline=deadline.astimezone(JAKARTA).isoformat(),
        deadline_label=format_jakarta(deadline),
        days_to_deadline=(
            deadline.astimezone(JAKARTA).date() - now.astimezone(JAKARTA).date()
        ).days,
        remaining_seconds=remaining,
        closed=now >= deadline,
    )
