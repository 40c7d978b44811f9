"""The OPD operator's whole path over HTTP on real PostgreSQL: propose → attach → claim → submit →
revision requested (by a reviewer, through Commands) → fix with If-Match → resubmit."""

from __future__ import annotations

from uuid import UUID

from services.domain.values import RevisionItem
from tests.submission.conftest import Api, docx_bytes, pdf_bytes, png_bytes, sha


def test_opd_path_from_proposal_to_resubmission(api: Api) -> None:
    world, store = api.world, api.runtime.store

    # The call shows its countdown to anyone.
    call = api.call("GET", f"/api/calls/{world.call_id}", as_=None)
    assert call.status_code == 200
    assert call.json()["phase"] == "open"
    assert 0 < call.json()["remaining_seconds"] <= 30 * 86400
    assert call.json()["deadline"].endswith("+07:00")
    assert call.json()["deadline_text"].endswith("WIB")

    # Propose: no call_id, the open annual call of the OPD is chosen.
    created = api.propose("Layanan Adminduk Keliling")
    iid = created["id"]
    assert created["status"] == "draft"
    assert created["call_id"] == str(world.call_id)
    assert created["version"] == 1
    assert "submit" in created["allowed_commands"]
    assert created["completeness"]["complete"] is False  # no SK, no indicators yet
    assert created["notification_id"] == store.max_notification_id()

    # Attach an SK for indicator 1: stored by content hash, the event holds metadata only.
    content = pdf_bytes("sk-bupati")
    up = api.upload(iid, kind="sk", content=content, filename="SK Bupati 2025.pdf", indicator=1)
    assert up.status_code == 201, up.text
    doc = up.json()["document"]
    assert doc["sha256"] == sha(content)
    assert doc["content_type"] == "application/pdf"
    assert doc["size"] == len(content)
    assert doc["name"] == "SK Bupati 2025.pdf"
    assert up.headers["etag"] == '"2"'
    assert int(up.headers["x-notification-id"]) == up.json()["notification_id"]
    assert up.headers["location"].endswith(f"/documents/{doc['doc_id']}")
    attached = store.events(UUID(iid))[-1]
    assert type(attached).__name__ == "DocumentAttached"
    assert attached.document.storage_key == f"{sha(content)[:2]}/{sha(content)}"

    # Download it back, byte for byte, as an attachment with its name.
    down = api.call("GET", f"/api/innovations/{iid}/documents/{doc['doc_id']}")
    assert down.status_code == 200
    assert down.content == content
    assert down.headers["content-type"].startswith("application/pdf")
    assert down.headers["content-disposition"].startswith("attachment")
    assert "SK%20Bupati%202025.pdf" in down.headers["content-disposition"] or (
        "SK Bupati 2025.pdf" in down.headers["content-disposition"]
    )

    # Claim indicator 1: the answer is the self-assessment (score, completeness, advice).
    claim = api.call(
        "PUT",
        f"/api/innovations/{iid}/indicators/1",
        json={"level": 3, "evidence": [doc["doc_id"]], "note": "SK Bupati"},
    )
    assert claim.status_code == 200, claim.text
    body = claim.json()
    assert body["scorecard"]["claimed_total"] == 9  # weight 3 × level 3
    assert 0 < body["completeness"]["percent"] < 100
    assert body["completeness"]["missing"], "mandatory indicators 2, 17, 18, 20 are still empty"
    assert body["recommendations"], "points still available are listed"
    assert all("points" in r or "gain" in r or r for r in body["recommendations"])

    # The rest of the mandatory evidence, then submit.
    body = api.complete(iid)
    assert body["completeness"]["complete"] is True
    submitted = api.call("POST", f"/api/innovations/{iid}/submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    assert "update_profile" not in submitted.json()["allowed_commands"]

    # A reviewer asks for a revision (seeded through the command handlers).
    c = api.runtime.commands
    c.assign_reviewer(world.ctx(world.admin), UUID(iid), world.reviewer.account_id)
    c.request_revision(
        world.ctx(world.reviewer),
        UUID(iid),
        note="Lengkapi laporan hasil",
        items=[RevisionItem(kind="field", key="results", note="sertakan angka")],
    )
    seen = api.call("GET", f"/api/innovations/{iid}")
    assert seen.json()["status"] == "revision_requested"
    assert seen.json()["revisions"][-1]["note"] == "Lengkapi laporan hasil"
    version = seen.json()["version"]
    assert seen.headers["etag"] == f'"{version}"'
    assert set(seen.json()["allowed_commands"]) >= {"update_profile", "resubmit"}

    # Fix the profile with If-Match, replace a document (the old one stays in history).
    fixed = api.call(
        "PATCH",
        f"/api/innovations/{iid}",
        json={"results": "Layanan 1 hari untuk 3.200 warga; keluhan turun 60%."},
        headers={"If-Match": f'"{version}"'},
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["version"] == version + 1
    assert fixed.json()["profile"]["results"].startswith("Layanan 1 hari")
    new_sk = pdf_bytes("sk-bupati-revisi")
    replaced = api.upload(iid, kind="sk", content=new_sk, indicator=1, replaces=doc["doc_id"])
    assert replaced.status_code == 201, replaced.text
    docs = {d["doc_id"]: d for d in replaced.json()["innovation"]["documents"]}
    assert docs[doc["doc_id"]]["removed"] is True  # kept, marked replaced
    assert docs[replaced.json()["document"]["doc_id"]]["replaces"] == doc["doc_id"]
    old = api.call("GET", f"/api/innovations/{iid}/documents/{doc['doc_id']}")
    assert old.status_code == 200 and old.content == content  # history still downloadable

    resubmitted = api.call(
        "POST", f"/api/innovations/{iid}/resubmit", json={"note": "Sudah dilengkapi"}
    )
    assert resubmitted.status_code == 200, resubmitted.text
    assert resubmitted.json()["status"] == "resubmitted"
    assert resubmitted.json()["revisions"][-1]["response"] == "Sudah dilengkapi"
    topics = [type(e).__name__ for e in store.events(UUID(iid))]
    assert topics[0] == "Proposed" and topics[-1] == "Resubmitted"
    assert "RevisionRequested" in topics and "ProfileUpdated" in topics


def test_other_document_types_video_links_and_removal(api: Api) -> None:
    iid = api.propose("Posyandu Digital")["id"]
    photo = api.upload(iid, kind="photo", content=png_bytes(), filename="kegiatan")
    assert photo.status_code == 201, photo.text
    assert photo.json()["document"]["name"] == "kegiatan.png"  # true extension added
    sop = api.upload(iid, kind="sop", content=docx_bytes(), filename="SOP.docx")
    assert sop.status_code == 201, sop.text
    assert sop.json()["document"]["content_type"].endswith("wordprocessingml.document")

    link = api.call(
        "POST",
        f"/api/innovations/{iid}/documents",
        files={"kind": (None, "video"), "url": (None, "https://youtu.be/abc123")},
    )
    assert link.status_code == 201, link.text
    video = link.json()["document"]
    assert video["url"] == "https://youtu.be/abc123" and video["size"] == 0
    as_file = api.call("GET", f"/api/innovations/{iid}/documents/{video['doc_id']}")
    assert as_file.status_code == 409 and as_file.json()["url"] == "https://youtu.be/abc123"

    doc_id = photo.json()["document"]["doc_id"]
    removed = api.call(
        "DELETE", f"/api/innovations/{iid}/documents/{doc_id}", params={"reason": "salah unggah"}
    )
    assert removed.status_code == 200, removed.text
    assert next(d for d in removed.json()["documents"] if d["doc_id"] == doc_id)["removed"]
    inline = api.call(
        "GET", f"/api/innovations/{iid}/documents/{doc_id}", params={"disposition": "inline"}
    )
    assert inline.status_code == 200
    assert inline.headers["content-disposition"].startswith("inline")
    assert inline.headers["x-content-type-options"] == "nosniff"


def test_reads_are_current_and_conditional(api: Api) -> None:
    created = api.propose("Sapa Warga")
    iid, version = created["id"], created["version"]
    again = api.call("GET", f"/api/innovations/{iid}", headers={"If-None-Match": f'"{version}"'})
    assert again.status_code == 304
    # The reviewer (staff) sees it; an auditor too; anonymous does not (not published).
    assert api.call("GET", f"/api/innovations/{iid}", as_="rev.satu").status_code == 200
    auditor = api.call("GET", f"/api/innovations/{iid}", as_="auditor")
    assert auditor.status_code == 200 and auditor.json()["allowed_commands"] == []
    assert api.call("GET", f"/api/innovations/{iid}", as_=None).status_code == 404


def test_admin_opens_a_call_with_wib_times(api: Api) -> None:
    before = api.max_notification_id()
    response = api.call(
        "POST",
        "/api/calls",
        as_="admin",
        json={
            "kind": "annual",
            "title": "Inovasi Daerah 2026",
            "budget_year": 2026,
            "opens_at": "2026-01-02T08:00:00",
            "deadline": "2026-12-31T23:59:00",
            "eligible_kinds": ["opd", "puskesmas"],
            "rubric_year": 2025,
            "required_documents": ["sk"],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["deadline"] == "2026-12-31T23:59:00+07:00"
    assert body["deadline_text"] == "31 Desember 2026 23.59 WIB"
    assert body["notification_id"] == before + 1
    assert response.headers["location"] == f"/api/calls/{body['id']}"
    refused = api.call("POST", "/api/calls", as_="op.dukcapil", json={**_call_body()})
    assert refused.status_code == 403


def _call_body() -> dict[str, object]:
    return {
        "kind": "annual",
        "title": "X",
        "budget_year": 2026,
        "opens_at": "2026-01-02T08:00:00+07:00",
        "deadline": "2026-12-31T23:59:00+07:00",
        "eligible_kinds": ["opd"],
        "rubric_year": 2025,
    }
