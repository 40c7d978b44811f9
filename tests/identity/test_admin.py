"""Admin routes: every change is an event with the admin as actor; refusals change nothing."""

from __future__ import annotations

from services.commands import account_id_for, organisation_id_for
from services.domain.events import (
    AccountCreated,
    AccountDisabled,
    OrganisationChanged,
    OrganisationRegistered,
    PasswordReset,
    RoleChanged,
)
from tests.identity.conftest import PASSWORD, Api

NEW_ACCOUNT = {
    "username": "operator.baru",
    "full_name": "Operator Baru",
    "email": "operator.baru@sragenkab.go.id",
    "role": "operator",
    "password": "sandi-awal-2025",
}


def test_role_change_is_an_event_with_the_admin_as_actor(api_any: Api) -> None:
    api = api_any
    target = api.world.operator.account_id
    response = api.client.post(
        f"/api/accounts/{target}/role", json={"role": "reviewer"}, headers=api.bearer("admin")
    )
    assert response.status_code == 200
    assert response.json()["role"] == "reviewer"
    last = api.events(target)[-1]
    assert isinstance(last, RoleChanged)
    assert (last.role, last.previous) == ("reviewer", "operator")
    assert last.actor.account_id == api.world.admin.account_id
    assert last.actor.role == "admin"
    assert last.correlation_id  # ties the grant to the request in the audit trail


def test_admin_registers_an_organisation_and_creates_an_account_in_it(api_any: Api) -> None:
    api = api_any
    admin = api.bearer("admin")
    org = api.client.post(
        "/api/organisations",
        json={"kind": "puskesmas", "code": "pkm-tangen", "name": "Puskesmas Tangen"},
        headers=admin,
    )
    assert org.status_code == 201, org.text
    assert org.json()["code"] == "PKM-TANGEN"
    org_id = organisation_id_for("PKM-TANGEN")
    registered = api.events(org_id)[0]
    assert isinstance(registered, OrganisationRegistered)
    assert registered.actor.account_id == api.world.admin.account_id

    account = api.client.post(
        "/api/accounts", json={**NEW_ACCOUNT, "organisation_id": str(org_id)}, headers=admin
    )
    assert account.status_code == 201, account.text
    body = account.json()
    assert body["organisation_id"] == str(org_id) and body["disabled"] is False
    assert "password" not in body and "password_hash" not in body
    created = api.events(account_id_for("operator.baru"))[0]
    assert isinstance(created, AccountCreated)
    assert created.password_hash.startswith("$argon2id$")
    assert api.login("operator.baru", "sandi-awal-2025").status_code == 200


def test_refused_account_creation_records_nothing(api: Api) -> None:
    admin = api.bearer("admin")
    before = api.runtime.store.max_notification_id()
    short = api.client.post(
        "/api/accounts", json={**NEW_ACCOUNT, "password": "pendek"}, headers=admin
    )
    assert short.status_code == 422 and short.json()["field"] == "password"
    no_org = api.client.post("/api/accounts", json=NEW_ACCOUNT, headers=admin)
    assert no_org.status_code == 422 and no_org.json()["field"] == "organisation_id"
    system = api.client.post("/api/accounts", json={**NEW_ACCOUNT, "role": "system"}, headers=admin)
    assert system.status_code == 422
    unknown = api.client.post("/api/accounts", json={**NEW_ACCOUNT, "extra": 1}, headers=admin)
    assert unknown.status_code == 400
    duplicate = api.client.post(
        "/api/accounts",
        json={**NEW_ACCOUNT, "username": "op.dukcapil", "organisation_id": str(api.world.opd_id)},
        headers=admin,
    )
    assert duplicate.status_code == 409
    assert api.runtime.store.max_notification_id() == before


def test_non_admins_are_refused_before_their_body_is_read(api: Api) -> None:
    for username in ("op.dukcapil", "rev.satu"):
        response = api.client.post(
            "/api/accounts", content=b"not json", headers=api.bearer(username)
        )
        assert response.status_code == 403
        assert response.json()["type"].endswith("/forbidden")
    assert api.client.post("/api/accounts", content=b"not json").status_code == 401


def test_admin_cannot_lock_themselves_out(api: Api) -> None:
    admin_id = api.world.admin.account_id
    headers = api.bearer("admin")
    before = len(api.events(admin_id))
    disable = api.client.post(f"/api/accounts/{admin_id}/disable", headers=headers)
    demote = api.client.post(
        f"/api/accounts/{admin_id}/role", json={"role": "auditor"}, headers=headers
    )
    assert disable.status_code == demote.status_code == 403
    assert "admin lain" in disable.json()["detail"]
    assert len(api.events(admin_id)) == before


def test_disable_records_the_reason_and_enable_restores_login(api: Api) -> None:
    admin = api.bearer("admin")
    target = api.world.operator.account_id
    api.client.post(f"/api/accounts/{target}/disable", json={"reason": "cuti"}, headers=admin)
    last = api.events(target)[-1]
    assert isinstance(last, AccountDisabled) and last.reason == "cuti"
    assert api.login("op.dukcapil").status_code == 401
    enabled = api.client.post(f"/api/accounts/{target}/enable", headers=admin)
    assert enabled.json()["disabled"] is False
    assert api.login("op.dukcapil").status_code == 200


def test_reset_password_replaces_it_and_ends_sessions(api: Api) -> None:
    old_session = api.bearer("op.dukcapil")
    target = api.world.operator.account_id
    response = api.client.post(
        f"/api/accounts/{target}/reset-password",
        json={"password": "sandi-baru-2025"},
        headers=api.bearer("admin"),
    )
    assert response.status_code == 200
    last = api.events(target)[-1]
    assert isinstance(last, PasswordReset) and "sandi-baru" not in last.password_hash
    assert api.client.get("/api/me", headers=old_session).status_code == 401
    assert api.login("op.dukcapil", PASSWORD).status_code == 401
    assert api.login("op.dukcapil", "sandi-baru-2025").status_code == 200


def test_moving_an_account_to_another_organisation(api: Api) -> None:
    target = api.world.operator.account_id
    response = api.client.post(
        f"/api/accounts/{target}/organisation",
        json={"organisation_id": str(api.world.other_opd_id)},
        headers=api.bearer("admin"),
    )
    assert response.status_code == 200
    last = api.events(target)[-1]
    assert isinstance(last, OrganisationChanged)
    assert (last.organisation_id, last.previous) == (api.world.other_opd_id, api.world.opd_id)
    unknown_org = api.client.post(
        f"/api/accounts/{target}/organisation",
        json={"organisation_id": "00000000-0000-0000-0000-000000000000"},
        headers=api.bearer("admin"),
    )
    assert unknown_org.status_code == 422
    unknown_account = api.client.post(
        "/api/accounts/00000000-0000-0000-0000-000000000000/enable", headers=api.bearer("admin")
    )
    assert unknown_account.status_code == 404
