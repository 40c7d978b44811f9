"""The Krenova path over HTTP: a citizen registers, logs in, proposes an entry to the open Krenova
call, fills the Krenova form, submits before the deadline; after the deadline submit is refused
with a problem naming the deadline, and nothing is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from uuid import UUID

import pytest

from services.domain.aggregate import Context
from services.domain.organisation import Account
from services.http.security import RATE_LIMIT_STORE, REGISTRATION_RATE
from tests.submission.conftest import PASSWORD, Api

KRENOVA_FORM = {
    "field": "lingkungan",
    "participant_category": "kelompok",
    "abstract": "Alat pengolah sampah plastik menjadi paving block untuk desa.",
    "advantages": "Murah, dari bahan lokal, bisa dirakit warga.",
    "benefits": "Sampah plastik desa berkurang 2 ton per bulan.",
    "application": "Dipakai di 3 desa di Kecamatan Sambungmacan sejak 2024.",
    "video_url": "https://youtu.be/paving-plastik",
    "members": ["Siti Aminah", "Joko Susilo"],
}


def register(api: Api, username: str, **overrides: object) -> object:
    body = {
        "username": username,
        "name": "Rina Wulandari",
        "email": f"{username}@contoh.id",
        "phone": "+62 812-3456-7890",
        "password": PASSWORD,
        "members": ["Siti Aminah", "Joko Susilo"],
        **overrides,
    }
    return api.call("POST", "/api/krenova/participants", as_=None, json=body)


def test_krenova_participant_registers_proposes_and_submits(api: Api) -> None:
    before = api.max_notification_id()
    response = register(api, "rina.w")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["role"] == "participant" and body["members"] == ["Siti Aminah", "Joko Susilo"]
    assert body["notification_id"] == before + 1
    assert "password" not in response.text
    account = api.runtime.store.load(Account, UUID(body["id"]))
    assert account.role == "participant" and account.phone == "+62 812-3456-7890"
    assert account.password_hash.startswith("$argon2")
    created = api.runtime.store.events(UUID(body["id"]))[0]
    assert created.actor.account_id == UUID(body["id"])  # a self-registration, not an admin grant

    # The same username again is a clear conflict, and records nothing.
    mark = api.max_notification_id()
    again = register(api, "rina.w")
    assert again.status_code == 409 and again.json()["type"].endswith("/duplicate")
    assert api.max_notification_id() == mark

    # Log in, propose (the open Krenova call is chosen), fill the form, submit.
    proposed = api.call(
        "POST",
        "/api/innovations",
        as_="rina.w",
        json={"profile": {"title": "Paving Plastik Desa", "krenova": KRENOVA_FORM}},
    )
    assert proposed.status_code == 201, proposed.text
    entry = proposed.json()
    assert entry["call_id"] == api.krenova_call_id and entry["call_kind"] == "krenova"
    assert entry["organisation_id"] is None
    assert entry["call"]["is_open"] and entry["call"]["remaining_seconds"] > 0
    assert entry["completeness"]["complete"] is True
    # Someone else (an OPD operator) cannot see the citizen's draft.
    hidden = api.call("GET", f"/api/innovations/{entry['id']}", as_="op.dukcapil")
    assert hidden.status_code == 404

    patched = api.call(
        "PATCH",
        f"/api/innovations/{entry['id']}",
        as_="rina.w",
        json={"krenova": {**KRENOVA_FORM, "benefits": "Sampah berkurang 3 ton per bulan."}},
        headers={"If-Match": f'"{entry["version"]}"'},
    )
    assert patched.status_code == 200, patched.text
    submitted = api.call("POST", f"/api/innovations/{entry['id']}/submit", as_="rina.w")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"


def test_krenova_submit_after_the_deadline_is_refused_naming_it(api: Api) -> None:
    assert register(api, "budi.s").status_code == 201
    entry = api.call(
        "POST",
        "/api/innovations",
        as_="budi.s",
        json={"profile": {"title": "Irigasi Tetes Surya", "krenova": KRENOVA_FORM}},
    ).json()
    # The admin closes the call early: the deadline is now in the past.
    world = api.world
    call_id = UUID(api.krenova_call_id)
    api.runtime.commands.change_deadline(
        Context(actor=world.admin),
        call_id,
        world.now - timedelta(minutes=1),
        reason="Ditutup lebih awal untuk uji",
    )
    try:
        call = api.call("GET", f"/api/calls/{call_id}", as_=None).json()
        assert call["phase"] == "closed" and call["remaining_seconds"] == 0
        before = api.max_notification_id()
        late = api.call("POST", f"/api/innovations/{entry['id']}/submit", as_="budi.s")
        assert late.status_code == 422
        problem = late.json()
        assert problem["type"].endswith("/deadline-passed")
        assert call["deadline_text"] in problem["detail"]  # "… WIB", in Bahasa Indonesia
        assert problem["deadline"]
        assert late.headers["content-type"].startswith("application/problem+json")
        assert api.max_notification_id() == before
        # Proposing to a closed call is refused as well.
        closed = api.call(
            "POST",
            "/api/innovations",
            as_="budi.s",
            json={"profile": {"title": "Lain"}, "call_id": str(call_id)},
        )
        assert closed.status_code == 422 and api.max_notification_id() == before
    finally:
        api.runtime.commands.change_deadline(
            Context(actor=world.admin),
            call_id,
            world.now + timedelta(days=20),
            reason="Dibuka kembali",
        )


def test_registration_input_is_checked(api: Api) -> None:
    before = api.max_notification_id()
    too_many = register(api, "grup.besar", members=[f"Anggota {i}" for i in range(6)])
    assert too_many.status_code == 400
    bad_email = register(api, "email.salah", email="bukan-email")
    assert bad_email.status_code == 400
    short = register(api, "sandi.pendek", password="123")
    assert short.status_code == 400
    missing = api.call(
        "POST", "/api/krenova/participants", as_=None, json={"username": "tanpa.nama"}
    )
    assert missing.status_code == 400
    assert any("name" in e["field"] or "name" in e["message"] for e in missing.json()["errors"])
    assert api.max_notification_id() == before


@pytest.fixture
def fresh_rate_limits(api: Api) -> Iterator[None]:
    """The module shares one app: start and leave the per-address counters empty."""
    store = api.client.app.stores.get(RATE_LIMIT_STORE)
    api.client.blocking_portal.call(store.delete_all)
    yield
    api.client.blocking_portal.call(store.delete_all)


def test_registration_does_not_confirm_staff_user_names(api: Api, fresh_rate_limits: None) -> None:
    """A staff name, a participant's name and a reserved name get one answer that names no one
    (before: "Nama pengguna 'op.dukcapil' sudah terdaftar")."""
    assert register(api, "peserta.terdaftar").status_code == 201
    before = api.max_notification_id()
    answers = [register(api, name) for name in ("op.dukcapil", "peserta.terdaftar", "admin")]
    assert {a.status_code for a in answers} == {409}
    assert len({a.text for a in answers}) == 1
    assert "op.dukcapil" not in answers[0].text
    assert answers[0].json()["detail"] == "Nama pengguna ini tidak tersedia. Pilih nama lain."
    assert api.max_notification_id() == before


def test_registration_is_throttled_per_address(api: Api, fresh_rate_limits: None) -> None:
    """Each registration costs an argon2 hash and an account: at most REGISTRATION_RATE per hour
    per address (before: 40 accounts in 9 s)."""
    for i in range(REGISTRATION_RATE):
        assert register(api, f"banjir.{i}").status_code == 201
    before = api.max_notification_id()
    refused = register(api, "banjir.lagi")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["detail"].startswith("Terlalu banyak pendaftaran")
    assert int(refused.headers["retry-after"]) > 0
    assert api.max_notification_id() == before
