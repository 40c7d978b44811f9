"""services/eventstore/subscription.py on real PostgreSQL: an event stored while a subscription is
still setting up its LISTEN reaches the subscriber.

The library's own subscription lost it (its pull ran, the event was stored, then the LISTEN came:
the NOTIFY went to nobody and the subscriber waited forever). That is what timed out
``TestChainedInsertPathLibraryCases.test_insert_subscribe`` in CI. Here the LISTEN is held back
half a second, which turns that rare interleaving into the usual one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from services.eventstore.group_commit import GroupCommitChainedRecorder
from services.eventstore.subscription import ListenFirst
from tests.factories import stored_event
from tests.test_group_commit import datastore_for

pytestmark = pytest.mark.postgres


class _SlowListen(PostgresDatastore):
    """The subscription's listen thread gets its connection half a second late."""

    def get_connection(self) -> Any:
        if "_listen" in threading.current_thread().name:
            time.sleep(0.5)
        return super().get_connection()


@pytest.fixture
def slow_listen(postgres_url: str) -> Iterator[PostgresDatastore]:
    slow = datastore_for(postgres_url, kind=_SlowListen)
    yield slow
    slow.close()


def _first(subscription: Any, timeout: float = 10.0) -> Notification | None:
    """The subscription's next notification, or None when none came within ``timeout``."""
    got: list[Notification] = []
    reader = threading.Thread(target=lambda: got.extend(n for n in [next(subscription, None)] if n))
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        subscription.stop()
        reader.join(10)
    return got[0] if got else None


def _stored_while_listen_is_pending(
    recorder: PostgresApplicationRecorder, timeout: float = 10.0
) -> bool:
    recorder.create_table()
    event = stored_event(uuid4(), 1)
    with recorder.subscribe(gt=recorder.max_notification_id()) as subscription:
        time.sleep(0.1)  # the library's pull has run by now; the LISTEN has not
        recorder.insert_events([event])
        first = _first(subscription, timeout)
    return first is not None and first.originator_id == event.originator_id


def test_an_event_stored_before_the_listen_is_in_place_is_received(
    slow_listen: PostgresDatastore,
) -> None:
    assert _stored_while_listen_is_pending(GroupCommitChainedRecorder(slow_listen))


def test_the_library_subscription_loses_that_event(slow_listen: PostgresDatastore) -> None:
    """The interleaving is real: without ``ListenFirst`` the same steps receive nothing."""
    # Two seconds are plenty: the LISTEN is in place after half of one.
    assert not _stored_while_listen_is_pending(PostgresApplicationRecorder(slow_listen), 2.0)


def test_stopping_before_the_listen_is_in_place_ends_the_subscription(
    slow_listen: PostgresDatastore,
) -> None:
    recorder = GroupCommitChainedRecorder(slow_listen)
    recorder.create_table()
    assert isinstance(recorder, ListenFirst)
    subscription = recorder.subscribe(gt=None)
    with subscription:
        subscription.stop()
        assert list(subscription) == []
