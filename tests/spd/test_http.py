"""The SPD sheet over HTTP: an owning organisation fills and proves a row, Bappeda verifies it,
the read model shows claimed and verified levels, refusals change nothing (issue 18 item 2)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from tests.review.conftest import Regency, pdf_bytes

YEAR = 2026


def _row(sheet: dict[str, Any], no: str) -> dict[str, Any]:
    return next(r for r in sheet["rows"] if r["no"] == no)


def _model(r: Regency, no: str) -> tuple[Any, ...]:
    r.runtime.read_models.wait_for(r.max_notification_id(), 30)
    with r.runtime.db.transaction() as tx:
        return tuple(
            tx.execute(
                "SELECT status, claimed_level, verified_level, evidence_count, "
                "owner_organisation_id FROM rm_spd_rows WHERE year = ? AND row_no = ?",
                (YEAR, no),
            ).fetchone()
        )


def test_fill_prove_submit_and_verify_a_row(regency: Regency) -> None:
    r = regency
    sheet = r.get(f"/api/spd/{YEAR}", "op.dinkes").json()
    assert sheet["rows_total"] == 20 and D(sheet["max_score"]) == 63
    first = _row(sheet, "7")
    assert first["status"] == "kosong" and D(first["open_points"]) == D("4.5")
    assert any("pemilik" in item for item in first["open_items"])

    before = r.max_notification_id()
    refused = r.call(
        "PUT",
        f"/api/spd/{YEAR}/indicators/7",
        "op.dinkes",
        json={"values": {"t1": "1200", "t2": "1000"}},
    )
    assert refused.status_code == 403  # not the owner (yet)
    assert (
        r.call(
            "PUT", f"/api/spd/{YEAR}/indicators/7", "op.dinkes", json={"values": {"x": 1}}
        ).status_code
        == 400
    )
    assert (
        r.call("PUT", f"/api/spd/{YEAR}/indicators/99", "admin", json={"values": {}}).status_code
        == 422
    )
    assert r.max_notification_id() == before

    dinkes = str(r.orgs[1])
    assigned = r.call(
        "PUT",
        f"/api/spd/{YEAR}/indicators/7",
        "admin",
        json={"values": {}, "owner_organisation_id": dinkes},
    )
    assert assigned.status_code == 200, assigned.text
    filled = r.call(
        "PUT",
        f"/api/spd/{YEAR}/indicators/7",
        "op.dinkes",
        json={"values": {"t1": "1200", "t2": "1000"}, "note": "LRA 2025 dan 2024"},
    )
    assert filled.status_code == 200, filled.text
    row = filled.json()["row"]
    assert (row["claimed_level"], row["figure"], row["status"]) == (2, "20.00", "draf")
    assert D(row["open_points"]) == D("1.5")

    upload = r.post(
        f"/api/spd/{YEAR}/indicators/7/evidence",
        "op.dinkes",
        files={"file": ("lra.pdf", pdf_bytes("lra"), "application/pdf")},
        data={"kind": "report"},
    )
    assert upload.status_code == 201, upload.text
    evidence = upload.json()["row"]["evidence"][0]
    assert evidence["content_type"] == "application/pdf" and len(evidence["sha256"]) == 64
    fake = r.post(
        f"/api/spd/{YEAR}/indicators/7/evidence",
        "op.dinkes",
        files={"file": ("lra.pdf", b"not a pdf at all", "application/pdf")},
        data={"kind": "report"},
    )
    assert fake.status_code == 415
    download = r.get(f"/api/spd/{YEAR}/indicators/7/evidence/{evidence['doc_id']}", "rev.satu")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")

    submitted = r.post(f"/api/spd/{YEAR}/indicators/7/submit", "op.dinkes")
    assert submitted.status_code == 200, submitted.text
    assert _model(r, "7")[:2] == ("diajukan", 2)
    assert (
        r.post(f"/api/spd/{YEAR}/indicators/7/verify", "op.dinkes", {"accepted": True}).status_code
        == 403
    )
    verified = r.post(f"/api/spd/{YEAR}/indicators/7/verify", "rev.satu", {"accepted": True})
    assert verified.status_code == 200, verified.text
    assert verified.json()["row"]["verified_level"] == 2
    assert _model(r, "7") == ("diterima", 2, 2, 1, dinkes)

    sheet = r.get(f"/api/spd/{YEAR}", "auditor").json()
    assert D(sheet["verified_score"]) == 3 and sheet["rows_verified"] == 1
    assert _model(r, "1")[:3] == ("kosong", 0, None)  # untouched rows are there at level 0

    # A change after the check lapses it.
    r.call(
        "PUT",
        f"/api/spd/{YEAR}/indicators/7",
        "op.dinkes",
        json={"values": {"t1": "1400", "t2": "1000"}},
    )
    assert _model(r, "7")[:3] == ("draf", 3, None)
    assert r.get(f"/api/spd/{YEAR}", "peserta.0").status_code == 403
