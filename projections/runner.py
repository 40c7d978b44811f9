"""The projection runner: follows the notification log and keeps every read model up to date.

How it stays exactly-once and available:

- **Batches.** One page of the log (``batch_size`` notifications, a few hundred; up to
  ``max_batch`` while far behind) is read and decoded once, then applied to every read model in
  ONE transaction, which also moves their tracking positions (``projections.tracking``): one
  lock statement, one update and one commit per wake-up, however many models. A crash before
  the commit loses the whole batch, a crash after it loses nothing: the next start continues
  from the positions. Should one model fail, nothing of that transaction stays and each model
  applies the batch in its own transaction, so the failure stays that model's (below).
- **Slices.** Live (a page that is not full), a backlog is applied in up to four slices, each
  its own transaction (``projections.slices``): the events that waited longest show as soon as
  their slice commits, not when the whole backlog is written. A slice after one in which a model
  stopped short (failure, poison, moved position) is not applied; the next step re-reads.
- **Heap.** In its own process (``sirisma project``) the runner freezes the garbage collector's
  view of everything alive once it has caught up (``projections.heap``): full collections then
  no longer scan the imported code and caches, pauses that held every position still.
- **Compare-and-set.** The transaction locks the model's tracking row and checks it still holds
  the position the batch was read after; if another writer (a rebuild's swap, a runner that took
  over) moved it, the batch is dropped and re-read. An event is never applied twice, whatever
  the timing.
- **Kept state.** A model keeps the per-key state it loaded (an innovation's fold, up to
  ``LIVE_CAPACITY`` keys) from batch to batch instead of reading it again each time. Every
  writer of a model's tables stamps its name on the tracking row in the same transaction
  (``owner``), so the row lock that checks the position also shows whether anyone else wrote
  the tables since: then the kept state is dropped and the batch applied again from the rows.
- **One active runner per model.** A runner applies a model only while it holds that model's
  lock (PostgreSQL advisory lock on its own connection; ``flock`` on SQLite). Other runners wait
  as hot standbys and retry the lock every ``lock_retry`` seconds; the lock dies with its
  connection, so a killed or disconnected runner is replaced within about that long.
- **Wake-up.** On PostgreSQL the event store NOTIFYs its channel in every insert transaction
  (eventsourcing 9.5's recorder does it; no trigger needed); a listener thread wakes the runner,
  once per step however many commits arrived meanwhile (``_Listener``).
  Polling every ``poll_interval`` seconds is the fallback, and the only mechanism on SQLite, where
  readers waiting for their own write also nudge the runner.
- **Reconnects.** Any connection error closes everything, releases the locks (the connection is
  gone) and starts over after a growing pause (0.25 s … 5 s): a database restart is survived
  without intervention. An error inside one model's ``apply`` only pauses that model.
- **Poison events.** No single event may halt a model. When a batch fails, the model applies
  that stretch of the log one event per transaction, to find the culprit; an event that fails
  ``attempts`` times in a row (pausing 2×``retry_pause``, 4×, … between tries), or that cannot
  be decoded at all, is recorded in quarantine (``services.quarantine``) in the transaction
  that moves the model's position past it, and the model goes on. ``sirisma projections
  retry-quarantined`` applies it later (``services.reads.requeue``).
"""

from __future__ import annotations

import logging
import select
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from projections import heap, registry, tracking
from projections.base import Envelope, Projection
from projections.log import Decoder, EventLog, RawRow, union_topics
from projections.slices import DEFAULT_LEAST, DEFAULT_MOST, slices
from projections.target import Session, Target
from projections.tracking import owner_id
from services import quarantine
from services.config import Settings
from services.eventstore.store import EventStore

log = logging.getLogger("sirisma.projections")

DEFAULT_BATCH = 500
#: Keys of per-key state (an innovation's fold, a catalogue entry) a live model keeps between
#: batches, so a batch reads from its tables only the keys it has not seen; over this, the
#: older half is dropped.
LIVE_CAPACITY = 4096
DEFAULT_ATTEMPTS = 5  # tries of one event (after its batch failed) before it is quarantined
RETRY_PAUSE = 0.5  # seconds; doubled after each failed try of one event (1, 2, 4, 8 s)


class _Moved(Exception):
    def __init__(self, position: int) -> None:
        self.position = position


class _Alone(Exception):
    """Apply these models one by one (``Runner._apply_together`` cannot take them all: a
    position moved by another writer, or a tracking row missing)."""


class Model:
    """A read model as one runner sees it: owned or not, and where it stands."""

    def __init__(self, projection: Projection) -> None:
        self.projection = projection
        self.name = projection.name
        topics = getattr(projection, "topics", None)
        self.topics: frozenset[str] | None = frozenset(topics) if topics is not None else None
        self.owned = False
        self.position = 0
        self.failures = 0
        self.paused_until = 0.0
        self.last_error: str | None = None
        self.isolate_until = 0  # after a failed batch: one event per transaction up to here
        self.keeps = False  # holds state from its own writes (then only they may be in the rows)

    def discard(self) -> None:
        self.keeps = False
        discard = getattr(self.projection, "discard", None)
        if discard is not None:
            discard()

    def current(self, position: int, owner: str | None, runner: str) -> bool:
        """Its tracking row (position, last writer) is as this runner left it: the position it
        holds, and no other writer since, if it keeps state from its own writes."""
        return position == self.position and (owner == runner or not self.keeps)

    def wants(self, env: Envelope) -> bool:
        return self.wants_topic(env.topic)

    def wants_topic(self, topic: str) -> bool:
        return self.topics is None or topic in self.topics


def _is_disconnect(session: Session, exc: BaseException) -> bool:
    if session.dialect == "postgres":
        import psycopg

        return bool(
            session.conn.closed
            or session.conn.broken
            or isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))
        )
    return isinstance(exc, sqlite3.OperationalError) and "locked" not in str(exc)


class Runner:
    def __init__(
        self,
        settings: Settings,
        projections: Sequence[Projection] | None = None,
        *,
        store: EventStore | None = None,
        schema: str | None = None,
        batch_size: int = DEFAULT_BATCH,
        max_batch: int = 4 * DEFAULT_BATCH,
        poll_interval: float | None = None,
        lock_retry: float = 1.0,
        owner: str | None = None,
        on_batch: Callable[[str, int], None] | None = None,
        attempts: int | None = None,
        retry_pause: float | None = None,
        slice_size: int = DEFAULT_LEAST,
        max_slices: int = DEFAULT_MOST,
    ) -> None:
        self.settings = settings
        self.target = Target(settings, schema)
        self._own_store = store is None
        self.store = store or EventStore(settings)
        self.log = EventLog(self.store)
        self.models = [Model(p) for p in (projections or registry.all_projections(LIVE_CAPACITY))]
        self.decoder = Decoder(union_topics([m.projection for m in self.models]))
        self.batch_size = batch_size
        self.max_batch = max(batch_size, max_batch)
        self._page = batch_size
        self.slice_size, self.max_slices = slice_size, max_slices
        self.poll_interval = poll_interval or (2.0 if self.target.dialect == "postgres" else 0.2)
        self.lock_retry = lock_retry
        self.owner = owner or owner_id()
        self.on_batch = on_batch
        self.attempts = max(1, attempts or DEFAULT_ATTEMPTS)
        self.retry_pause = RETRY_PAUSE if retry_pause is None else retry_pause
        self._wake = threading.Event()
        self._armed = threading.Event()  # a step is about to read the log (``_Listener``)
        self._cond = threading.Condition()
        self._next_lock_try = 0.0
        self.connected = False

    # -- public ----------------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def owned(self) -> list[str]:
        return [m.name for m in self.models if m.owned]

    def positions(self) -> dict[str, int]:
        with self._cond:
            return {m.name: m.position for m in self.models if m.owned}

    def nudge(self) -> None:
        """Look at the log now (a reader is waiting for its own write)."""
        self._wake.set()

    def wait_for(self, notification_id: int, timeout: float, names: Sequence[str]) -> bool:
        """Until every named model (owned here) applied ``notification_id``; False on timeout."""
        deadline = time.monotonic() + max(0.0, timeout)
        wanted = [m for m in self.models if m.name in set(names)]
        self.nudge()
        with self._cond:
            while True:
                if all(m.owned and m.position >= notification_id for m in wanted):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))

    def run(self, stop: threading.Event) -> None:
        """Follow the log until ``stop`` is set, surviving database restarts."""
        backoff = 0.25
        settle = heap.owns_process()
        while not stop.is_set():
            session: Session | None = None
            listener: _Listener | None = None
            try:
                session = self.target.connect()
                self._prepare(session)
                self.connected = True
                if self.log.postgres:
                    listener = _Listener(
                        self.target, self.log.channel, self._wake, self._armed, stop
                    )
                backoff = 0.25
                while not stop.is_set():
                    self._acquire(session)
                    self._wake.clear()
                    self._armed.set()
                    if self._step(session) == 0:
                        if settle and self.owned():  # caught up: the heap is code and caches
                            heap.settle()
                            settle = False
                        idle = self.poll_interval if self.owned() else self.lock_retry
                        self._wake.wait(idle)
            except Exception as exc:
                self.connected = False
                if stop.is_set():
                    break
                log.warning(
                    "projection runner stopped by %s: %s; reconnecting in %.1fs",
                    type(exc).__name__,
                    exc,
                    backoff,
                )
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                self._release_all()
                if listener is not None:
                    listener.close()
                if session is not None:
                    session.close()
        self.connected = False

    def catch_up(self, timeout: float = 60.0) -> int:
        """Apply everything in the log now (waiting up to ``timeout`` for the locks); return the
        number of notifications read. For the CLI's ``--once``, tests and benchmarks."""
        session = self.target.connect()
        total = 0
        try:
            self._prepare(session)
            deadline = time.monotonic() + timeout
            while True:
                self._next_lock_try = 0.0
                self._acquire(session)
                if len(self.owned()) == len(self.models):
                    break
                if time.monotonic() >= deadline:
                    missing = sorted(set(self.names) - set(self.owned()))
                    raise TimeoutError(f"read models held by another runner: {missing}")
                time.sleep(0.1)
            while True:
                applied = self._step(session)
                total += applied
                if applied:
                    continue
                # A model paused after a failure is waited for: bounded tries end in success
                # or quarantine, so this always ends.
                paused = [m.paused_until for m in self.models if m.owned and m.failures]
                if not paused:
                    return total
                time.sleep(max(0.0, min(paused) - time.monotonic()))
        finally:
            self._release_all()
            session.close()

    def close(self) -> None:
        if self._own_store:
            self.store.close()

    # -- internals -------------------------------------------------------------------------------

    def _prepare(self, session: Session) -> None:
        with session.transaction() as tx:
            tracking.ensure_schema(
                tx, registry.schema_statements(session.dialect, [m.projection for m in self.models])
            )

    def _acquire(self, session: Session) -> None:
        now = time.monotonic()
        if now < self._next_lock_try or all(m.owned for m in self.models):
            return
        self._next_lock_try = now + self.lock_retry
        for model in self.models:
            if model.owned or not session.try_lock(model.name):
                continue
            try:
                position = self._check_shape(session, model)
            except Exception as exc:  # e.g. its rebuild failed: the other models go on
                if _is_disconnect(session, exc):
                    raise
                session.unlock(model.name)
                model.last_error = quarantine.error_text(exc)
                log.exception("read model %s cannot start; trying again later", model.name)
                continue
            model.discard()
            with self._cond:
                model.position, model.owned = position, True
            log.info(
                "read model %s: active in %s from position %d", model.name, self.owner, position
            )

    def _check_shape(self, session: Session, model: Model) -> int:
        """The model's position, after rebuilding it if its tables or ``version`` changed since
        it was built (the stored signature differs): old rows never meet new code."""
        expected = tracking.signature(model.projection, session.dialect)
        with session.transaction() as tx:
            position = tracking.lock(tx, model.name)
            stored = tracking.read(tx, [model.name])[model.name].signature
            if stored == expected:
                return position
            if position == 0:  # nothing applied yet: recreate the tables, no rebuild needed
                for table in model.projection.tables:
                    tx.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in model.projection.schema(session.dialect, ""):
                    tx.execute(statement)
                tracking.advance(
                    tx, model.name, 0, event_time=None, owner=self.owner, signature=expected
                )
                return 0
        from projections.rebuild import RebuildBusy, rebuild

        log.warning(
            "read model %s was built by another version (%s, now %s): rebuilding it",
            model.name,
            stored,
            expected,
        )
        try:
            rebuild(
                self.settings,
                schema=self.target.schema,
                store=self.store,
                projections=[model.projection],
            )
        except RebuildBusy:
            raise
        except Exception as exc:
            if _is_disconnect(session, exc):
                raise
            # A rebuild quarantines poison events too; should it fail anyway, start the model
            # over here, where a failing event is quarantined (incomplete until caught up).
            log.exception(
                "read model %s: rebuild failed; applying the log from the start instead",
                model.name,
            )
            with session.transaction() as tx:
                tracking.lock(tx, model.name)
                for table in model.projection.tables:
                    tx.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in model.projection.schema(session.dialect, ""):
                    tx.execute(statement)
                quarantine.forget(tx, model.name)
                tracking.advance(
                    tx, model.name, 0, event_time=None, owner=self.owner, signature=expected
                )
            return 0
        with session.transaction() as tx:
            return tracking.lock(tx, model.name)

    def _release_all(self) -> None:
        with self._cond:
            for model in self.models:
                if model.owned:
                    model.owned = False
                    model.discard()
            self._cond.notify_all()

    def _step(self, session: Session) -> int:
        """Apply one page of the log to every model this runner owns; 0 when there is nothing."""
        now = time.monotonic()
        active = [m for m in self.models if m.owned and m.paused_until <= now]
        if not active:
            return 0
        start = min(m.position for m in active)
        rows = self.log.read(start, self._page, session.conn)
        full = len(rows) == self._page
        # Far behind (a full page): read bigger pages, so each touched row is written once for
        # more events; back to ``batch_size`` as soon as the log is caught up.
        self._page = min(self._page * 2, self.max_batch) if full else self.batch_size
        for part in slices(rows, 0 if full else self.slice_size, self.max_slices):
            self._apply_rows(session, active, part)
            if any(m.position < part[-1][0] for m in active):
                break  # a model stopped short (failed, moved, poison): the next step re-reads
        return len(rows)

    def _apply_rows(self, session: Session, active: list[Model], rows: Sequence[RawRow]) -> None:
        """Apply ``rows`` (a stretch of the log) to the active models, in one transaction when
        all of them can take it, each on its own otherwise."""
        last = rows[-1][0]
        undecodable: dict[int, tuple[str, str]] = {}
        envelopes = self.decoder.decode(rows, undecodable)
        together: list[tuple[Model, list[Envelope], int]] = []
        for model in active:
            if last <= model.position:
                continue
            mine = [e for e in envelopes if e.notification_id > model.position and model.wants(e)]
            poison = [
                nid
                for nid, (topic, _) in sorted(undecodable.items())
                if nid > model.position and model.wants_topic(topic)
            ]
            upto = last
            if poison:  # apply what comes before it, then quarantine it (retrying cannot help)
                if poison[0] == model.position + 1:
                    topic, error = undecodable[poison[0]]
                    self._quarantine(session, model, poison[0], topic, None, error, 1)
                    continue
                upto = poison[0] - 1
                mine = [e for e in mine if e.notification_id <= upto]
            if model.isolate_until > model.position:
                self._isolate(session, model, mine, upto)
            else:
                together.append((model, mine, upto))
        if len(together) > 1 and self._apply_together(session, together):
            together = []
        for model, mine, upto in together:  # one model, or one by one after a failure
            self._apply(session, model, mine, upto)

    def _apply_together(
        self, session: Session, plans: list[tuple[Model, list[Envelope], int]]
    ) -> bool:
        """Apply every model's batch and move their positions in ONE transaction (a step's cost
        is then one lock, one update and one commit, not one transaction per model: under a
        steady stream of small batches that is most of the live lag). The lock is sent first,
        but its positions are read after the models applied their batches: they travel with
        the models' own reads (one round trip less per step). False, with nothing applied,
        when a model fails or its row is not as this runner left it (another writer moved its
        position or wrote its tables, or the row is gone): the caller then applies each in its own
        transaction, where a move is re-read and a failure is isolated and quarantined as
        before (``_apply``)."""
        try:
            with session.pipelined() as tx:
                positions = tracking.lock_all(tx, [m.name for m, _, _ in plans])
                for model, batch, _ in plans:
                    if batch:
                        model.projection.apply(tx, batch, "")
                rows = positions()
                if any(
                    m.name not in rows or not m.current(*rows[m.name], self.owner)
                    for m, _, _ in plans
                ):
                    raise _Alone()  # nothing of this transaction is kept
                moves = [
                    (model.name, last, batch[-1].event.timestamp if batch else None)
                    for model, batch, last in plans
                ]
                tracking.advance_all(tx, moves, owner=self.owner)
        except Exception as exc:
            for model, _, _ in plans:
                model.discard()
            if _is_disconnect(session, exc):
                raise
            if not isinstance(exc, _Alone):
                log.info("read models applied one by one after %s: %s", type(exc).__name__, exc)
            return False
        with self._cond:
            for model, _, last in plans:
                model.position, model.keeps = last, True
                model.failures, model.last_error = 0, None
            self._cond.notify_all()
        if self.on_batch is not None:
            for model, _, last in plans:
                self.on_batch(model.name, last)
        return True

    def _isolate(self, session: Session, model: Model, batch: list[Envelope], last: int) -> None:
        """After a failed batch: one event per transaction up to ``model.isolate_until``, so
        the event that fails is found and every other one is applied."""
        upto = min(last, model.isolate_until)
        for env in batch:
            if env.notification_id > upto:
                break
            if not self._apply(session, model, [env], env.notification_id):
                return
        if model.position < upto:
            self._apply(session, model, [], upto)

    def _quarantine(
        self,
        session: Session,
        model: Model,
        notification_id: int,
        topic: str,
        originator_id: str | None,
        error: str,
        attempts: int,
    ) -> None:
        """Record the event as quarantined and move the model past it, in one transaction."""
        try:
            with session.transaction() as tx:
                current = self._lock(tx, model)
                if current != model.position:
                    raise _Moved(current)
                quarantine.record(
                    tx, model.name, notification_id, topic, originator_id, error, attempts
                )
                tracking.advance(tx, model.name, notification_id, event_time=None, owner=self.owner)
        except _Moved as moved:
            model.discard()
            with self._cond:
                model.position = moved.position
            return
        log.error(
            "read model %s: notification %d (%s) quarantined after %d attempt(s): %s",
            model.name,
            notification_id,
            topic,
            attempts,
            error,
        )
        model.failures, model.last_error, model.paused_until = 0, None, 0.0
        with self._cond:
            model.position = notification_id
            self._cond.notify_all()
        if self.on_batch is not None:
            self.on_batch(model.name, notification_id)

    def _lock(self, tx: Any, model: Model) -> int:
        """The model's position, locked; the state it keeps is dropped first when another
        writer (a rebuild's swap, a retried quarantined event, another runner) wrote its tables
        since this runner last did (``tracking.lock_owned``)."""
        position, owner = tracking.lock_owned(tx, model.name)
        if not model.current(model.position, owner, self.owner):
            model.discard()
        return position

    def _apply(self, session: Session, model: Model, batch: list[Envelope], last: int) -> bool:
        """Apply ``batch`` and move the position to ``last``; False when it did not happen."""
        try:
            with session.transaction() as tx:
                current = self._lock(tx, model)
                if current != model.position:
                    raise _Moved(current)
                if batch:
                    model.projection.apply(tx, batch, "")
                event_time: datetime | None = batch[-1].event.timestamp if batch else None
                tracking.advance(tx, model.name, last, event_time=event_time, owner=self.owner)
        except _Moved as moved:
            log.info(
                "read model %s moved to %d by another writer (was %d); re-reading",
                model.name,
                moved.position,
                model.position,
            )
            model.discard()
            with self._cond:
                model.position = moved.position
            return False
        except Exception as exc:
            model.discard()
            if _is_disconnect(session, exc):
                raise
            model.last_error = quarantine.error_text(exc)
            if isinstance(exc, sqlite3.OperationalError):  # "locked": busy, not poison
                model.paused_until = time.monotonic() + 1.0
                log.warning("read model %s: %s; trying again", model.name, exc)
                return False
            if len(batch) > 1:  # which event? one per transaction from here to ``last``
                model.isolate_until = last
                log.warning(
                    "read model %s failed at notifications %d..%d (%s); applying them one by one",
                    model.name,
                    model.position + 1,
                    last,
                    model.last_error,
                )
                return False
            model.failures += 1
            if batch and model.failures >= self.attempts:
                env = batch[0]
                self._quarantine(
                    session,
                    model,
                    env.notification_id,
                    env.topic,
                    env.key or str(env.event.originator_id),
                    model.last_error,
                    model.failures,
                )
                return False
            pause = min(self.retry_pause * 2**model.failures, 30.0)
            model.paused_until = time.monotonic() + pause
            log.exception(
                "read model %s failed at notifications %d..%d; paused %.1fs",
                model.name,
                model.position + 1,
                last,
                pause,
            )
            return False
        model.failures, model.last_error = 0, None
        with self._cond:
            model.position, model.keeps = last, True
            self._cond.notify_all()
        if self.on_batch is not None:
            self.on_batch(model.name, last)
        return True


class _Listener:
    """LISTEN on the event store's channel in a thread; a NOTIFY wakes the runner.

    Once per step, not once per commit: after a wake-up the listener reads nothing until the
    runner ``armed`` it again, just before its next step reads the log. What arrives meanwhile
    waits in the socket; that step's read of the log sees those commits anyway (and when
    armed, the listener reads them and wakes the runner once more, a step that may find
    nothing). ``armed`` is cleared before ``wake`` is set, so a step that starts in between
    is never left without a listener. At a thousand commits a second, a wake-up per
    notification cost this thread ~30 µs of CPU and the GIL each time, taken from the runner."""

    def __init__(
        self,
        target: Target,
        channel: str,
        wake: threading.Event,
        armed: threading.Event,
        stop: threading.Event,
    ) -> None:
        self.target, self.channel, self.wake, self.armed, self.stop = (
            target,
            channel,
            wake,
            armed,
            stop,
        )
        self._closed = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sirisma-listen", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import psycopg

        while not (self.stop.is_set() or self._closed.is_set()):
            try:
                with psycopg.connect(
                    self.target.settings.database_url, autocommit=True, connect_timeout=10
                ) as conn:
                    conn.execute(f'LISTEN "{self.channel}"')
                    self.wake.set()  # anything committed before LISTEN is seen by a step
                    while not (self.stop.is_set() or self._closed.is_set()):
                        if not self.armed.wait(1.0):
                            continue
                        if select.select([conn.pgconn.socket], [], [], 1.0)[0]:
                            self._drain(conn.pgconn)
            except Exception as exc:
                log.debug("listener reconnecting after %s", exc)
                self._closed.wait(1.0)

    def _drain(self, pgconn: Any) -> None:
        """Every notification that arrived, read at once (the payloads are not needed, only
        that something was committed; psycopg's ``notifies()`` builds a generator, takes a
        lock and makes a ``Notify`` per notification), wakes the runner once."""
        import psycopg

        pgconn.consume_input()  # raises when the connection is gone: reconnect
        if pgconn.status != psycopg.pq.ConnStatus.OK:
            raise psycopg.OperationalError("listener connection lost")
        woken = False
        while pgconn.notifies() is not None:
            woken = True
        if woken:
            self.armed.clear()  # before the wake-up: the step it starts arms it again
            self.wake.set()

    def close(self) -> None:
        self._closed.set()
        self.thread.join(timeout=5)


# --- the runtime's view: read-your-writes and status ---------------------------------------------


class ReadModels:
    """What HTTP handlers use (``runtime.read_models``): wait for a write, report positions.

    In the embedded mode it also runs a ``Runner`` in a background thread of this process.
    """

    def __init__(self, settings: Settings, db: Any, store: EventStore) -> None:
        self.settings = settings
        self.db = db
        self.store = store
        self.names = registry.names()
        self.runner: Runner | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, **options: Any) -> Runner:
        """Run the projections in a background thread until ``stop()``."""
        if self.runner is None:
            self.runner = Runner(self.settings, store=self.store, **options)
            self._stop.clear()
            self._thread = threading.Thread(
                target=self.runner.run, args=(self._stop,), name="sirisma-projections", daemon=True
            )
            self._thread.start()
        return self.runner

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self.runner is not None:
            self.runner.nudge()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        self.runner = None

    def positions(self, names: Sequence[str] | None = None) -> dict[str, int]:
        rows = self.db.rows(f"SELECT name, position FROM {tracking.TABLE}")
        found = {r["name"]: int(r["position"]) for r in rows}
        return {n: found.get(n, 0) for n in (names or self.names)}

    def wait_for(
        self, notification_id: int, timeout: float = 5.0, names: Sequence[str] | None = None
    ) -> bool:
        """Bounded read-your-writes: True once every named read model (all by default) has
        applied ``notification_id``; False when ``timeout`` seconds pass first."""
        wanted = list(names or self.names)
        timeout = min(max(timeout, 0.0), 60.0)
        runner = self.runner
        if runner is not None and set(wanted) <= set(runner.owned()):
            return runner.wait_for(notification_id, timeout, wanted)
        if runner is not None:
            runner.nudge()
        deadline = time.monotonic() + timeout
        pause = 0.005
        while True:
            positions = self.positions(wanted)
            if all(positions[n] >= notification_id for n in wanted):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.05)
