"""The inbox's unread count is a counter per recipient (issue 19, target 5): it must equal the
messages still unread after every kind of write, on both backends."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from services.migrate import migrate
from services.notification import delivery, inbox, outbox
from services.notification.outbox import Key
from services.notification.rules import INAPP
from tests.notification.helpers import inbox_item


def truth(runtime: Any, recipient: str) -> int:
    return int(
        runtime.db.scalar(
            "SELECT COUNT(*) FROM notification_inbox WHERE recipient_id = ? AND read_at IS NULL",
            (recipient,),
        )
    )


def check(runtime: Any, recipient: str, expected: int) -> None:
    assert truth(runtime, recipient) == expected
    assert inbox.unread_count(runtime.db, recipient) == expected
    assert inbox.page(runtime.db, recipient, limit=1).unread_count == expected


def test_the_counter_follows_delivery_mark_one_mark_all_and_a_recount(quiet_runtime: Any) -> None:
    rt = quiet_runtime
    me, other = str(uuid4()), str(uuid4())
    ids = [inbox_item(rt, me) for _ in range(3)]
    theirs = inbox_item(rt, other)
    check(rt, me, 3)
    check(rt, other, 1)

    # A repeated delivery of the same message (a task run twice) adds nothing.
    source = rt.db.scalar("SELECT source_key FROM notification_inbox WHERE id = ?", (ids[0],))
    key = Key(str(source), me, INAPP)
    with rt.db.transaction() as tx:
        row = outbox.load(tx, key)
    assert row is not None
    delivery._inapp(rt, key, row)
    check(rt, me, 3)

    assert inbox.mark_read(rt.db, me, ids[0]) is not None
    check(rt, me, 2)
    inbox.mark_read(rt.db, me, ids[0])  # again: already read
    check(rt, me, 2)
    assert inbox.mark_read(rt.db, me, theirs) is None  # not mine: nothing moves
    check(rt, me, 2)
    check(rt, other, 1)

    assert inbox.mark_all_read(rt.db, me) == 2
    check(rt, me, 0)
    assert inbox.mark_all_read(rt.db, me) == 0
    check(rt, me, 0)
    inbox_item(rt, me)
    check(rt, me, 1)
    check(rt, other, 1)

    # The counters are derived: wrong or missing, a recount (or the start-up's count of
    # recipients it does not know) puts them right again.
    with rt.db.transaction() as tx:
        tx.execute("UPDATE notification_unread SET unread = 99")
        inbox.recount(tx)
    check(rt, me, 1)
    check(rt, other, 1)
    with rt.db.transaction() as tx:
        tx.execute("DELETE FROM notification_unread WHERE recipient_id = ?", (other,))
    assert inbox.unread_count(rt.db, other) == 0
    migrate(rt.db)
    check(rt, other, 1)
    check(rt, me, 1)
