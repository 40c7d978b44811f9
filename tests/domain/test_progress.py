"""The status stepper is walked from the lifecycle table: its steps, where an off-path status
sits, and the next move with who makes it."""

from __future__ import annotations

import pytest

from services.domain.actor import Role
from services.domain.lifecycle import STATUS_LABELS, Status, next_status
from services.domain.progress import MAIN_PATH, main_statuses, progress


@pytest.mark.parametrize("kind", list(MAIN_PATH))
def test_the_steps_follow_the_table(kind: str) -> None:
    statuses = main_statuses(kind)
    assert statuses[0] == Status.DRAFT
    for command, (before, after) in zip(
        MAIN_PATH[kind], zip(statuses, statuses[1:], strict=False), strict=True
    ):
        moves = progress(before, kind).next
        assert any(m.command == command for m in moves)
        role = next(m.roles for m in moves if m.command == command)[0]
        assert next_status(before, command, Role(role)) == after


def test_annual_path_and_positions() -> None:
    p = progress(Status.SCORED, "annual")
    assert [s.label for s in p.steps] == [
        STATUS_LABELS[s]
        for s in (
            Status.DRAFT,
            Status.SUBMITTED,
            Status.UNDER_REVIEW,
            Status.SCORED,
            Status.APPROVED,
            Status.ESTABLISHED,
            Status.SELECTED_FOR_IGA,
            Status.REPORTED_TO_IGA,
        )
    ]
    assert [s.state for s in p.steps][:5] == ["done", "done", "done", "current", "todo"]
    assert [(m.command, m.roles) for m in p.next] == [("approve", ("admin",))]


def test_off_path_statuses_sit_where_they_return() -> None:
    revision = progress(Status.REVISION_REQUESTED, "annual")
    assert not revision.on_path
    current = [s.status for s in revision.steps if s.state == "current"]
    assert current == ["submitted"]  # the operator has to submit again
    assert [m.command for m in revision.next] == ["resubmit"]
    again = progress(Status.RESUBMITTED, "annual")
    assert [s.status for s in again.steps if s.state == "current"] == ["under_review"]


def test_withdrawn_and_rejected_stop_the_process() -> None:
    for status in (Status.WITHDRAWN, Status.REJECTED):
        p = progress(status, "annual")
        assert p.stopped and not p.next
        assert all(s.state == "todo" for s in p.steps)


def test_a_stopped_process_shows_how_far_it_had_come() -> None:
    """Withdrawn while under review: draft and submitted done, under review marked stopped."""
    p = progress(Status.WITHDRAWN, "annual", stopped_from=Status.UNDER_REVIEW)
    assert p.stopped and not p.next and p.status_label == "Ditarik"
    states = {s.status: s.state for s in p.steps}
    assert states["draft"] == states["submitted"] == "done"
    assert states["under_review"] == "stopped"
    assert states["approved"] == "todo"
    rejected = progress(Status.REJECTED, "annual", stopped_from=Status.SCORED)
    assert [s.status for s in rejected.steps if s.state == "stopped"] == ["scored"]


def test_approved_offers_establishing_and_selection() -> None:
    moves = {m.command for m in progress(Status.APPROVED, "annual").next}
    assert moves == {"establish", "select_for_iga"}


def test_krenova_path() -> None:
    p = progress(Status.UNDER_REVIEW, "krenova")
    assert [s.status for s in p.steps] == [
        "draft",
        "submitted",
        "under_review",
        "scored",
        "shortlisted",
        "awarded",
    ]
    assert [m.command for m in p.next] == ["judge"]
