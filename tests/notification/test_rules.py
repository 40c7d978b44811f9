"""Who is told what, planned from the log and delivered by the task code, on SQLite and PostgreSQL.

These tests drive the embedded runner's rounds in the test thread (``drain``), so they exercise the
relay's planning, the outbox and the in-app/audit tasks without processes; the Celery path has its
own tests in ``test_distributed.py``.
"""

from __future__ import annotations

from collections import Counter

import msgspec

from services.config import Settings
from services.domain.call import jakarta_today
from services.notification import delivery, outbox, relay
from services.notification.outbox import Key
from services.runtime import Runtime
from services.startup import start_runtime
from tests.notification.conftest import NotifyWorld, drain
from tests.notification.helpers import bypass_append_only, lifecycle


def inbox(runtime: Runtime) -> Counter[tuple[str, str]]:
    """(username, kind) → how many in-app messages."""
    rows = runtime.db.rows(
        "SELECT a.username, i.kind FROM notification_inbox i "
        "JOIN notification_accounts a ON a.account_id = i.recipient_id"
    )
    return Counter((r["username"], r["kind"]) for r in rows)


def test_each_event_reaches_exactly_the_people_it_concerns(quiet_runtime: Runtime) -> None:
    world = NotifyWorld(quiet_runtime)
    lifecycle(world)
    drain(quiet_runtime)
    assert inbox(quiet_runtime) == Counter(
        {
            ("admin", "submission_received"): 1,
            ("rev.satu", "reviewer_assigned"): 1,
            ("rev.satu", "resubmitted"): 1,
            ("rev.dua", "reviewer_assigned"): 1,
            ("op.dukcapil", "revision_requested"): 1,
            ("op.dukcapil", "approved"): 1,
            ("op.dukcapil", "established"): 1,
            ("op.dukcapil", "reported_to_iga"): 1,
        }
    )
    # The other organisation's operator and the conflicted reviewer hear nothing.
    texts = quiet_runtime.db.rows(
        "SELECT title, body FROM notification_inbox WHERE kind = 'revision_requested'"
    )[0]
    assert texts["title"] == "Perlu perbaikan: Si Cepat Adminduk"
    assert "Lengkapi SK" in texts["body"] and "Rev Satu" in texts["body"]
    established = quiet_runtime.db.rows(
        "SELECT body FROM notification_inbox WHERE kind = 'established'"
    )[0]
    assert "188/12/2025" in established["body"] and "1 Oktober 2025" in established["body"]


def test_every_event_gets_one_audit_record_in_bahasa_indonesia(quiet_runtime: Runtime) -> None:
    world = NotifyWorld(quiet_runtime)
    iid = lifecycle(world)
    drain(quiet_runtime)
    head = quiet_runtime.store.max_notification_id()
    records = quiet_runtime.db.rows(
        "SELECT notification_id, originator_id, topic, actor_name, summary, changes "
        "FROM notification_audit_records ORDER BY notification_id"
    )
    assert [r["notification_id"] for r in records] == list(range(1, head + 1))
    approved = next(r for r in records if r["topic"] == "innovation.Approved")
    assert approved["originator_id"] == str(iid)
    assert approved["actor_name"] == "admin"
    assert approved["summary"].startswith("Admin admin")
    assert '"after":"approved"' in approved["changes"].replace(" ", "")
    account = next(r for r in records if r["topic"] == "account.AccountCreated")
    assert "argon2" not in account["summary"] + account["changes"]  # hashes are never described
    assert outbox.stats(quiet_runtime.db).done == quiet_runtime.db.scalar(
        "SELECT COUNT(*) FROM notification_outbox"
    )
    from services.notification.operations import check

    assert check(quiet_runtime, chunk=7).ok  # chunked comparison of the log and the records
    with quiet_runtime.db.transaction() as tx:
        bypass_append_only(tx)
        tx.execute("DELETE FROM notification_audit_records WHERE notification_id IN (3, 9)")
    report = check(quiet_runtime, chunk=7)
    assert not report.ok
    assert report.events_without_audit_record == 2 and report.first_missing_audit == [3, 9]


def test_replaying_the_log_and_redelivering_tasks_changes_nothing(quiet_runtime: Runtime) -> None:
    world = NotifyWorld(quiet_runtime)
    lifecycle(world)
    drain(quiet_runtime)
    before_inbox = inbox(quiet_runtime)
    before_rows = quiet_runtime.db.scalar("SELECT COUNT(*) FROM notification_outbox")
    audit_rows = quiet_runtime.db.scalar("SELECT COUNT(*) FROM notification_audit_records")
    # The relay plans the whole log again from scratch ...
    relay.replan(quiet_runtime)
    assert relay.plan_batch(quiet_runtime) > 0
    # ... and every task is delivered once more (a redelivery after a worker crash).
    keys = quiet_runtime.db.rows(
        "SELECT source_key, recipient_id, channel FROM notification_outbox"
    )
    with quiet_runtime.db.transaction() as tx:
        tx.execute("UPDATE notification_outbox SET state = 'dispatched'")
    outcomes = {
        delivery.execute(quiet_runtime, Key(k["source_key"], k["recipient_id"], k["channel"]))
        for k in keys
    }
    assert outcomes == {"done"}
    assert quiet_runtime.db.scalar("SELECT COUNT(*) FROM notification_outbox") == before_rows
    assert inbox(quiet_runtime) == before_inbox
    assert quiet_runtime.db.scalar("SELECT COUNT(*) FROM notification_audit_records") == audit_rows


def test_krenova_participant_follows_their_entry(quiet_runtime: Runtime) -> None:
    world = NotifyWorld(quiet_runtime)
    c = world.commands
    me, admin, rev = world.ctx(world.participant), world.ctx(world.admin), world.ctx(world.reviewer)
    entry = world.krenova_entry()
    c.submit(me, entry)
    c.assign_reviewer(admin, entry, world.reviewer.account_id)
    c.request_revision(rev, entry, note="Lengkapi abstrak")
    c.resubmit(me, entry)
    c.fail_administration(admin, entry, reason="Bukan karya sendiri")
    drain(quiet_runtime)
    got = inbox(quiet_runtime)
    assert got[("peserta.satu", "submission_confirmed")] == 1
    assert got[("peserta.satu", "revision_requested")] == 1
    # Assignment (→ Dalam Verifikasi) and the failed administration (→ Ditolak) are status
    # changes made by others; the participant's own resubmission is not news to them.
    assert got[("peserta.satu", "entry_status_changed")] == 2
    assert got[("admin", "submission_received")] == 1
    assert got[("rev.satu", "resubmitted")] == 1
    statuses = [
        r["title"]
        for r in quiet_runtime.db.rows(
            "SELECT title FROM notification_inbox WHERE kind = 'entry_status_changed' "
            "ORDER BY notification_id"
        )
    ]
    assert statuses == [
        "Status usulan Krenova Anda: Dalam Verifikasi",
        "Status usulan Krenova Anda: Ditolak",
    ]


def test_recipients_are_resolved_as_of_the_event(quiet_runtime: Runtime) -> None:
    """A disabled operator is skipped; an operator who joins later is not told about the past."""
    world = NotifyWorld(quiet_runtime)
    c = world.commands
    op, admin, rev = world.ctx(world.operator), world.ctx(world.admin), world.ctx(world.reviewer)
    system = world.ctx(world.admin)
    iid = world.complete_draft()
    c.submit(op, iid)
    c.assign_reviewer(admin, iid, world.reviewer.account_id)
    c.request_revision(rev, iid, note="Putaran satu")
    late = world._account(system, "op.baru", world.operator.role, world.opd_id)
    c.disable_account(system, world.operator.account_id, reason="mutasi")
    c.resubmit(world.ctx(late), iid)
    c.request_revision(rev, iid, note="Putaran dua")
    drain(quiet_runtime)
    rows = quiet_runtime.db.rows(
        "SELECT a.username, i.body FROM notification_inbox i JOIN notification_accounts a "
        "ON a.account_id = i.recipient_id WHERE i.kind = 'revision_requested' ORDER BY a.username"
    )
    assert [(r["username"], "Putaran dua" in r["body"]) for r in rows] == [
        ("op.baru", True),
        ("op.dukcapil", False),
    ]


def test_email_is_planned_only_with_smtp_and_an_address(quiet_runtime: Runtime) -> None:
    world = NotifyWorld(quiet_runtime)
    c = world.commands
    system = world.ctx(world.admin)
    c.create_account(
        system,
        username="admin.tanpa.surel",
        full_name="Admin Tanpa Surel",
        email="",
        role=world.admin.role,
        organisation_id=world.bappeda_id,
        password_hash="x",
    )
    iid = world.complete_draft()
    c.submit(world.ctx(world.operator), iid)
    smtp_settings: Settings = msgspec.structs.replace(quiet_runtime.settings, smtp_host="127.0.0.1")
    with_smtp = start_runtime(smtp_settings, background=False)
    try:
        relay.plan_batch(with_smtp)
        rows = with_smtp.db.rows(
            "SELECT a.username, o.channel FROM notification_outbox o JOIN notification_accounts a "
            "ON a.account_id = o.recipient_id WHERE o.kind = 'submission_received'"
        )
    finally:
        with_smtp.close()
    assert sorted((r["username"], r["channel"]) for r in rows) == [
        ("admin", "email"),
        ("admin", "inapp"),
        ("admin.tanpa.surel", "inapp"),
    ]


def test_the_heads_endorsement_reaches_the_organisations_operators(
    quiet_runtime: Runtime,
) -> None:
    from services.domain.actor import Role

    world = NotifyWorld(quiet_runtime)
    system = world.ctx(world.admin.__class__.system())
    head = world._account(system, "kepala.dukcapil", Role.KEPALA_OPD, world.opd_id)
    iid = world.complete_draft()
    world.commands.endorse(world.ctx(head), iid, note="Layak diajukan")
    drain(quiet_runtime)
    assert inbox(quiet_runtime) == Counter({("op.dukcapil", "endorsed"): 1})
    text = quiet_runtime.db.rows(
        "SELECT title, body FROM notification_inbox WHERE kind = 'endorsed'"
    )[0]
    assert text["title"] == "Inovasi disahkan: Si Cepat Adminduk"
    assert "Kepala Dukcapil telah mengesahkan" in text["body"] and "Layak diajukan" in text["body"]


def test_mentoring_reaches_the_mentor_and_the_organisation(quiet_runtime: Runtime) -> None:
    from datetime import date, timedelta
    from uuid import uuid4

    from services.domain.actor import Actor, Role
    from services.domain.events import FollowUpItem
    from services.mentoring.service import MentoringCommands

    world = NotifyWorld(quiet_runtime)
    mentor = world._account(world.ctx(Actor.system()), "pendamping.satu", Role.MENTOR, None)
    iid = world.complete_draft()
    service = MentoringCommands(quiet_runtime.store, world.commands)
    assert mentor.account_id is not None
    service.assign(world.ctx(world.admin), world.commands.innovation(iid), mentor.account_id)
    service.record_session(
        world.ctx(mentor),
        world.commands.innovation(iid),
        session_id=uuid4(),
        held_on=jakarta_today() - timedelta(days=1),
        mode="klinik",
        attendees=["Operator"],
        topics=["Rancang bangun"],
        follow_ups=[FollowUpItem(id=uuid4(), text="Lengkapi SK", due=date(2099, 1, 2))],
    )
    drain(quiet_runtime)
    assert inbox(quiet_runtime) == Counter(
        {("pendamping.satu", "mentor_assigned"): 1, ("op.dukcapil", "mentoring_session"): 1}
    )
    body = quiet_runtime.db.rows(
        "SELECT body FROM notification_inbox WHERE kind = 'mentoring_session'"
    )[0]["body"]
    assert "Klinik inovasi" in body and "Lengkapi SK (tenggat 2 Januari 2099)" in body


def test_a_monev_visit_reaches_the_organisation(quiet_runtime: Runtime) -> None:
    from datetime import date
    from uuid import uuid4

    from services.monev.service import MonevCommands

    world = NotifyWorld(quiet_runtime)
    iid = lifecycle(world)  # reported to IGA: established or later, so monev is open
    drain(quiet_runtime)
    before = inbox(quiet_runtime)
    MonevCommands(quiet_runtime.store, world.commands).schedule_visit(
        world.ctx(world.reviewer),
        world.commands.innovation(iid),
        visit_id=uuid4(),
        due_on=date(2099, 1, 2),
        kind="kunjungan",
        note="Bawa data pengguna",
    )
    drain(quiet_runtime)
    assert inbox(quiet_runtime) - before == Counter({("op.dukcapil", "monev_visit"): 1})
    body = quiet_runtime.db.rows("SELECT body FROM notification_inbox WHERE kind = 'monev_visit'")[
        0
    ]["body"]
    assert "kunjungan lapangan monitoring dan evaluasi pada 2 Januari 2099" in body
    assert "Bawa data pengguna" in body


def test_a_moved_or_cancelled_monev_visit_reaches_the_organisation(
    quiet_runtime: Runtime,
) -> None:
    from datetime import date
    from uuid import uuid4

    from services.monev.service import MonevCommands

    world = NotifyWorld(quiet_runtime)
    iid = lifecycle(world)
    service = MonevCommands(quiet_runtime.store, world.commands)
    rev = world.ctx(world.reviewer)
    visit = uuid4()
    service.schedule_visit(
        rev, world.commands.innovation(iid), visit_id=visit, due_on=date(2099, 1, 2), kind="rapat"
    )
    drain(quiet_runtime)
    before = inbox(quiet_runtime)
    innovation = world.commands.innovation(iid)
    service.reschedule_visit(
        rev, innovation, visit_id=visit, due_on=date(2099, 2, 3), reason="Kepala dinas cuti"
    )
    service.cancel_visit(rev, innovation, visit_id=visit, reason="Layanan dipindah")
    drain(quiet_runtime)
    assert inbox(quiet_runtime) - before == Counter(
        {("op.dukcapil", "monev_visit_rescheduled"): 1, ("op.dukcapil", "monev_visit_cancelled"): 1}
    )
    moved, called_off = (
        quiet_runtime.db.scalar(f"SELECT body FROM notification_inbox WHERE kind = '{kind}'")
        for kind in ("monev_visit_rescheduled", "monev_visit_cancelled")
    )
    assert "dari 2 Januari 2099 menjadi 3 Februari 2099" in moved and "Kepala dinas cuti" in moved
    assert "dijadwalkan pada 3 Februari 2099" in called_off and "Layanan dipindah" in called_off
