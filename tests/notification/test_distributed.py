"""The distributed shape on real servers: PostgreSQL, Redis, a `sirisma worker` process (Celery),
the relay, and an SMTP server on loopback that records every mail it accepts."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from click.testing import CliRunner

from services.cli import main
from services.config import Settings
from services.notification import outbox
from services.runtime import Runtime
from tests.notification.conftest import (
    NotifyWorld,
    RelayThread,
    SmtpServer,
    settings_env,
    wait_until,
)
from tests.notification.helpers import lifecycle
from tests.servers import RedisServer

pytestmark = pytest.mark.slow


def all_done(runtime: Runtime) -> Any:
    """Everything planned up to the log's head has been performed (or given up)."""
    head = runtime.store.max_notification_id()
    position = runtime.db.scalar("SELECT position FROM notification_tracking WHERE name = 'relay'")
    stats = outbox.stats(runtime.db)
    return position == head and stats.pending == 0 and stats.dispatched == 0 and stats


def emails(runtime: Runtime) -> list[dict[str, Any]]:
    return runtime.db.rows(
        "SELECT o.source_key, o.kind, o.state, o.email_state, o.message_id, a.email "
        "FROM notification_outbox o JOIN notification_accounts a "
        "ON a.account_id = o.recipient_id WHERE o.channel = 'email'"
    )


def test_mails_and_messages_arrive_once_each_through_celery(
    distributed_runtime: Runtime,
    relay_thread: RelayThread,
    worker_factory: Any,
    smtp: SmtpServer,
) -> None:
    worker_factory()
    world = NotifyWorld(distributed_runtime)
    lifecycle(world)
    wait_until(lambda: all_done(distributed_runtime), timeout=90, what="every task to finish")
    expected = emails(distributed_runtime)
    assert {(e["kind"], e["email"]) for e in expected} == {
        ("submission_received", "admin@sragenkab.go.id"),
        ("reviewer_assigned", "rev.satu@sragenkab.go.id"),
        ("resubmitted", "rev.satu@sragenkab.go.id"),
        ("reviewer_assigned", "rev.dua@sragenkab.go.id"),
        ("revision_requested", "op.dukcapil@sragenkab.go.id"),
        ("approved", "op.dukcapil@sragenkab.go.id"),
        ("established", "op.dukcapil@sragenkab.go.id"),
        ("reported_to_iga", "op.dukcapil@sragenkab.go.id"),
    }
    assert {(e["state"], e["email_state"]) for e in expected} == {("done", "sent")}
    received = smtp.mailbox.received()
    # Each expected mail once: same count, and exactly the Message-IDs the worker recorded.
    assert Counter(m["Message-ID"] for _, m in received) == Counter(
        e["message_id"] for e in expected
    )
    [revision] = [
        m for m in smtp.mailbox.to("op.dukcapil@sragenkab.go.id") if "perbaikan" in m["Subject"]
    ]
    assert revision["Subject"] == "Perlu perbaikan: Si Cepat Adminduk"
    assert revision["From"] == distributed_runtime.settings.mail_from
    text = revision.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = revision.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("Yth. Op Dukcapil,") and "Lengkapi SK" in text
    assert "<strong>Catatan verifikator:</strong> Lengkapi SK" in html
    inbox = distributed_runtime.db.scalar("SELECT COUNT(*) FROM notification_inbox")
    audit = distributed_runtime.db.scalar("SELECT COUNT(*) FROM notification_audit_records")
    assert inbox == len(expected)  # every recipient here has an email address
    assert audit == distributed_runtime.store.max_notification_id()

    # A broker that delivers every message again (a redelivery storm) changes nothing.
    with distributed_runtime.db.transaction() as tx:
        tx.execute("UPDATE notification_outbox SET state = 'pending'")
    wait_until(lambda: all_done(distributed_runtime), timeout=90, what="the redeliveries")
    assert len(smtp.mailbox.received()) == len(received)
    assert distributed_runtime.db.scalar("SELECT COUNT(*) FROM notification_inbox") == inbox
    assert distributed_runtime.db.scalar("SELECT COUNT(*) FROM notification_audit_records") == audit


def test_redis_outage_delays_but_the_api_keeps_accepting_commands(
    distributed_runtime: Runtime,
    relay_thread: RelayThread,
    worker_factory: Any,
    smtp: SmtpServer,
    redis_server: RedisServer,
) -> None:
    from litestar.testing import TestClient

    from services.app import create_app
    from tests.notification.conftest import PASSWORD

    worker_factory()
    world = NotifyWorld(distributed_runtime)
    drafts = [world.complete_draft(f"Inovasi {n}") for n in range(3)]
    wait_until(lambda: all_done(distributed_runtime), timeout=60, what="the seeding's tasks")
    # The HTTP app is its own process in this shape: its own runtime (no background threads,
    # since Redis is configured), the same database. The operator is signed in already
    # (logging in counts attempts in Redis, for throttling across processes).
    with TestClient(create_app(distributed_runtime.settings)) as client:
        login = client.post(
            "/api/auth/login", json={"username": "op.dukcapil", "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        client.cookies.clear()
        redis_server.stop()
        for iid in drafts:
            response = client.post(f"/api/innovations/{iid}/submit", headers=headers)
            assert response.status_code == 200, response.text
    # The relay keeps up with the log; the side effects wait in the outbox, not in limbo.
    wait_until(
        lambda: (
            all_done(distributed_runtime) is False
            and distributed_runtime.db.scalar(
                "SELECT position FROM notification_tracking WHERE name = 'relay'"
            )
            == distributed_runtime.store.max_notification_id()
        ),
        timeout=30,
        what="the relay to plan the submissions while Redis is down",
    )
    assert outbox.stats(distributed_runtime.db).pending >= 3 * 3  # 3 × (inapp, email, audit)
    assert smtp.mailbox.to("admin@sragenkab.go.id") == []
    redis_server.start()
    wait_until(lambda: all_done(distributed_runtime), timeout=120, what="delivery after Redis")
    subjects = sorted(m["Subject"] for m in smtp.mailbox.to("admin@sragenkab.go.id"))
    assert subjects == [f"Usulan inovasi baru: Inovasi {n}" for n in range(3)]


def test_transient_failures_are_retried_and_permanent_ones_dead_lettered(
    distributed_runtime: Runtime,
    distributed_settings: Settings,
    relay_thread: RelayThread,
    worker_factory: Any,
    smtp: SmtpServer,
) -> None:
    worker_factory()
    world = NotifyWorld(distributed_runtime)
    smtp.mailbox.transient["admin@sragenkab.go.id"] = 2  # 451 twice, then accepted
    smtp.mailbox.refuse["op.dukcapil@sragenkab.go.id"] = "550 5.1.1 Kotak surat tidak ada"
    c = world.commands
    iid = world.complete_draft()
    c.submit(world.ctx(world.operator), iid)
    c.assign_reviewer(world.ctx(world.admin), iid, world.reviewer.account_id)
    c.request_revision(world.ctx(world.reviewer), iid, note="Lengkapi SK")
    wait_until(lambda: all_done(distributed_runtime), timeout=120, what="the retries")

    assert len(smtp.mailbox.to("admin@sragenkab.go.id")) == 1  # after two 451s, sent once
    admin_row = next(e for e in emails(distributed_runtime) if e["kind"] == "submission_received")
    assert admin_row["email_state"] == "sent"
    assert len(smtp.mailbox.to("rev.satu@sragenkab.go.id")) == 1
    assert smtp.mailbox.to("op.dukcapil@sragenkab.go.id") == []
    # The refused mail is a dead letter; the operator still has the in-app message.
    env = settings_env(distributed_settings)
    listed = CliRunner().invoke(main, ["dead-letters", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    import json

    [letter] = json.loads(listed.output)
    assert letter["task"] == "sirisma.notify" and letter["channel"] == "email"
    assert letter["kind"] == "revision_requested"
    assert "550" in letter["error"] and letter["attempts"] == 1  # permanent: not retried
    assert (
        distributed_runtime.db.scalar(
            "SELECT COUNT(*) FROM notification_inbox WHERE kind = 'revision_requested'"
        )
        == 1
    )

    # The address is fixed; an admin retries from the CLI and the mail goes out once.
    del smtp.mailbox.refuse["op.dukcapil@sragenkab.go.id"]
    retried = CliRunner().invoke(main, ["dead-letters", "retry", "--all"], env=env)
    assert retried.exit_code == 0 and "1 dead letter dicoba ulang" in retried.output
    wait_until(
        lambda: (
            len(smtp.mailbox.to("op.dukcapil@sragenkab.go.id")) == 1
            and all_done(distributed_runtime)
        ),
        timeout=60,
        what="the retried mail",
    )
    assert outbox.stats(distributed_runtime.db).dead_letters_open == 0
    again = CliRunner().invoke(main, ["dead-letters", "list"], env=env)
    assert "Tidak ada dead letter." in again.output


def test_a_second_relay_waits_as_a_standby(
    distributed_runtime: Runtime, relay_thread: RelayThread
) -> None:
    from services.notification.relay import AdvisoryLock

    wait_until(
        lambda: relay_thread.relay.lock is not None and relay_thread.relay.lock._conn is not None,
        timeout=20,
        what="the first relay to become active",
    )
    standby = AdvisoryLock(distributed_runtime.settings.database_url)
    try:
        assert standby.hold() is False
        relay_thread.stop()
        assert standby.hold() is True
    finally:
        standby.release()
