"""The pendampingan read model on SQLite and PostgreSQL: open follow-ups per mentor and per
organisation, closing one, and the model equals one rebuilt from the log (any batch size)."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from projections.mentoring import open_follow_ups
from projections.target import Target
from services.commands import Commands
from services.config import Settings
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import jakarta_today
from services.domain.events import FollowUpItem
from services.eventstore.store import EventStore
from services.mentoring.service import MentoringCommands
from tests.factories import World
from tests.projections.conftest import assert_equal_to_rebuild, catch_up


def _scenario(store: EventStore) -> tuple[World, str, list[str]]:
    world = World(Commands(store))
    system = Context(actor=Actor.system(), now=world.now)
    mentor = world._account(system, "pendamping.satu", Role.MENTOR, None)
    service = MentoringCommands(store, world.commands)
    iid = world.complete_draft()
    innovation = world.commands.innovation(iid)
    assert mentor.account_id is not None
    service.assign(world.ctx(world.admin), innovation, mentor.account_id)
    items = [
        FollowUpItem(id=uuid4(), text="Lengkapi SK", due=jakarta_today() + timedelta(days=7)),
        FollowUpItem(id=uuid4(), text="Tambah data pengguna"),
    ]
    service.record_session(
        world.ctx(mentor),
        innovation,
        session_id=uuid4(),
        held_on=jakarta_today() - timedelta(days=1),
        mode="bimtek",
        attendees=["Operator"],
        topics=["Bukti dukung"],
        follow_ups=items,
    )
    service.complete(world.ctx(world.operator), innovation, items[1].id, "sudah")
    return world, str(mentor.account_id), [str(i.id) for i in items]


def test_open_follow_ups_and_rebuild(settings: Settings, store: EventStore) -> None:
    world, mentor, items = _scenario(store)
    catch_up(settings, store)
    db = Target(settings).database()
    try:
        with db.transaction() as tx:
            for_mentor = open_follow_ups(tx, mentor_id=mentor)
            for_org = open_follow_ups(tx, organisation_id=str(world.opd_id))
            other_org = open_follow_ups(tx, organisation_id=str(world.other_opd_id))
    finally:
        db.close()
    assert [r["follow_up_id"] for r in for_mentor] == [items[0]]
    assert for_org == for_mentor and other_org == []
    assert_equal_to_rebuild(settings, store)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_small_batches_equal_a_rebuild(sqlite_settings: Settings, batch_size: int) -> None:
    store = EventStore(sqlite_settings)
    try:
        _scenario(store)
        catch_up(sqlite_settings, store, batch_size=batch_size, max_batch=batch_size)
        assert_equal_to_rebuild(sqlite_settings, store)
    finally:
        store.close()
