"""The runner's LISTEN thread (``projections.runner._Listener``) wakes the runner once per step,
not once per commit, and never loses a wake-up: commits that arrive while the runner is busy
are read by its next step, and any that arrive after a step read the log bring another step."""

from __future__ import annotations

import threading
import time

import psycopg

from projections.runner import _Listener
from projections.target import Target
from services.commands import Commands
from services.config import Settings
from services.eventstore.store import EventStore
from tests.factories import World, complete_profile
from tests.projections.test_runner import running, wait_applied

CHANNEL = "sirisma_listener_test"


def _notify(settings: Settings, count: int) -> None:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        for n in range(count):
            conn.execute(f"NOTIFY {CHANNEL}, '{n}'")


def test_a_burst_of_notifications_wakes_the_runner_once_it_is_armed(
    postgres_settings: Settings,
) -> None:
    wake, armed, stop = threading.Event(), threading.Event(), threading.Event()
    listener = _Listener(Target(postgres_settings), CHANNEL, wake, armed, stop)
    try:
        assert wake.wait(10)  # listening: anything committed before is for the next step
        wake.clear()
        _notify(postgres_settings, 5)  # the runner is busy (not armed): nothing is read
        time.sleep(0.3)
        assert not wake.is_set()
        armed.set()  # its next step: the five are read at once, one wake-up
        assert wake.wait(10)
        assert not armed.is_set()
        wake.clear()
        armed.set()
        time.sleep(0.3)
        assert not wake.is_set()  # nothing left over from the burst
        _notify(postgres_settings, 1)
        assert wake.wait(10)
    finally:
        stop.set()
        listener.close()


def test_commits_from_many_writers_are_all_applied_without_polling(
    postgres_settings: Settings,
) -> None:
    """Polling every two minutes: only the wake-ups can bring every commit in within the
    bounded wait, with commits arriving while the runner is in a step and between steps."""
    store = EventStore(postgres_settings)
    try:
        world = World(Commands(store))
        with running(postgres_settings, store, poll_interval=120.0, lock_retry=0.1):
            assert wait_applied(postgres_settings, store.max_notification_id())
            ids: list[int] = []

            def writer() -> None:
                for _ in range(10):
                    ids.append(
                        world.commands.propose(
                            world.ctx(world.operator),
                            call_id=world.call_id,
                            profile=complete_profile(),
                        ).notification_id
                    )

            threads = [threading.Thread(target=writer) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert wait_applied(postgres_settings, max(ids), timeout=20)
    finally:
        store.close()
