"""Monev over HTTP on real PostgreSQL: a reviewer schedules a visit on an established innovation
and records the report, the organisation reads it; refusals (before establishment, bad input,
the organisation recording) are problem JSON in Bahasa Indonesia and record nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from services.domain.call import jakarta_today
from tests.submission.conftest import Api
from tests.submission.test_bad_input import assert_problem


def _established(api: Api, title: str) -> str:
    """An innovation taken through review to establishment by the command handlers."""
    w, c = api.world, api.runtime.commands
    op, rev, admin = w.ctx(w.operator), w.ctx(w.reviewer), w.ctx(w.admin)
    iid = w.complete_draft(title)
    c.submit(op, iid)
    c.assign_reviewer(admin, iid, w.reviewer.account_id)
    for state in list(c.innovation(iid).documents.values()):
        c.verify_document(rev, iid, state.document.doc_id, accepted=True, note="sah")
    c.score(rev, iid, w.verdicts(3))
    c.approve(admin, iid, note="layak")
    c.establish(admin, iid, sk_number="188/7/2025", sk_date=date(2025, 10, 1))
    return str(iid)


def _report(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "skm",
        "reported_on": (jakarta_today() - timedelta(days=1)).isoformat(),
        "period": "Semester I 2026",
        "findings": "Indeks kepuasan 84; antrean turun.",
        "recommendation": "replikasi",
        "indicators": [{"name": "Indeks kepuasan", "value": "84", "target": "80"}],
        **overrides,
    }


def test_reviewer_records_and_the_organisation_reads(api: Api) -> None:
    iid = _established(api, "Adminduk Dimonev")
    url = f"/api/innovations/{iid}/monev"
    empty = api.call("GET", url)
    assert empty.status_code == 200, empty.text
    assert empty.json()["open"] is True and empty.json()["visits"] == []
    before = api.max_notification_id()
    visit = api.call(
        "POST",
        f"{url}/visits",
        as_="rev.satu",
        json={"due_on": (jakarta_today() + timedelta(days=7)).isoformat(), "kind": "kunjungan"},
    )
    assert visit.status_code == 201, visit.text
    assert visit.json()["open_visits"] == 1
    assert api.max_notification_id() > before
    visit_id = visit.json()["visits"][0]["id"]
    reported = api.call("POST", f"{url}/reports", as_="rev.satu", json=_report(visit_id=visit_id))
    assert reported.status_code == 201, reported.text
    body = reported.json()
    assert body["open_visits"] == 0 and body["evidence_level"] == 2
    assert body["reports"][0]["recommendation_label"] == "Replikasi"
    assert body["reports"][0]["indicators"][0] == {
        "name": "Indeks kepuasan",
        "value": "84",
        "target": "80",
    }
    # The operator reads the same record; the other organisation does not see it.
    assert api.call("GET", url).json() == api.call("GET", url, as_="admin").json()
    assert_problem(api.call("GET", url, as_="op.dinkes"), 404)


def test_no_monev_before_establishment(api: Api) -> None:
    iid = api.propose("Adminduk Belum Ditetapkan")["id"]
    url = f"/api/innovations/{iid}/monev"
    assert api.call("GET", url).json()["open"] is False
    refused = api.call("POST", f"{url}/reports", as_="admin", json=_report())
    assert "sudah ditetapkan" in assert_problem(refused, 422, "invalid-value")["detail"]


def test_bad_reports_are_problems_that_record_nothing(api: Api) -> None:
    iid = _established(api, "Adminduk Laporan Buruk")
    url = f"/api/innovations/{iid}/monev"
    cases: list[tuple[str, dict[str, Any], int, str | None]] = [
        ("admin", _report(reported_on="2999-01-01"), 422, "masa depan"),
        ("admin", _report(recommendation="tunda"), 400, None),
        ("admin", _report(kind="survei"), 400, None),
        ("admin", _report(findings="x" * 70_000), 400, None),
        ("admin", _report(indicators=[{"name": "", "value": "1"}]), 400, None),
        ("admin", {**_report(), "extra": 1}, 400, None),
        ("admin", _report(visit_id=str(UUID(int=7))), 422, "Kunjungan tidak ditemukan"),
        ("op.dukcapil", _report(), 403, "record_report"),
    ]
    before = api.max_notification_id()
    for who, body, status, words in cases:
        problem = assert_problem(api.call("POST", f"{url}/reports", as_=who, json=body), status)
        assert not words or words in problem["detail"], (body, problem)
    past = {"due_on": "2020-01-01", "kind": "rapat"}
    problem = assert_problem(api.call("POST", f"{url}/visits", as_="admin", json=past), 422)
    assert "masa lalu" in problem["detail"]
    assert api.max_notification_id() == before
    assert api.call("GET", url).json()["reports"] == []
