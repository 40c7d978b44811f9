"""Bad input, tried by hand: each gets a clear problem response and leaves the log unchanged
(the log's max notification id is the same before and after) and no blob behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from services.blobs import blob_store
from tests.submission.conftest import Api, pdf_bytes, profile_json


@contextmanager
def nothing_recorded(api: Api) -> Iterator[None]:
    """The event log and the blob store are exactly as before the block."""
    blobs = blob_store(api.runtime)
    before = (api.max_notification_id(), blobs.keys())
    yield
    assert (api.max_notification_id(), blobs.keys()) == before
    assert blobs.temp_files() == [], "no partial upload is left behind"


def assert_problem(response: Any, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if slug is not None:
        assert body["type"].endswith("/" + slug), body["type"]
    return body  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def draft(api: Api) -> str:
    return str(api.propose("Draf untuk uji masukan buruk")["id"])


def test_oversize_upload_is_413(api: Api, draft: str) -> None:
    big = pdf_bytes() + b"0" * (api.runtime.settings.max_upload_mb * 1024 * 1024)
    with nothing_recorded(api):
        body = assert_problem(api.upload(draft, content=big), 413, "too-large")
    assert "1 MB" in body["detail"]


def test_oversize_upload_without_content_length_is_stopped_while_streaming(
    api: Api, draft: str
) -> None:
    """Chunked transfer (no Content-Length): the limit is enforced on the bytes that arrive."""
    limit = api.runtime.settings.max_upload_mb * 1024 * 1024
    boundary = "grenzeXYZ"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nsk\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        'filename="besar.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode() + pdf_bytes()

    def chunks() -> Iterator[bytes]:
        yield head
        for _ in range(limit // 65536 + 4):
            yield b"0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    with nothing_recorded(api):
        response = api.call(
            "POST",
            f"/api/innovations/{draft}/documents",
            content=chunks(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert_problem(response, 413, "too-large")


def test_wrong_content_type_is_415_whatever_the_name_says(api: Api, draft: str) -> None:
    html = b"<html><script>alert('x')</script></html>"
    with nothing_recorded(api):
        body = assert_problem(
            api.upload(draft, content=html, filename="laporan.pdf"), 415, "unsupported-type"
        )
    assert "PDF" in body["detail"] and "application/pdf" in body["allowed"]
    with nothing_recorded(api):
        assert_problem(api.upload(draft, content=b"MZ\x90\x00" * 64, filename="sk.exe"), 415)
    with nothing_recorded(api):  # not multipart at all
        response = api.call(
            "POST",
            f"/api/innovations/{draft}/documents",
            content=b"{}",
            headers={"Content-Type": "application/json"},
        )
        assert_problem(response, 415, "multipart-required")


@pytest.mark.parametrize(
    "filename", ["../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "/etc/shadow.pdf"]
)
def test_path_traversal_file_name_is_refused(api: Api, draft: str, filename: str) -> None:
    with nothing_recorded(api):
        body = assert_problem(api.upload(draft, filename=filename), 400, "invalid-filename")
    assert "folder" in body["detail"]


def test_control_characters_in_a_file_name_are_422_naming_the_field(api: Api, draft: str) -> None:
    with nothing_recorded(api):
        body = assert_problem(
            api.upload(draft, filename="Lap\x1b[31moran.pdf"), 422, "invalid-text"
        )
    assert body["field"] == "file" and "U+001B" in body["detail"]


def test_format_characters_and_long_names_are_cleaned(api: Api, draft: str) -> None:
    name = "Lap oran\u202eFDP.exe " + "x" * 400 + ".pdf"
    response = api.upload(draft, filename=name)
    assert response.status_code == 201, response.text
    clean = response.json()["document"]["name"]
    assert clean.endswith(".pdf") and len(clean) <= 150
    assert all(ch.isprintable() for ch in clean) and "\u202e" not in clean


def test_missing_required_fields_are_400_naming_them(api: Api, draft: str) -> None:
    with nothing_recorded(api):
        body = assert_problem(api.call("POST", "/api/innovations", json={}), 400, "validation")
    assert any("profile" in (e["field"] + e["message"]) for e in body["errors"])
    with nothing_recorded(api):
        response = api.call(
            "POST",
            f"/api/innovations/{draft}/documents",
            files={"file": ("sk.pdf", pdf_bytes(), "application/pdf")},
        )
        body = assert_problem(response, 400, "validation")
    assert body["errors"][0]["field"] == "kind"
    with nothing_recorded(api):
        body = assert_problem(
            api.call("PUT", f"/api/innovations/{draft}/indicators/1", json={"evidence": []}),
            400,
        )
    with nothing_recorded(api):  # a typo in a field name is not silently ignored
        body = assert_problem(
            api.call("POST", "/api/innovations", json={"profile": {"titel": "Salah ketik"}}),
            400,
        )


def test_design_under_300_words_blocks_submit(api: Api) -> None:
    profile = profile_json("Rancang Bangun Pendek")
    profile["design"] = {"problem": "Terlalu singkat " * 20}
    created = api.call("POST", "/api/innovations", json={"profile": profile})
    assert created.status_code == 201
    iid = created.json()["id"]
    api.complete(iid)
    with nothing_recorded(api):
        body = assert_problem(
            api.call("POST", f"/api/innovations/{iid}/submit"), 422, "incomplete-submission"
        )
    assert "300 kata" in body["detail"]
    assert any(item["key"] == "design" for item in body["missing"])


def test_stale_and_missing_if_match(api: Api) -> None:
    created = api.propose("Uji Versi")
    iid, version = created["id"], created["version"]
    ok = api.call(
        "PATCH", f"/api/innovations/{iid}", json={"goals": "A"}, headers={"If-Match": '"1"'}
    )
    assert ok.status_code == 200
    with nothing_recorded(api):
        body = assert_problem(
            api.call(
                "PATCH",
                f"/api/innovations/{iid}",
                json={"goals": "B"},
                headers={"If-Match": f'"{version}"'},
            ),
            409,
            "stale-version",
        )
    assert body["current_version"] == version + 1
    with nothing_recorded(api):
        assert_problem(
            api.call("PATCH", f"/api/innovations/{iid}", json={"goals": "B"}),
            428,
            "if-match-required",
        )
    with nothing_recorded(api):
        assert_problem(
            api.call(
                "PATCH",
                f"/api/innovations/{iid}",
                json={"goals": "B"},
                headers={"If-Match": "kemarin"},
            ),
            400,
            "invalid-if-match",
        )
    with nothing_recorded(api):  # optional If-Match on other commands is honoured too
        response = api.call(
            "POST",
            f"/api/innovations/{iid}/documents",
            files={"kind": (None, "sk"), "file": ("sk.pdf", pdf_bytes(), "application/pdf")},
            headers={"If-Match": '"1"'},
        )
        assert_problem(response, 409, "stale-version")


def test_operator_of_another_organisation_sees_nothing_and_changes_nothing(
    api: Api, draft: str
) -> None:
    other = "op.dinkes"
    with nothing_recorded(api):
        assert_problem(api.call("GET", f"/api/innovations/{draft}", as_=other), 404)
        assert_problem(
            api.call(
                "PATCH",
                f"/api/innovations/{draft}",
                as_=other,
                json={"title": "Dibajak"},
                headers={"If-Match": '"1"'},
            ),
            404,
        )
        assert_problem(api.upload(draft, as_=other), 404)
        assert_problem(api.call("POST", f"/api/innovations/{draft}/submit", as_=other), 404)
        assert_problem(
            api.call("PUT", f"/api/innovations/{draft}/indicators/1", as_=other, json={"level": 3}),
            404,
        )


def test_unknown_indicator_and_foreign_evidence_are_422(api: Api, draft: str) -> None:
    with nothing_recorded(api):
        assert_problem(api.upload(draft, indicator=99), 422)
    with nothing_recorded(api):
        assert_problem(
            api.call(
                "PUT",
                f"/api/innovations/{draft}/indicators/1",
                json={"level": 2, "evidence": ["00000000-0000-4000-8000-000000000000"]},
            ),
            422,
        )
    with nothing_recorded(api):
        assert_problem(
            api.call("PUT", f"/api/innovations/{draft}/indicators/1", json={"level": 7}), 400
        )


def test_anonymous_and_wrong_role_writes_are_refused(api: Api, draft: str) -> None:
    with nothing_recorded(api):
        assert_problem(api.call("POST", "/api/innovations", as_=None, json={"profile": {}}), 401)
        assert_problem(
            api.call("POST", "/api/innovations", as_="rev.satu", json={"profile": {"title": "X"}}),
            403,
        )
        # 401 before any lookup: whether the id exists does not leak to anonymous callers
        assert_problem(api.upload(draft, as_=None), 401)
        # …and before the body is read: a bad body from an anonymous caller is 401, not 400
        assert_problem(api.call("POST", "/api/innovations", as_=None, json={"profil": 1}), 401)
        assert_problem(api.call("POST", "/api/innovations", as_=None, content=b"[" * 1000), 401)
