"""Hostile input at the boundary (issue 15, items 1a, 2 and 14): control characters are 422
naming the field, every text and list is bounded, numbers in query strings are bounded, deep
JSON is 400, and every refusal is in Indonesian and records nothing."""

from __future__ import annotations

from typing import Any

import pytest

from services.http import limits
from tests.submission.conftest import Api, pdf_bytes
from tests.submission.test_bad_input import assert_problem, nothing_recorded

REGISTRATION = {
    "username": "warga.kendali",
    "name": "Warga Kendali",
    "email": "warga.kendali@example.id",
    "phone": "081234567890",
    "password": "sandi-krenova-1",
}


@pytest.fixture(scope="module")
def draft(api: Api) -> dict[str, Any]:
    return api.propose("Draf untuk uji batas")  # type: ignore[no-any-return]


@pytest.mark.parametrize("bad", ["Warga\x00Kendali", "Warga\x1bKendali", "Warga\x85", "a\rb"])
def test_control_characters_in_an_anonymous_registration_are_422_naming_the_field(
    api: Api, bad: str
) -> None:
    with nothing_recorded(api):
        response = api.call(
            "POST", "/api/krenova/participants", as_=None, json={**REGISTRATION, "name": bad}
        )
        body = assert_problem(response, 422, "invalid-text")
    assert body["errors"][0]["field"] == "name"
    assert "karakter kendali" in body["detail"]


def test_a_nul_in_a_patched_title_is_422_and_tab_and_newline_are_kept(
    api: Api, draft: dict[str, Any]
) -> None:
    url = f"/api/innovations/{draft['id']}"
    version = api.call("GET", url).json()["version"]
    with nothing_recorded(api):
        response = api.call(
            "PATCH", url, json={"title": "Judul\x00"}, headers={"If-Match": f'"{version}"'}
        )
        body = assert_problem(response, 422, "invalid-text")
    assert body["errors"][0]["field"] == "title"
    ok = api.call(
        "PATCH", url, json={"goals": "Satu\tdua\nTiga 😀 ÅÉ"}, headers={"If-Match": f'"{version}"'}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["profile"]["goals"] == "Satu\tdua\nTiga 😀 ÅÉ"


def test_a_lone_surrogate_in_json_is_refused(api: Api) -> None:
    body = b'{"profile": {"title": "\\ud800"}}'
    with nothing_recorded(api):
        response = api.call(
            "POST", "/api/innovations", content=body, headers={"content-type": "application/json"}
        )
        assert_problem(response, 400)


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/api/innovations", "q=a%00b"),
        ("/api/public/innovations", "q=%C2%85"),
        ("/api/review/queue", "status=x%01"),
    ],
)
def test_control_characters_in_a_query_string_are_422_naming_the_parameter(
    api: Api, url: str, query: str
) -> None:
    body = assert_problem(api.call("GET", f"{url}?{query}", as_="admin"), 422, "invalid-text")
    assert body["field"] == query.split("=")[0]


def test_control_characters_in_a_path_parameter_are_422(api: Api) -> None:
    response = api.call("POST", "/api/me/notifications/ab%00c/read", as_="admin")
    body = assert_problem(response, 422, "invalid-text")
    assert body["field"] == "notification_id"


def test_control_characters_in_a_multipart_field_are_422(api: Api, draft: dict[str, Any]) -> None:
    with nothing_recorded(api):
        response = api.call(
            "POST",
            f"/api/innovations/{draft['id']}/documents",
            data={"kind": "sk\x00"},
            files={"file": ("sk.pdf", pdf_bytes(), "application/pdf")},
        )
        body = assert_problem(response, 422, "invalid-text")
    assert body["field"] == "kind"


def test_a_900_kb_title_is_400_saying_the_limit(api: Api) -> None:
    with nothing_recorded(api):
        response = api.call("POST", "/api/innovations", json={"profile": {"title": "a" * 900_000}})
        body = assert_problem(response, 400, "validation")
    assert body["errors"][0]["field"] == "profile.title"
    assert f"paling panjang {limits.TITLE_MAX} karakter" in body["detail"]


def test_lists_are_bounded(api: Api) -> None:
    affairs = [f"urusan {i}" for i in range(limits.LIST_MAX + 1)]
    with nothing_recorded(api):
        response = api.call(
            "POST", "/api/innovations", json={"profile": {"other_affairs": affairs}}
        )
        body = assert_problem(response, 400, "validation")
    assert f"paling banyak {limits.LIST_MAX} butir" in body["detail"]


def test_a_budget_past_the_bound_is_refused(api: Api) -> None:
    with nothing_recorded(api):
        response = api.call(
            "POST", "/api/innovations", json={"profile": {"budget": {"apbd_t0": "1e999999"}}}
        )
        body = assert_problem(response, 400, "validation")
    assert "apbd_t0" in body["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/innovations?offset=9223372036854775808",
        "/api/innovations?year=99999999999999999999",
        "/api/public/innovations?offset=9223372036854775808",
        "/api/public/innovations?year=99999999999999999999",
        "/api/review/queue?offset=9223372036854775808",
        "/api/status-board?offset=9223372036854775808",
        "/api/accounts?offset=9223372036854775808",
        "/api/calls?year=99999999999999999999",
        "/api/iga/reports?year=99999999999999999999",
        "/api/innovations?after=9223372036854775808",
        "/api/dashboard/compliance?year=-1",
        "/api/me/notifications?limit=0",
    ],
)
def test_out_of_range_numbers_in_query_strings_are_400(api: Api, url: str) -> None:
    body = assert_problem(api.call("GET", url, as_="admin"), 400, "validation")
    assert body["errors"] and body["errors"][0]["field"] in url


@pytest.mark.parametrize(
    "url", ["/katalog?tahun=99999999999999999999&halaman=9223372036854775808", "/katalog?tahun=-5"]
)
def test_the_catalogue_page_ignores_numbers_it_cannot_use(api: Api, url: str) -> None:
    response = api.call("GET", url, as_=None, headers={"accept": "text/html"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url", ["/api/innovations", "/api/iga/reports", "/api/innovations/{id}/submit"]
)
def test_deeply_nested_json_is_400(api: Api, draft: dict[str, Any], url: str) -> None:
    for body in (b"[" * 100_000, b'{"profile": ' + b"[" * 100_000, b"{" * 50_000):
        with nothing_recorded(api):
            response = api.call(
                "POST",
                url.format(id=draft["id"]),
                as_="admin" if "iga" in url else "op.dukcapil",
                content=body,
                headers={"content-type": "application/json"},
            )
            assert 400 <= response.status_code < 500, response.text
            assert response.headers["content-type"].startswith("application/problem+json")


def test_problem_details_are_indonesian_and_say_what_is_allowed(
    api: Api, draft: dict[str, Any]
) -> None:
    missing = assert_problem(api.call("POST", "/api/innovations", json={}), 400)
    assert missing["errors"][0] == {"field": "profile", "message": "wajib ada.", "source": "body"}
    enum = assert_problem(
        api.call("POST", "/api/innovations", json={"profile": {"stage": "ujicoba"}}), 400
    )
    assert enum["errors"][0]["field"] == "profile.stage"
    assert "pilihan: inisiatif, uji_coba, penerapan" in enum["errors"][0]["message"]
    level = assert_problem(
        api.call("PUT", f"/api/innovations/{draft['id']}/indicators/1", json={"level": 7}), 400
    )
    assert level["errors"][0] == {"field": "level", "message": "paling besar 3.", "source": "body"}
    truncated = assert_problem(
        api.call(
            "POST",
            "/api/innovations",
            content=b'{"profile": {',
            headers={"content-type": "application/json"},
        ),
        400,
    )
    assert truncated["detail"] == "Isi JSON terpotong (tidak lengkap)."
    unknown = assert_problem(
        api.call("GET", "/api/innovations/00000000-0000-0000-0000-000000000000"), 404
    )
    assert unknown["detail"].startswith("Inovasi ")
    query_enum = assert_problem(
        api.call("GET", "/api/audit/trail?format=xml", as_="auditor"), 400, "validation"
    )
    assert "csv, json" in query_enum["errors"][0]["message"]


def test_an_anonymous_write_with_a_bad_body_is_401(api: Api) -> None:
    with nothing_recorded(api):
        assert_problem(api.call("POST", "/api/calls", as_=None, content=b"{"), 401)
        assert_problem(
            api.call(
                "POST",
                "/api/innovations/00000000-0000-0000-0000-000000000000/submit",
                as_=None,
                json={"bad": 1},
            ),
            401,
        )
    # the anonymous routes still read their bodies
    assert_problem(api.call("POST", "/api/krenova/participants", as_=None, json={}), 400)
    assert_problem(api.call("POST", "/api/auth/login", as_=None, json={}), 400)
