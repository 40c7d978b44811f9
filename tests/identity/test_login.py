"""Login, sessions and tokens: what an attacker learns, and how fast a credential stops working."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.identity import passwords
from services.identity.auth import COOKIE
from services.identity.throttle import (
    ACCOUNT_FAILURES,
    ADDRESS_FAILURES,
    DELAY_BASE_SECONDS,
    DEVICE_COOKIE,
    MAX_DELAY_SECONDS,
    PAIR_FAILURES,
    LoginThrottle,
)
from tests.identity.conftest import PASSWORD, Api


def _shape(response: Any) -> tuple[int, Any, str | None, str | None]:
    return (
        response.status_code,
        response.json(),
        response.headers.get("content-type"),
        response.headers.get("set-cookie"),
    )


def test_wrong_password_and_unknown_account_get_the_same_answer_for_the_same_work(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifications: list[str] = []
    real = passwords._hasher

    class CountingHasher:
        def verify(self, hash: str, password: str) -> bool:
            verifications.append(hash)
            return real.verify(hash, password)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    wrong = api.login("op.dukcapil", "bukan-sandinya")
    unknown = api.login("tidak.ada.orangnya", "bukan-sandinya")

    assert _shape(wrong) == _shape(unknown)
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "Nama pengguna atau kata sandi salah."
    assert wrong.headers.get("set-cookie") is None
    # One argon2 verification each: the unknown account is checked against the dummy hash.
    assert len(verifications) == 2
    assert verifications[1] == passwords._DUMMY_HASH


def test_disabled_account_and_wrong_password_are_indistinguishable(api: Api) -> None:
    admin = api.bearer("admin")
    operator_id = str(api.world.operator.account_id)
    assert api.client.post(f"/api/accounts/{operator_id}/disable", headers=admin).status_code == 200
    disabled = api.login("op.dukcapil", PASSWORD)
    wrong = api.login("op.dinkes", "bukan-sandinya")
    assert _shape(disabled) == _shape(wrong)


def _login_from(api: Api, address: str, username: str, password: str, **cookies: str) -> Any:
    """A fresh client at ``address`` (the test app trusts X-Forwarded-For), with ``cookies``."""
    api.client.cookies.clear()
    for name, value in cookies.items():
        api.client.cookies.set(name, value)
    response = api.client.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
    )
    api.client.cookies.clear()
    return response


def _device_of(response: Any) -> str:
    """The known-device cookie a successful login sets."""
    assert response.status_code == 200, response.text
    match = re.search(rf"{DEVICE_COOKIE}=([^;]+)", response.headers.get("set-cookie", ""))
    assert match, response.headers.get("set-cookie")
    return match.group(1).strip('"')


def test_a_guesser_is_slowed_down_and_gets_429(proxied_api: Api) -> None:
    api = proxied_api
    for _ in range(PAIR_FAILURES):
        assert _login_from(api, "203.0.113.9", "admin", "tebakan-salah").status_code == 401
    refused = _login_from(api, "203.0.113.9", "admin", PASSWORD)  # even the right one: wait
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert body["type"].endswith("/too-many-attempts")
    assert "Coba lagi" in body["detail"]
    assert 0 < int(refused.headers["retry-after"]) <= DELAY_BASE_SECONDS
    # Throttling does not tell an unknown name from a real one (no oracle).
    for _ in range(PAIR_FAILURES):
        _login_from(api, "203.0.113.9", "tidak.ada.orangnya", "tebakan-salah")
    assert _login_from(api, "203.0.113.9", "tidak.ada.orangnya", "x").status_code == 429


def test_an_anonymous_guesser_cannot_lock_out_the_real_user(proxied_api: Api) -> None:
    """Before: five failures by anyone locked the name for everyone, the right password too."""
    api = proxied_api
    for _ in range(PAIR_FAILURES + 3):
        _login_from(api, "203.0.113.9", "admin", "tebakan-salah")
    assert _login_from(api, "203.0.113.9", "admin", "tebakan-salah").status_code == 429
    # The admin, from their own address, on a browser that never signed in before.
    assert _login_from(api, "198.51.100.20", "admin", PASSWORD).status_code == 200


def test_a_known_device_gets_through_a_distributed_guessing_run(proxied_api: Api) -> None:
    api = proxied_api
    device = _device_of(_login_from(api, "198.51.100.20", "admin", PASSWORD))
    guessers = [f"203.0.113.{i}" for i in range(1, 1 + ACCOUNT_FAILURES // PAIR_FAILURES)]
    for address in guessers:  # the name's free failures, spent from several addresses
        for _ in range(PAIR_FAILURES):
            assert _login_from(api, address, "admin", "tebakan-salah").status_code == 401
    assert len(guessers) * PAIR_FAILURES >= ACCOUNT_FAILURES
    # A new browser anywhere now waits (the name is under attack) ...
    slowed = _login_from(api, "192.0.2.77", "admin", PASSWORD)
    assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) > 0
    # ... but the admin's own browser, even at a guesser's address, signs in.
    known = {DEVICE_COOKIE: device}
    assert _login_from(api, "192.0.2.77", "admin", PASSWORD, **known).status_code == 200
    assert _login_from(api, guessers[0], "admin", PASSWORD, **known).status_code == 200
    # The cookie proves a sign-in as admin only: worthless for another name or when forged.
    for _ in range(PAIR_FAILURES):
        _login_from(api, "203.0.113.1", "op.dinkes", "tebakan-salah")
    other = _login_from(api, "203.0.113.1", "op.dinkes", PASSWORD, **known)
    assert other.status_code == 429
    forged = {DEVICE_COOKIE: device.split(".")[0] + "." + "0" * 64}
    assert _login_from(api, "192.0.2.77", "admin", PASSWORD, **forged).status_code == 429


def test_many_failures_from_one_address_slow_every_name_from_it(proxied_api: Api) -> None:
    api = proxied_api
    for i in range(ADDRESS_FAILURES):
        assert _login_from(api, "203.0.113.50", f"tebak.{i}", "salah").status_code == 401
    refused = _login_from(api, "203.0.113.50", "op.dinkes", PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert _login_from(api, "198.51.100.21", "op.dinkes", PASSWORD).status_code == 200


def test_the_wait_doubles_with_each_further_failure_and_is_bounded() -> None:
    """Progressive delay on a clock the test moves (no sleeping): 30 s, 60 s, 120 s … 15 min."""
    import anyio

    from services.http.security import MemoryCounterStore

    now = [1_000_000.0]
    throttle = LoginThrottle(MemoryCounterStore(), clock=lambda: now[0])

    async def scenario() -> list[int | None]:
        waits: list[int | None] = []
        for _ in range(PAIR_FAILURES):
            assert await throttle.retry_after("admin", "203.0.113.9") is None
            await throttle.failed("admin", "203.0.113.9")
        for _ in range(8):
            wait = await throttle.retry_after("admin", "203.0.113.9")
            waits.append(wait)
            assert wait is not None
            now[0] += wait  # wait it out, then fail again
            assert await throttle.retry_after("admin", "203.0.113.9") is None
            await throttle.failed("admin", "203.0.113.9")
        return waits

    waits = anyio.run(scenario)
    assert waits[:5] == [30, 60, 120, 240, 480]
    assert waits[5:] == [MAX_DELAY_SECONDS] * 3


def test_successful_login_returns_token_and_sets_a_hardened_cookie(api: Api) -> None:
    response = api.login("op.dukcapil")
    assert response.status_code == 200
    body = response.json()
    assert body["account"]["username"] == "op.dukcapil"
    assert body["account"]["role"] == "operator"
    assert len(body["token"]) >= 40
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain HTTP in this test
    me = api.client.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["username"] == "op.dukcapil"


def test_behind_https_cookies_are_secure_and_hsts_is_sent(api: Api, sqlite_settings: Any) -> None:
    import msgspec

    from tests.identity.conftest import _serve

    assert "strict-transport-security" not in api.client.get("/api/me").headers
    settings = msgspec.structs.replace(
        sqlite_settings, https=True, data_dir=sqlite_settings.data_dir + "-tls"
    )
    for served in _serve(settings):
        response = served.login("op.dukcapil")
        assert "Secure" in response.headers["set-cookie"]
        assert response.headers["strict-transport-security"].startswith("max-age=")
        served.client.cookies.clear()
        csrf_cookie = served.client.get("/api/me").headers["set-cookie"]
        assert csrf_cookie.startswith("sirisma_csrf=") and "Secure" in csrf_cookie


def test_tokens_are_stored_only_as_hashes(api: Api) -> None:
    token = api.token("op.dukcapil")
    rows = api.runtime.db.rows("SELECT token_hash, account_id FROM auth_sessions")
    assert rows and all(token not in str(row.values()) for row in rows)


def test_disabled_accounts_token_is_refused_at_once(api_any: Api) -> None:
    api = api_any
    token = api.token("op.dukcapil")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/me", headers=headers).status_code == 200

    operator_id = api.world.operator.account_id
    disabled = api.client.post(
        f"/api/accounts/{operator_id}/disable",
        json={"reason": "pindah tugas"},
        headers=api.bearer("admin"),
    )
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True

    assert api.client.get("/api/me", headers=headers).status_code == 401
    assert api.runtime.sessions.resolve(token) is None  # revoked in the table too
    # Enabling does not bring old sessions back: the person signs in again.
    api.client.post(f"/api/accounts/{operator_id}/enable", headers=api.bearer("admin"))
    assert api.client.get("/api/me", headers=headers).status_code == 401
    assert api.login("op.dukcapil").status_code == 200


def test_logout_revokes_the_token_and_clears_the_cookie(api_any: Api) -> None:
    api = api_any
    token = api.token("op.dukcapil")
    headers = {"Authorization": f"Bearer {token}"}
    response = api.client.post("/api/auth/logout", headers=headers)
    assert response.status_code == 204
    assert (
        f'{COOKIE}=""' in response.headers["set-cookie"]
        or "Max-Age=0" in response.headers["set-cookie"]
    )
    assert api.client.get("/api/me", headers=headers).status_code == 401


def test_expired_token_is_refused(api: Api) -> None:
    assert api.world.operator.account_id is not None
    past = datetime.now(UTC) - timedelta(hours=api.runtime.settings.token_ttl_hours + 1)
    token, _ = api.runtime.sessions.issue(api.world.operator.account_id, now=past)
    response = api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_role_change_applies_to_live_sessions_immediately(api: Api) -> None:
    headers = api.bearer("op.dinkes")
    assert api.client.get("/api/me", headers=headers).json()["role"] == "operator"
    account_id = api.world.other_operator.account_id
    api.client.post(
        f"/api/accounts/{account_id}/role", json={"role": "auditor"}, headers=api.bearer("admin")
    )
    assert api.client.get("/api/me", headers=headers).json()["role"] == "auditor"


def test_garbage_credentials_are_anonymous_not_errors(api: Api) -> None:
    for header in ("Bearer ", "Bearer nonsense", "Basic YWRtaW46YWRtaW4="):
        response = api.client.get("/api/me", headers={"Authorization": header})
        assert response.status_code == 401
    api.client.cookies.set(COOKIE, "forged")
    assert api.client.get("/api/me").status_code == 401
