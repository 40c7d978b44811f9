"""A command route's bearer session read in the statement of its load
(``services.identity.auth.DeferredSession``): the same answers as the middleware's lookup gave,
on both backends (SQLite never defers: there the middleware looks the session up as before).

What must hold wherever the lookup runs: a revoked session or a disabled account stops at once,
even with the principal held warm; a dead credential is 401 before its body is judged and
before the policy looks at the innovation (no 400, no 404); a live one is judged as before.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from services.domain.actor import Actor
from services.domain.aggregate import Context
from services.runtime import Runtime
from tests.identity.conftest import Api, record_settles

SYSTEM = Context(actor=Actor.system())


@pytest.fixture
def settled(api_any: Api, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per deferred credential settled: True when its load answered the lookup."""
    return record_settles(monkeypatch)


def _claim(api: Api, iid: Any, headers: dict[str, str], body: Any = None) -> Any:
    """A claim; ``body`` as JSON, or as the raw bytes of a string (a body that is no JSON)."""
    path = f"/api/innovations/{iid}/indicators/1"
    if isinstance(body, str):
        headers = {**headers, "Content-Type": "application/json"}
        return api.client.put(path, content=body, headers=headers)
    return api.client.put(
        path, json={"level": 2, "note": "uji"} if body is None else body, headers=headers
    )


def _warm(api: Api) -> tuple[Any, dict[str, str]]:
    """The operator's draft and a bearer header whose principal the app holds (two claims)."""
    iid = api.world.complete_draft()
    headers = api.bearer("op.dukcapil")
    for _ in range(2):
        answer = _claim(api, iid, headers)
        assert answer.status_code == 200, answer.text
    return iid, headers


def test_a_claim_reads_its_session_in_its_load_on_postgres(
    api_any: Api, settled: list[bool]
) -> None:
    iid, headers = _warm(api_any)
    answer = _claim(api_any, iid, headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == len(api_any.events(iid))  # read your write
    if api_any.runtime.settings.is_postgres:
        assert settled[-1] is True  # answered by the load's statement
    else:
        assert settled == []  # SQLite: the middleware looked it up


def test_a_session_revoked_by_another_process_stops_the_next_claim(
    api_any: Api, other: Runtime
) -> None:
    iid, headers = _warm(api_any)
    version = len(api_any.events(iid))
    other.sessions.revoke(headers["Authorization"].removeprefix("Bearer "))
    answer = _claim(api_any, iid, headers)
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert len(api_any.events(iid)) == version  # nothing recorded


def test_an_account_disabled_by_another_process_stops_the_next_claim(
    api_any: Api, other: Runtime
) -> None:
    iid, headers = _warm(api_any)
    version = len(api_any.events(iid))
    account_id = api_any.world.operator.account_id
    assert account_id is not None
    other.commands.disable_account(SYSTEM, account_id, "pindah tugas")
    assert _claim(api_any, iid, headers).status_code == 401
    assert len(api_any.events(iid)) == version
    other.commands.enable_account(SYSTEM, account_id)
    assert _claim(api_any, iid, headers).status_code == 200


@pytest.mark.parametrize("body", [{"level": "tinggi"}, {"level": 2, "extra": 1}, "[1"])
def test_a_dead_credential_is_401_before_its_body_is_judged(api_any: Api, body: Any) -> None:
    iid, headers = _warm(api_any)
    dead = {"Authorization": "Bearer not-a-session"}
    answer = _claim(api_any, iid, dead, body)
    assert answer.status_code == 401, answer.text
    # The same body from a live session is judged as before (400 / 422, a problem document).
    live = _claim(api_any, iid, headers, body)
    assert live.status_code in (400, 422), live.text
    assert live.headers["content-type"].startswith("application/problem+json")


def test_a_dead_credential_is_401_not_404_on_an_innovation_it_cannot_see(api_any: Api) -> None:
    _warm(api_any)
    other_draft = api_any.world.complete_draft("Inovasi dinas lain")
    dead = {"Authorization": "Bearer not-a-session"}
    assert _claim(api_any, other_draft, dead).status_code == 401
    assert _claim(api_any, uuid4(), dead).status_code == 401


def test_a_command_with_an_idempotency_key_is_kept_for_its_account(api_any: Api) -> None:
    """The key is scoped per caller, so such a request is authenticated by the middleware."""
    iid, headers = _warm(api_any)
    keyed = {**headers, "Idempotency-Key": f"k-{uuid4()}"}
    first = api_any.client.post(f"/api/innovations/{iid}/submit", headers=keyed)
    again = api_any.client.post(f"/api/innovations/{iid}/submit", headers=keyed)
    assert first.status_code == again.status_code == 200, first.text
    assert again.json() == first.json()  # the kept answer: submitted once
    assert again.headers.get("idempotent-replayed") == "true"
    stranger = {**api_any.bearer("op.dinkes"), "Idempotency-Key": keyed["Idempotency-Key"]}
    refused = api_any.client.post(f"/api/innovations/{iid}/submit", headers=stranger)
    assert refused.status_code in (403, 404)  # another caller: its own run, not the kept answer
