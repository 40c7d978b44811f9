"""The embedded default: relay, tasks and schedules in one background thread of this process.

Without ``SIRISMA_REDIS_URL`` there is no broker and no worker, yet the single-command start must
still notify people. This runner does what the distributed shape does, with the same code: it
plans the log into the outbox (``relay.plan_batch``), executes due outbox rows in-process
(``delivery.execute``) with the same exponential backoff and dead letters as the Celery tasks,
and runs the beat scans every few minutes. It is started by ``Runtime`` and stopped on close.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from services.notification import audit_trail, delivery, outbox, relay, schedules
from services.notification.delivery import MAX_RETRIES, TRANSIENT_ERRORS, Busy, Services
from services.notification.schema import utcnow

log = logging.getLogger("sirisma.notification.embedded")
BATCH = 500
IDLE_CHECK = 5.0  # seconds between outbox checks when nothing seems to be happening


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 … seconds, at most five minutes (the Celery tasks' schedule, without jitter)."""
    return timedelta(seconds=min(2**attempts, 300))


class EmbeddedRunner:
    def __init__(
        self,
        rt: Services,
        *,
        poll_interval: float = 0.5,
        schedule_interval: timedelta = timedelta(minutes=10),
    ) -> None:
        self.rt = rt
        self.poll_interval = poll_interval
        self.schedule_interval = schedule_interval
        self._next_scan: datetime | None = None
        self._planned_head: int | None = None
        self._busy = True
        self._poked = False
        self._next_idle_check = 0.0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.planner = relay.Planner(rt)

    # -- one round ---------------------------------------------------------------------------

    def execute_due(self, now: datetime | None = None, limit: int = 200) -> int:
        done = 0
        for due in outbox.due_for_execution(self.rt.db, now or utcnow(), limit):
            if self._stop.is_set():
                break
            attempts = due.attempts + 1
            try:
                delivery.execute(self.rt, due.key)
                done += 1
            except Busy as exc:
                outbox.defer(self.rt.db, due.key, exc, timedelta(seconds=exc.retry_in), attempts)
            except TRANSIENT_ERRORS as exc:
                if attempts > MAX_RETRIES:
                    outbox.bury(
                        self.rt.db, relay.task_name(due.key.channel), exc,
                        key=due.key, args=due.key.as_kwargs(), attempts=attempts,
                    )  # fmt: skip
                else:
                    log.warning("%s failed (%s); retry %d", due.key, exc, attempts)
                    outbox.defer(self.rt.db, due.key, exc, backoff(attempts), attempts)
            except Exception as exc:  # permanent: retrying cannot help
                log.error("%s failed permanently: %s", due.key, exc)
                outbox.bury(
                    self.rt.db, relay.task_name(due.key.channel), exc,
                    key=due.key, args=due.key.as_kwargs(), attempts=attempts,
                )  # fmt: skip
        return done

    def scan(self, now: datetime | None = None) -> None:
        """Beat's work: reminders and escalations, then sealing finished audit days."""
        moment = now or utcnow()
        schedules.plan_due(self.rt, moment)
        audit_trail.seal(self.rt, moment)

    def step(self, now: datetime | None = None) -> int:
        """Plan, scan when due, execute: returns the work done (0 = idle).

        An idle round costs one look at the log's head; the outbox is read when something was
        planned, the last round did work, someone called ``wake()``, or every
        ``IDLE_CHECK`` (deferred retries, rows put back by a dead-letter retry).
        """
        moment = now or utcnow()
        head = self.rt.store.max_notification_id()
        planned = 0
        if head != self._planned_head:
            planned = self.planner.plan(BATCH)
            if self.planner.caught_up:  # with the log as it was when we looked
                self._planned_head = head
        if self._planned_head == head and (self._next_scan is None or moment >= self._next_scan):
            # Scans read the relay's directory, so they wait until it has caught up.
            self._next_scan = moment + self.schedule_interval
            self.scan(moment)
            self._busy = True
        clock = time.monotonic()
        if planned or self._busy or self._poked or clock >= self._next_idle_check:
            self._poked = False
            self._next_idle_check = clock + IDLE_CHECK
            done = self.execute_due(moment)
            self._busy = done > 0
            return planned + done
        return planned

    # -- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        pause = self.poll_interval
        while not self._stop.is_set():
            try:
                work = self.step()
                pause = self.poll_interval
            except Exception:
                log.exception("embedded notification round failed; retrying in %.1fs", pause)
                work = 0
                pause = min(pause * 2, 10.0)
            if work == 0:
                self._wake.wait(pause)
                self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sirisma-notifications", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the log and the outbox now rather than at the next poll."""
        self._poked = True
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def start_embedded(rt: Services) -> EmbeddedRunner:
    """Start the runner for this runtime; the runtime stops it on close."""
    runner = EmbeddedRunner(rt)
    runner.start()
    rt.extensions["notifications"] = runner  # type: ignore[attr-defined]
    rt.on_close(runner.stop)  # type: ignore[attr-defined]
    return runner
