"""The runner on real PostgreSQL: woken by NOTIFY, survives a database restart, never applies a
stale batch, and lets a rebuild swap in while it keeps working."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from projections import tracking
from projections.rebuild import rebuild
from projections.runner import ReadModels, Runner
from projections.status import status
from projections.target import Target
from services.commands import Commands
from services.config import Settings
from services.db import Database
from services.eventstore.store import EventStore
from tests.factories import World, complete_profile
from tests.projections.conftest import assert_equal_to_rebuild, catch_up
from tests.servers import PostgresServer


def positions(settings: Settings) -> dict[str, int]:
    session = Target(settings).connect()
    try:
        with session.transaction() as tx:
            tracking.ensure_schema(tx)
            return {n: p.position for n, p in tracking.read(tx).items()}
    finally:
        session.close()


def wait_applied(settings: Settings, notification_id: int, timeout: float = 30.0) -> bool:
    """Poll the tracking table (never nudging the runner) until every model has the id."""
    deadline = time.monotonic() + timeout
    names = ("directory", "innovations", "catalogue", "compliance")
    while time.monotonic() < deadline:
        found = positions(settings)
        if all(found.get(n, 0) >= notification_id for n in names):
            return True
        time.sleep(0.05)
    return False


@contextmanager
def running(settings: Settings, store: EventStore, **options: object) -> Iterator[Runner]:
    runner = Runner(settings, store=store, **options)  # type: ignore[arg-type]
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield runner
    finally:
        stop.set()
        runner.nudge()
        thread.join(timeout=30)
        assert not thread.is_alive()


def test_notify_wakes_the_runner_without_polling(postgres_settings: Settings) -> None:
    """With polling set to two minutes, only the event store's NOTIFY can bring the new event in
    within the bounded wait."""
    store = EventStore(postgres_settings)
    try:
        world = World(Commands(store))
        with running(postgres_settings, store, poll_interval=120.0, lock_retry=0.1):
            assert wait_applied(postgres_settings, store.max_notification_id())
            time.sleep(0.3)  # the runner is now idle, waiting for a wake-up
            outcome = world.commands.propose(
                world.ctx(world.operator), call_id=world.call_id, profile=complete_profile()
            )
            assert wait_applied(postgres_settings, outcome.notification_id, timeout=20)
    finally:
        store.close()


def test_runner_reconnects_after_a_database_restart(
    postgres_server: PostgresServer, postgres_settings: Settings
) -> None:
    store = EventStore(postgres_settings)
    try:
        world = World(Commands(store))
        with running(postgres_settings, store, poll_interval=0.5, lock_retry=0.2) as runner:
            assert wait_applied(postgres_settings, store.max_notification_id())
            postgres_server.restart()
            # Writes through a fresh store: this test is about the runner's reconnection.
            writer = EventStore(postgres_settings)
            try:
                world.commands = Commands(writer)
                iid = world.complete_draft("Setelah Restart")
                outcome = world.commands.submit(world.ctx(world.operator), iid)
            finally:
                writer.close()
            assert wait_applied(postgres_settings, outcome.notification_id, timeout=60)
            assert runner.owned() == runner.names
        assert_equal_to_rebuild(postgres_settings, store)
    finally:
        store.close()


def test_a_stale_batch_is_refused_and_reread(settings: Settings, store: EventStore) -> None:
    """Compare-and-set: a writer whose idea of the position is behind the database's applies
    nothing; it re-reads from the real position (so no event is applied twice)."""
    world = World(Commands(store))
    catch_up(settings, store)
    before = positions(settings)["innovations"]
    world.complete_draft("Sesudah")
    stale = Runner(settings, store=store)
    session = stale.target.connect()
    try:
        for model in stale.models:
            model.owned, model.position = True, before - 5  # five events "not yet applied"
        stale._step(session)  # noqa: SLF001 - the unit under test
        assert all(m.position == before for m in stale.models)  # moved back to the truth
        assert positions(settings)["innovations"] == before
        while stale._step(session):  # noqa: SLF001
            pass
    finally:
        session.close()
    assert positions(settings)["innovations"] == store.max_notification_id()
    assert_equal_to_rebuild(settings, store)


def test_one_stale_model_does_not_hold_back_the_others_of_its_step(
    settings: Settings, store: EventStore
) -> None:
    """A step applies every model in one transaction; a model whose position another writer
    moved is left out of it (and re-reads), the others are applied and moved to the page's end."""
    world = World(Commands(store))
    catch_up(settings, store)
    before = positions(settings)["innovations"]
    world.complete_draft("Sesudah")
    head = store.max_notification_id()
    runner = Runner(settings, store=store)
    session = runner.target.connect()
    try:
        for model in runner.models:
            model.owned, model.position = True, before
        stale = next(m for m in runner.models if m.name == "catalogue")
        stale.position = before - 5  # behind the truth: its batch must not be applied
        runner._step(session)  # noqa: SLF001 - the unit under test
        assert stale.position == before  # moved back to the truth, nothing applied
        others = {m.name: m.position for m in runner.models if m is not stale}
        assert set(others.values()) == {head}
        found = positions(settings)
        assert found["catalogue"] == before
        assert all(found[name] == head for name in others)
        while runner._step(session):  # noqa: SLF001
            pass
    finally:
        session.close()
    assert positions(settings)["catalogue"] == head
    assert_equal_to_rebuild(settings, store)


def test_a_runner_setting_up_its_tables_waits_for_a_rebuilds_swap(
    postgres_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runner starting on a database where its tables do not exist yet creates them
    (``Runner._prepare``). Should that meet a rebuild's swap after the swap dropped the (absent)
    tables and before it renamed its shadows into place, the swap failed on the name the
    runner had just created (``tracking.hold_schema``): the runner must wait, then find them."""
    import projections.rebuild as rebuild_module
    from projections import registry

    store = EventStore(postgres_settings)
    try:
        World(Commands(store)).complete_draft("Sebelum pertukaran")
        set_up: list[BaseException | None] = []

        def runner_set_up() -> None:
            session = Target(postgres_settings).connect()
            try:
                with session.transaction() as tx:
                    tracking.ensure_schema(tx, registry.schema_statements(session.dialect))
                set_up.append(None)
            except BaseException as exc:  # reported below
                set_up.append(exc)
            finally:
                session.close()

        threads: list[threading.Thread] = []
        dropped = rebuild_module._drop

        def drop_then_a_runner_starts(tx: object, tables: list[str]) -> None:
            dropped(tx, tables)  # type: ignore[arg-type]
            if not threads:
                threads.append(threading.Thread(target=runner_set_up))
                threads[0].start()
                threads[0].join(timeout=1.0)  # long enough to create a table, were it let

        monkeypatch.setattr(rebuild_module, "_drop", drop_then_a_runner_starts)
        rebuild(postgres_settings, store=store)
        threads[0].join(timeout=30)
        assert set_up == [None]
    finally:
        store.close()


def test_rebuild_swaps_in_while_a_live_runner_and_writers_work(postgres_settings: Settings) -> None:
    store = EventStore(postgres_settings)
    try:
        world = World(Commands(store))
        for n in range(5):
            world.complete_draft(f"Awal {n}")
        stop_writing = threading.Event()
        errors: list[BaseException] = []

        def write() -> None:
            n = 0
            try:
                while not stop_writing.is_set() and n < 60:
                    iid = world.complete_draft(f"Bersamaan {n}")
                    world.commands.submit(world.ctx(world.operator), iid)
                    n += 1
            except BaseException as exc:  # reported below
                errors.append(exc)

        with running(postgres_settings, store, poll_interval=0.2, lock_retry=0.2):
            writer = threading.Thread(target=write)
            writer.start()
            try:
                for _ in range(2):
                    rebuild(postgres_settings, store=store, page_size=50, checkpoint_events=120)
            finally:
                stop_writing.set()
                writer.join(timeout=60)
            assert not errors
            assert wait_applied(postgres_settings, store.max_notification_id())
        assert_equal_to_rebuild(postgres_settings, store)
    finally:
        store.close()


def test_read_your_writes_wait_is_bounded(postgres_settings: Settings) -> None:
    store = EventStore(postgres_settings)
    db = Database(postgres_settings)
    try:
        world = World(Commands(store))
        read_models = ReadModels(postgres_settings, db, store)
        head = store.max_notification_id()
        catch_up(postgres_settings, store)
        assert read_models.wait_for(head, timeout=1.0)
        outcome = world.commands.propose(
            world.ctx(world.operator), call_id=world.call_id, profile=complete_profile()
        )
        started = time.monotonic()
        assert not read_models.wait_for(outcome.notification_id, timeout=0.3)  # nobody applies it
        assert time.monotonic() - started < 10  # bounded (generous: never hangs)
        runner = read_models.start(poll_interval=0.2)
        assert runner is read_models.runner
        try:
            assert read_models.wait_for(outcome.notification_id, timeout=20)
        finally:
            read_models.stop()
    finally:
        db.close()
        store.close()


def test_status_reports_position_and_lag(settings: Settings, store: EventStore) -> None:
    World(Commands(store))
    head = store.max_notification_id()
    behind = {s.name: s for s in status(settings, store=store)}
    assert behind["innovations"].lag_events == head
    assert behind["innovations"].lag_seconds >= 0
    catch_up(settings, store)
    caught = {s.name: s for s in status(settings, store=store)}
    assert all(s.position == head and s.lag_events == 0 for s in caught.values())
    assert all(s.lag_seconds == 0 for s in caught.values())
    assert caught["directory"].owner


def test_sqlite_runners_elect_one_active_and_hand_over(sqlite_settings: Settings) -> None:
    """The embedded mode's lock (flock): of two runners one applies; when it stops, the other
    takes over."""
    store = EventStore(sqlite_settings)
    runners = [Runner(sqlite_settings, store=store, lock_retry=0.1) for _ in range(2)]
    stops = [threading.Event(), threading.Event()]
    threads = [
        threading.Thread(target=r.run, args=(s,), daemon=True)
        for r, s in zip(runners, stops, strict=True)
    ]
    try:
        world = World(Commands(store))
        threads[0].start()
        assert wait_applied(sqlite_settings, store.max_notification_id())
        threads[1].start()
        time.sleep(0.5)
        assert runners[0].owned() == runners[0].names and runners[1].owned() == []
        outcome = world.commands.submit(world.ctx(world.operator), world.complete_draft("Giliran"))
        assert wait_applied(sqlite_settings, outcome.notification_id)
        assert runners[1].owned() == []

        stops[0].set()  # the active runner stops; the standby takes over
        runners[0].nudge()
        threads[0].join(timeout=30)
        outcome = world.commands.submit(
            world.ctx(world.operator), world.complete_draft("Pengganti")
        )
        assert wait_applied(sqlite_settings, outcome.notification_id)
        assert runners[1].owned() == runners[1].names
        assert_equal_to_rebuild(sqlite_settings, store)
    finally:
        for runner, stop, thread in zip(runners, stops, threads, strict=True):
            stop.set()
            runner.nudge()
            if thread.is_alive():
                thread.join(timeout=30)
        store.close()
