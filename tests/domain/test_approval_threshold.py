"""Approving below the call's maturity threshold needs a written reason; each reviewer's
recommendation is kept for the admin's decision."""

from __future__ import annotations

from services.domain.errors import InvalidValue
from services.domain.lifecycle import Status
from tests.domain.test_innovation import ADMIN, REVIEWER, RUBRIC, ctx, refused, scored


def test_approval_below_the_threshold_needs_a_reason() -> None:
    low = scored(level=1)
    total = low.scorecard(RUBRIC).verified_total
    assert total < 60
    error = refused(low, InvalidValue, lambda: low.approve(ctx(ADMIN), RUBRIC, "  ", threshold=60))
    assert "di bawah ambang 60" in error.message and "alasan" in error.message
    low.approve(ctx(ADMIN), RUBRIC, "Inovasi prioritas bupati.", threshold=60)
    assert low.status == Status.APPROVED
    assert low.decision_reason == "Inovasi prioritas bupati."


def test_approval_at_the_threshold_needs_no_reason() -> None:
    high = scored(level=3)
    total = high.scorecard(RUBRIC).verified_total
    high.approve(ctx(ADMIN), RUBRIC, threshold=total)
    assert high.status == Status.APPROVED


def test_each_reviewers_recommendation_is_kept() -> None:
    innovation = scored()
    innovation.recommend(ctx(REVIEWER), recommendation="reject", note="Bukti lemah.")
    innovation.recommend(ctx(REVIEWER), recommendation="approve", note="Sudah diperbaiki.")
    assert REVIEWER.account_id is not None
    assert innovation.recommendations == {REVIEWER.account_id: ("approve", "Sudah diperbaiki.")}
