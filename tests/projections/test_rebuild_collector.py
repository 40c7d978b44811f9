"""A rebuild pauses the cycle collector from its first fold until its swaps have freed the folded
state, collects at intermediate checkpoints only (not after the last one, whose objects the swap
frees), and gives the collector back as it found it, also when it fails."""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from typing import Any

import pytest

from projections import rebuild as rebuild_module
from projections.rebuild import rebuild
from services.commands import Commands
from services.config import Settings
from services.eventstore.store import EventStore
from tests.factories import World
from tests.projections.seed import seed_events


@pytest.fixture
def store(sqlite_settings: Settings) -> Iterator[EventStore]:
    store = EventStore(sqlite_settings)
    try:
        seed_events(World(Commands(store)), 300, random.Random(3))
        yield store
    finally:
        store.close()


def test_the_collector_is_paused_until_the_swaps_and_collects_between_checkpoints(
    sqlite_settings: Settings, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, bool]] = []
    collections: list[int] = []
    checkpoints: list[bool] = []
    swap, checkpoint = rebuild_module._swap, rebuild_module._checkpoint

    def watched_swap(*args: Any, **kwargs: Any) -> None:
        seen.append(("swap", gc.isenabled()))
        swap(*args, **kwargs)

    def watched_checkpoint(*args: Any, final: bool, **kwargs: Any) -> None:
        seen.append(("checkpoint", gc.isenabled()))
        checkpoints.append(final)
        checkpoint(*args, final=final, **kwargs)

    monkeypatch.setattr(rebuild_module, "_swap", watched_swap)
    monkeypatch.setattr(rebuild_module, "_checkpoint", watched_checkpoint)
    monkeypatch.setattr(gc, "collect", lambda generation=2: collections.append(generation) or 0)
    assert gc.isenabled()
    report = rebuild(sqlite_settings, store=store, page_size=50, checkpoint_events=100)
    assert gc.isenabled()
    assert report.notifications > 300  # several checkpoints
    assert seen and all(not enabled for _, enabled in seen)
    assert {"swap", "checkpoint"} == {what for what, _ in seen}
    assert checkpoints[-1] and not any(checkpoints[:-1])
    assert collections == [1] * (len(checkpoints) - 1)  # none after the last checkpoint


def test_a_failed_rebuild_gives_the_collector_back(
    sqlite_settings: Settings, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(rebuild_module, "_build_indexes", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        rebuild(sqlite_settings, store=store)
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused(
    sqlite_settings: Settings, store: EventStore
) -> None:
    gc.disable()
    try:
        rebuild(sqlite_settings, store=store)
        assert not gc.isenabled()
    finally:
        gc.enable()
