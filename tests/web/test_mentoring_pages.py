"""Pendampingan on the pages over HTTP (no browser): the admin assigns a mentor, the mentor
records a session with a follow-up, the operator marks it done. Each form's bad input is a
readable message on the same page that keeps what was typed and records nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from services.commands import account_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import jakarta_today
from services.identity.passwords import hash_password
from tests.web.test_pages import HTML, last_event, login
from tests.web.world import PASSWORD, WebWorld


@pytest.fixture(scope="module")
def mentor(web_world: WebWorld) -> UUID:
    system = Context(actor=Actor.system(), correlation_id="web-test-seed")
    web_world._account(system, "pendamping.web", Role.MENTOR, None, hash_password(PASSWORD))
    return account_id_for("pendamping.web")


def _refused(client: Any, world: WebWorld, url: str, data: dict[str, str], status: int) -> str:
    before = last_event(world)
    page = client.post(url, data=data, headers=HTML)
    assert page.status_code == status, page.text
    assert last_event(world) == before
    return str(page.text)


def test_assign_record_and_mark_done_on_the_page(
    client: Any, web_world: WebWorld, mentor: UUID
) -> None:
    iid = web_world.complete_draft("Adminduk Didampingi Web")
    base = f"/inovasi/{iid}/pendampingan"

    token = login(client, "admin")
    page = client.get(base, headers=HTML)
    assert page.status_code == 200 and "Tugaskan pendamping" in page.text
    assert "Pendamping Web Uji" in page.text  # offered in the list
    assign = f"{base}/pendamping"
    for bad, words in (
        ({"mentor_id": ""}, "Pilih pendamping"),
        ({"mentor_id": "bukan-id"}, "Pendamping pilihan tidak dikenal"),
        ({"mentor_id": str(account_id_for("op.dukcapil"))}, "Pendamping harus akun pendamping"),
        ({"mentor_id": str(mentor), "note": "x" * 4_001}, "Catatan paling panjang 4.000"),
    ):
        text = _refused(client, web_world, assign, {"_csrf_token": token, **bad}, 422)
        assert words in text
    done = client.post(assign, data={"_csrf_token": token, "mentor_id": str(mentor)}, headers=HTML)
    assert done.status_code == 200 and "Pendamping telah ditugaskan." in done.text
    again = _refused(
        client, web_world, assign, {"_csrf_token": token, "mentor_id": str(mentor)}, 422
    )
    assert "sudah menjadi pendamping" in again

    # The mentor finds the innovation in their list and records a session.
    web_world.runtime.read_models.wait_for(last_event(web_world), 10)
    token = login(client, "pendamping.web")
    mine = client.get("/pendampingan", headers=HTML)
    assert "Adminduk Didampingi Web" in mine.text and 'href="/pendampingan"' in mine.text
    held = (jakarta_today() - timedelta(days=1)).isoformat()
    session = {
        "_csrf_token": token,
        "held_on": held,
        "mode": "klinik",
        "attendees": "Operator Dukcapil\nPendamping Web",
        "topics": "Rancang bangun\nData sebelum-sesudah",
        "indicators": "5",
        "follow_up_1": "Lengkapi data sebelum-sesudah",
        "follow_up_due_1": jakarta_today().isoformat(),
    }
    record = f"{base}/sesi"
    for bad, words in (
        ({"held_on": "2999-01-01"}, "masa depan"),
        ({"held_on": ""}, "Tanggal sesi wajib diisi"),
        ({"attendees": ""}, "Daftar hadir wajib diisi"),
        ({"mode": "rapat"}, "Moda sesi pilihan tidak dikenal"),
        ({"indicators": "77"}, "Indikator tidak ada"),
        ({"follow_up_1": ""}, "Tindak lanjut 1: uraian wajib diisi"),
        ({"topics": "y" * 201}, "Topik yang dibahas paling panjang 200"),
    ):
        text = _refused(client, web_world, record, {**session, **bad}, 422)
        assert words in text
        assert "Lengkapi data sebelum-sesudah" in text or bad.get("follow_up_1") == ""
    kept = _refused(client, web_world, record, {**session, "held_on": "2999-01-01"}, 422)
    assert "Rancang bangun\nData sebelum-sesudah</textarea>" in kept
    recorded = client.post(record, data=session, headers=HTML)
    assert recorded.status_code == 200 and "Sesi pendampingan tercatat." in recorded.text
    assert 'data-follow-up="terbuka"' in recorded.text
    assert "Inovasi yang saya dampingi" in recorded.text  # back to the list, not a 404 overview

    # The operator sees the same record, may not record sessions, and marks the follow-up done.
    token = login(client, "op.dukcapil")
    overview = client.get(f"/inovasi/{iid}", headers=HTML)
    assert f'href="{base}"' in overview.text
    operator_page = client.get(base, headers=HTML)
    assert "Klinik inovasi" in operator_page.text and "Catat sesi" not in operator_page.text
    refused = client.post(record, data={**session, "_csrf_token": token}, headers=HTML)
    assert refused.status_code == 403
    view = web_world.runtime.store
    from services.domain.mentoring import Mentoring, mentoring_id

    follow_up = next(iter(view.load(Mentoring, mentoring_id(iid)).follow_ups))
    close = f"{base}/tindak-lanjut/{follow_up}/selesai"
    long_note = _refused(client, web_world, close, {"_csrf_token": token, "note": "z" * 4_001}, 422)
    assert "Catatan paling panjang" in long_note
    closed = client.post(close, data={"_csrf_token": token, "note": "Data sudah ada"}, headers=HTML)
    assert closed.status_code == 200 and "Tindak lanjut ditandai selesai." in closed.text
    assert 'data-follow-up="selesai"' in closed.text and "Data sudah ada" in closed.text
    twice = _refused(client, web_world, close, {"_csrf_token": token}, 422)
    assert "sudah selesai" in twice


def test_other_organisations_and_strangers_see_nothing(
    client: Any, web_world: WebWorld, mentor: UUID
) -> None:
    iid = web_world.complete_draft("Adminduk Tanpa Pendamping")
    login(client, "op.dinkes")
    assert client.get(f"/inovasi/{iid}/pendampingan", headers=HTML).status_code == 404
    login(client, "pendamping.web")  # not assigned to this one
    assert client.get(f"/inovasi/{iid}/pendampingan", headers=HTML).status_code == 404
    client.cookies.clear()
    anonymous = client.get(f"/inovasi/{iid}/pendampingan", headers=HTML, follow_redirects=False)
    assert anonymous.status_code in (303, 401)


def test_an_overdue_follow_up_reminds_the_mentor_and_the_operators_once(
    web_world: WebWorld, mentor: UUID
) -> None:
    from datetime import UTC, datetime, time
    from uuid import uuid4
    from zoneinfo import ZoneInfo

    from services.domain.events import FollowUpItem
    from services.mentoring.service import MentoringCommands
    from services.notification import schedules

    runtime = web_world.runtime
    service = MentoringCommands(runtime.store, runtime.commands)
    iid = web_world.complete_draft("Adminduk Lewat Tenggat")
    innovation = runtime.commands.innovation(iid)
    service.assign(web_world.ctx(web_world.admin), innovation, mentor)
    mentor_ctx = web_world.ctx(Actor(account_id=mentor, role=Role.MENTOR, organisation_id=None))
    week_ago = jakarta_today() - timedelta(days=7)
    service.record_session(
        mentor_ctx,
        innovation,
        session_id=uuid4(),
        held_on=week_ago,
        mode="daring",
        attendees=["Operator"],
        topics=["Data"],
        follow_ups=[
            FollowUpItem(id=uuid4(), text="Unggah SK tim", due=week_ago),
            FollowUpItem(id=uuid4(), text="Belum jatuh tempo", due=jakarta_today()),
        ],
    )
    runtime.read_models.wait_for(last_event(web_world), 10)
    _notification_copy_has(runtime, iid)
    office_hours = datetime.combine(jakarta_today(), time(9), tzinfo=ZoneInfo("Asia/Jakarta"))
    for _ in range(2):  # a second scan sends nothing new
        schedules.plan_due(runtime, office_hours.astimezone(UTC))
    rows = runtime.db.rows(
        "SELECT a.username, o.payload FROM notification_outbox o "
        "JOIN notification_accounts a ON a.account_id = o.recipient_id "
        "WHERE o.kind = 'follow_up_overdue' AND o.channel = 'inapp' AND o.payload LIKE ?",
        ("%Unggah SK tim%",),
    )
    assert sorted(r["username"] for r in rows) == ["op.dukcapil", "pendamping.web"]
    assert all("Adminduk Lewat Tenggat" in r["payload"] for r in rows)
    assert all("Belum jatuh tempo" not in r["payload"] for r in rows)


def _notification_copy_has(runtime: Any, iid: UUID) -> None:
    """Wait (bounded) until the notification service's own copy knows the innovation."""
    import time

    for _ in range(200):
        if runtime.db.rows(
            "SELECT 1 FROM notification_innovations WHERE innovation_id = ?", (str(iid),)
        ):
            return
        time.sleep(0.05)
    raise AssertionError("the notification copy never saw the innovation")
