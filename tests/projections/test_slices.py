"""A live backlog is applied in slices, each its own transaction (``projections.slices``): the
slices commit in log order, a crash between two leaves every model at a slice's end (nothing
half-applied, nothing applied twice), and a model that fails in one slice holds back the slices
after it until the next step re-reads."""

from __future__ import annotations

from typing import Any

import pytest

from projections import heap, tracking
from projections.innovations import InnovationsProjection
from projections.runner import Runner
from projections.slices import slices
from projections.target import Target
from services.commands import Commands
from services.config import Settings
from services.eventstore.store import EventStore
from tests.factories import World
from tests.projections.conftest import assert_equal_to_rebuild, catch_up


def stored_positions(settings: Settings) -> dict[str, int]:
    session = Target(settings).connect()
    try:
        with session.transaction() as tx:
            return {n: p.position for n, p in tracking.read(tx).items()}
    finally:
        session.close()


@pytest.mark.parametrize(
    ("length", "least", "most", "sizes"),
    [
        (0, 32, 4, []),
        (10, 32, 4, [10]),  # shorter than a slice: one
        (80, 32, 4, [40, 40]),  # as even as allowed
        (100, 32, 4, [34, 34, 32]),
        (224, 32, 4, [56, 56, 56, 56]),  # a longer backlog: longer slices, never more than four
        (224, 0, 4, [224]),  # not cut (a full page while catching up)
    ],
)
def test_slices_keep_the_order_and_bound_their_count(
    length: int, least: int, most: int, sizes: list[int]
) -> None:
    rows = list(range(length))
    parts = list(slices(rows, least, most))
    assert [len(p) for p in parts] == sizes
    assert [r for p in parts for r in p] == rows


def backlog(settings: Settings, store: EventStore) -> tuple[Runner, int, int]:
    """A runner whose models stand at the head of a caught-up log, with two more innovations
    written after it (a backlog of a few dozen notifications, cut into slices of 4)."""
    world = World(Commands(store))
    catch_up(settings, store)
    before = store.max_notification_id()
    world.complete_draft("Irisan Satu")
    world.complete_draft("Irisan Dua")
    head = store.max_notification_id()
    assert head - before >= 8
    return Runner(settings, store=store, slice_size=2, max_slices=4), before, head


def own_all(runner: Runner, position: int) -> None:
    for model in runner.models:
        model.owned, model.position = True, position


def test_slices_commit_one_after_the_other_in_log_order(
    settings: Settings, store: EventStore
) -> None:
    runner, before, head = backlog(settings, store)
    seen: dict[str, list[int]] = {}
    runner.on_batch = lambda name, last: seen.setdefault(name, []).append(last)
    session = runner.target.connect()
    try:
        own_all(runner, before)
        assert runner._step(session) == head - before  # noqa: SLF001 - the unit under test
    finally:
        session.close()
    for name in runner.names:
        committed = seen[name]
        assert len(committed) == 4  # four transactions, each moving the position further
        assert committed == sorted(set(committed)) and committed[-1] == head
    assert set(stored_positions(settings).values()) == {head}
    assert_equal_to_rebuild(settings, store)


class Crash(BaseException):
    """The process dies (not an error the runner handles)."""


def test_a_crash_between_slices_leaves_every_model_at_a_slice_end(
    settings: Settings, store: EventStore
) -> None:
    runner, before, head = backlog(settings, store)
    first: list[int] = []

    def crash(name: str, last: int) -> None:
        first.append(last)
        raise Crash  # right after the first slice committed

    runner.on_batch = crash
    session = runner.target.connect()
    try:
        own_all(runner, before)
        with pytest.raises(Crash):
            runner._step(session)  # noqa: SLF001 - the unit under test
    finally:
        session.close()
    assert before < first[0] < head
    found = stored_positions(settings)
    assert {found[name] for name in runner.names} == {first[0]}  # the first slice, whole
    # A new runner goes on from there: every event applied exactly once.
    assert catch_up(settings, store) == head - first[0]
    assert set(stored_positions(settings).values()) == {head}
    assert_equal_to_rebuild(settings, store)


def test_a_model_failing_in_a_slice_holds_back_the_slices_after_it(
    settings: Settings, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The innovations model fails in the second of four slices: the first slice is
    applied by every model, the second by the others, the last two by none in that step; the
    next steps apply the rest (the failure was transient: nothing is quarantined)."""
    runner, before, head = backlog(settings, store)
    bounds = [(p[0], p[-1]) for p in slices(range(before + 1, head + 1), 2, 4)]
    assert len(bounds) == 4
    second = bounds[1]
    original = InnovationsProjection.apply
    failed: list[int] = []

    def flaky(self: Any, tx: Any, batch: Any, suffix: str = "") -> None:
        # Twice: in the step's shared transaction, then in its own (where it counts as failed).
        if len(failed) < 2 and any(second[0] <= e.notification_id <= second[1] for e in batch):
            failed.append(second[0])
            raise RuntimeError("gangguan sesaat")
        original(self, tx, batch, suffix)

    monkeypatch.setattr(InnovationsProjection, "apply", flaky)
    runner.retry_pause = 0.0
    session = runner.target.connect()
    try:
        own_all(runner, before)
        runner._step(session)  # noqa: SLF001 - the unit under test
        assert len(failed) == 2
        stopped = stored_positions(settings)
        assert stopped["innovations"] == bounds[0][1]
        assert {stopped[n] for n in runner.names if n != "innovations"} == {second[1]}
        while runner._step(session):  # noqa: SLF001
            pass
    finally:
        session.close()
    assert set(stored_positions(settings).values()) == {head}
    assert_equal_to_rebuild(settings, store)


def test_only_a_runner_that_owns_its_process_freezes_the_heap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``sirisma project`` (the runner in the main thread) freezes once; a runner in a
    background thread (a web worker's, a test's) leaves its host's collector alone."""
    import gc
    import threading

    frozen: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    monkeypatch.setattr(heap, "_settled", False)
    assert heap.owns_process()
    answers: list[bool] = []
    thread = threading.Thread(target=lambda: answers.append(heap.owns_process()))
    thread.start()
    thread.join()
    assert answers == [False]
    assert heap.settle() and not heap.settle()
    assert frozen == [1]
