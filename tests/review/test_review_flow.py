"""End to end on real PostgreSQL: 30 innovations from 10 organisations go through bulk
assignment, document verification, a revision round for some, scoring by two reviewers,
decisions and the IGA report, whose XLSX, CSV and evidence ZIP are checked against the rubric and
downloaded again, byte-identical, even after the report index is dropped and rebuilt."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
import zipfile
from datetime import date
from typing import Any
from uuid import UUID

import openpyxl
import pytest

from services.domain.lifecycle import Status
from services.domain.rubric import load_rubric
from services.domain.values import DocumentKind, ProfilePatch, Stage
from tests.review.conftest import INDICATORS, Regency

RUBRIC = load_rubric(2025)
N = 30
REVISED = {k for k in range(N) if k % 5 == 1}  # one revision round
DISAGREE = {k for k in range(N) if k % 5 == 0}  # second reviewer one level lower everywhere
REJECTED = {2, 7, 12, 17}
LEFT_SCORED = {3, 8}
APPROVED = set(range(N)) - REJECTED - LEFT_SCORED
TRIAL_STAGE = {4, 9}  # uji coba when submitted; the admin advances them to penerapan
LONG_AGO = 5  # implemented in 2021


def claimed(k: int) -> dict[int, int]:
    if k % 3 == 1:
        return {no: {20: 1, 18: 2}.get(no, 3) for no in INDICATORS}
    if k % 3 == 2:
        return dict.fromkeys(INDICATORS, 2)
    return dict.fromkeys(INDICATORS, 3)


def second(k: int) -> dict[int, int]:
    levels = claimed(k)
    return {no: max(level - 1, 0) for no, level in levels.items()} if k in DISAGREE else levels


def total(levels: dict[int, int]) -> int:
    return sum(RUBRIC.indicator(no).weight * level for no, level in levels.items())


def etag(response: Any) -> dict[str, str]:
    return {"If-Match": response.headers["etag"]}


@pytest.fixture(scope="module")
def seeded(regency: Regency) -> list[UUID]:
    ids = []
    for k in range(N):
        stage = Stage.UJI_COBA if k in TRIAL_STAGE else Stage.PENERAPAN
        implemented = date(2021, 1, 10) if k == LONG_AGO else None
        ids.append(
            regency.submitted(
                k // 3, f"Inovasi Nomor {k:02d}", levels=claimed(k), stage=stage,
                implemented=implemented,
            )
        )  # fmt: skip
    return ids


def test_thirty_innovations_from_queue_to_iga_report(regency: Regency, seeded: list[UUID]) -> None:
    r, ids = regency, seeded
    reviewers = {name: actor.account_id for name, actor in r.reviewers.items()}

    # --- the queue: all thirty waiting, none assigned ------------------------------------------
    queue = r.get(
        f"/api/review/queue?call={r.call_id}&limit=100&after={r.max_notification_id()}", "admin"
    )
    assert queue.status_code == 200, queue.text
    assert "x-read-stale" not in queue.headers
    waiting = {item["id"]: item for item in queue.json()["items"]}
    assert set(waiting) == {str(i) for i in ids}
    for k, iid in enumerate(ids):
        assert waiting[str(iid)]["status"] == "submitted"
        assert waiting[str(iid)]["reviewers"] == []
        assert waiting[str(iid)]["claimed_score"] == total(claimed(k))
    assert len({item["organisation_id"] for item in waiting.values()}) == 10

    # --- bulk assignment: round-robin across two Bappeda reviewers --------------------------
    response = r.post(
        "/api/review/assignments",
        "admin",
        {"innovation_ids": [str(i) for i in ids], "reviewers": ["rev.satu", "rev.dua"]},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["requested"], report["assigned"], report["refused"]) == (N, N, 0)
    primary = {}
    for k, item in enumerate(report["results"]):
        expected = "rev.satu" if k % 2 == 0 else "rev.dua"
        assert item["outcome"] == "assigned"
        assert item["reviewer_id"] == str(reviewers[expected])
        primary[k] = expected
    assert int(response.headers["x-notification-id"]) == r.max_notification_id()
    after = response.headers["x-notification-id"]
    mine = r.get(f"/api/review/queue?reviewer=me&limit=100&after={after}", "rev.satu").json()
    assert {item["id"] for item in mine["items"]} == {
        str(ids[k]) for k in range(N) if primary[k] == "rev.satu"
    }
    unassigned = r.get(f"/api/review/queue?reviewer=none&call={r.call_id}", "admin").json()
    assert unassigned["total"] == 0

    # A reviewer from the first organisation: its three items are refused with the reason.
    before = r.max_notification_id()
    response = r.post(
        "/api/review/assignments",
        "admin",
        {"innovation_ids": [str(i) for i in ids[:4]], "reviewer": "rev.org0"},
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [x["outcome"] for x in results] == ["refused"] * 3 + ["assigned"]
    for refused in results[:3]:
        assert refused["code"] == "conflict-of-interest"
        assert "Konflik kepentingan" in refused["reason"]
    assert r.max_notification_id() == before + 1

    # The second reviewer for every item: whoever is not the first.
    for name, other in (("rev.satu", "rev.dua"), ("rev.dua", "rev.satu")):
        batch = [str(ids[k]) for k in range(N) if primary[k] == other]
        response = r.post(
            "/api/review/assignments", "admin", {"innovation_ids": batch, "reviewer": name}
        )
        assert response.json()["assigned"] == len(batch), response.text

    # --- verification: every document; the SK of the revised ones is rejected --------------
    sk_of: dict[int, str] = {}
    for k, iid in enumerate(ids):
        view = r.review(iid, primary[k])
        assert view["status"] == "under_review"
        assert view["pending_documents"] == len(INDICATORS)
        headers: dict[str, str] = {"If-Match": f'"{view["version"]}"'}
        for doc in view["documents"]:
            reject = k in REVISED and doc["kind"] == "sk"
            if reject:
                sk_of[k] = doc["doc_id"]
            body = (
                {"accepted": False, "note": "SK belum ditandatangani"}
                if reject
                else {"accepted": True, "note": "sesuai"}
            )
            response = r.post(
                f"/api/innovations/{iid}/documents/{doc['doc_id']}/verify",
                primary[k],
                body,
                headers=headers,
            )
            assert response.status_code == 200, response.text
            headers = etag(response)
        assert response.json()["pending_documents"] == 0

    # --- one revision round for some ---------------------------------------------------------
    for k in sorted(REVISED):
        iid = ids[k]
        response = r.post(
            f"/api/innovations/{iid}/request-revision",
            primary[k],
            {
                "note": "Lengkapi SK yang sudah ditandatangani",
                "items": [
                    {"kind": "document", "key": sk_of[k], "note": "belum bertanda tangan"},
                    {"kind": "indicator", "key": "1", "note": "SK Kepala Daerah"},
                    {"kind": "field", "key": "goals", "note": "tujuan terlalu umum"},
                ],
            },
        )
        assert response.status_code == 200, response.text
        view = response.json()
        assert view["status"] == "revision_requested"
        (round_,) = view["revisions"]
        assert [i["label"] for i in round_["items"]] == [
            "Dokumen 'sk-indikator-1.pdf'",
            "Indikator 1 Regulasi inovasi daerah",
            "Tujuan inovasi",
        ]
        # The operator sees exactly those items on the record, fixes them and resubmits.
        innovation = r.commands.innovation(iid)
        open_round = innovation.open_revision()
        assert open_round is not None
        assert [(i.kind, i.key) for i in open_round.items] == [
            ("document", sk_of[k]),
            ("indicator", "1"),
            ("field", "goals"),
        ]
        operator = r.ctx(r.operators[innovation.organisation_id])  # type: ignore[index]
        new_sk = r.document(DocumentKind.SK, 1, f"revisi {k}")
        import msgspec

        new_sk = msgspec.structs.replace(
            new_sk, name="sk-kepala-daerah-revisi.pdf", replaces=UUID(sk_of[k])
        )
        r.commands.attach_document(operator, iid, new_sk)
        r.commands.claim_indicator(
            operator, iid, no=1, level=claimed(k)[1], evidence=[new_sk.doc_id]
        )
        r.commands.update_profile(
            operator, iid, ProfilePatch(goals="Layanan dokumen selesai dalam satu hari kerja.")
        )
        r.commands.resubmit(operator, iid, note="SK sudah diganti")
        response = r.post(
            f"/api/innovations/{iid}/documents/{new_sk.doc_id}/verify",
            primary[k],
            {"accepted": True},
        )
        assert response.status_code == 200, response.text
        view = response.json()
        assert view["status"] == "under_review"
        assert view["revisions"][0]["resubmitted_at"]
        assert view["revisions"][0]["response"] == "SK sudah diganti"

    # --- scoring by two reviewers -----------------------------------------------------------
    for k, iid in enumerate(ids):
        other = "rev.dua" if primary[k] == "rev.satu" else "rev.satu"
        for who, levels in ((primary[k], claimed(k)), (other, second(k))):
            version = r.review(iid, who)["version"]
            response = r.post(
                f"/api/innovations/{iid}/score",
                who,
                {
                    "indicators": [
                        {"no": no, "level": level, "note": "sesuai bukti"}
                        for no, level in sorted(levels.items())
                    ]
                },
                headers={"If-Match": f'"{version}"'},
            )
            assert response.status_code == 200, response.text
        view = response.json()
        assert view["status"] == "scored"
        scores = view["scores"]
        by_reviewer = {s["reviewer_id"]: s for s in scores["reviewer_totals"]}
        assert by_reviewer[str(reviewers[primary[k]])]["total"] == total(claimed(k))
        assert by_reviewer[str(reviewers[other])]["total"] == total(second(k))
        assert scores["difference"] == total(claimed(k)) - total(second(k))
        assert scores["exceeds_margin"] == (k in DISAGREE)
        assert scores["claimed_total"] == total(claimed(k))
        assert scores["verified_total"] == total(second(k))  # the latest scoring counts
        rows = {row["no"]: row for row in view["indicators"]}
        assert rows[20]["claimed_level"] == claimed(k)[20]
        assert rows[20]["verified_level"] == second(k)[20]
        assert rows[20]["reviewer_levels"][str(reviewers[primary[k]])] == claimed(k)[20]

    # --- decisions --------------------------------------------------------------------------
    for k in sorted(TRIAL_STAGE):
        response = r.post(
            f"/api/innovations/{ids[k]}/advance-stage",
            "admin",
            {"to_stage": "penerapan", "on": "2025-06-01"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["implementation_date"] == "2025-06-01"
    for k in sorted(APPROVED | REJECTED):
        response = r.post(
            f"/api/innovations/{ids[k]}/recommend",
            primary[k],
            {"recommendation": "reject" if k in REJECTED else "approve"},
        )
        assert response.status_code == 200, response.text
        # The decision's input over the API too: each reviewer's own recommendation.
        by_reviewer = {
            s["reviewer_id"]: s for s in r.review(ids[k], "admin")["scores"]["reviewer_totals"]
        }
        mine = by_reviewer[str(reviewers[primary[k]])]
        assert mine["recommendation"] == ("reject" if k in REJECTED else "approve")
        others = [v for rid, v in by_reviewer.items() if rid != str(reviewers[primary[k]])]
        assert all(v["recommendation"] is None for v in others)
    for k in sorted(REJECTED):
        response = r.post(
            f"/api/innovations/{ids[k]}/reject", "admin", {"reason": "Bukti manfaat belum cukup"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["decision_reason"] == "Bukti manfaat belum cukup"
    for k in sorted(APPROVED):
        response = r.post(f"/api/innovations/{ids[k]}/approve", "admin", {"note": "layak"})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "approved"
        if k % 2 == 0:
            response = r.post(
                f"/api/innovations/{ids[k]}/establish",
                "admin",
                {"sk_number": f"188/{k}/2025", "sk_date": "2025-10-01"},
            )
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "established"
    response = r.post(f"/api/innovations/{ids[0]}/publish", "admin")
    assert response.status_code == 200 and response.json()["published"] is True

    # --- IGA: preview, a refused selection, the report --------------------------------------
    approved_ids = [str(ids[k]) for k in sorted(APPROVED)]
    response = r.post(
        "/api/iga/reports/preview",
        "admin",
        {"year": 2025, "innovation_ids": [*approved_ids, str(ids[2])]},
    )
    assert response.status_code == 200, response.text
    selection = response.json()
    assert selection["can_report"] is False
    by_id = {item["innovation_id"]: item for item in selection["items"]}
    assert [e["code"] for e in by_id[str(ids[2])]["errors"]] == ["not-approved"]
    assert all(not by_id[i]["errors"] for i in approved_ids)
    codes = {i: {w["code"] for w in by_id[i]["warnings"]} for i in approved_ids}
    assert "applied-long-ago" in codes[str(ids[LONG_AGO])]
    for k in sorted(APPROVED):
        assert ("below-threshold" in codes[str(ids[k])]) == (total(second(k)) < 60)
        assert ("reviewers-disagree" in codes[str(ids[k])]) == (k in DISAGREE)
        assert ("no-sk" in codes[str(ids[k])]) == (k % 2 == 1)

    before = r.max_notification_id()
    response = r.post(
        "/api/iga/reports", "admin", {"year": 2025, "innovation_ids": [*approved_ids, str(ids[2])]}
    )
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["type"].endswith("iga-selection-refused")
    assert [i["innovation_id"] for i in problem["items"]] == [str(ids[2])]
    assert r.max_notification_id() == before

    response = r.post(
        "/api/iga/reports",
        "admin",
        {"year": 2025, "innovation_ids": approved_ids},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    report_id = created["id"]
    assert response.headers["location"] == f"/api/iga/reports/{report_id}"
    assert r.max_notification_id() == before + 2 * len(APPROVED)  # selected + reported each
    assert int(response.headers["x-notification-id"]) == r.max_notification_id()
    assert created["count"] == len(APPROVED)
    assert created["total_verified_score"] == sum(total(second(k)) for k in APPROVED)
    for k in APPROVED:
        innovation = r.commands.innovation(ids[k])
        assert innovation.status == Status.REPORTED_TO_IGA
        assert str(innovation.iga_report_id) == report_id
    warned = {i["innovation_id"]: {w["code"] for w in i["warnings"]} for i in created["items"]}
    assert "applied-long-ago" in warned[str(ids[LONG_AGO])]

    # --- the files ----------------------------------------------------------------------------
    downloads = {}
    for name in ("export.xlsx", "export.csv", "evidence.zip"):
        response = r.get(f"/api/iga/reports/{report_id}/{name}", "admin")
        assert response.status_code == 200, response.text
        assert "attachment" in response.headers["content-disposition"]
        downloads[name] = response.content
    xlsx_sha = hashlib.sha256(downloads["export.xlsx"]).hexdigest()
    assert {f["name"]: f["sha256"] for f in created["files"]}["laporan-iga-2025.xlsx"] == xlsx_sha

    check_xlsx(downloads["export.xlsx"], ids)
    check_csv(downloads["export.csv"], ids)
    check_zip(downloads["evidence.zip"], len(APPROVED))

    # Downloaded again later: the same bytes.
    for name, first in downloads.items():
        again = r.get(f"/api/iga/reports/{report_id}/{name}", "auditor")
        assert again.status_code == 200
        assert again.content == first, name
    assert r.get(f"/api/iga/reports/{report_id}", "auditor").json() == created

    # The index is disposable: drop it, and the report is rebuilt from its events, identically.
    with r.runtime.db.transaction() as tx:
        tx.execute("DELETE FROM iga_report_files")
        tx.execute("DELETE FROM iga_reports")
    rebuilt = r.get(f"/api/iga/reports/{report_id}", "admin")
    assert rebuilt.status_code == 200, rebuilt.text
    assert rebuilt.json() == created
    for name, first in downloads.items():
        assert r.get(f"/api/iga/reports/{report_id}/{name}", "admin").content == first, name
    listed = r.get("/api/iga/reports?year=2025", "admin").json()
    assert [x["id"] for x in listed] == [report_id]

    # Reporting the same innovations again is refused, naming the report they are in.
    before = r.max_notification_id()
    response = r.post("/api/iga/reports", "admin", {"year": 2025, "innovation_ids": approved_ids})
    assert response.status_code == 409
    assert response.json()["items"][0]["errors"][0]["code"] == "already-reported"
    assert r.max_notification_id() == before


def _expected_row(k: int) -> dict[int, tuple[int, int]]:
    """Per rubric indicator: (level, points) as the ministry's form must show them."""
    levels = second(k)
    return {
        ind.no: (levels.get(ind.no, 0), ind.weight * levels.get(ind.no, 0))
        for ind in RUBRIC.indicators
    }


def check_xlsx(content: bytes, ids: list[UUID]) -> None:
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Inovasi", "Indikator", "Ringkasan"]
    sheet = book["Inovasi"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    assert len(rows) == len(APPROVED)
    index = {str(iid): k for k, iid in enumerate(ids)}
    assert [row["No"] for row in rows] == list(range(1, len(APPROVED) + 1))
    names = [(row["Perangkat daerah"], row["Nama inovasi"]) for row in rows]
    assert names == sorted(names, key=lambda p: (p[0].casefold(), p[1].casefold()))
    for row in rows:
        k = index[row["ID inovasi"]]
        assert k in APPROVED
        expected = _expected_row(k)
        for no, (level, points) in expected.items():
            assert row[f"Indikator {no} level"] == level, (k, no)
            assert row[f"Indikator {no} nilai"] == points, (k, no)
        indicator_points = sum(row[f"Indikator {ind.no} nilai"] for ind in RUBRIC.indicators)
        assert row["Nilai kematangan terverifikasi"] == indicator_points == total(second(k))
        assert row["Nilai klaim"] == total(claimed(k))
        assert row["Nilai maksimum"] == RUBRIC.max_score == 111
        assert row["Nama inovasi"] == f"Inovasi Nomor {k:02d}"
        assert row["Tahapan inovasi"] == "Penerapan"
        assert row["Jenis inovasi"] == "Digital"
        evidence = row["Indikator 1 bukti"]
        assert evidence == ("sk-kepala-daerah-revisi.pdf" if k in REVISED else "sk-indikator-1.pdf")
        assert not row["Indikator 5 bukti"]  # no evidence: an empty cell
        if k in TRIAL_STAGE:
            assert row["Waktu penerapan"].date() == date(2025, 6, 1)
        if k % 2 == 0:
            assert row["Nomor SK penetapan"] == f"188/{k}/2025"
        if k in REVISED:
            assert row["Tujuan inovasi"] == "Layanan dokumen selesai dalam satu hari kerja."
    detail = list(book["Indikator"].iter_rows(min_row=2, values_only=True))
    assert len(detail) == len(APPROVED) * len(RUBRIC.indicators)
    summary = {row[0]: row[1] for row in book["Ringkasan"].iter_rows(values_only=True)}
    assert summary["Jumlah inovasi"] == len(APPROVED)
    assert summary["Jumlah nilai kematangan"] == sum(total(second(k)) for k in APPROVED)


def check_csv(content: bytes, ids: list[UUID]) -> None:
    assert content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == len(APPROVED)
    index = {str(iid): k for k, iid in enumerate(ids)}
    for row in rows:
        k = index[row["ID inovasi"]]
        assert int(row["Nilai kematangan terverifikasi"]) == total(second(k))
        for no, (level, points) in _expected_row(k).items():
            assert (int(row[f"Indikator {no} level"]), int(row[f"Indikator {no} nilai"])) == (
                level,
                points,
            )


def check_zip(content: bytes, count: int) -> None:
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = archive.namelist()
    manifest_name = "laporan-iga-2025/MANIFEST.csv"
    assert names[-1] == manifest_name
    manifest = list(csv.DictReader(io.StringIO(archive.read(manifest_name).decode())))
    assert [m["path"] for m in manifest] == names[:-1]
    for entry in manifest:
        data = archive.read(entry["path"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == int(entry["size"])
        assert data.startswith(b"%PDF-1.4")
    folders = {name.split("/")[1] for name in names[:-1]}
    assert len(folders) == count
    per_indicator = {name.split("/")[2] for name in names[:-1]}
    assert per_indicator == {f"indikator-{no:02d}" for no in INDICATORS}
    assert len(names) - 1 == count * len(INDICATORS)
    assert all(info.date_time == archive.infolist()[0].date_time for info in archive.infolist())
