"""Establish and publish record what the decider saw (version and rubric), like every decision;
events stored before they did still load, with the version they were decided on."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent

from services.commands import Commands
from services.domain.events import Established, Published
from services.domain.innovation import Innovation
from services.eventstore.store import EventStore
from tests.factories import World


def _approved(world: World) -> UUID:
    c = world.commands
    iid = world.complete_draft()
    c.submit(world.ctx(world.operator), iid)
    c.assign_reviewer(world.ctx(world.admin), iid, world.reviewer.account_id)
    c.score(world.ctx(world.reviewer), iid, world.verdicts())
    c.recommend(world.ctx(world.reviewer), iid, recommendation="approve", note="layak")
    c.approve(world.ctx(world.admin), iid, note="memenuhi ambang")
    return iid


def test_establish_and_publish_record_the_version_and_rubric_seen(store: EventStore) -> None:
    world = World(Commands(store))
    iid = _approved(world)
    admin = world.ctx(world.admin)
    world.commands.establish(admin, iid, sk_number="188/1/2025", sk_date=date(2025, 10, 1))
    world.commands.publish(admin, iid)
    *_, established, published = store.events(iid)
    assert isinstance(established, Established) and isinstance(published, Published)
    assert established.seen_version == established.originator_version - 1
    assert published.seen_version == published.originator_version - 1
    assert established.rubric_year == published.rubric_year == 2025
    stored = msgspec.json.decode(store.recorder.select_events(iid)[-1].state)
    assert (stored["seen_version"], stored["rubric_year"]) == (published.seen_version, 2025)


def test_establish_and_publish_stored_without_the_fields_still_load(store: EventStore) -> None:
    world = World(Commands(store))
    iid = _approved(world)
    admin = world.ctx(world.admin)
    version = world.commands.establish(
        admin, iid, sk_number="188/2/2025", sk_date=date(2025, 10, 2)
    ).version
    # What a publish looked like before it recorded what was seen (class version 1).
    old = msgspec.to_builtins(
        Published(
            originator_id=iid,
            originator_version=version + 1,
            timestamp=world.now,
            actor=world.admin,
            seen_version=0,
        )
    )
    del old["seen_version"], old["rubric_year"]
    store.recorder.insert_events(
        [StoredEvent(iid, version + 1, Published.TOPIC, msgspec.json.encode(old))]
    )
    published = store.events(iid)[-1]
    assert isinstance(published, Published)
    assert (published.seen_version, published.rubric_year) == (version, None)
    assert store.load(Innovation, iid).published

    from services.audit.history import history
    from services.audit.timeline import Timeline

    entry = history(store, Timeline(store), iid).entries[-1]
    assert entry.decision is not None  # decided on the innovation's rubric, fixed at proposal
    assert (entry.decision.seen_version, entry.decision.rubric_year) == (version, 2025)
    assert f"berdasarkan versi {version}, rubrik usulan" in entry.summary


def test_the_history_links_establish_and_publish_to_the_version_seen(store: EventStore) -> None:
    from services.audit.history import history
    from services.audit.timeline import Timeline

    world = World(Commands(store))
    iid = _approved(world)
    admin = world.ctx(world.admin)
    world.commands.establish(admin, iid, sk_number="188/3/2025", sk_date=date(2025, 10, 3))
    world.commands.publish(admin, iid)
    *_, established, published = history(store, Timeline(store), iid).entries
    for entry in (established, published):
        assert entry.decision is not None
        assert (entry.decision.seen_version, entry.decision.rubric_year) == (
            entry.version - 1,
            2025,
        )
        assert f"berdasarkan versi {entry.version - 1}, rubrik 2025" in entry.summary
