"""The Krenova judging path on real PostgreSQL: administrative check, judges' criterion scores
(weighted by the year's Krenova rubric), ranking, shortlist and winners."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from services.domain.innovation_views import to_state
from services.domain.lifecycle import Status
from services.domain.rubric import load_rubric
from tests.review.conftest import Regency

CRITERIA = [c.key for c in load_rubric(2025).krenova_criteria]
assert CRITERIA == [
    "kebaharuan",
    "kemanfaatan",
    "replikasi_aplikatif",
    "kewenangan_kolaborasi",
    "penguasaan_materi",
]
WEIGHTS = [30, 25, 20, 15, 10]
# Per entry: judge 1's and judge 2's scores on the five criteria.
SCORES = {
    "Pengering Gabah Surya": ([90, 80, 70, 60, 50], [80, 80, 80, 80, 80]),  # 75.00, 80.00
    "Sensor Banjir Desa": ([60, 60, 60, 60, 60], [70, 70, 70, 70, 70]),  # 60.00, 70.00
    "Pupuk Cair Limbah Tahu": ([85, 85, 85, 85, 85], [88, 89, 90, 91, 92]),  # 85.00, 89.50
}
FAILED = "Aplikasi Tanpa Video"


def weighted(scores: list[int]) -> Decimal:
    return (Decimal(sum(w * s for w, s in zip(WEIGHTS, scores, strict=True))) / 100).quantize(
        Decimal("0.01")
    )


def mean(title: str) -> Decimal:
    one, two = SCORES[title]
    return ((weighted(one) + weighted(two)) / 2).quantize(Decimal("0.01"))


def body(scores: list[int]) -> dict[str, Any]:
    return {
        "scores": [
            {"key": key, "score": score, "note": "presentasi baik"}
            for key, score in zip(CRITERIA, scores, strict=True)
        ]
    }


def test_krenova_from_administration_to_winners(regency: Regency) -> None:
    r = regency
    titles = [*SCORES, FAILED]
    entries = {t: r.krenova_entry(r.participants[i], t) for i, t in enumerate(titles)}
    call = r.krenova_call_id

    # Judges are reviewers assigned like for any item (citizens have no organisation).
    response = r.post(
        "/api/review/assignments",
        "admin",
        {"innovation_ids": [str(i) for i in entries.values()], "reviewer": "rev.satu"},
    )
    assert response.json()["assigned"] == 4, response.text
    response = r.post(
        "/api/review/assignments",
        "admin",
        {"innovation_ids": [str(i) for i in entries.values()], "reviewer": "rev.dua"},
    )
    assert response.json()["assigned"] == 4, response.text

    # No judging before the administrative check.
    first = entries["Pengering Gabah Surya"]
    before = r.max_notification_id()
    response = r.post(f"/api/innovations/{first}/judge", "rev.satu", body([80] * 5))
    assert response.status_code == 422
    assert "seleksi administrasi" in response.json()["detail"]
    assert r.max_notification_id() == before

    # Administrative check: three pass, one fails with a reason (a reason is required).
    response = r.post(
        f"/api/innovations/{entries[FAILED]}/administration", "admin", {"passed": False}
    )
    assert response.status_code == 422 and r.max_notification_id() == before
    response = r.post(
        f"/api/innovations/{entries[FAILED]}/administration",
        "admin",
        {"passed": False, "note": "Tautan video tidak dapat dibuka"},
    )
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["status"] == "rejected"
    assert view["krenova"]["administration"] == "failed"
    assert view["decision_reason"] == "Tautan video tidak dapat dibuka"
    for title in SCORES:
        response = r.post(
            f"/api/innovations/{entries[title]}/administration",
            "rev.satu",
            {"passed": True, "note": "berkas lengkap"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["krenova"]["administration"] == "passed"

    # The IID scoring is not for Krenova entries; bad criterion scores are refused.
    before = r.max_notification_id()
    response = r.post(
        f"/api/innovations/{first}/score", "rev.satu", {"indicators": [{"no": 1, "level": 3}]}
    )
    assert response.status_code == 422 and "kriteria Krenova" in response.json()["detail"]
    for payload, status in (
        ({"scores": body([80] * 5)["scores"][:4]}, 422),  # a criterion missing
        ({"scores": [*body([80] * 5)["scores"], {"key": "estetika", "score": 5}]}, 422),
        ({"scores": [{**s, "score": 101} for s in body([80] * 5)["scores"]]}, 400),
    ):
        response = r.post(f"/api/innovations/{first}/judge", "rev.satu", payload)
        assert response.status_code == status, response.text
    assert r.max_notification_id() == before

    # Two judges score every criterion.
    for title, (one, two) in SCORES.items():
        for judge, scores in (("rev.satu", one), ("rev.dua", two)):
            response = r.post(f"/api/innovations/{entries[title]}/judge", judge, body(scores))
            assert response.status_code == 200, response.text
        krenova = response.json()["krenova"]
        assert response.json()["status"] == "scored"
        totals = [Decimal(j["total"]) for j in krenova["judgements"]]
        assert totals == [weighted(one), weighted(two)]
        assert Decimal(krenova["mean_total"]) == mean(title)

    # The ranking: by the judges' mean, the failed entry out of the places.
    response = r.get(f"/api/krenova/calls/{call}/ranking", "auditor")
    assert response.status_code == 200, response.text
    ranking = response.json()
    order = sorted(SCORES, key=mean, reverse=True)
    placed = [e for e in ranking["entries"] if e["place"] is not None]
    assert [e["title"] for e in placed] == order
    assert [e["place"] for e in placed] == [1, 2, 3]
    assert [Decimal(e["mean_total"]) for e in placed] == [mean(t) for t in order]
    out = next(e for e in ranking["entries"] if e["title"] == FAILED)
    assert out["place"] is None and out["administration"] == "failed"
    top = placed[0]
    means = {c["key"]: Decimal(c["mean"]) for c in top["criteria"]}
    assert means["kebaharuan"] == Decimal("86.50")  # (85 + 88) / 2
    assert [c["weight"] for c in ranking["criteria"]] == WEIGHTS
    assert r.get(f"/api/krenova/calls/{r.call_id}/ranking", "admin").status_code == 422
    assert r.get(f"/api/krenova/calls/{call}/ranking", "op.dinkes").status_code == 403

    # Shortlist the best two; a winner must come from the shortlist.
    response = r.post(f"/api/krenova/calls/{call}/shortlist", "admin", {"top": 2})
    assert response.status_code == 200, response.text
    shortlisted = {item["id"]: item for item in response.json()["items"]}
    assert set(shortlisted) == {str(entries[t]) for t in order[:2]}
    assert {i["status"] for i in shortlisted.values()} == {"shortlisted"}
    third = entries[order[2]]
    before = r.max_notification_id()
    response = r.post(
        f"/api/krenova/calls/{call}/winners",
        "admin",
        {
            "winners": [
                {"innovation_id": str(entries[order[0]]), "award": "juara", "rank": 1},
                {"innovation_id": str(third), "award": "harapan", "rank": 1},
            ]
        },
    )
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["type"].endswith("batch-refused")
    assert [i["id"] for i in problem["items"]] == [str(third)]
    assert r.max_notification_id() == before  # all or nothing
    assert r.commands.innovation(entries[order[0]]).status == Status.SHORTLISTED

    response = r.post(
        f"/api/krenova/calls/{call}/winners",
        "admin",
        {
            "winners": [
                {"innovation_id": str(entries[order[0]]), "award": "juara", "rank": 1},
                {"innovation_id": str(entries[order[1]]), "award": "harapan", "rank": 1},
            ],
            "note": "Rapat dewan juri",
        },
    )
    assert response.status_code == 200, response.text
    assert {i["status"] for i in response.json()["items"]} == {"awarded"}
    ranking = r.get(f"/api/krenova/calls/{call}/ranking", "admin").json()
    awards = {e["title"]: (e["award"], e["award_rank"]) for e in ranking["entries"]}
    assert awards[order[0]] == ("juara", 1)
    assert awards[order[1]] == ("harapan", 1)
    assert awards[order[2]] == (None, None)

    # A place is given once per call.
    before = r.max_notification_id()
    response = r.post(
        f"/api/krenova/calls/{call}/shortlist",
        "admin",
        {"innovation_ids": [str(third)]},
    )
    assert response.status_code == 200, response.text
    response = r.post(
        f"/api/krenova/calls/{call}/winners",
        "admin",
        {"winners": [{"innovation_id": str(third), "award": "juara", "rank": 1}]},
    )
    assert response.status_code == 422
    assert "sudah diberikan" in response.json()["detail"]
    assert r.max_notification_id() == before + 1  # only the shortlisting

    # Winners go on the public catalogue; Krenova entries never go to the IGA report.
    response = r.post(f"/api/innovations/{entries[order[0]]}/publish", "admin")
    assert response.status_code == 200 and response.json()["published"] is True
    response = r.post(
        "/api/iga/reports",
        "admin",
        {"year": 2025, "innovation_ids": [str(entries[order[0]])]},
    )
    assert response.status_code == 409
    assert response.json()["items"][0]["errors"][0]["code"] == "krenova"

    # The record says the same as the views: judging is part of the state auditors read.
    winner = r.commands.innovation(entries[order[0]])
    state = to_state(winner, load_rubric(2025), r.commands.call(call))
    assert state.krenova is not None
    assert state.krenova.award == "juara" and state.krenova.award_rank == 1
    assert state.krenova.shortlist_rank == 1
    assert state.krenova.mean_total == mean(order[0])
    view = r.review(entries[order[0]])
    assert "judge" not in view["allowed_commands"] and "score" not in view["allowed_commands"]
    assert view["krenova"]["award"] == "juara"


def test_only_staff_judge(regency: Regency) -> None:
    r = regency
    entry: UUID = r.krenova_entry(r.participants[0], "Alat Tanam Padi Sederhana")
    before = r.max_notification_id()
    for who, status in (("peserta.0", 403), ("op.dinkes", 404), ("auditor", 403)):
        response = r.post(f"/api/innovations/{entry}/administration", who, {"passed": True})
        assert response.status_code == status, (who, response.text)
    response = r.post(
        f"/api/krenova/calls/{r.krenova_call_id}/winners",
        "rev.satu",
        {"winners": [{"innovation_id": str(entry), "award": "juara", "rank": 1}]},
    )
    assert response.status_code == 403
    assert r.max_notification_id() == before
