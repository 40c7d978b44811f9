"""The relay's advisory lock hands over at once: a standby trying right after a release wins."""

from __future__ import annotations

from services.notification.relay import AdvisoryLock


def test_a_released_lock_is_free_for_the_standby_at_once(postgres_url: str) -> None:
    active, standby = AdvisoryLock(postgres_url), AdvisoryLock(postgres_url)
    try:
        for _ in range(30):  # closing alone let the standby lose now and then
            assert active.hold() is True
            assert standby.hold() is False
            active.release()
            assert standby.hold() is True
            standby.release()
    finally:
        active.release()
        standby.release()


def test_a_held_lock_answers_from_its_own_connection(postgres_url: str) -> None:
    lock = AdvisoryLock(postgres_url)
    try:
        assert lock.hold() is True
        assert lock.hold() is True  # the holder asks again and keeps it
    finally:
        lock.release()
    assert lock._conn is None
