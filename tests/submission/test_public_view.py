"""Issue 15 items 8 and 10: who reads the internal record of an innovation, on every surface.

Staff and the owning organisation read the internal record; anonymous callers and everyone else
get the public face of a published innovation (what /katalog/{id} shows) and only the documents
marked public; a reviewer of the owning organisation is conflicted: never the internal record
(API record, review view, verification page), 403 with the reason, or the public face.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.domain.errors import ConflictOfInterest
from services.domain.principal import Principal
from services.review import views
from tests.submission.conftest import Api, png_bytes

SECRET_NOTE = "catatan internal verifikator"
INTERNAL_KEYS = {
    "reviewers",
    "reviewer_scores",
    "revisions",
    "decision_reason",
    "claims",
    "recommendation",
    "scorecard",
    "completeness",
}


def _reviewed(api: Api, title: str) -> tuple[str, dict[str, str]]:
    """An innovation through review (verdict notes, two revision notes, scores): its id and
    the ids of its documents by name."""
    created = api.propose(title)
    iid = created["id"]
    docs: dict[str, str] = {}
    for name, fields, content, filename in (
        ("photo", {"kind": "photo", "public": "true"}, png_bytes(), "foto-layanan.png"),
        ("budget", {"kind": "budget"}, None, "dpa-anggaran.pdf"),
    ):
        up = api.upload(iid, content=content, filename=filename, **fields)
        assert up.status_code == 201, up.text
        docs[name] = up.json()["document"]["doc_id"]
    video = api.call(
        "POST",
        f"/api/innovations/{iid}/documents",
        files={"kind": (None, "video"), "url": (None, "https://youtu.be/sicepat")},
    )
    assert video.status_code == 201, video.text
    docs["video"] = video.json()["document"]["doc_id"]
    api.complete(iid)
    w, c = api.world, api.runtime.commands
    op, rev, admin = w.ctx(w.operator), w.ctx(w.reviewer), w.ctx(w.admin)
    c.submit(op, iid)
    assert w.reviewer.account_id is not None
    c.assign_reviewer(admin, iid, w.reviewer.account_id)
    for state in list(c.innovation(iid).documents.values()):
        c.verify_document(rev, iid, state.document.doc_id, accepted=True, note=SECRET_NOTE)
    docs["sk"] = next(
        str(s.document.doc_id)
        for s in c.innovation(iid).documents.values()
        if str(s.document.kind) == "sk"
    )
    c.score(rev, iid, w.verdicts(3))
    return iid, docs


def _published(api: Api, title: str) -> tuple[str, dict[str, str]]:
    iid, docs = _reviewed(api, title)
    w, c = api.world, api.runtime.commands
    admin = w.ctx(w.admin)
    c.approve(admin, iid, note=SECRET_NOTE)
    c.establish(admin, iid, sk_number="188/77/2025", sk_date=date(2025, 10, 1))
    c.publish(admin, iid)
    return iid, docs


@pytest.fixture(scope="module")
def published(api: Api) -> tuple[str, dict[str, str]]:
    return _published(api, "Si Cepat Terbuka")


@pytest.mark.parametrize("caller", [None, "op.dinkes", "rev.dukcapil"])
def test_outsiders_get_only_the_public_face(
    api: Api, published: tuple[str, dict[str, str]], caller: str | None
) -> None:
    iid, docs = published
    response = api.call("GET", f"/api/innovations/{iid}", as_=caller)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["view"] == "public" and body["published"] is True
    assert not INTERNAL_KEYS & set(body), sorted(INTERNAL_KEYS & set(body))
    assert "budget" not in body["profile"] and "design" not in body["profile"]
    assert body["profile"]["title"] == "Si Cepat Terbuka"
    assert body["sk_number"] == "188/77/2025" and body["verified_score"] > 0
    assert {d["doc_id"] for d in body["documents"]} == {docs["photo"], docs["video"]}
    assert SECRET_NOTE not in response.text
    assert "verdict" not in response.text and "sha256" not in response.text


@pytest.mark.parametrize("caller", ["op.dukcapil", "admin", "rev.satu", "auditor"])
def test_staff_and_the_owner_get_the_internal_record(
    api: Api, published: tuple[str, dict[str, str]], caller: str
) -> None:
    iid, docs = published
    body = api.call("GET", f"/api/innovations/{iid}", as_=caller).json()
    assert "view" not in body and set(body) >= INTERNAL_KEYS
    assert body["reviewer_scores"] and len(body["documents"]) == 3 + 5
    marks = {d["doc_id"]: d["public"] for d in body["documents"]}
    assert marks[docs["photo"]] and marks[docs["video"]]  # marked; video public by default
    assert not marks[docs["budget"]] and not marks[docs["sk"]]  # private by default


@pytest.mark.parametrize("caller", [None, "op.dinkes"])
def test_outsiders_download_only_public_documents(
    api: Api, published: tuple[str, dict[str, str]], caller: str | None
) -> None:
    iid, docs = published
    url = f"/api/innovations/{iid}/documents/{{}}"
    assert api.call("GET", url.format(docs["photo"]), as_=caller).status_code == 200
    for private in ("budget", "sk"):
        response = api.call("GET", url.format(docs[private]), as_=caller)
        assert response.status_code == 404, (private, response.text)
    assert api.call("GET", url.format(docs["budget"]), as_="op.dukcapil").status_code == 200


def test_the_catalogue_page_lists_the_public_documents_only(
    api: Api, published: tuple[str, dict[str, str]]
) -> None:
    iid, docs = published
    page = api.call("GET", f"/katalog/{iid}", as_=None)
    assert page.status_code == 200
    assert "foto-layanan.png" in page.text and f"/documents/{docs['photo']}" in page.text
    assert "dpa-anggaran" not in page.text and docs["sk"] not in page.text


def test_the_public_mark_changes_without_a_new_upload(api: Api) -> None:
    """A photo published by mistake is hidden at once, a budget is opened: outsiders' downloads
    and the catalogue follow; the same mark again is refused; the history names the change."""
    iid, docs = _published(api, "Si Cepat Tanda Publik")
    url = f"/api/innovations/{iid}/documents/{{}}"
    hide = api.call(
        "POST",
        url.format(docs["photo"]) + "/visibility",
        json={"public": False, "reason": "wajah warga terlihat"},
    )
    assert hide.status_code == 200, hide.text
    assert api.call("GET", url.format(docs["photo"]), as_=None).status_code == 404
    assert "foto-layanan.png" not in api.call("GET", f"/katalog/{iid}", as_=None).text
    opened = api.call(
        "POST", url.format(docs["budget"]) + "/visibility", json={"public": True}, as_="admin"
    )
    assert opened.status_code == 200, opened.text
    assert api.call("GET", url.format(docs["budget"]), as_=None).status_code == 200
    again = api.call("POST", url.format(docs["budget"]) + "/visibility", json={"public": True})
    assert again.status_code == 422, again.text
    assert "sudah terbuka" in again.json()["detail"]
    refused = api.call(
        "POST", url.format(docs["sk"]) + "/visibility", json={"public": True}, as_="rev.satu"
    )
    assert refused.status_code == 403, refused.text
    unknown = api.call("POST", url.format(docs["sk"]) + "/visibility", json={"publik": True})
    assert unknown.status_code == 400, unknown.text
    history = api.call("GET", f"/api/innovations/{iid}/history", as_="auditor")
    assert history.status_code == 200, history.text
    assert "menutup dari umum" in history.text and "wajah warga terlihat" in history.text


def test_an_unknown_public_mark_is_refused(api: Api) -> None:
    iid = api.propose("Tanda publik salah")["id"]
    response = api.upload(iid, public="barangkali")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "public"


# ---- conflict of interest on reads (item 10) ---------------------------------------------------


def _is_conflict(response: Any) -> bool:
    return response.status_code == 403 and "conflict-of-interest" in response.text


def test_a_conflicted_reviewer_reads_nothing_internal_anywhere(api: Api) -> None:
    iid, _ = _reviewed(api, "Si Cepat Konflik")  # scored, not published
    record = api.call("GET", f"/api/innovations/{iid}", as_="rev.dukcapil")
    assert _is_conflict(record), record.text
    assert "reviewer_scores" not in record.text
    review = api.call("GET", f"/api/innovations/{iid}/review", as_="rev.dukcapil")
    assert _is_conflict(review), review.text
    page = api.call("GET", f"/verifikasi/{iid}", as_="rev.dukcapil")
    assert page.status_code == 403 and "Konflik kepentingan" in page.text
    assert 'name="level' not in page.text and "catatan internal" not in page.text
    workspace = api.call("GET", f"/inovasi/{iid}/dokumen", as_="rev.dukcapil")
    assert workspace.status_code == 403
    # The same three surfaces for a reviewer outside the organisation.
    assert api.call("GET", f"/api/innovations/{iid}", as_="rev.satu").json()["reviewer_scores"]
    assert api.call("GET", f"/api/innovations/{iid}/review", as_="rev.satu").status_code == 200
    assert api.call("GET", f"/verifikasi/{iid}", as_="rev.satu").status_code == 200


def test_the_review_view_builder_refuses_a_conflicted_reviewer(api: Api) -> None:
    iid, _ = _reviewed(api, "Si Cepat Konflik Tampilan")
    innovation = api.runtime.commands.innovation(iid)
    w = api.world

    def principal(actor: Any, username: str) -> Principal:
        return Principal(
            account_id=actor.account_id,
            username=username,
            role=actor.role,
            organisation_id=actor.organisation_id,
        )

    conflicted = principal(w.conflicted_reviewer, "rev.dukcapil")
    with pytest.raises(ConflictOfInterest):
        views.build(api.runtime.store, innovation, conflicted, margin=10)
    view = views.build(api.runtime.store, innovation, principal(w.reviewer, "rev.satu"), 10)
    assert view.scores.reviewer_totals
