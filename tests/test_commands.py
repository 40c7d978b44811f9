"""Command handlers: what ``Commands`` adds around the aggregates (here: starting a command from
an innovation the caller has just loaded and checked)."""

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
    object: the log is read once. If someone wrote in between, the save refuses (409), exactly
    as for any stale load, and stores nothing; the next command loads afresh."""
    iid = world.complete_draft()
    ctx = world.ctx(world.operator)
    checked = store.load(Innovation, iid)
    version = checked.version
    commands.claim_indicator(ctx, iid, no=2, level=1)  # another request, after the check
    with commands.starting_from(checked), pytest.raises(ConcurrencyConflict):
        commands.claim_indicator(ctx, iid, no=1, level=3, note="dari data yang usang")
    now = store.load(Innovation, iid)
    assert now.version == version + 1  # only the other request's claim
    assert now.claims[2].level == 1 and now.claims[1].note != "dari data yang usang"

    fresh = store.load(Innovation, iid)
    with commands.starting_from(fresh):
        first = commands.claim_indicator(ctx, iid, no=1, level=3)
        second = commands.claim_indicator(ctx, iid, no=3, level=2)  # not the used object
    assert (first.version, second.version) == (fresh.version, fresh.version + 1)
    after = store.load(Innovation, iid)
    assert (after.claims[1].level, after.claims[3].level) == (3, 2)
