"""Records for tests that need a notification or a dead letter to exist (the authorisation matrix),
made through the same code paths the relay and the workers use."""

from __future__ import annotations

from datetime import date
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


def lifecycle(world: Any) -> Any:
    """An innovation from draft to the IGA report, with one revision round and two reviewers."""
    from services.domain.values import RevisionItem

    c = world.commands
    op, rev, rev2, admin = (
        world.ctx(world.operator),
        world.ctx(world.reviewer),
        world.ctx(world.reviewer2),
        world.ctx(world.admin),
    )
    iid = world.complete_draft()
    c.submit(op, iid)
    c.assign_reviewer(admin, iid, world.reviewer.account_id)
    c.request_revision(
        rev, iid, note="Lengkapi SK", items=[RevisionItem(kind="indicator", key="1", note="SK")]
    )
    c.resubmit(op, iid, note="Sudah")
    for doc in list(c.innovation(iid).documents.values()):
        c.verify_document(rev, iid, doc.document.doc_id, accepted=True)
    c.score(rev, iid, world.verdicts(3))
    c.assign_reviewer(admin, iid, world.reviewer2.account_id)
    c.score(rev2, iid, world.verdicts(3))
    c.approve(admin, iid, note="layak")
    c.establish(admin, iid, sk_number="188/12/2025", sk_date=date(2025, 10, 1))
    c.select_for_iga(admin, iid, 2025)
    c.report_to_iga(admin, iid, year=2025, report_id=uuid4())
    return iid


def bypass_append_only(tx: Any) -> None:
    """What someone with the database owner's rights (or the SQLite file) can do: remove the
    append-only guard of the audit records before tampering with them (the digests catch it)."""
    if tx.dialect == "postgres":
        tx.execute("ALTER TABLE notification_audit_records DISABLE TRIGGER USER")
        return
    for op in ("update", "delete"):
        tx.execute(f"DROP TRIGGER IF EXISTS notification_audit_records_no_{op}")
