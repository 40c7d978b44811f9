"""The API refuses approving below the call's threshold without a reason (problem JSON in
Bahasa Indonesia, nothing recorded) and accepts it with one."""

from __future__ import annotations

from services.domain.values import IndicatorVerdict
from tests.review.conftest import INDICATORS, Regency
from tests.review.test_illegal_moves import refused


def test_approving_below_the_threshold_needs_a_reason(regency: Regency) -> None:
    r = regency
    c = r.commands
    iid = r.submitted(1, "Nilai Rendah")
    reviewer = r.reviewers["rev.satu"]
    assert reviewer.account_id is not None
    c.assign_reviewer(r.ctx(r.admin), iid, reviewer.account_id)
    rev = r.ctx(reviewer)
    for state in list(c.innovation(iid).documents.values()):
        c.verify_document(rev, iid, state.document.doc_id, accepted=True, note="sah")
    c.score(rev, iid, [IndicatorVerdict(no=no, level=1) for no in INDICATORS[:3]])

    body = refused(
        r,
        lambda: r.post(f"/api/innovations/{iid}/approve", "admin", {"note": " "}),
        422,
        "invalid-value",
        "di bawah ambang 60",
    )
    assert "wajib disertai alasan" in body["detail"]
    approved = r.post(
        f"/api/innovations/{iid}/approve", "admin", {"note": "Prioritas daerah tahun ini."}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["decision_reason"] == "Prioritas daerah tahun ini."
