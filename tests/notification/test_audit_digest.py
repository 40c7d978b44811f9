"""The audit-trail worker's daily signed digests: sealed only when a day is complete, and any change
to a sealed day's records (or to the chain itself) is reported with the day it happened on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from services.cli import main
from services.config import Settings
from services.domain.aggregate import Context
from services.notification import audit_trail, outbox
from services.notification.audit_trail import verify
from services.runtime import Runtime
from services.startup import start_runtime
from tests.notification.conftest import NotifyWorld, drain, settings_env
from tests.notification.helpers import bypass_append_only

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2025, 3, 6, 9, 0, tzinfo=WIB).astimezone(UTC)  # Thursday 6 March, 09.00 WIB
DAY1 = NOW - timedelta(days=3)  # Monday 3 March: the world is seeded
DAY2 = NOW - timedelta(days=2)  # Tuesday 4 March: a submission and an assignment


def seeded(runtime: Runtime) -> NotifyWorld:
    world = NotifyWorld(runtime, now=DAY1)
    iid = world.complete_draft()
    world.commands.submit(Context(actor=world.operator, now=DAY2), iid)
    world.commands.assign_reviewer(
        Context(actor=world.admin, now=DAY2), iid, world.reviewer.account_id
    )
    return world


def test_complete_days_are_sealed_in_a_chain_that_verifies(quiet_runtime: Runtime) -> None:
    seeded(quiet_runtime)
    drain(quiet_runtime)
    # (Sealing also signs the event chain's days; a first signing key is recorded as an event.)
    head = quiet_runtime.store.max_notification_id()
    assert audit_trail.seal(quiet_runtime, NOW) == ["2025-03-03", "2025-03-04", "2025-03-05"]
    assert audit_trail.seal(quiet_runtime, NOW) == []  # already sealed; today is not over
    rows = quiet_runtime.db.rows(
        "SELECT day, record_count, previous_digest, digest FROM notification_audit_digests "
        "ORDER BY day"
    )
    assert [r["record_count"] for r in rows] == [head - 2, 2, 0]
    assert rows[0]["previous_digest"] == ""
    assert rows[1]["previous_digest"] == rows[0]["digest"]
    assert rows[2]["previous_digest"] == rows[1]["digest"]
    report = verify(quiet_runtime.db, quiet_runtime.settings.secret_key)
    assert report.ok and report.days_checked == 3 and report.records_checked == head
    assert report.unsealed_records == 0


@pytest.mark.parametrize(
    ("tamper", "day", "problem"),
    [
        (
            "UPDATE notification_audit_records SET summary = 'Admin admin menyetujui' "
            "WHERE topic = 'innovation.Submitted'",
            "2025-03-04",
            "catatan hari ini berubah",
        ),
        (
            "DELETE FROM notification_audit_records WHERE topic = 'innovation.ReviewerAssigned'",
            "2025-03-04",
            "catatan hari ini berubah (2 disegel, 1 sekarang)",
        ),
        (
            "UPDATE notification_audit_records SET actor_name = 'orang.lain' "
            "WHERE notification_id = 1",
            "2025-03-03",
            "catatan hari ini berubah",
        ),
        ("DELETE FROM notification_audit_digests WHERE day = '2025-03-04'", "2025-03-04", "hilang"),
    ],
    ids=["edited", "deleted", "actor-changed", "digest-deleted"],
)
def test_tampering_with_a_sealed_day_is_reported_with_its_day(
    quiet_runtime: Runtime, tamper: str, day: str, problem: str
) -> None:
    seeded(quiet_runtime)
    drain(quiet_runtime)
    audit_trail.seal(quiet_runtime, NOW)
    with quiet_runtime.db.transaction() as tx:
        bypass_append_only(tx)
        tx.execute(tamper)
    report = verify(quiet_runtime.db, quiet_runtime.settings.secret_key)
    assert not report.ok
    assert report.first_broken_day == day
    assert report.problem is not None and problem in report.problem


def test_rewriting_a_digest_needs_the_secret_key(quiet_runtime: Runtime) -> None:
    seeded(quiet_runtime)
    drain(quiet_runtime)
    audit_trail.seal(quiet_runtime, NOW)
    with quiet_runtime.db.transaction() as tx:
        bypass_append_only(tx)
        tx.execute(
            "UPDATE notification_audit_records SET summary = 'diubah' WHERE notification_id = 1"
        )
        rows = tx.execute(
            "SELECT notification_id, day, originator_id, originator_version, topic, actor_id, "
            "actor_role, actor_name, occurred_at, correlation_id, summary, changes "
            "FROM notification_audit_records WHERE day = '2025-03-03' ORDER BY notification_id"
        ).fetchall()
        forged_hash, count, _, _ = audit_trail.records_hash(rows)
        forged = audit_trail.sign("bukan-kunci-yang-benar", "2025-03-03", count, forged_hash, "")
        tx.execute(
            "UPDATE notification_audit_digests SET records_hash = ?, digest = ? "
            "WHERE day = '2025-03-03'",
            (forged_hash, forged),
        )
    report = verify(quiet_runtime.db, quiet_runtime.settings.secret_key)
    assert not report.ok and report.first_broken_day == "2025-03-03"
    assert report.problem == "tanda tangan (HMAC) digest tidak sah"


def test_a_day_with_unfinished_audit_work_is_not_sealed(quiet_runtime: Runtime) -> None:
    seeded(quiet_runtime)
    drain(quiet_runtime)
    # Pretend the audit task of Tuesday's submission gave up: its record is missing.
    submitted = quiet_runtime.db.rows(
        "SELECT notification_id FROM notification_audit_records WHERE topic = ?",
        ("innovation.Submitted",),
    )[0]["notification_id"]
    with quiet_runtime.db.transaction() as tx:
        bypass_append_only(tx)
        tx.execute("DELETE FROM notification_audit_records WHERE notification_id = ?", (submitted,))
    key = outbox.Key(f"event:{submitted}", "", "audit")
    with quiet_runtime.db.transaction() as tx:
        tx.execute(
            "UPDATE notification_outbox SET state = 'dispatched' "
            "WHERE source_key = ? AND channel = 'audit'",
            (key.source_key,),
        )
    letter = outbox.bury(quiet_runtime.db, "sirisma.audit_record", RuntimeError("db"), key=key)
    assert audit_trail.seal(quiet_runtime, NOW) == ["2025-03-03"]
    # An admin retries it; the day is complete again and gets sealed with its full record.
    from services.notification import operations

    assert letter is not None and operations.retry(quiet_runtime, letter, "admin") is not None
    drain(quiet_runtime)
    assert audit_trail.seal(quiet_runtime, NOW) == ["2025-03-04", "2025-03-05"]
    assert verify(quiet_runtime.db, quiet_runtime.settings.secret_key).ok


def test_cli_verify_exits_non_zero_on_tampering(sqlite_settings: Settings) -> None:
    runtime = start_runtime(sqlite_settings, background=False)
    try:
        seeded(runtime)
        drain(runtime)
        audit_trail.seal(runtime, NOW)
    finally:
        runtime.close()
    env = settings_env(sqlite_settings)
    ok = CliRunner().invoke(main, ["digests", "verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert '"ok": true' in ok.output
    runtime = start_runtime(sqlite_settings, background=False)
    try:
        with runtime.db.transaction() as tx:
            bypass_append_only(tx)
            tx.execute(
                "UPDATE notification_audit_records SET summary = 'x' WHERE day = '2025-03-03'"
            )
    finally:
        runtime.close()
    broken = CliRunner().invoke(main, ["digests", "verify"], env=env)
    assert broken.exit_code == 1
    assert '"first_broken_day": "2025-03-03"' in broken.output


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE notification_audit_records SET summary = 'diubah' WHERE notification_id = 1",
        "DELETE FROM notification_audit_records WHERE notification_id = 1",
    ],
    ids=["update", "delete"],
)
def test_audit_records_are_append_only(quiet_runtime: Runtime, change: str) -> None:
    seeded(quiet_runtime)
    drain(quiet_runtime)
    before = quiet_runtime.db.rows("SELECT * FROM notification_audit_records ORDER BY 1")
    assert before
    with pytest.raises(Exception, match="append-only"), quiet_runtime.db.transaction() as tx:
        tx.execute(change)
    assert quiet_runtime.db.rows("SELECT * FROM notification_audit_records ORDER BY 1") == before
