"""The principal a process holds per account version (``services.identity.auth.Principals``):
reused while the account's stream stands still, never once it moved or the session ended,
whoever wrote the change (another process: its own event store, stream cache and pool)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.identity import auth
from services.runtime import Runtime
from tests.identity.conftest import Api

SYSTEM = Context(actor=Actor.system())


def _warm(api: Api, username: str = "op.dukcapil") -> dict[str, str]:
    """A bearer header whose principal the app now holds (two requests: load, then reuse)."""
    headers = api.bearer(username)
    for _ in range(2):
        assert api.client.get("/api/me", headers=headers).status_code == 200
    return headers


def _operator(api: Api) -> Any:
    account_id = api.world.operator.account_id
    assert account_id is not None
    return account_id


def test_a_warm_principal_is_reused_while_the_account_stands_still(
    api_any: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = _warm(api_any)
    loads: list[Any] = []
    real = auth._loaded
    monkeypatch.setattr(auth, "_loaded", lambda rt, i: loads.append(i) or real(rt, i))
    for _ in range(3):
        assert api_any.client.get("/api/me", headers=headers).json()["username"] == "op.dukcapil"
    # PostgreSQL reads the account's version with the session: no load. SQLite's log is
    # another file, so there the account is loaded (from the stream cache) on each request.
    expected = 0 if api_any.runtime.settings.is_postgres else 3
    assert len(loads) == expected


def test_an_account_disabled_by_another_process_stops_at_once(api_any: Api, other: Runtime) -> None:
    headers = _warm(api_any)
    # The domain command alone (no session revoked): only the account's version moved.
    other.commands.disable_account(SYSTEM, _operator(api_any), "pindah tugas")
    assert api_any.client.get("/api/me", headers=headers).status_code == 401
    other.commands.enable_account(SYSTEM, _operator(api_any))
    assert api_any.client.get("/api/me", headers=headers).status_code == 200


def test_a_role_changed_by_another_process_applies_at_once(api_any: Api, other: Runtime) -> None:
    headers = _warm(api_any)
    other.commands.change_role(SYSTEM, _operator(api_any), Role.AUDITOR)
    assert api_any.client.get("/api/me", headers=headers).json()["role"] == "auditor"


def test_a_session_revoked_by_another_process_stops_at_once(api_any: Api, other: Runtime) -> None:
    headers = _warm(api_any)
    other.sessions.revoke(headers["Authorization"].removeprefix("Bearer "))
    assert api_any.client.get("/api/me", headers=headers).status_code == 401


def test_a_warm_session_that_expires_stops(api_any: Api, other: Runtime) -> None:
    headers = _warm(api_any)
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    with other.db.transaction() as tx:
        tx.execute("UPDATE auth_sessions SET expires_at = ?", (past,))
    assert api_any.client.get("/api/me", headers=headers).status_code == 401


def test_the_held_principals_are_bounded(api_any: Api) -> None:
    known = auth.Principals(api_any.runtime, size=2)
    ids = [
        a.account_id for a in (api_any.world.operator, api_any.world.admin, api_any.world.reviewer)
    ]
    for account_id in ids:
        assert account_id is not None
        version = api_any.runtime.store.current_version(account_id)
        principal = known.at(account_id, version)
        assert principal is not None and principal.account_id == account_id
    assert list(known._held) == ids[1:]
