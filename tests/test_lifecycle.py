"""The whole innovation lifecycle through the command handlers, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import msgspec
import pytest

from services.domain.errors import ConflictOfInterest, IllegalTransition, NotAllowed
from services.domain.innovation import Innovation
from services.domain.innovation_views import to_state
from services.domain.lifecycle import Status
from services.domain.rubric import load_rubric
from services.domain.values import ProfilePatch, RevisionItem
from services.eventstore.store import ConcurrencyConflict
from tests.factories import World


def run_full_lifecycle(world: World) -> Innovation:
    c = world.commands
    op, rev, rev2, admin = (
        world.ctx(world.operator),
        world.ctx(world.reviewer),
        world.ctx(world.reviewer2),
        world.ctx(world.admin),
    )
    iid = world.complete_draft()
    c.submit(op, iid)
    c.assign_reviewer(admin, iid, world.reviewer.account_id)
    # Two revision rounds.
    for round_no in (1, 2):
        c.request_revision(
            rev,
            iid,
            note=f"Putaran {round_no}: lengkapi SK",
            items=[RevisionItem(kind="indicator", key="1", note="SK Kepala Daerah")],
        )
        c.update_profile(op, iid, ProfilePatch(goals=f"Tujuan revisi {round_no}"))
        c.resubmit(op, iid, note=f"Sudah diperbaiki {round_no}")
    innovation = c.innovation(iid)
    for doc in list(innovation.documents.values()):
        c.verify_document(rev, iid, doc.document.doc_id, accepted=True, note="sah")
    c.score(rev, iid, world.verdicts(3))
    c.assign_reviewer(admin, iid, world.reviewer2.account_id)
    c.score(rev2, iid, world.verdicts(2))
    c.recommend(rev, iid, recommendation="approve")
    c.approve(admin, iid, note="layak")
    c.establish(admin, iid, sk_number="188/12/2025", sk_date=date(2025, 10, 1))
    c.publish(admin, iid)
    c.select_for_iga(admin, iid, 2025)
    c.report_to_iga(admin, iid, year=2025, report_id=uuid4())
    return c.innovation(iid)


def test_full_lifecycle_with_two_revision_rounds(world: World) -> None:
    innovation = run_full_lifecycle(world)
    assert innovation.status == Status.REPORTED_TO_IGA
    assert innovation.published
    assert [r.round for r in innovation.revisions] == [1, 2]
    assert all(r.resubmitted_at for r in innovation.revisions)
    assert innovation.profile.goals == "Tujuan revisi 2"
    totals = innovation.reviewer_totals(load_rubric(2025))
    # Mandatory indicators 1, 2, 17, 18, 20 have weights 3+2+2+3+4 = 14.
    assert totals[world.reviewer.account_id] == 14 * 3
    assert totals[world.reviewer2.account_id] == 14 * 2


def test_same_events_give_same_state_on_both_backends(tmp_path, postgres_url) -> None:  # type: ignore[no-untyped-def]
    """The event sequence recorded on SQLite, copied verbatim to PostgreSQL, replays identically."""
    from services.commands import Commands
    from services.config import load_settings
    from services.eventstore.store import EventStore

    sqlite = EventStore(load_settings(env={}, data_dir=str(tmp_path / "a")))
    postgres = EventStore(
        load_settings(env={}, data_dir=str(tmp_path / "b"), database_url=postgres_url)
    )
    try:
        world = World(Commands(sqlite))
        innovation = run_full_lifecycle(world)
        copied = [postgres.app.mapper.to_stored_event(e) for e in sqlite.events(innovation.id)]
        postgres.recorder.insert_events(copied)
        rubric, call = load_rubric(2025), world.commands.call(world.call_id)
        states = [
            msgspec.json.encode(to_state(s.load(Innovation, innovation.id), rubric, call))
            for s in (sqlite, postgres)
        ]
        assert states[0] == states[1]
        assert msgspec.json.encode(to_state(innovation, rubric, call)) == states[0]
    finally:
        sqlite.close()
        postgres.close()


def test_illegal_moves_name_the_status_and_what_is_allowed(world: World) -> None:
    c = world.commands
    op, admin = world.ctx(world.operator), world.ctx(world.admin)
    iid = world.complete_draft()
    with pytest.raises(IllegalTransition) as info:
        c.approve(admin, iid)
    assert info.value.details["current_status"] == "draft"
    assert "approve" not in info.value.details["allowed"]
    c.submit(op, iid)
    with pytest.raises(IllegalTransition):
        c.update_profile(op, iid, ProfilePatch(title="x"))
    before = world.commands.store.max_notification_id()
    with pytest.raises(ConflictOfInterest):
        c.assign_reviewer(admin, iid, world.conflicted_reviewer.account_id)
    assert world.commands.store.max_notification_id() == before


def test_operator_of_another_organisation_cannot_edit(world: World) -> None:
    iid = world.complete_draft()
    with pytest.raises(NotAllowed):
        world.commands.withdraw(world.ctx(world.other_operator), iid)


def test_stale_expected_version_conflicts_and_stores_nothing(world: World) -> None:
    c = world.commands
    op = world.ctx(world.operator)
    iid = world.complete_draft()
    version = c.innovation(iid).version
    before = c.store.max_notification_id()
    with pytest.raises(ConcurrencyConflict) as info:
        c.withdraw(op, iid, expected_version=version - 1)
    assert info.value.current_version == version
    assert c.store.max_notification_id() == before
