"""Every illegal move gets a clear problem response and changes nothing in the log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from services.domain.lifecycle import Status
from tests.review.conftest import INDICATORS, Regency

SCORES = {"indicators": [{"no": no, "level": 3} for no in INDICATORS]}


def refused(
    r: Regency, send: Callable[[], Any], status: int, slug: str, detail: str = ""
) -> dict[str, Any]:
    """Send the request; check the problem's status, type and text; check the log is unchanged."""
    before = r.max_notification_id()
    response = send()
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith(slug), body
    assert body["status"] == status
    assert body["detail"], body
    assert detail in body["detail"], body
    assert r.max_notification_id() == before, "a refused request changed the log"
    return body  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def items(regency: Regency) -> dict[str, UUID]:
    r = regency
    return {
        "submitted": r.walk(1, "Masih Diajukan", "submitted"),
        "under_review": r.walk(1, "Sedang Diverifikasi", "under_review"),
        "own_org": r.walk(0, "Inovasi Organisasi Pertama", "under_review"),
        "scored": r.walk(2, "Sudah Dinilai", "scored"),
        "approved": r.walk(3, "Sudah Disetujui", "approved"),
        "rejected": r.walk(4, "Sudah Ditolak", "rejected"),
    }


def test_approve_before_scoring(regency: Regency, items: dict[str, UUID]) -> None:
    r = regency
    body = refused(
        r,
        lambda: r.post(f"/api/innovations/{items['under_review']}/approve", "admin", {}),
        409,
        "illegal-transition",
        "approve",
    )
    assert body["current_status"] == "under_review"
    assert "approve" not in body["allowed"]


def test_score_by_a_reviewer_of_the_same_organisation(
    regency: Regency, items: dict[str, UUID]
) -> None:
    r = regency
    refused(
        r,
        lambda: r.post(f"/api/innovations/{items['own_org']}/score", "rev.org0", SCORES),
        403,
        "conflict-of-interest",
        "Konflik kepentingan",
    )
    # Nor can they be assigned to it, nor open its review.
    refused(
        r,
        lambda: r.post(
            f"/api/innovations/{items['own_org']}/assign", "admin", {"reviewer": "rev.org0"}
        ),
        403,
        "conflict-of-interest",
    )
    response = r.get(f"/api/innovations/{items['own_org']}/review", "rev.org0")
    assert response.status_code == 403
    assert response.json()["type"].endswith("conflict-of-interest")


def test_report_a_rejected_item(regency: Regency, items: dict[str, UUID]) -> None:
    r = regency
    body = refused(
        r,
        lambda: r.post(
            "/api/iga/reports",
            "admin",
            {"year": 2025, "innovation_ids": [str(items["approved"]), str(items["rejected"])]},
        ),
        409,
        "iga-selection-refused",
    )
    (item,) = body["items"]
    assert item["innovation_id"] == str(items["rejected"])
    assert item["status"] == "rejected"
    assert "Ditolak" in item["errors"][0]["message"]
    # The approved one was not reported either: all or nothing.
    assert r.commands.innovation(items["approved"]).status == Status.APPROVED


def test_second_approve(regency: Regency, items: dict[str, UUID]) -> None:
    r = regency
    body = refused(
        r,
        lambda: r.post(f"/api/innovations/{items['approved']}/approve", "admin", {}),
        409,
        "illegal-transition",
    )
    assert body["current_status"] == "approved"


@pytest.mark.parametrize(
    ("key", "path", "who", "body", "status", "slug"),
    [
        # A decision without its reason: missing is a schema error, blank is a rule.
        ("scored", "reject", "admin", {}, 400, "validation"),
        ("scored", "reject", "admin", {"reason": "   "}, 422, "invalid-value"),
        ("scored", "reject", "admin", {"reason": ""}, 400, "validation"),
        # Roles: a reviewer does not decide, an operator does not score.
        ("scored", "approve", "rev.satu", {}, 403, "forbidden"),
        ("under_review", "score", "op.dinkes", SCORES, 403, "forbidden"),
        # A reviewer who is not assigned to the item.
        ("under_review", "score", "rev.dua", SCORES, 403, "forbidden"),
        # Bad scores.
        (
            "under_review",
            "score",
            "rev.satu",
            {"indicators": [{"no": 99, "level": 2}]},
            422,
            "invalid-value",
        ),
        ("under_review", "score", "rev.satu", {"indicators": [{"no": 1, "level": 4}]}, 400, ""),
        (
            "under_review",
            "score",
            "rev.satu",
            {"indicators": [{"no": 1, "level": 2}, {"no": 1, "level": 3}]},
            422,
            "invalid-value",
        ),
        ("under_review", "score", "rev.satu", {"indicators": []}, 400, "validation"),
        # Revision items must name something real.
        (
            "under_review",
            "request-revision",
            "rev.satu",
            {"note": "perbaiki", "items": [{"kind": "field", "key": "warna_logo"}]},
            422,
            "invalid-value",
        ),
        (
            "under_review",
            "request-revision",
            "rev.satu",
            {"note": "perbaiki", "items": [{"kind": "indicator", "key": "21"}]},
            422,
            "invalid-value",
        ),
        (
            "under_review",
            "request-revision",
            "rev.satu",
            {"note": "perbaiki", "items": [{"kind": "document", "key": str(uuid.uuid4())}]},
            422,
            "invalid-value",
        ),
        ("under_review", "request-revision", "rev.satu", {"note": ""}, 400, "validation"),
        # Out of order.
        ("submitted", "score", "rev.satu", SCORES, 409, "illegal-transition"),
        ("scored", "establish", "admin", {"sk_number": "1", "sk_date": "2025-01-02"}, 409, ""),
        ("approved", "recommend", "rev.satu", {"recommendation": "approve"}, 409, ""),
        ("rejected", "publish", "admin", None, 409, "illegal-transition"),
        (
            "scored",
            "advance-stage",
            "admin",
            {"to_stage": "inisiatif", "on": "2025-01-02"},
            422,
            "",
        ),
        # Krenova judging on an annual innovation.
        ("under_review", "administration", "admin", {"passed": True}, 422, "invalid-value"),
        (
            "under_review",
            "judge",
            "rev.satu",
            {"scores": [{"key": "kebaharuan", "score": 9}]},
            422,
            "",
        ),
        # A field nobody knows is refused, not ignored.
        ("scored", "approve", "admin", {"note": "ok", "colour": "red"}, 400, "validation"),
    ],
)
def test_bad_commands_change_nothing(
    regency: Regency,
    items: dict[str, UUID],
    key: str,
    path: str,
    who: str,
    body: Any,
    status: int,
    slug: str,
) -> None:
    r = regency
    refused(r, lambda: r.post(f"/api/innovations/{items[key]}/{path}", who, body), status, slug)


def test_reject_document_needs_a_note(regency: Regency, items: dict[str, UUID]) -> None:
    r = regency
    doc = next(iter(r.commands.innovation(items["under_review"]).documents))
    refused(
        r,
        lambda: r.post(
            f"/api/innovations/{items['under_review']}/documents/{doc}/verify",
            "rev.satu",
            {"accepted": False, "note": "  "},
        ),
        422,
        "invalid-value",
        "Alasan penolakan",
    )
    refused(
        r,
        lambda: r.post(
            f"/api/innovations/{items['under_review']}/documents/{uuid.uuid4()}/verify",
            "rev.satu",
            {"accepted": True},
        ),
        422,
        "invalid-value",
    )


def test_stale_if_match_gets_the_current_version(regency: Regency, items: dict[str, UUID]) -> None:
    r = regency
    current = r.commands.innovation(items["scored"]).version
    body = refused(
        r,
        lambda: r.post(
            f"/api/innovations/{items['scored']}/approve",
            "admin",
            {},
            headers={"If-Match": f'"{current - 1}"'},
        ),
        409,
        "stale-version",
    )
    assert body["current_version"] == current
    refused(
        r,
        lambda: r.post(
            f"/api/innovations/{items['scored']}/approve",
            "admin",
            {},
            headers={"If-Match": "versi-tiga"},
        ),
        400,
        "invalid-if-match",
    )


def test_an_innovation_nobody_can_see_is_not_found(regency: Regency) -> None:
    r = regency
    refused(
        r,
        lambda: r.post(f"/api/innovations/{uuid.uuid4()}/approve", "admin", {}),
        404,
        "not-found",
    )


def test_bulk_assignment_input_errors_change_nothing(
    regency: Regency, items: dict[str, UUID]
) -> None:
    r = regency
    ids = [str(items["submitted"])]
    for body, status in (
        ({"innovation_ids": ids}, 422),  # neither reviewer nor reviewers
        ({"innovation_ids": ids, "reviewer": "rev.satu", "reviewers": ["rev.dua"]}, 422),
        ({"innovation_ids": ids, "reviewer": "op.dinkes"}, 422),  # not a reviewer
        ({"innovation_ids": ids, "reviewer": "tidak.ada"}, 422),
        ({"innovation_ids": ids + ids, "reviewer": "rev.satu"}, 422),
        ({"innovation_ids": [], "reviewer": "rev.satu"}, 400),
    ):
        refused(r, lambda b=body: r.post("/api/review/assignments", "admin", b), status, "")
    refused(
        r,
        lambda: r.post(
            "/api/review/assignments", "rev.satu", {"innovation_ids": ids, "reviewer": "rev.dua"}
        ),
        403,
        "forbidden",
    )


def test_iga_selection_input_errors(regency: Regency, items: dict[str, UUID]) -> None:
    r = regency
    approved = str(items["approved"])
    refused(
        r,
        lambda: r.post(
            "/api/iga/reports", "admin", {"year": 2025, "innovation_ids": [approved, approved]}
        ),
        422,
        "invalid-value",
    )
    refused(
        r,
        lambda: r.post(
            "/api/iga/reports", "rev.satu", {"year": 2025, "innovation_ids": [approved]}
        ),
        403,
        "forbidden",
    )
    body = refused(
        r,
        lambda: r.post(
            "/api/iga/reports", "admin", {"year": 2025, "innovation_ids": [str(uuid.uuid4())]}
        ),
        409,
        "iga-selection-refused",
    )
    assert body["items"][0]["errors"][0]["code"] == "not-found"
    # A stale version named by the admin: the whole report is refused.
    version = r.commands.innovation(items["approved"]).version
    body = refused(
        r,
        lambda: r.post(
            "/api/iga/reports",
            "admin",
            {
                "year": 2025,
                "innovation_ids": [approved],
                "expected_versions": {approved: version - 1},
            },
        ),
        409,
        "stale-version",
    )
    assert body["current_version"] == version


def test_a_repeated_idempotency_key_returns_the_first_answer(
    regency: Regency, items: dict[str, UUID]
) -> None:
    r = regency
    iid = r.walk(5, "Disetujui Sekali Saja", "scored")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = r.post(f"/api/innovations/{iid}/approve", "admin", {"note": "layak"}, headers=key)
    assert first.status_code == 200, first.text
    after_first = r.max_notification_id()
    again = r.post(f"/api/innovations/{iid}/approve", "admin", {"note": "layak"}, headers=key)
    assert again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["x-notification-id"] == first.headers["x-notification-id"]
    assert r.max_notification_id() == after_first
    # Without the key, the second approve is what it is: illegal.
    refused(r, lambda: r.post(f"/api/innovations/{iid}/approve", "admin", {}), 409, "")


def test_the_view_offers_only_what_the_caller_may_do(
    regency: Regency, items: dict[str, UUID]
) -> None:
    r = regency
    iid = items["under_review"]
    assigned = r.review(iid, "rev.satu")["allowed_commands"]
    assert {"verify_document", "score", "request_revision"} <= set(assigned)
    assert "judge" not in assigned and "approve" not in assigned
    assert r.review(iid, "rev.dua")["allowed_commands"] == []  # not assigned
    admin = r.review(iid, "admin")["allowed_commands"]
    assert "assign_reviewer" in admin and "pass_administration" not in admin
    assert r.review(iid, "auditor")["allowed_commands"] == []
    for who, status in (("op.dinkes", 403), ("op.dlh", 404), ("peserta.0", 404)):
        assert r.get(f"/api/innovations/{iid}/review", who).status_code == status, who
    assert r.client.get(f"/api/innovations/{iid}/review").status_code == 404


def test_iga_eligibility_window_comes_from_the_year_file(
    regency: Regency, items: dict[str, UUID]
) -> None:
    """Implemented 1 Sep 2023: inside 2025's window (2023–2024), before 2026's (2024–2025, also
    used for 2027 until a 2027 file exists), after 2023's (2021–2022)."""
    approved = str(items["approved"])

    def codes(year: int) -> set[str]:
        body = {"year": year, "innovation_ids": [approved]}
        response = regency.post("/api/iga/reports/preview", "admin", body)
        assert response.status_code == 200, response.text
        return {w["code"] for w in response.json()["items"][0]["warnings"]}

    assert not codes(2025) & {"applied-long-ago", "applied-after-window"}
    assert "applied-long-ago" in codes(2027)
    assert "applied-after-window" in codes(2023)
