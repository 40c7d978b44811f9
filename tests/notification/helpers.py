"""Records for tests that need a notification or a dead letter to exist (the authorisation matrix),
made through the same code paths the relay and the workers use."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from services.notification import delivery, outbox
from services.notification.directory import Recipient
from services.notification.outbox import Key
from services.notification.rules import INAPP, fan_out

_PARAMS = {"organisation": "Dinas Uji", "year": 2025, "today": "1 Maret 2025", "calls": []}


def inbox_item(runtime: Any, account_id: str) -> str:
    """A compliance reminder delivered to ``account_id``'s inbox; returns its inbox id."""
    recipient = Recipient(account_id, "penerima", "Penerima Uji", "", "operator")
    planned = fan_out(
        f"test:{uuid4().hex}", "compliance_reminder", [recipient], _PARAMS, email=False
    )
    with runtime.db.transaction() as tx:
        outbox.insert(tx, planned)
    key = Key(planned[0].source_key, account_id, INAPP)
    delivery.execute(runtime, key)
    return str(
        runtime.db.scalar(
            "SELECT id FROM notification_inbox WHERE source_key = ? AND recipient_id = ?",
            (key.source_key, account_id),
        )
    )


def dead_letter(runtime: Any) -> str:
    """An in-app delivery that gave up; returns the dead letter's id."""
    recipient = Recipient(str(uuid4()), "penerima", "Penerima Uji", "", "operator")
    planned = fan_out(
        f"test:{uuid4().hex}", "compliance_reminder", [recipient], _PARAMS, email=False
    )
    with runtime.db.transaction() as tx:
        outbox.insert(tx, planned)
    key = Key(planned[0].source_key, recipient.account_id, INAPP)
    letter = outbox.bury(
        runtime.db, "sirisma.notify", RuntimeError("uji"), key=key, args=key.as_kwargs(), attempts=9
    )
    assert letter is not None
    return letter
