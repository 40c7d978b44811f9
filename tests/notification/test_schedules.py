"""The beat schedules with a frozen clock: the deadline ladder, the Perbup art. 38 reminder and the
SLA escalation ladder, each sent once however often the scan runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.domain.aggregate import Context
from services.domain.values import OrganisationKind
from services.notification import relay, schedules
from services.runtime import Runtime
from tests.notification.conftest import NotifyWorld, drain

WIB = ZoneInfo("Asia/Jakarta")
T0 = datetime(2025, 3, 3, 8, 0, tzinfo=WIB).astimezone(UTC)  # Monday 3 March 2025, 08.00 WIB


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=WIB)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def scheduled(runtime: Runtime, kind_prefix: str) -> set[tuple[str, str, str]]:
    """(source key, username, kind) of the scheduled in-app messages planned so far."""
    rows = runtime.db.rows(
        "SELECT o.source_key, a.username, o.kind FROM notification_outbox o "
        "JOIN notification_accounts a ON a.account_id = o.recipient_id "
        "WHERE o.channel = 'inapp' AND o.source_key LIKE ?",
        (f"{kind_prefix}:%",),
    )
    return {(r["source_key"], r["username"], r["kind"]) for r in rows}


def run_scans(
    runtime: Runtime, dates: list[date], prefix: str, hours: tuple[int, ...] = (7, 13)
) -> list[tuple[date, str, str, dict[str, object]]]:
    """Scan at each date and hour (like beat's 07.30 and 13.30 runs); return what was new:
    (date, username, kind, params)."""
    import json

    seen = scheduled(runtime, prefix)
    ladder = []
    for day in dates:
        for hour in hours:
            schedules.plan_due(runtime, at(day, hour, 30))
            now = scheduled(runtime, prefix)
            for key, username, kind in sorted(now - seen, key=lambda k: (k[1], k[0])):
                params = json.loads(
                    runtime.db.scalar(
                        "SELECT payload FROM notification_outbox WHERE source_key = ? "
                        "AND channel = 'inapp' LIMIT 1",
                        (key,),
                    )
                )["params"]
                ladder.append((day, username, kind, params))
            seen = now
    return ladder


@pytest.fixture
def world(quiet_runtime: Runtime) -> NotifyWorld:
    return NotifyWorld(quiet_runtime, now=T0)


def test_deadline_ladder_reaches_who_has_not_submitted_once_per_rung(
    quiet_runtime: Runtime, world: NotifyWorld
) -> None:
    c = world.commands
    system = Context(actor=world.admin, now=T0)
    disdik = c.register_organisation(
        system, kind=OrganisationKind.OPD, code="DISDIK", name="Dinas Pendidikan"
    ).id
    op_disdik = world._account(system, "op.disdik", world.operator.role, disdik)
    # Dukcapil submits; Disdik submits but is sent back for revision; Dinkes only has a draft.
    c.submit(world.ctx(world.operator), world.complete_draft())
    sent_back = c.propose(
        world.ctx(op_disdik), call_id=world.call_id, profile=_profile("Rapor Digital")
    ).id
    _submit_complete(world, op_disdik, sent_back)
    c.assign_reviewer(world.ctx(world.admin), sent_back, world.reviewer.account_id)
    c.request_revision(world.ctx(world.reviewer), sent_back, note="SK belum ada")
    c.propose(world.ctx(world.other_operator), call_id=world.call_id, profile=_profile("Sehat"))
    world.krenova_entry("Pengering Gabah")  # a participant's draft in the Krenova call
    relay.plan_batch(quiet_runtime)

    # The annual call closes 2 April 2025 08.00 WIB; the Krenova call 23 March 08.00 WIB.
    ladder = run_scans(quiet_runtime, days(date(2025, 3, 12), date(2025, 4, 3)), "deadline")
    got = [(d.isoformat(), user, p["days_left"]) for d, user, _, p in ladder]
    assert got == [
        ("2025-03-16", "peserta.satu", 7),
        ("2025-03-20", "peserta.satu", 3),
        ("2025-03-22", "peserta.satu", 1),
        ("2025-03-23", "peserta.satu", 0),
        ("2025-03-26", "op.dinkes", 7),
        ("2025-03-26", "op.disdik", 7),
        ("2025-03-30", "op.dinkes", 3),
        ("2025-03-30", "op.disdik", 3),
        ("2025-04-01", "op.dinkes", 1),
        ("2025-04-01", "op.disdik", 1),
        ("2025-04-02", "op.dinkes", 0),
        ("2025-04-02", "op.disdik", 0),
    ]
    disdik_params = next(p for _, user, _, p in ladder if user == "op.disdik")
    assert disdik_params["drafts"] == ["Rapor Digital"]
    assert disdik_params["deadline"] == "2 April 2025 08.00 WIB"
    # The same day scanned again, even by a second beat, adds nothing.
    before = scheduled(quiet_runtime, "deadline")
    assert schedules.plan_due(quiet_runtime, at(date(2025, 3, 30), 15)) == 0
    assert scheduled(quiet_runtime, "deadline") == before


def test_deadline_reminder_waits_for_office_hours_and_is_not_sent_late(
    quiet_runtime: Runtime, world: NotifyWorld
) -> None:
    relay.plan_batch(quiet_runtime)
    rung_day = date(2025, 3, 26)  # 7 days before the annual deadline
    assert schedules.plan_due(quiet_runtime, at(rung_day, 6, 30)) == 0
    # The 7-day rung's day passed without a scan: on the next day nothing is sent for it.
    assert run_scans(quiet_runtime, [rung_day + timedelta(days=1)], "deadline") == []
    assert [u for _, u, _, _ in run_scans(quiet_runtime, [rung_day], "deadline")] == [
        "op.dinkes",
        "op.dukcapil",
    ]


def test_perbup_reminder_once_a_month_to_organisations_without_an_innovation(
    quiet_runtime: Runtime, world: NotifyWorld
) -> None:
    c = world.commands
    c.submit(world.ctx(world.operator), world.complete_draft())  # Dukcapil complies for 2025
    relay.plan_batch(quiet_runtime)
    ladder = run_scans(
        quiet_runtime, days(date(2025, 3, 3), date(2025, 4, 4)), "compliance", hours=(8, 13)
    )
    assert [(d.isoformat(), user) for d, user, _, _ in ladder] == [
        ("2025-03-03", "op.dinkes"),
        ("2025-04-01", "op.dinkes"),
    ]
    params = ladder[0][3]
    assert params["year"] == 2025
    assert [c["title"] for c in params["calls"]] == ["Inovasi Daerah 2025"]  # type: ignore[attr-defined]
    drain(quiet_runtime)
    title = quiet_runtime.db.scalar(
        "SELECT title FROM notification_inbox WHERE kind = 'compliance_reminder' LIMIT 1"
    )
    assert (
        title == "Pengingat Perbup 87/2021 pasal 38: Dinas Kesehatan belum mengusulkan inovasi 2025"
    )


def test_sla_escalation_goes_to_the_reviewer_then_to_the_admins(
    quiet_runtime: Runtime, world: NotifyWorld
) -> None:
    c = world.commands
    op, admin = world.ctx(world.operator), world.ctx(world.admin)
    assigned = world.complete_draft("A Ditugaskan")
    c.submit(op, assigned)
    c.assign_reviewer(admin, assigned, world.reviewer.account_id)
    unassigned = world.complete_draft("B Belum Ditugaskan")
    c.submit(op, unassigned)
    resubmitted = world.complete_draft("C Diajukan Ulang")
    c.submit(op, resubmitted)
    c.assign_reviewer(admin, resubmitted, world.reviewer2.account_id)
    c.request_revision(world.ctx(world.reviewer2), resubmitted, note="Perbaiki")
    monday_after = T0 + timedelta(days=7)  # Monday 10 March: the SLA clock starts again
    c.resubmit(Context(actor=world.operator, now=monday_after), resubmitted)
    scored = world.complete_draft("D Sudah Dinilai")
    c.submit(op, scored)
    c.assign_reviewer(admin, scored, world.reviewer.account_id)
    c.score(Context(actor=world.reviewer, now=T0 + timedelta(days=2)), scored, world.verdicts())
    relay.plan_batch(quiet_runtime)

    ladder = run_scans(quiet_runtime, days(date(2025, 3, 3), date(2025, 3, 24)), "sla", hours=(8,))
    got = sorted(
        (d.isoformat(), p["title"], user, kind, p["waiting_days"]) for d, user, kind, p in ladder
    )
    assert got == [
        # 5 working days is the SLA: Tuesday 11 March is the 6th (the weekend does not count).
        ("2025-03-11", "A Ditugaskan", "rev.satu", "sla_reviewer", 6),
        ("2025-03-11", "B Belum Ditugaskan", "admin", "sla_admin", 6),
        # Two more working days without progress: the admins hear about it.
        ("2025-03-13", "A Ditugaskan", "admin", "sla_admin", 8),
        ("2025-03-13", "B Belum Ditugaskan", "admin", "sla_admin", 8),
        # Resubmitted on Monday 10 March: its own clock.
        ("2025-03-18", "C Diajukan Ulang", "rev.dua", "sla_reviewer", 6),
        ("2025-03-20", "C Diajukan Ulang", "admin", "sla_admin", 8),
    ]
    drain(quiet_runtime)
    body = quiet_runtime.db.scalar(
        "SELECT body FROM notification_inbox WHERE kind = 'sla_reviewer' "
        "ORDER BY created_at LIMIT 1"
    )
    assert "6 hari kerja" in body and "5 hari kerja" in body


def _profile(title: str):  # type: ignore[no-untyped-def]
    from tests.factories import complete_profile

    return complete_profile(title)


def _submit_complete(world: NotifyWorld, actor, iid) -> None:  # type: ignore[no-untyped-def]
    from services.domain.values import DocumentKind
    from tests.factories import MANDATORY, document

    c, ctx = world.commands, world.ctx(actor)
    for no in MANDATORY:
        doc = document(DocumentKind.SK if no == 1 else DocumentKind.REPORT, indicator=no)
        c.attach_document(ctx, iid, doc)
        c.claim_indicator(ctx, iid, no=no, level=3, evidence=[doc.doc_id])
    c.submit(ctx, iid)


def test_a_monev_visit_is_reminded_3_days_ahead_and_on_its_day_until_reported(
    quiet_runtime: Runtime, world: NotifyWorld
) -> None:
    from uuid import uuid4

    from services.monev.service import MonevCommands
    from tests.notification.helpers import lifecycle

    iid = lifecycle(world)  # established and reported: monev is open
    service = MonevCommands(quiet_runtime.store, world.commands)
    rev = world.ctx(world.reviewer)
    visits = [uuid4(), uuid4()]
    for visit, day in zip(visits, (date(2025, 3, 10), date(2025, 3, 12)), strict=True):
        service.schedule_visit(
            rev, world.commands.innovation(iid), visit_id=visit, due_on=day, kind="kunjungan"
        )
    # The second visit is reported before its reminders are due: it is not reminded.
    service.record_report(
        rev,
        world.commands.innovation(iid),
        report_id=uuid4(),
        kind="internal",
        reported_on=date(2025, 3, 3),
        findings="Sudah dievaluasi lebih awal",
        recommendation="lanjutkan",
        visit_id=visits[1],
    )
    relay.plan_batch(quiet_runtime)
    ladder = run_scans(quiet_runtime, days(date(2025, 3, 3), date(2025, 3, 14)), "monev_due")
    assert [(d.isoformat(), user, p["days"]) for d, user, _, p in ladder] == [
        ("2025-03-07", "admin", 3),
        ("2025-03-07", "op.dukcapil", 3),
        ("2025-03-10", "admin", 0),
        ("2025-03-10", "op.dukcapil", 0),
    ]
    drain(quiet_runtime)
    body = quiet_runtime.db.scalar(
        "SELECT body FROM notification_inbox WHERE kind = 'monev_due' LIMIT 1"
    )
    assert "3 hari lagi (10 Maret 2025) dijadwalkan kunjungan lapangan" in body


def test_monev_reminders_follow_a_new_date_and_stop_after_a_cancel(
    quiet_runtime: Runtime, world: NotifyWorld
) -> None:
    from uuid import uuid4

    from services.monev.service import MonevCommands
    from tests.notification.helpers import lifecycle

    iid = lifecycle(world)
    service = MonevCommands(quiet_runtime.store, world.commands)
    rev = world.ctx(world.reviewer)
    moved, dropped = uuid4(), uuid4()
    for visit in (moved, dropped):
        service.schedule_visit(
            rev,
            world.commands.innovation(iid),
            visit_id=visit,
            due_on=date(2025, 3, 10),
            kind="rapat",
        )
    innovation = world.commands.innovation(iid)
    service.reschedule_visit(
        rev, innovation, visit_id=moved, due_on=date(2025, 3, 13), reason="Bentrok jadwal"
    )
    service.cancel_visit(rev, innovation, visit_id=dropped, reason="Digabung")
    relay.plan_batch(quiet_runtime)
    ladder = run_scans(quiet_runtime, days(date(2025, 3, 3), date(2025, 3, 14)), "monev_due")
    assert [(d.isoformat(), user, p["days"]) for d, user, _, p in ladder] == [
        ("2025-03-10", "admin", 3),
        ("2025-03-10", "op.dukcapil", 3),
        ("2025-03-13", "admin", 0),
        ("2025-03-13", "op.dukcapil", 0),
    ]
