"""Administration pages over HTTP: calls, accounts and organisations through forms, each change
an event by the admin; a refusal is a readable message in Bahasa Indonesia and changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from services.commands import account_id_for
from services.domain.call import Call
from services.domain.organisation import Account
from tests.web.test_pages import HTML, last_event, login
from tests.web.world import PASSWORD, WebWorld


def _alert(html: str) -> str:
    match = re.search(r'class="alert" role="alert"[^>]*>([^<]+)<', html)
    assert match, "no error message on the page"
    return match.group(1)


def test_only_admins_reach_the_administration_pages(client: Any) -> None:
    login(client, "verifikator")
    for path in ("/admin/panggilan", "/admin/akun", "/admin/organisasi"):
        assert client.get(path, headers=HTML).status_code == 403
    token = login(client, "op.dukcapil")
    refused = client.post(
        "/admin/organisasi",
        data={"_csrf_token": token, "kind": "opd", "code": "X", "name": "X"},
        headers=HTML,
    )
    assert refused.status_code == 403


def test_admin_opens_changes_and_closes_a_call(client: Any, web_world: WebWorld) -> None:
    token = login(client, "admin")
    before = last_event(web_world)
    bad = client.post(
        "/admin/panggilan",
        data={
            "_csrf_token": token,
            "kind": "krenova",
            "title": "Krenova Halaman Admin",
            "budget_year": "2026",
            "opens_at": "2026-03-01T08:00",
            "deadline": "2026-02-01T08:00",  # before the opening
            "eligible_kinds": "masyarakat",
            "rubric_year": "2025",
        },
        headers=HTML,
    )
    assert bad.status_code == 422
    assert "Batas waktu harus setelah waktu pembukaan" in _alert(bad.text)
    assert 'value="Krenova Halaman Admin"' in bad.text  # what was typed stays
    assert last_event(web_world) == before

    not_a_year = client.post(
        "/admin/panggilan",
        data={
            "_csrf_token": token,
            "kind": "krenova",
            "title": "Krenova Halaman Admin",
            "budget_year": "dua ribu",
            "opens_at": "2026-03-01T08:00",
            "deadline": "2026-04-01T08:00",
            "eligible_kinds": "masyarakat",
            "rubric_year": "2025",
        },
        headers=HTML,
    )
    assert _alert(not_a_year.text) == "Tahun anggaran harus berupa angka bulat."
    assert last_event(web_world) == before

    opens = (datetime.now(UTC) - timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M")
    created = client.post(
        "/admin/panggilan",
        data={
            "_csrf_token": token,
            "kind": "krenova",
            "title": "Krenova Halaman Admin",
            "budget_year": "2026",
            "opens_at": opens,
            "deadline": "2099-04-01T08:00",
            "eligible_kinds": "masyarakat",
            "rubric_year": "2025",
        },
        headers=HTML,
    )
    assert created.status_code == 200 and "Panggilan dibuka." in created.text
    row = re.search(
        r'id="panggilan-([0-9a-f-]{36})">\s*<td[^>]*>Krenova Halaman Admin', created.text
    )
    assert row, "the new call is not listed"
    call_id = row.group(1)
    call = web_world.runtime.commands.call(web_world.runtime.commands.call(_u(call_id)).id)
    assert call.deadline.astimezone().year == 2099

    no_reason = client.post(
        f"/admin/panggilan/{call_id}/batas-waktu",
        data={"_csrf_token": token, "deadline": "2099-05-01T08:00", "reason": ""},
        headers=HTML,
    )
    assert "Alasan perubahan batas waktu wajib diisi" in _alert(no_reason.text)
    moved = client.post(
        f"/admin/panggilan/{call_id}/batas-waktu",
        data={"_csrf_token": token, "deadline": "2099-05-01T08:00", "reason": "Diperpanjang"},
        headers=HTML,
    )
    assert "Batas waktu diubah." in moved.text
    assert web_world.runtime.store.load(Call, _u(call_id)).deadline == datetime(
        2099, 5, 1, 1, 0, tzinfo=UTC
    )  # 08.00 WIB

    closed = client.post(
        f"/admin/panggilan/{call_id}/tutup",
        data={"_csrf_token": token, "reason": "Kuota terpenuhi"},
        headers=HTML,
    )
    assert "Panggilan ditutup" in closed.text
    assert web_world.runtime.store.load(Call, _u(call_id)).deadline <= datetime.now(UTC)
    again = client.post(
        f"/admin/panggilan/{call_id}/tutup",
        data={"_csrf_token": token, "reason": "lagi"},
        headers=HTML,
    )
    assert again.status_code == 409 and "sudah ditutup" in _alert(again.text)


def _u(text: str) -> Any:
    from uuid import UUID

    return UUID(text)


def test_admin_manages_accounts_and_organisations(client: Any, web_world: WebWorld) -> None:
    token = login(client, "admin")
    org = client.post(
        "/admin/organisasi",
        data={
            "_csrf_token": token,
            "kind": "puskesmas",
            "code": "PKM-GESI",
            "name": "Puskesmas Gesi",
        },
        headers=HTML,
    )
    assert "Organisasi terdaftar." in org.text and "Puskesmas Gesi" in org.text
    before = last_event(web_world)
    twice = client.post(
        "/admin/organisasi",
        data={"_csrf_token": token, "kind": "puskesmas", "code": "pkm-gesi", "name": "Lagi"},
        headers=HTML,
    )
    assert "sudah terdaftar" in _alert(twice.text)
    assert (
        'id="o-code" name="code" value="pkm-gesi" maxlength="100" required aria-invalid="true"'
        in twice.text
    )
    assert last_event(web_world) == before

    org_id = re.search(
        r'value="([0-9a-f-]{36})">Puskesmas Gesi<', client.get("/admin/akun", headers=HTML).text
    )
    assert org_id
    short = client.post(
        "/admin/akun",
        data={
            "_csrf_token": token,
            "username": "op.gesi",
            "full_name": "Operator Gesi",
            "role": "operator",
            "organisation_id": org_id.group(1),
            "password": "pendek",
        },
        headers=HTML,
    )
    assert "Kata sandi minimal" in _alert(short.text)
    assert 'value="op.gesi"' in short.text and "pendek" not in short.text.split("<main")[1]
    assert last_event(web_world) == before

    created = client.post(
        "/admin/akun",
        data={
            "_csrf_token": token,
            "username": "op.gesi",
            "full_name": "Operator Gesi",
            "role": "operator",
            "organisation_id": org_id.group(1),
            "password": PASSWORD,
        },
        headers=HTML,
    )
    assert "Akun dibuat." in created.text and 'data-account="op.gesi"' in created.text
    account = account_id_for("op.gesi")

    def post(action: str, **fields: str) -> Any:
        return client.post(
            f"/admin/akun/{account}/{action}", data={"_csrf_token": token, **fields}, headers=HTML
        )

    assert "Peran akun diubah." in post("peran", role="reviewer").text
    assert "pilihan tidak dikenal" in _alert(post("peran", role="raja").text)
    assert (
        "Organisasi akun diubah." in post("organisasi", organisation_id=str(web_world.opd_id)).text
    )
    assert "minimal" in _alert(post("sandi", password="123").text)
    assert "Kata sandi diatur ulang" in post("sandi", password="sandi-baru-yang-panjang").text
    assert "Akun dinonaktifkan" in post("nonaktifkan", reason="Pindah tugas").text
    stored = web_world.runtime.store.load(Account, account)
    assert (stored.role, stored.organisation_id, stored.disabled) == (
        "reviewer",
        web_world.opd_id,
        True,
    )
    assert "Akun diaktifkan kembali." in post("aktifkan").text

    # The admin cannot lock themselves out; the page says so and nothing changes.
    mine = client.post(
        f"/admin/akun/{web_world.admin.account_id}/nonaktifkan",
        data={"_csrf_token": token},
        headers=HTML,
    )
    assert "akun Anda sendiri" in _alert(mine.text)
    assert not web_world.runtime.store.load(Account, web_world.admin.account_id).disabled
