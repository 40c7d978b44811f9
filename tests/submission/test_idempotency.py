"""Idempotency-Key on real PostgreSQL: a repeat returns the first response and records nothing;
concurrent repeats execute once; a reused key with another body is 422."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from tests.submission.conftest import Api, pdf_bytes, profile_json


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def test_repeat_returns_the_first_response_and_records_nothing(api: Api) -> None:
    headers = key()
    body = {"profile": profile_json("Inovasi Sekali Saja")}
    first = api.call("POST", "/api/innovations", json=body, headers=headers)
    assert first.status_code == 201
    mark = api.max_notification_id()
    second = api.call("POST", "/api/innovations", json=body, headers=headers)
    assert second.status_code == 201
    assert second.json() == first.json()
    for name in ("etag", "location", "x-notification-id"):
        assert second.headers[name] == first.headers[name]
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert api.max_notification_id() == mark


def test_same_key_with_a_different_body_is_422(api: Api) -> None:
    headers = key()
    first = api.call(
        "POST", "/api/innovations", json={"profile": {"title": "Satu"}}, headers=headers
    )
    assert first.status_code == 201
    mark = api.max_notification_id()
    other = api.call(
        "POST", "/api/innovations", json={"profile": {"title": "Dua"}}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert api.max_notification_id() == mark


def test_keys_are_scoped_per_caller(api: Api) -> None:
    headers = key()
    body = {"profile": {"title": "Kunci Bersama"}}
    a = api.call("POST", "/api/innovations", json=body, headers=headers, as_="op.dukcapil")
    b = api.call("POST", "/api/innovations", json=body, headers=headers, as_="op.dinkes")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_an_error_frees_the_key_for_the_corrected_request(api: Api) -> None:
    headers = key()
    bad = api.call("POST", "/api/innovations", json={"profile": {"title": ""}}, headers=headers)
    assert bad.status_code == 422  # empty title: nothing recorded, key not kept
    good = api.call("POST", "/api/innovations", json={"profile": {"title": "Ok"}}, headers=headers)
    assert good.status_code == 201


def test_multipart_repeat_matches_despite_a_new_boundary(api: Api) -> None:
    iid = api.propose("Unggah Sekali")["id"]
    headers = key()
    content = pdf_bytes()

    def send(boundary: str) -> Any:
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nsk\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                'filename="sk.pdf"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return api.call(
            "POST",
            f"/api/innovations/{iid}/documents",
            content=body,
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    first = send("aaaaBOUNDARY1")
    assert first.status_code == 201, first.text
    mark = api.max_notification_id()
    second = send("zzzzOTHER2")
    assert second.status_code == 201 and second.headers["idempotent-replayed"] == "true"
    assert second.json()["document"]["doc_id"] == first.json()["document"]["doc_id"]
    assert api.max_notification_id() == mark
    events = api.runtime.store.events(uuid.UUID(iid))
    assert [type(e).__name__ for e in events].count("DocumentAttached") == 1


def test_anonymous_registration_repeat_creates_one_account(api: Api) -> None:
    headers = key()
    body = {
        "username": "idem.peserta",
        "name": "Peserta Idempoten",
        "email": "idem@contoh.id",
        "phone": "081234567890",
        "password": "sandi-idem-2025",
    }
    first = api.call("POST", "/api/krenova/participants", as_=None, json=body, headers=headers)
    second = api.call("POST", "/api/krenova/participants", as_=None, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()  # not a 409 "already registered": the same answer


def test_concurrent_repeats_execute_once(api: Api) -> None:
    """Eight identical submissions race with one key: one runs, seven wait and replay it."""
    app = api.client.app
    token = api.auth("op.dukcapil")["Authorization"]
    iid = api.propose("Balapan Ajukan")["id"]
    api.complete(iid)
    headers = {"Authorization": token, **key()}

    async def race() -> list[Any]:
        # httpx's ASGI transport: the app's lifespan (which closes the runtime) is not run.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return list(
                await asyncio.gather(
                    *(
                        client.post(f"/api/innovations/{iid}/submit", headers=headers)
                        for _ in range(8)
                    )
                )
            )

    mark = api.max_notification_id()
    responses = asyncio.run(race())
    assert [r.status_code for r in responses] == [200] * 8, [r.text for r in responses]
    bodies = {r.text for r in responses}
    assert len(bodies) == 1, "every caller got the first response"
    assert sum(1 for r in responses if "idempotent-replayed" not in r.headers) == 1
    assert api.max_notification_id() == mark + 1  # exactly one Submitted event
    events = api.runtime.store.events(uuid.UUID(iid))
    assert [type(e).__name__ for e in events].count("Submitted") == 1


def test_invalid_key_is_400(api: Api) -> None:
    mark = api.max_notification_id()
    response = api.call(
        "POST",
        "/api/innovations",
        json={"profile": {"title": "X"}},
        headers={"Idempotency-Key": "x" * 300},
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("/invalid-idempotency-key")
    assert api.max_notification_id() == mark


def test_embedded_sqlite_mode_replays_too(sqlite_settings: Any) -> None:
    """The same table and claim work on the embedded default (SQLite)."""
    from litestar.testing import TestClient

    from services.app import create_app

    body = {
        "username": "peserta.sqlite",
        "name": "Peserta SQLite",
        "email": "sqlite@contoh.id",
        "phone": "081234567890",
        "password": "sandi-sqlite-2025",
    }
    with TestClient(create_app(sqlite_settings)) as client:
        store = client.app.state.runtime.store
        headers = key()
        first = client.post("/api/krenova/participants", json=body, headers=headers)
        mark = store.max_notification_id()
        second = client.post("/api/krenova/participants", json=body, headers=headers)
        other = client.post(
            "/api/krenova/participants", json={**body, "name": "Lain"}, headers=headers
        )
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert other.status_code == 422
        assert store.max_notification_id() == mark
