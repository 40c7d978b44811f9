"""Command handlers: what ``Commands`` adds around the aggregates (here: starting a command from
an innovation the caller has just loaded and checked, handed over as ``loaded=``)."""

from __future__ import annotations

import pytest

from services.commands import Commands
from services.domain.innovation import Innovation
from services.eventstore.store import ConcurrencyConflict, EventStore
from tests.factories import World


def test_a_command_starts_from_the_innovation_just_loaded_once(
    store: EventStore, commands: Commands, world: World
) -> None:
    """A route loads the innovation for its policy check and the command starts from that
    object (``loaded=``): the log is read once, and the caller holds the aggregate as saved.
    If someone wrote in between, the save refuses (409), exactly as for any stale load, and
    stores nothing."""
    iid = world.complete_draft()
    ctx = world.ctx(world.operator)
    checked = store.load(Innovation, iid)
    version = checked.version
    commands.claim_indicator(ctx, iid, no=2, level=1)  # another request, after the check
    with pytest.raises(ConcurrencyConflict):
        commands.claim_indicator(
            ctx, iid, no=1, level=3, note="dari data yang usang", loaded=checked
        )
    now = store.load(Innovation, iid)
    assert now.version == version + 1  # only the other request's claim
    assert now.claims[2].level == 1 and now.claims[1].note != "dari data yang usang"

    fresh = store.load(Innovation, iid)
    first = commands.claim_indicator(ctx, iid, no=1, level=3, loaded=fresh)
    assert first.version == fresh.version  # the caller's object is the aggregate as saved
    after = store.load(Innovation, iid)
    assert after.version == fresh.version and after.claims[1].level == fresh.claims[1].level == 3


def test_a_command_refuses_another_innovation_as_loaded(
    store: EventStore, commands: Commands, world: World
) -> None:
    first, second = world.complete_draft(), world.complete_draft()
    with pytest.raises(ValueError):
        commands.claim_indicator(
            world.ctx(world.operator), first, no=1, level=3, loaded=store.load(Innovation, second)
        )
