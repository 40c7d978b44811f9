"""Smaller page fixes of issue 20: signed in after Krenova registration with the group carried
into the entry, roles named in Bahasa Indonesia on a 403, "silakan masuk dulu" on a redirect to
login, labels on the Krenova ranking, the public winners page, the dashboard's explanations."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from services.domain.rubric import load_rubric
from services.domain.values import Award, CriterionScore
from tests.web.test_pages import HTML, _token, login
from tests.web.world import WebWorld


def test_registration_signs_in_and_the_group_carries_into_the_entry(
    client: Any, web_world: WebWorld
) -> None:
    call = web_world.krenova_call(datetime.now(UTC) + timedelta(days=5))
    client.cookies.clear()
    token = _token(client.get("/krenova/daftar", headers=HTML).text)
    created = client.post(
        "/krenova/daftar",
        data={
            "_csrf_token": token,
            "name": "Sari Kelompok",
            "username": "sari.kelompok",
            "email": "sari@example.id",
            "phone": "081200000000",
            "password": "sandi-kelompok-1",
            "password2": "sandi-kelompok-1",
            "members": "Sari\nBudi\nWulan",
        },
        headers=HTML,
    )
    assert created.status_code == 200
    assert "Anda sudah masuk" in created.text  # on the new-entry page, not the login form
    token = _token(created.text)
    entry = client.post(
        "/inovasi/baru",
        data={"_csrf_token": token, "title": "Pompa Air Kelompok", "call_id": str(call)},
        headers=HTML,
        follow_redirects=False,
    )
    assert entry.status_code == 303
    iid = re.search(r"/inovasi/([0-9a-f-]{36})", entry.headers["location"]).group(1)  # type: ignore[union-attr]
    innovation = web_world.runtime.commands.innovation(UUID(iid))
    assert innovation.profile.krenova is not None
    assert innovation.profile.krenova.members == ("Sari", "Budi", "Wulan")


def test_refusals_name_roles_and_login_asks_to_sign_in_first(client: Any) -> None:
    login(client, "op.dukcapil")
    refused = client.get("/kepatuhan", headers=HTML)
    assert refused.status_code == 403
    assert "Admin Bappeda Litbang, Auditor atau Pimpinan Daerah" in refused.text
    assert "Anda masuk sebagai Operator Perangkat Daerah" in refused.text
    assert "admin, auditor" not in refused.text

    client.cookies.clear()
    page = client.get("/kepatuhan", headers=HTML)  # followed to the login page
    assert page.url.path == "/masuk"
    assert "Silakan masuk dulu" in page.text
    assert "Silakan masuk dulu" not in client.get("/masuk", headers=HTML).text


def test_krenova_winners_are_public_with_labels(client: Any, web_world: WebWorld) -> None:
    c = web_world.runtime.commands
    call = web_world.krenova_call(datetime.now(UTC) + timedelta(days=3))
    entry = web_world.krenova_draft(call)
    admin = web_world.ctx(web_world.admin)
    c.submit(web_world.ctx(web_world.participant), entry)
    assert web_world.reviewer.account_id is not None
    c.assign_reviewer(admin, entry, web_world.reviewer.account_id)
    c.pass_administration(admin, entry, "lengkap")
    rubric = load_rubric(2025)
    c.judge(
        web_world.ctx(web_world.reviewer),
        entry,
        [CriterionScore(key=k.key, score=80) for k in rubric.krenova_criteria],
    )
    c.shortlist(admin, {entry: 1})
    c.award(admin, {entry: (Award.JUARA, 1)})

    login(client, "admin")
    judging = client.get(f"/krenova/penjurian?panggilan={call}", headers=HTML).text
    assert "Energi" in judging and "Umum (perorangan)" in judging
    assert "· energi" not in judging

    client.cookies.clear()
    winners = client.get("/krenova/pemenang", headers=HTML)
    assert winners.status_code == 200
    assert re.search(r"Juara 1</strong>: Alat Pengering Gabah Tenaga Surya", winners.text)
    assert "bidang Energi" in winners.text


def test_dashboard_explains_the_index_and_links_the_leaderboard(
    client: Any, web_world: WebWorld
) -> None:
    iid = web_world.scored("Peringkat Bertaut")
    web_world.runtime.read_models.wait_for(web_world.runtime.store.max_notification_id(), 10)
    login(client, "admin")
    page = client.get("/dasbor-daerah", headers=HTML).text
    for term in ("SPD (Satuan Pemerintah Daerah)", "SID (Satuan Inovasi Daerah)", "IID (Indeks"):
        assert term in page
    assert f'<a href="/verifikasi/{iid}">Peringkat Bertaut</a>' in page
