"""A LISTEN/NOTIFY subscription that cannot miss the NOTIFY of an event stored while it starts.

The library's ``PostgresSubscription`` starts its pull thread (read what is stored, then wait for
a NOTIFY) and its listen thread (take a connection, ``LISTEN``) side by side. When the pull runs
first and an event is stored before the ``LISTEN`` is in place, its NOTIFY goes to nobody and the
subscription waits forever with the event stored. Here the first pull waits until the ``LISTEN``
is in place: an event stored before it is read by that pull, one stored after it is notified.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Subscription
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresSubscription
from psycopg.sql import SQL, Identifier


class ListenFirstSubscription(PostgresSubscription):
    def __init__(
        self,
        recorder: PostgresApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        self._listening = threading.Event()  # before the base starts the threads that use it
        super().__init__(recorder=recorder, gt=gt, topics=topics)

    def stop(self) -> None:
        super().stop()
        self._listening.set()  # a pull still waiting for the LISTEN returns

    def _loop_on_pull(self) -> None:
        self._listening.wait()
        super()._loop_on_pull()

    def _listen(self) -> None:
        try:
            with self._recorder.datastore.get_connection() as conn:
                conn.execute(SQL("LISTEN {0}").format(Identifier(self._recorder.channel_name)))
                self._listening.set()
                while not self._has_been_stopped and not self._thread_error:
                    # At most 0.1 s per wait, so a stop is seen without a NOTIFY.
                    for _ in conn.notifies(timeout=0.1, stop_after=1):
                        self._has_been_notified.set()
        except BaseException as e:
            if self._thread_error is None:
                self._thread_error = e
            self.stop()


class ListenFirst:
    """Mixin for a PostgreSQL application recorder: ``subscribe`` listens before it reads."""

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[Any]:
        assert isinstance(self, PostgresApplicationRecorder)
        return ListenFirstSubscription(recorder=self, gt=gt, topics=topics)
