"""Writes overlapped with the caller's work (``projections.overlap``): in order, on one other
thread, every failure raised to the caller; and a rebuild's final flush of ``innovations``
written that way equals the live runner's rows (``compare``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from projections import innovations
from projections.overlap import overlapped
from projections.verify import compare
from services.commands import Commands
from services.config import Settings
from services.eventstore.store import EventStore
from tests.factories import World
from tests.projections.conftest import catch_up
from tests.projections.seed import seed_events
from tests.projections.test_models import scenario


def test_writes_run_in_order_on_one_other_thread() -> None:
    done: list[tuple[int, int | None]] = []
    with overlapped() as submit:
        for n in range(20):
            submit(lambda n=n: done.append((n, threading.get_ident())))
    assert [n for n, _ in done] == list(range(20))  # all of them, by the end of the block
    threads = {ident for _, ident in done}
    assert len(threads) == 1 and threading.get_ident() not in threads


def test_disabled_writes_run_inline_at_once() -> None:
    done: list[int | None] = []
    with overlapped(enabled=False) as submit:
        submit(lambda: done.append(threading.get_ident()))
        assert done == [threading.get_ident()]


def test_a_failed_write_stops_the_ones_after_it_and_is_raised() -> None:
    done: list[int] = []
    failed = threading.Event()

    def fail() -> None:
        failed.set()
        raise ValueError("unique violation")

    with pytest.raises(ValueError, match="unique violation"), overlapped(depth=1) as submit:  # noqa: PT012
        submit(lambda: done.append(1))
        submit(fail)
        failed.wait(5)
        for n in range(2, 6):
            submit(lambda n=n: done.append(n))  # refused once the failure is known
    assert done == [1]


def test_the_callers_failure_stops_the_writes_not_yet_run() -> None:
    done: list[int] = []
    busy = threading.Event()
    with pytest.raises(RuntimeError, match="derive failed"), overlapped(depth=4) as submit:  # noqa: PT012
        submit(busy.wait)  # if the thread takes it: busy until after the caller has failed
        submit(lambda: done.append(1))
        threading.Timer(1.0, busy.set).start()
        raise RuntimeError("derive failed")
    assert done == []


def test_an_overlapped_final_flush_equals_the_live_rows(
    postgres_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EventStore(postgres_settings)
    try:
        world = World(Commands(store))
        scenario(world)
        seed_events(world, 300)
        catch_up(postgres_settings, store)  # live: small batches, written inline
        seen: list[bool] = []
        real: Callable[..., Any] = innovations.overlapped

        def spy(enabled: bool = True, depth: int = 2) -> Any:
            seen.append(enabled)
            return real(enabled, depth)

        monkeypatch.setattr(innovations, "FLUSH_CHUNK", 3)  # many chunks through the thread
        monkeypatch.setattr(innovations, "overlapped", spy)
        result = compare(postgres_settings, ["innovations"], store=store)
        assert True in seen  # the rebuild's final flush took the overlapped path
        assert result.equal, (result.positions, result.differences)
        assert result.rows["rm_innovations"] > 3 * 2
    finally:
        store.close()
