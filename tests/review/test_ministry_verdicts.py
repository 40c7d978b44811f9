"""The ministry's verdicts over HTTP (by hand and from the downloaded file, all or nothing) and
"bawa ke tahun berikutnya" into the next year's open call (issue 18 item 5)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest
from openpyxl import Workbook

from services.domain.values import CallKind, IndicatorVerdict
from tests.review.conftest import INDICATORS, Regency


def reported(r: Regency, org_index: int, title: str, implemented: date) -> UUID:
    c = r.commands
    iid = r.submitted(org_index, title, implemented=implemented)
    reviewer = r.reviewers["rev.satu"]
    assert reviewer.account_id is not None
    c.assign_reviewer(r.ctx(r.admin), iid, reviewer.account_id)
    rev = r.ctx(reviewer)
    for state in list(c.innovation(iid).documents.values()):
        c.verify_document(rev, iid, state.document.doc_id, accepted=True, note="sah")
    c.score(rev, iid, [IndicatorVerdict(no=no, level=3) for no in INDICATORS])
    c.approve(r.ctx(r.admin), iid, note="layak")
    c.select_for_iga(r.ctx(r.admin), iid, 2025)
    c.report_to_iga(r.ctx(r.admin), iid, year=2025, report_id=uuid4())
    return iid


def test_a_verdict_entered_by_hand_is_an_event_the_read_model_and_the_history_show(
    regency: Regency,
) -> None:
    r = regency
    iid = reported(r, 0, "Verdik Manual", date(2024, 9, 1))
    refused = r.post(
        f"/api/innovations/{iid}/ministry-verdict", "admin", {"year": 2025, "verdict": "rejected"}
    )
    assert refused.status_code == 422
    assert "Alasan penolakan" in refused.json()["detail"]
    assert (
        r.post(
            f"/api/innovations/{iid}/ministry-verdict",
            "op.disdukcapil",
            {"year": 2025, "verdict": "accepted"},
        ).status_code
        == 403
    )
    version = r.commands.innovation(iid).version
    response = r.post(
        f"/api/innovations/{iid}/ministry-verdict",
        "admin",
        {"year": 2025, "verdict": "rejected", "reason": "Di luar periode penerapan"},
        headers={"If-Match": f'"{version}"'},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ministry_verdict"] == "rejected" and body["version"] == version + 1
    assert body["ministry_verdicts"][0]["reason"] == "Di luar periode penerapan"
    r.runtime.read_models.wait_for(int(response.headers["x-notification-id"]), 30)
    with r.runtime.db.transaction() as tx:
        row = tx.execute(
            "SELECT ministry_verdict FROM rm_innovations WHERE id = ?", (str(iid),)
        ).fetchone()
    assert row[0] == "rejected"
    history = r.get(f"/api/innovations/{iid}/history", "auditor").json()
    text = str(history)
    assert "Ditolak Kemendagri (alasan: Di luar periode penerapan)" in text


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_import_previews_then_records_every_row_or_none(regency: Regency) -> None:
    r = regency
    first = reported(r, 1, "Verdik Impor Satu", date(2024, 9, 1))
    second = reported(r, 2, "Verdik Impor Dua", date(2024, 9, 1))
    r.runtime.read_models.wait_for(r.max_notification_id(), 30)  # titles come from the model
    good = [
        ["ID", "Nama Inovasi", "Keputusan", "Alasan", "Catatan"],
        [str(first), "", "Diterima", "", ""],
        ["", "verdik impor DUA", "Ditolak", "Rancang bangun kurang dari 300 kata", ""],
        [str(first), "", "Nominasi", "", "Klaster kabupaten"],
    ]
    bad = [*good, ["", "Tidak Ada Inovasi Ini", "Diterima", "", ""], [str(second), "", "x", "", ""]]

    def upload(content: bytes, mode: str, name: str = "keputusan.xlsx") -> object:
        return r.post(
            "/api/iga/verdicts/import",
            "admin",
            files={"file": (name, content, "application/octet-stream")},
            data={"year": "2025", "mode": mode},
        )

    before = r.max_notification_id()
    preview = upload(_xlsx(good), "preview")
    assert preview.status_code == 200, preview.text  # type: ignore[attr-defined]
    report = preview.json()  # type: ignore[attr-defined]
    assert (report["ok"], report["errors"], report["committed"]) == (3, 0, False)
    assert report["rows"][1]["innovation_id"] == str(second)
    assert r.max_notification_id() == before

    refused = upload(_xlsx(bad), "commit")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    failing = refused.json()["rows"]  # type: ignore[attr-defined]
    assert [row["row"] for row in failing] == [5, 6]
    assert "tidak ditemukan" in failing[0]["message"]
    assert r.max_notification_id() == before  # all or nothing

    committed = upload(_xlsx(good), "commit")
    assert committed.status_code == 201, committed.text  # type: ignore[attr-defined]
    assert committed.json()["committed"] is True  # type: ignore[attr-defined]
    assert r.commands.innovation(first).ministry_verdict == "nominated"
    assert r.commands.innovation(second).ministry_verdicts[0].reason.startswith("Rancang")
    after = r.max_notification_id()

    csv = "id;keputusan;catatan\n" + f"{first};nominasi;Klaster kabupaten\n"
    again = upload(csv.encode(), "commit", "keputusan.csv")
    assert again.status_code == 200, again.text  # type: ignore[attr-defined]
    assert again.json()["unchanged"] == 1 and again.json()["committed"] is False  # type: ignore[attr-defined]
    assert r.max_notification_id() == after

    assert upload(b"judul,entah\nA,B\n", "preview", "x.csv").status_code == 422  # type: ignore[attr-defined]
    assert (
        r.post(
            "/api/iga/verdicts/import",
            "rev.satu",
            files={"file": ("k.csv", csv.encode(), "text/csv")},
            data={"year": "2025", "mode": "commit"},
        ).status_code
        == 403
    )


@pytest.fixture(scope="module")
def next_year_call(regency: Regency) -> UUID:
    r = regency
    return r.commands.open_call(
        r.ctx(r.admin),
        kind=CallKind.ANNUAL,
        title="Inovasi Daerah 2026",
        budget_year=2026,
        opens_at=r.now - timedelta(days=1),
        deadline=r.now + timedelta(days=60),
        eligible_kinds=("opd",),
        rubric_year=2025,
    ).id


def test_carry_forward_makes_a_linked_draft_in_the_next_years_call(
    regency: Regency, next_year_call: UUID
) -> None:
    r = regency
    iid = reported(r, 3, "Dibawa ke 2026", date(2024, 9, 1))
    too_old = reported(r, 4, "Terlalu Lama", date(2023, 5, 1))
    assert r.post(f"/api/innovations/{iid}/carry-forward", "op.disdukcapil", {}).status_code == 404
    before = r.max_notification_id()
    refused = r.post(f"/api/innovations/{too_old}/carry-forward", "op.dpmptsp", {})
    assert refused.status_code == 422
    assert "di luar jendela IGA 2026" in refused.json()["detail"]
    assert r.max_notification_id() == before

    response = r.post(f"/api/innovations/{iid}/carry-forward", "op.dinsos", {})
    assert response.status_code == 201, response.text
    body = response.json()
    draft = UUID(body["id"])
    assert body["carried_from"] == str(iid) and body["entry_no"] == 2
    assert body["budget_year"] == 2026 and body["call_id"] == str(next_year_call)
    assert body["documents"] == len(INDICATORS)
    assert response.headers["location"] == f"/api/innovations/{draft}"
    state = r.get(f"/api/innovations/{draft}", "op.dinsos").json()
    assert state["status"] == "draft" and state["carried_from"] == str(iid)
    source = r.get(f"/api/innovations/{iid}", "op.dinsos").json()
    assert source["carried_to"] == {"2026": str(draft)}
    again = r.post(f"/api/innovations/{iid}/carry-forward", "admin", {})
    assert again.status_code == 422 and "sudah dibawa" in again.json()["detail"]
