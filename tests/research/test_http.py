"""Riset daerah over HTTP: the agenda, a proposal's whole path, validation, authorisation and
conflict of interest; refusals are problem JSON in Bahasa Indonesia and record nothing."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from services.domain.research import criteria
from tests.research.factories import THEME, complete_body
from tests.review.conftest import Regency

YEAR = 2026
P = "/api/research/proposals"


def edit(title: str = "Kajian Efektivitas Posyandu Digital") -> dict[str, Any]:
    return msgspec.to_builtins(complete_body(title))  # type: ignore[no-any-return]


def body(title: str = "Kajian Efektivitas Posyandu Digital") -> dict[str, Any]:
    return {"year": YEAR, **edit(title)}


@pytest.fixture(scope="module")
def agenda(regency: Regency) -> Regency:
    answer = regency.call(
        "PUT",
        f"/api/research/agenda/{YEAR}",
        "admin",
        json={
            "title": f"Agenda Riset Daerah {YEAR}",
            "rpjmd_period": "2021–2026",
            "themes": [msgspec.to_builtins(THEME), {"code": "R2", "title": "Digitalisasi layanan"}],
        },
    )
    assert answer.status_code == 200, answer.text
    assert [t["code"] for t in answer.json()["themes"]] == ["R1", "R2"]
    return regency


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()  # type: ignore[no-any-return]


def new(r: Regency, as_: str = "op.disdukcapil", title: str = "Kajian Posyandu") -> str:
    return str(ok(r.post(P, as_, json=body(title)), 201)["id"])


def test_the_main_path_from_draft_to_follow_up(agenda: Regency) -> None:
    r = agenda
    pid = new(r)
    view = ok(r.post(f"{P}/{pid}/submit", "op.disdukcapil"))
    assert view["status"] == "submitted" and view["steps"][1]["state"] == "current"
    reviewer = r.reviewers["rev.satu"].account_id
    ok(r.post(f"{P}/{pid}/assign", "admin", json={"reviewer_id": str(reviewer)}))
    scores = [{"key": c.key, "score": 80} for c in criteria.criteria(YEAR)]
    scored = ok(r.post(f"{P}/{pid}/reviews", "rev.satu", json={"scores": scores, "note": "baik"}))
    assert scored["average_score"] == "80.00"
    assert ok(r.get(f"{P}/{pid}/reviews", "admin"))[0]["total"] == "80.00"
    ok(r.post(f"{P}/{pid}/approve", "admin", json={"budget_ceiling": "14000000"}))
    ok(
        r.post(
            f"{P}/{pid}/start",
            "op.disdukcapil",
            json={"mode": "kerja sama", "started_on": "2026-03-01", "contract_number": "PKS/1"},
        )
    )
    progress = {"milestone": "Pengumpulan data", "progress": 50, "reported_on": "2026-05-01"}
    ok(r.post(f"{P}/{pid}/reports", "op.disdukcapil", json=progress))
    brief = {
        "kind": "policy_brief",
        "title": "Rekomendasi posyandu digital",
        "recommendations": ["Wajibkan pencatatan digital.", "Latih kader."],
    }
    view = ok(r.post(f"{P}/{pid}/outputs", "op.disdukcapil", json=brief))
    report = {"kind": "laporan_akhir", "title": "Laporan akhir", "url": "https://repo.example/1"}
    view = ok(r.post(f"{P}/{pid}/outputs", "op.disdukcapil", json=report))
    reports = ok(r.get(f"{P}/{pid}/reports", "op.disdukcapil"))
    assert reports["progress"] == 50 and {o["spd_row"] for o in reports["outputs"]} == {"13a", None}
    ok(r.post(f"{P}/{pid}/complete", "admin", json={"note": "diterima"}))
    dinkes = str(r.orgs[1])
    ok(
        r.post(
            f"{P}/{pid}/disseminate",
            "admin",
            json={"forum": "Seminar hasil", "held_on": "2026-09-01", "recipients": [dinkes]},
        )
    )
    output_id = next(
        o["output"]["output_id"] for o in view["reports"]["outputs"] if o["spd_row"] == "13a"
    )
    done = ok(
        r.post(
            f"{P}/{pid}/follow-ups",
            "op.disdukcapil",
            json={
                "output_id": output_id,
                "recommendation": 1,
                "organisation_id": dinkes,
                "status": "dilaksanakan",
            },
        )
    )
    assert done["status"] == "disseminated"
    assert done["follow_ups"][0]["recommendation_text"] == "Latih kader."

    # Public face: anyone sees it, without the review; it is found by the public search.
    public = ok(r.client.get(f"{P}/{pid}"))
    assert public["reviews"] == [] and public["average_score"] is None
    r.runtime.read_models.wait_for(r.max_notification_id(), 30)
    hits = ok(r.client.get("/api/research/published", params={"q": "posyandu"}))
    assert [h["id"] for h in hits] == [pid]
    catalogue = r.client.get("/katalog", params={"q": "posyandu"})  # the public catalogue page
    assert catalogue.status_code == 200 and f'href="/riset/usulan/{pid}"' in catalogue.text
    assert f"/riset/usulan/{pid}" not in r.client.get("/katalog", params={"q": "jalan"}).text
    evidence = {
        e["row_no"]: e for e in ok(r.get(f"/api/research/spd-evidence?year={YEAR}", "admin"))
    }
    assert evidence["13a"]["recommendations"] == 2 and evidence["13a"]["suggested_level"] == 1
    listed = ok(r.get(f"{P}?year={YEAR}", "op.disdukcapil"))
    assert pid in [i["id"] for i in listed["items"]]
    assert all(i["organisation_id"] == str(r.orgs[0]) for i in listed["items"])

    history = ok(r.get(f"{P}/{pid}/history", "auditor"))
    assert len(history) == 12
    assert history[0]["line"]["summary"].startswith(
        "Operator Operator DISDUKCAPIL mengusulkan riset"
    )
    assert (
        "menyetujui usulan riset 'Kajian Posyandu', pagu Rp14.000.000"
        in history[4]["line"]["summary"]
    )


def test_bad_input_is_a_problem_in_indonesian_and_records_nothing(agenda: Regency) -> None:
    r = agenda
    before = r.max_notification_id()
    unknown = problem(r.post(P, "op.disdukcapil", json={**body(), "extra": 1}), 400)
    assert "extra" in unknown["detail"]
    bad = body()
    bad["budget"][0]["quantity"] = "-1"
    assert "RAB baris 1" in problem(r.post(P, "op.disdukcapil", json=bad), 422)["detail"]
    bad["budget"][0]["quantity"] = "NaN"
    problem(r.post(P, "op.disdukcapil", json=bad), 422)
    problem(r.post(P, "op.disdukcapil", json={**body(), "title": "x" * 301}), 400)
    nul = problem(r.post(P, "op.disdukcapil", json={**body(), "title": "a\x00b"}), 422)
    assert nul["errors"][0]["field"] == "title"
    outside = problem(r.post(P, "op.disdukcapil", json={**body(), "theme_code": "R9"}), 422)
    assert "Tema 'R9' tidak ada dalam agenda riset" in outside["detail"]
    assert r.max_notification_id() == before

    draft = {**body("Draf Belum Lengkap"), "method": "", "budget": []}
    pid = ok(r.post(P, "op.disdukcapil", json=draft), 201)["id"]
    before = r.max_notification_id()
    incomplete = problem(r.post(f"{P}/{pid}/submit", "op.disdukcapil"), 422)
    assert incomplete["detail"] == "Usulan riset belum lengkap: metode; RAB."
    wrong = problem(r.post(f"{P}/{pid}/approve", "admin", json={}), 409)
    assert "Yang diizinkan" in wrong["detail"]
    assert r.max_notification_id() == before


def test_who_may_see_and_act(agenda: Regency) -> None:
    r = agenda
    pid = new(r, title="Kajian Rahasia Dukcapil")
    assert r.client.get(P).status_code == 401
    problem(r.get(P, "peserta.0"), 403)
    problem(r.get(f"{P}/{pid}", "op.dinkes"), 404)  # another organisation's draft
    problem(r.client.get(f"{P}/{pid}"), 404)  # anonymous, not disseminated
    problem(r.call("PUT", f"{P}/{pid}", "op.dinkes", json=edit("Diubah")), 404)
    problem(r.post(f"{P}/{pid}/submit", "rev.satu"), 403)  # role: guard before the body
    problem(r.post(f"{P}/{pid}/assign", "op.disdukcapil", json={}), 403)
    stale = r.call(
        "PUT", f"{P}/{pid}", "op.disdukcapil", json=edit("Baru"), headers={"If-Match": '"7"'}
    )
    problem(stale, 409)
    fresh = r.call(
        "PUT", f"{P}/{pid}", "op.disdukcapil", json=edit("Baru"), headers={"If-Match": '"1"'}
    )
    assert ok(fresh)["body"]["title"] == "Baru"


def test_a_reviewer_of_the_proposing_organisation_is_refused(agenda: Regency) -> None:
    r = agenda
    pid = new(r, title="Kajian Konflik")
    ok(r.post(f"{P}/{pid}/submit", "op.disdukcapil"))
    before = r.max_notification_id()
    conflicted = r.reviewers["rev.org0"].account_id  # seconded from the proposing organisation
    refused = problem(
        r.post(f"{P}/{pid}/assign", "admin", json={"reviewer_id": str(conflicted)}), 403
    )
    assert refused["detail"].startswith("Konflik kepentingan")
    assert problem(r.get(f"{P}/{pid}", "rev.org0"), 403)["detail"].startswith("Konflik")
    scores = [{"key": c.key, "score": 50} for c in criteria.criteria(YEAR)]
    problem(r.post(f"{P}/{pid}/reviews", "rev.org0", json={"scores": scores}), 403)
    assert r.max_notification_id() == before
