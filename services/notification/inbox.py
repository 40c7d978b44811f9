"""The in-app inbox as its readers see it: newest first, unread count, mark read.

Rows are written only by the delivery task (``delivery._inapp``), once per (source, recipient).
Whether a message was read is the reader's own state, not a domain fact, so it lives here and
not in the event log.

The unread count is a counter per recipient (``notification_unread``), moved in the same
transaction as each row that changes it: a new message (``count_new``), mark one, mark all. So
reading it is one row, whatever the recipient's number of messages; ``recount`` rebuilds every
counter from the messages themselves.
"""

from __future__ import annotations

from typing import Any

import msgspec

from services.db import Database, Tx
from services.notification.schema import parse_stamp, stamp, utcnow


class NotificationView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    title: str
    body: str
    innovation_id: str | None
    call_id: str | None
    notification_id: int | None  # position of the event in the log (None for reminders)
    created_at: str
    read_at: str | None
    read: bool


class NotificationPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[NotificationView]
    unread_count: int
    next_before: str | None  # pass as ?before= for the next (older) page


_COLUMNS = "id, kind, title, body, innovation_id, call_id, notification_id, created_at, read_at"


def _view(row: dict[str, Any]) -> NotificationView:
    return NotificationView(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        body=row["body"],
        innovation_id=row["innovation_id"],
        call_id=row["call_id"],
        notification_id=row["notification_id"],
        created_at=parse_stamp(row["created_at"]).isoformat(),
        read_at=parse_stamp(row["read_at"]).isoformat() if row["read_at"] else None,
        read=row["read_at"] is not None,
    )


class BadCursor(ValueError):
    pass


def _cursor(row: dict[str, Any]) -> str:
    return f"{row['created_at']}|{row['id']}"


def _parse_cursor(text: str) -> tuple[str, str]:
    created, sep, ident = text.partition("|")
    try:
        parse_stamp(created)
    except ValueError as exc:
        raise BadCursor(text) from exc
    if not sep or not ident:
        raise BadCursor(text)
    return created, ident


def page_query(
    recipient_id: str, *, unread_only: bool = False, limit: int = 20, before: str | None = None
) -> tuple[str, tuple[Any, ...]]:
    """The page's statement: the recipient's messages in the order of their index
    (``notification_inbox_page``), from ``before`` on, one row more than ``limit`` (is there a
    next page?). Read off the index, it costs the page's rows, not the recipient's messages."""
    where = ["recipient_id = ?"]
    params: list[Any] = [recipient_id]
    if unread_only:
        where.append("read_at IS NULL")
    if before:
        created, ident = _parse_cursor(before)
        where.append("(created_at, id) < (?, ?)")  # the index's own order: a range of it
        params += [created, ident]
    sql = (
        f"SELECT {_COLUMNS} FROM notification_inbox WHERE {' AND '.join(where)} "
        "ORDER BY created_at DESC, id DESC LIMIT ?"
    )
    return sql, (*params, limit + 1)


def page(
    db: Database,
    recipient_id: str,
    *,
    unread_only: bool = False,
    limit: int = 20,
    before: str | None = None,
) -> NotificationPage:
    sql, params = page_query(recipient_id, unread_only=unread_only, limit=limit, before=before)
    with db.transaction() as tx:
        rows = tx.rows(sql, params)
        unread = _unread(tx, recipient_id)
    more = len(rows) > limit
    rows = rows[:limit]
    return NotificationPage(
        items=[_view(r) for r in rows],
        unread_count=unread,
        next_before=_cursor(rows[-1]) if more and rows else None,
    )


def unread_count(db: Database, recipient_id: str) -> int:
    """The number on the bell in every page's header."""
    with db.transaction() as tx:
        return _unread(tx, recipient_id)


def _unread(tx: Tx, recipient_id: str) -> int:
    found = tx.scalar(
        "SELECT unread FROM notification_unread WHERE recipient_id = ?", (recipient_id,)
    )
    return max(int(found or 0), 0)


def _move(tx: Tx, recipient_id: str, by: int) -> None:
    """Add ``by`` to the recipient's counter (the row is locked until the commit)."""
    if by:
        tx.execute(
            "INSERT INTO notification_unread (recipient_id, unread) VALUES (?, ?) "
            "ON CONFLICT (recipient_id) DO UPDATE "
            "SET unread = notification_unread.unread + excluded.unread",
            (recipient_id, by),
        )


def count_new(tx: Tx, recipient_id: str, inserted: int) -> None:
    """After inserting ``inserted`` messages for the recipient (0 when the delivery was a
    repeat and ``ON CONFLICT DO NOTHING`` kept the first)."""
    _move(tx, recipient_id, inserted)


def recount(tx: Tx) -> None:
    """Every counter again from the messages (the counters are derived data)."""
    tx.execute("DELETE FROM notification_unread")
    tx.execute(
        "INSERT INTO notification_unread (recipient_id, unread) "
        "SELECT recipient_id, COUNT(*) FROM notification_inbox WHERE read_at IS NULL "
        "GROUP BY recipient_id"
    )


def mark_read(db: Database, recipient_id: str, notification_id: str) -> NotificationView | None:
    """Mark one of the recipient's own messages read (again: keeps the first time). None if it
    is not theirs or does not exist."""
    with db.transaction() as tx:
        tx.execute(
            "UPDATE notification_inbox SET read_at = ? "
            "WHERE id = ? AND recipient_id = ? AND read_at IS NULL",
            (stamp(utcnow()), notification_id, recipient_id),
        )
        _move(tx, recipient_id, -max(tx.cursor.rowcount, 0))
        rows = tx.rows(
            f"SELECT {_COLUMNS} FROM notification_inbox WHERE id = ? AND recipient_id = ?",
            (notification_id, recipient_id),
        )
    return _view(rows[0]) if rows else None


def mark_all_read(db: Database, recipient_id: str) -> int:
    with db.transaction() as tx:
        rows = tx.execute(
            "UPDATE notification_inbox SET read_at = ? "
            "WHERE recipient_id = ? AND read_at IS NULL RETURNING id",
            (stamp(utcnow()), recipient_id),
        ).fetchall()
        _move(tx, recipient_id, -len(rows))
    return len(rows)
