"""A live runner's step, counted on the wire (``tests/roundtrips.py``): under a busy CPU every
round trip is a wait for the server's process to be scheduled, so the live lag grows with them.
A step of a few claims is three: the log's page, then the tracking lock travelling with the
innovations model's state read, then COMMIT (was five: the lock and the state read took one
each, and the pipeline was synced twice). The call's row and the rows a rebuild left stale
are read once, in the first step after the runner took the model."""

from __future__ import annotations

import msgspec

from projections.runner import Runner
from services.commands import Commands
from services.config import Settings
from services.eventstore.store import EventStore
from tests.factories import World
from tests.projections.conftest import assert_equal_to_rebuild, catch_up
from tests.roundtrips import RoundTripProxy


def test_a_live_step_is_three_round_trips(postgres_settings: Settings) -> None:
    store = EventStore(postgres_settings)
    try:
        world = World(Commands(store))
        iid = world.complete_draft()
        catch_up(postgres_settings, store)
        with RoundTripProxy(postgres_settings.database_url) as proxy:
            settings = msgspec.structs.replace(postgres_settings, database_url=proxy.url)
            runner = Runner(settings, store=store)
            session = runner.target.connect()
            try:
                runner._prepare(session)  # noqa: SLF001 - the unit under test
                runner._acquire(session)  # noqa: SLF001
                assert runner._step(session) == 0  # noqa: SLF001 - caught up
                op = world.ctx(world.operator)
                for level in (1, 2):
                    for no in (1, 2, 3):
                        world.commands.claim_indicator(op, iid, no=no, level=level)
                    proxy.reset()
                    assert runner._step(session) == 3  # noqa: SLF001
                    turns = proxy.reset()
                # The first step read its call and looked for rows a rebuild left stale, once.
                assert turns == 3
                assert set(runner.positions().values()) == {store.max_notification_id()}
            finally:
                session.close()
        assert_equal_to_rebuild(postgres_settings, store)
    finally:
        store.close()
