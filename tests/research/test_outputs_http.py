"""Research output files and research evidence on the SPD sheet and in the regency index, over
HTTP on PostgreSQL: uploads are streamed, sniffed and size-limited by the innovations' own
checks and recorded as an event with the hash (never the bytes); downloads follow the study's
visibility; research-derived levels of SPD 13a and 14 count where the sheet declares less."""

from __future__ import annotations

import hashlib
from decimal import Decimal as D
from typing import Any

import msgspec
import pytest

from services.domain.research import criteria
from services.domain.research import events as rev
from tests.research.factories import THEME
from tests.research.test_http import YEAR, P, body, ok, problem
from tests.review.conftest import Regency, pdf_bytes

OP = "op.disdukcapil"
RECOMMENDATIONS = ["Wajibkan pencatatan digital.", "Latih kader.", "Insentif kader.", "Audit."]


@pytest.fixture(scope="module")
def executing(regency: Regency) -> tuple[Regency, str, str]:
    """An executing study of the Dukcapil with a policy brief (4 recommendations) and a final
    report; the year's agenda agreed (disepakati)."""
    r = regency
    themes = [msgspec.to_builtins(THEME)]
    ok(
        r.call(
            "PUT", f"/api/research/agenda/{YEAR}", "admin", json={"title": "A", "themes": themes}
        )
    )
    ok(r.post(f"/api/research/agenda/{YEAR}/status", "admin", json={"status": "disepakati"}))
    pid = str(ok(r.post(P, OP, json=body("Kajian Berkas Luaran")), 201)["id"])
    ok(r.post(f"{P}/{pid}/submit", OP))
    reviewer = str(r.reviewers["rev.satu"].account_id)
    ok(r.post(f"{P}/{pid}/assign", "admin", json={"reviewer_id": reviewer}))
    scores = [{"key": c.key, "score": 80} for c in criteria.criteria(YEAR)]
    ok(r.post(f"{P}/{pid}/reviews", "rev.satu", json={"scores": scores}))
    ok(r.post(f"{P}/{pid}/approve", "admin", json={}))
    ok(r.post(f"{P}/{pid}/start", OP, json={"mode": "swakelola", "started_on": "2026-03-01"}))
    brief = {"kind": "policy_brief", "title": "Brief posyandu", "recommendations": RECOMMENDATIONS}
    view = ok(r.post(f"{P}/{pid}/outputs", OP, json=brief))
    ok(r.post(f"{P}/{pid}/outputs", OP, json={"kind": "laporan_akhir", "title": "Laporan akhir"}))
    output_id = view["reports"]["outputs"][0]["output"]["output_id"]
    return r, pid, output_id


def upload(r: Regency, url: str, as_: str | None, **kwargs: Any) -> Any:
    return r.call("POST", url, as_, **kwargs)


def test_bad_uploads_are_problems_and_record_nothing(
    executing: tuple[Regency, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r, pid, output_id = executing
    url = f"{P}/{pid}/outputs/{output_id}/file"
    pdf = pdf_bytes("brief")
    before = r.max_notification_id()
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"content": b"{}", "headers": {"content-type": "application/json"}}, 415, "multipart"),
        ({"files": {"file": ("brief.pdf", b"just text, not a pdf", "application/pdf")}}, 415, ""),
        (
            {"files": {"file": ("brief.pdf", pdf, "application/pdf")}, "data": {"kind": "x"}},
            400,
            "",
        ),
        ({"data": {"note": "tanpa berkas"}, "files": {"x": ("a", b"", "text/plain")}}, 400, ""),
        ({"files": {"file": ("../../etc/brief.pdf", pdf, "application/pdf")}}, 400, "folder"),
    ]
    for kwargs, status, word in cases:
        answer = problem(upload(r, url, OP, **kwargs), status)
        assert word.lower() in answer["detail"].lower(), answer
    unsupported = problem(
        upload(r, url, OP, files={"file": ("a.pdf", b"plain text", "application/pdf")}), 415
    )
    assert unsupported["detail"].startswith("Jenis berkas tidak didukung")
    other = f"{P}/{pid}/outputs/00000000-0000-4000-8000-000000000000/file"
    problem(upload(r, other, OP, files={"file": ("a.pdf", pdf, "application/pdf")}), 404)
    problem(upload(r, url, "op.dinkes", files={"file": ("a.pdf", pdf, "application/pdf")}), 404)
    problem(upload(r, url, "rev.satu", files={"file": ("a.pdf", pdf, "application/pdf")}), 403)
    problem(upload(r, url, None, files={"file": ("a.pdf", pdf, "application/pdf")}), 401)
    small = msgspec.structs.replace(r.runtime.settings, max_upload_mb=1)
    monkeypatch.setattr(r.runtime, "settings", small)
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
    too_big = problem(upload(r, url, OP, files={"file": ("big.pdf", big, "application/pdf")}), 413)
    assert "1 MB" in too_big["detail"]
    assert r.max_notification_id() == before


def test_upload_is_an_event_with_the_hash_and_downloads_follow_visibility(
    executing: tuple[Regency, str, str],
) -> None:
    r, pid, output_id = executing
    url = f"{P}/{pid}/outputs/{output_id}/file"
    pdf = pdf_bytes("policy brief ditandatangani")
    answer = upload(r, url, OP, files={"file": ("Policy Brief.pdf", pdf, "application/pdf")})
    view = ok(answer, 201)
    assert answer.headers["location"] == f"/api/research/proposals/{pid}/outputs/{output_id}/file"
    shown = next(o for o in view["reports"]["outputs"] if o["output"]["output_id"] == output_id)
    file = shown["output"]["file"]
    assert file["sha256"] == hashlib.sha256(pdf).hexdigest() and file["size"] == len(pdf)
    assert file["name"] == "Policy Brief.pdf" and file["content_type"] == "application/pdf"
    assert shown["file_url"] == url
    event = r.runtime.store.events(view["id"])[-1]
    assert isinstance(event, rev.ResearchOutputFileAttached)
    assert event.file.sha256 == file["sha256"] and b"policy brief" not in msgspec.json.encode(event)
    same = upload(r, url, OP, files={"file": ("lagi.pdf", pdf, "application/pdf")})
    assert "sudah terunggah" in problem(same, 422)["detail"]

    for who in (OP, "admin", "rev.satu", "auditor"):
        got = r.get(url, who)
        assert got.status_code == 200 and got.content == pdf, who
    assert r.get(url, OP).headers["content-disposition"].startswith("attachment")
    problem(r.get(url, "op.dinkes"), 404)  # another organisation, not yet public
    problem(r.client.get(url), 404)  # anonymous, not yet public
    assert problem(r.get(url, "rev.org0"), 403)["detail"].startswith("Konflik")
    history = ok(r.get(f"{P}/{pid}/history", "auditor"))
    assert "mengunggah berkas luaran 'Brief posyandu'" in history[-1]["line"]["summary"]


def test_research_evidence_counts_on_the_spd_sheet_and_the_index(
    executing: tuple[Regency, str, str],
) -> None:
    r, pid, output_id = executing
    sheet = ok(r.get(f"/api/spd/{YEAR}", "admin"))
    rows = {row["no"]: row for row in sheet["rows"]}
    assert rows["13a"]["research"]["suggested_level"] == 0  # the report is not accepted yet
    assert rows["14"]["counted_level"] == 2  # the agenda was agreed (disepakati)

    ok(r.post(f"{P}/{pid}/complete", "admin", json={}))
    r.runtime.read_models.wait_for(r.max_notification_id(), 30)
    sheet = ok(r.get(f"/api/spd/{YEAR}", "admin"))
    rows = {row["no"]: row for row in sheet["rows"]}
    brief = rows["13a"]
    assert brief["claimed_level"] == 0 and brief["research"]["suggested_level"] == 2
    assert brief["counted_level"] == 2 and brief["counted_verified_level"] == 2
    assert brief["research"]["outputs"][0]["page_url"] == f"/riset/usulan/{pid}"
    assert brief["research"]["outputs"][0]["file_url"].endswith(f"/outputs/{output_id}/file")
    assert rows["15"]["research"]["suggested_level"] is None and rows["15"]["counted_level"] == 0
    assert D(sheet["claimed_score"]) == 4 and D(sheet["verified_score"]) == 4  # 1×2 + 1×2
    index = ok(r.get(f"/api/dashboard/index?year={YEAR}", "admin"))
    assert index["spd_source"] == "research"
    assert index["index"]["claimed"]["spd_score"] == 4.0
    assert index["index"]["verified"]["spd_score"] == 4.0

    # The sheet declares more on 13a (8 recommendations: level 3): the higher level stands for
    # the claim; until Bappeda verifies it, the research level is the verified one.
    filled = r.call(
        "PUT", f"/api/spd/{YEAR}/indicators/13a", "admin", json={"values": {"value": "8"}}
    )
    assert ok(filled)["row"]["counted_level"] == 3
    r.runtime.read_models.wait_for(r.max_notification_id(), 30)
    index = ok(r.get(f"/api/dashboard/index?year={YEAR}", "admin"))
    assert index["spd_source"] == "sheet"
    assert index["index"]["claimed"]["spd_score"] == 5.0
    assert index["index"]["verified"]["spd_score"] == 4.0
    page = r.get(f"/spd/{YEAR}", "admin", headers={"accept": "text/html"})
    assert "Bukti riset" in page.text and f'href="/riset/usulan/{pid}"' in page.text


def test_files_of_disseminated_research_are_public(executing: tuple[Regency, str, str]) -> None:
    r, pid, output_id = executing
    url = f"{P}/{pid}/outputs/{output_id}/file"
    if r.get(url, OP).status_code == 404:  # run alone: upload first
        upload(r, url, OP, files={"file": ("b.pdf", pdf_bytes("b"), "application/pdf")})
    if ok(r.get(f"{P}/{pid}", "admin"))["status"] == "executing":
        ok(r.post(f"{P}/{pid}/complete", "admin", json={}))
    ok(
        r.post(
            f"{P}/{pid}/disseminate", "admin", json={"forum": "Seminar", "held_on": "2026-09-01"}
        )
    )
    public = r.client.get(url, params={"disposition": "inline"})
    assert public.status_code == 200 and public.headers["content-disposition"].startswith("inline")
    assert public.headers["x-content-type-options"] == "nosniff"
