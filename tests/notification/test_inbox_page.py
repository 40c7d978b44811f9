"""The inbox page (issue 19, target 5): newest first by (created_at, id), a cursor that walks
messages sharing one instant without gaps or repeats, read off the recipient's index however
many messages they have; and the stamps it shows, parsed without ``strptime``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from services.config import Settings
from services.db import Database
from services.migrate import migrate
from services.notification import inbox
from services.notification.schema import STAMP_FORMAT, parse_stamp, stamp

INSERT = (
    "INSERT INTO notification_inbox (id, source_key, recipient_id, kind, title, body, created_at)"
    " VALUES (?, ?, ?, 'm', 't', 'b', ?)"
)


def test_the_cursor_walks_messages_of_one_instant_without_gaps_or_repeats(
    quiet_runtime: Any,
) -> None:
    rt = quiet_runtime
    me = str(uuid4())
    now = datetime.now(UTC)
    mine = [(stamp(now), f"{i:02d}-{uuid4()}") for i in range(7)]  # one instant: ids order them
    mine += [(stamp(now - timedelta(seconds=s)), str(uuid4())) for s in (1, 2, 3)]
    with rt.db.transaction() as tx:
        for at, ident in mine:
            tx.execute(INSERT, (ident, f"test:{ident}", me, at))
        tx.execute(INSERT, ("zz-not-mine", "test:other", str(uuid4()), stamp(now)))

    seen: list[str] = []
    cursor = None
    for _ in range(len(mine)):
        got = inbox.page(rt.db, me, limit=2, before=cursor)
        seen += [v.id for v in got.items]
        cursor = got.next_before
        if cursor is None:
            break
    assert cursor is None
    assert seen == [ident for _, ident in sorted(mine, reverse=True)]


@pytest.fixture
def pg_db(postgres_settings: Settings) -> Any:
    db = Database(postgres_settings)
    migrate(db)
    yield db
    db.close()


@pytest.mark.parametrize("deeper", [False, True])
def test_a_large_inbox_is_paged_off_its_index_without_a_sort(pg_db: Database, deeper: bool) -> None:
    me = str(uuid4())
    now = datetime.now(UTC)
    with pg_db.transaction() as tx:
        for i in range(2000):
            tx.execute(INSERT, (str(uuid4()), f"test:{i}", me, stamp(now - timedelta(seconds=i))))
    pg_db.execute_script(["ANALYZE notification_inbox"])
    before = f"{stamp(now - timedelta(seconds=500))}|m" if deeper else None
    sql, params = inbox.page_query(me, before=before)
    plan = "\n".join(str(r["QUERY PLAN"]) for r in pg_db.rows("EXPLAIN " + sql, params))
    assert "notification_inbox_page" in plan, plan
    assert "Sort" not in plan, plan
    assert len(inbox.page(pg_db, me, before=before).items) == 20


def test_stamps_parse_as_strptime_read_them_and_nothing_else() -> None:
    moments = [
        datetime(2026, 12, 3, 20, 52, 41, 518907, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),  # no fraction: isoformat leaves it out
        datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    ]
    for moment in moments:
        text = stamp(moment)
        parsed = parse_stamp(text)
        assert parsed == moment == datetime.strptime(text, STAMP_FORMAT).replace(tzinfo=UTC)
        assert parsed.utcoffset() == timedelta(0)
        assert parsed.isoformat() == moment.isoformat()
    # strptime took these (one-digit fields, short fractions); none is a stored stamp, and a
    # cursor built from one would not compare as text with the stored ones.
    for text in [
        "2026-1-01T00:00:00.000000Z",
        "2026-01-01T00:00:00.5Z",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.000000+00:00",
        "2026-13-01T00:00:00.000000Z",
        "2026-01-01T00:00:00.000000Z\n",
        "kemarin",
    ]:
        with pytest.raises(ValueError):
            parse_stamp(text)
