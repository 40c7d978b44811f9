"""Rebuild read models from the whole log into shadow tables, then swap them in.

Readers never see a half-built model: everything is written to ``<table>__rebuild`` and the swap
(drop the live tables, rename the shadow ones, move the tracking position) is one transaction per
model. Before it, that transaction locks the model's tracking row and applies whatever arrived
meanwhile, so a live runner working on the same model simply finds its position moved and carries
on from the rebuilt tables.

Speed: one pass over the log feeds every model being rebuilt (each page read once — by a reader
thread on PostgreSQL, so reading overlaps folding — and decoded once). Models with the ``fold`` /
``flush`` fast path keep their per-key state in memory across pages and write each changed row
once per checkpoint (COPY on PostgreSQL for new rows). A long log on PostgreSQL is folded by two
processes at once, ``innovations`` (most of the work) in this one and the other models in a
second, each over its own pass of the log (``_rebuild_in_two``): decoding and folding are Python
and hold the GIL, so only a second process puts the machine's other core to work.

A checkpoint (every ``checkpoint_seconds`` of work, 30 s on PostgreSQL and 2 s on SQLite, or
every ``checkpoint_events`` notifications) commits the shadow rows with the shadow's tracking
position, so a rebuild that is killed resumes from its last checkpoint instead of starting over.
Rows changed again after a checkpoint are written again, so checkpoints are few: a rebuild that
fits between two writes each row once.

No event stops a rebuild (as none stops the runner): one that cannot be decoded, or that a model
cannot write, is left out of that model and quarantined for it at the swap. A model that fails
while folding or flushing (where the failing event is not known) is rebuilt again from the start
with ``apply`` in savepoints, batch by batch and one event at a time around a failure
(``projections.isolate``); the other models go on from their last checkpoint.

``until`` builds the models as they stood at a past moment (events stamped later are left out);
``schema`` builds into another PostgreSQL schema (or SQLite file) instead of the live tables, e.g.
``sirisma rebuild --until 2025-12-31T23:59:59+07:00 --into audit_2025``.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from projections import registry, tracking
from projections.base import Envelope, Folding, Projection
from projections.isolate import Poisoned, apply_or_isolate, is_transient
from projections.log import Decoder, EventLog, RawRow, union_topics
from projections.second_process import SecondProcess
from projections.target import Session, Target
from projections.tracking import owner_id
from services import quarantine
from services.config import Settings
from services.db import Tx
from services.eventstore.store import EventStore

log = logging.getLogger("sirisma.projections.rebuild")

SHADOW = "__rebuild"
PAGE = 5_000
CHECKPOINT_SECONDS = {"postgres": 30.0, "sqlite": 2.0}  # SQLite: short write transactions
CAPACITY = 20_000
INDEX_WORKERS = 2  # connections building the shadow tables' indexes at once (PostgreSQL)
#: A log this long is rebuilt by two processes (PostgreSQL); below it, starting the second
#: process (about a second of imports) costs more than sharing the work saves.
PARALLEL_FROM = 200_000
#: Read models rebuilt apart from the others when two processes share a rebuild: innovations
#: alone takes about 60 % of the CPU of rebuilding every model (1 M events: its process 14 s,
#: the other seven models together 9 s, one process for all 16.5 s).
ALONE = frozenset({"innovations"})
#: How much lower the second process's CPU priority is (``os.nice``, ``_yield_cpu``).
APART_NICE = 5

Progress = Callable[[int, int], None]


class RebuildBusy(RuntimeError):
    pass


class ModelReport(msgspec.Struct):
    name: str
    position: int
    applied: int
    resumed_from: int
    quarantined: int = 0  # events left out of it and quarantined (undecodable or unwritable)


class RebuildReport(msgspec.Struct):
    models: list[ModelReport]
    notifications: int
    seconds: float
    rate: float  # notifications per second over the whole run
    position: int
    until: str | None
    schema: str | None


class _Job:
    def __init__(self, projection: Projection, start: int) -> None:
        self.projection = projection
        self.name = projection.name
        topics = getattr(projection, "topics", None)
        self.topics: frozenset[str] | None = frozenset(topics) if topics is not None else None
        self.folding = isinstance(projection, Folding)
        self.lazy = self.folding and "final" in inspect.signature(projection.flush).parameters  # type: ignore[attr-defined]
        self.start = start
        self.position = start
        self.committed = start  # the position of the shadow's last checkpoint
        self.applied = 0
        self.event_time: datetime | None = None
        # After an event it could not write: the model is rebuilt again from the start the
        # runner's way (a batch, or one event at a time), its failing events noted here.
        self.careful = False
        self.poisoned: dict[int, Poisoned] = {}

    def quarantined(self, skipped: dict[int, tuple[str, str]]) -> dict[int, Poisoned]:
        """What the swap quarantines for this model: the undecodable events it wants in its
        range and the events it could not write."""
        found = {
            nid: Poisoned(topic, "", error, 1)
            for nid, (topic, error) in skipped.items()
            if self.start < nid <= self.position and (self.topics is None or topic in self.topics)
        }
        return found | self.poisoned

    def take(self, envelopes: list[Envelope]) -> list[Envelope]:
        position, topics = self.position, self.topics
        if envelopes and envelopes[0].notification_id > position:  # the usual case
            return envelopes if topics is None else [e for e in envelopes if e.topic in topics]
        return [
            e
            for e in envelopes
            if e.notification_id > position and (topics is None or e.topic in topics)
        ]


def rebuild(
    settings: Settings,
    names: Sequence[str] | None = None,
    until: datetime | None = None,
    schema: str | None = None,
    *,
    store: EventStore | None = None,
    page_size: int = PAGE,
    checkpoint_events: int | None = None,
    checkpoint_seconds: float | None = None,
    capacity: int = CAPACITY,
    progress: Progress | None = None,
    lock_timeout: float = 120.0,
    projections: Sequence[Projection] | None = None,
    parallel_from: int | None = PARALLEL_FROM,
) -> RebuildReport:
    """Rebuild the named read models (all when none are named); see the module docstring.

    ``projections`` gives the instances to rebuild instead of the registry's (a runner rebuilding
    the very models it runs): they are rebuilt in this process. Otherwise, on PostgreSQL, a log
    of at least ``parallel_from`` notifications (None: never) is folded by two processes at once
    (``_rebuild_in_two``)."""
    if until is not None and until.tzinfo is None:
        raise ValueError("until must carry a time zone")
    own_store = store is None
    store = store or EventStore(settings)
    try:
        options = _Options(page_size, checkpoint_events, checkpoint_seconds, lock_timeout)
        if projections:
            given = list(projections)
            return _rebuild_here(settings, given, until, schema, store, options, progress)
        chosen = registry.select(names, capacity)
        here = [p for p in chosen if p.name in ALONE]
        apart = [p.name for p in chosen if p.name not in ALONE]
        if (
            here
            and apart
            and settings.is_postgres
            and parallel_from is not None
            and _log_head(settings, store) >= parallel_from
        ):
            return _rebuild_in_two(
                settings, here, apart, until, schema, store, options, progress, capacity
            )
        return _rebuild_here(settings, chosen, until, schema, store, options, progress)
    finally:
        if own_store:
            store.close()


def _log_head(settings: Settings, store: EventStore) -> int:
    """The log's last notification id, over a connection of its own: as the rest of a rebuild,
    this does not use the store's pool (a caller may pass a store whose pool is closed)."""
    import psycopg

    with psycopg.connect(settings.database_url, autocommit=True, connect_timeout=10) as conn:
        return EventLog(store).head(conn)


class _Options(NamedTuple):
    page_size: int
    checkpoint_events: int | None
    checkpoint_seconds: float | None
    lock_timeout: float


def _rebuild_in_two(
    settings: Settings,
    here: list[Projection],
    apart: list[str],
    until: datetime | None,
    schema: str | None,
    store: EventStore,
    options: _Options,
    progress: Progress | None,
    capacity: int,
) -> RebuildReport:
    """``ALONE`` (most of a rebuild's CPU) here, the other models in a second process, each
    over its own pass of the log, so a rebuild uses two cores instead of one. Each model is
    still built, checkpointed and swapped in on its own, as in one process. This process's
    models finish first either way; then it waits for the other's, and raises the first
    failure (of this process, else of the other) once both are done."""
    started = time.monotonic()
    if schema:
        Target(settings, schema).connect().close()  # one process creates the schema
    helper = SecondProcess(
        _rebuild_apart,
        {
            "settings": settings,
            "names": apart,
            "until": until,
            "schema": schema,
            "page_size": options.page_size,
            "checkpoint_events": options.checkpoint_events,
            "checkpoint_seconds": options.checkpoint_seconds,
            "capacity": capacity,
            "lock_timeout": options.lock_timeout,
        },
    )
    try:
        mine = _rebuild_here(settings, here, until, schema, store, options, progress)
    except Exception:
        with contextlib.suppress(Exception):
            helper.result()  # its models are rebuilt all the same
        raise
    except BaseException:
        helper.stop()
        raise
    theirs: RebuildReport = helper.result()
    order = {name: i for i, name in enumerate(registry.names())}
    models = sorted([*mine.models, *theirs.models], key=lambda m: order.get(m.name, len(order)))
    seconds = time.monotonic() - started
    done = max(mine.notifications, theirs.notifications)
    return RebuildReport(
        models=models,
        notifications=done,
        seconds=round(seconds, 3),
        rate=round(done / seconds, 1) if seconds > 0 else 0.0,
        position=max(mine.position, theirs.position),
        until=mine.until,
        schema=schema,
    )


def _rebuild_apart(**kwargs: Any) -> RebuildReport:
    """The second process's part: the named models, rebuilt in that process alone."""
    _yield_cpu()
    return rebuild(**kwargs, parallel_from=None)


def _yield_cpu() -> int:
    """Lower this process's CPU priority by ``APART_NICE``; the priority it then has.

    The second process's models take less CPU than ``ALONE`` and finish first. While both
    processes and PostgreSQL serving them want more CPU than the machine has, the scheduler
    then serves the longer one, which bounds the rebuild's wall time, first; the second takes
    what is left. 1 M events, back to back: 10.9-12.5 s without, 10.3-10.8 s at nice 10 (the
    second process sometimes finished last), 10.1-10.4 s at nice 5 (it finished 1.3-1.5 s
    before innovations)."""
    with contextlib.suppress(OSError):
        os.nice(APART_NICE)
    return os.getpriority(os.PRIO_PROCESS, 0)


def _rebuild_here(
    settings: Settings,
    projections: list[Projection],
    until: datetime | None,
    schema: str | None,
    store: EventStore,
    options: _Options,
    progress: Progress | None,
) -> RebuildReport:
    """The rebuild of ``projections`` by this process: one pass over the log feeds them all."""
    page_size, checkpoint_events, checkpoint_seconds, lock_timeout = options
    target = Target(settings, schema)
    event_log = EventLog(store)
    owner = f"rebuild {owner_id()}"
    started = time.monotonic()
    session = target.connect()
    # Millions of short-lived objects and no cycles: the collector is paused until the swaps
    # have freed the folded state (``_discard``), collecting only at intermediate checkpoints.
    # Collecting after the last one would scan every object folded since the one before (0.7 s
    # at 1 M events, on the rebuild's critical path) just before they are freed anyway.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _lock(session, [p.name for p in projections], lock_timeout)
        jobs = _prepare(session, projections, until)
        decoder = Decoder(union_topics(projections), until)
        skipped: dict[int, tuple[str, str]] = {}  # undecodable: quarantined, never a halt
        head = event_log.head(session.conn if event_log.postgres else None)
        first = min(j.position for j in jobs)
        total = max(head - first, 0)
        if progress:
            progress(0, total)
        done = _fold_log(
            session,
            jobs,
            decoder,
            skipped,
            lambda after: _pages(event_log, target, after, page_size),
            first=first,
            every=checkpoint_seconds or CHECKPOINT_SECONDS[target.dialect],
            checkpoint_events=checkpoint_events,
            progress=progress,
            total=total,
            owner=owner,
            until=until,
        )
        indexing = time.monotonic()
        _build_indexes(session, jobs)
        swapping = time.monotonic()
        for job in jobs:
            _swap(session, event_log, decoder, job, page_size, owner, until, skipped)
        log.info(
            "rebuild: indexes built in %.2fs, swapped in %.2fs",
            swapping - indexing,
            time.monotonic() - swapping,
        )
        seconds = time.monotonic() - started
        return RebuildReport(
            models=[
                ModelReport(j.name, j.position, j.applied, j.start, len(j.quarantined(skipped)))
                for j in jobs
            ],
            notifications=done,
            seconds=round(seconds, 3),
            rate=round(done / seconds, 1) if seconds > 0 else 0.0,
            position=max((j.position for j in jobs), default=0),
            until=until.isoformat() if until else None,
            schema=schema,
        )
    finally:
        session.close()
        if collecting:
            gc.enable()


def _fold_log(
    session: Session,
    jobs: list[_Job],
    decoder: Decoder,
    skipped: dict[int, tuple[str, str]],
    read_from: Callable[[int], _Pages],
    *,
    first: int,
    every: float,
    checkpoint_events: int | None,
    progress: Progress | None,
    total: int,
    owner: str,
    until: datetime | None,
) -> int:
    """Fold the log into the shadow tables, one transaction per checkpoint (after
    ``checkpoint_events`` notifications or ``every`` seconds); how many were folded.

    A model that fails in a checkpoint rolls it back for every model; the others go on from
    their last checkpoint, the failed one from the start, carefully (``_restart_carefully``)."""
    done = 0
    pages = read_from(first)
    try:
        more = True
        while more:
            folding = time.monotonic()
            try:
                with session.transaction() as tx:
                    count = 0
                    more = False
                    for rows in pages:
                        _feed(tx, jobs, decoder.decode(rows, skipped), rows[-1][0])
                        count += len(rows)
                        done += len(rows)
                        if progress:
                            progress(done, max(total, done))
                        if (checkpoint_events and count >= checkpoint_events) or (
                            time.monotonic() - folding >= every
                        ):
                            more = True
                            break
                    flushing = time.monotonic()
                    _checkpoint(tx, jobs, owner, until, final=not more)
            except _JobFailed as failed:
                cause = failed.__cause__ or failed
                if failed.job.careful or is_transient(tx, cause):
                    raise cause from None
                log.warning(
                    "rebuild of %s failed (%s); building it again from the start, "
                    "quarantining the events it cannot write",
                    failed.job.name,
                    quarantine.error_text(cause),
                )
                pages.close()
                _restart_carefully(session, jobs, failed.job, owner, until)
                after = min(j.position for j in jobs)
                done, more = after - first, True
                pages = read_from(after)
                continue
            for job in jobs:
                job.committed = job.position
            committed = time.monotonic()
            if more:  # after the last one, the swap frees the folded state (see _rebuild_here)
                gc.collect(1)
            log.info(
                "rebuild checkpoint at %d: %d notifications folded in %.2fs, written in %.2fs",
                done,
                count,
                flushing - folding,
                committed - flushing,
            )
    except BaseException:
        for job in jobs:
            _discard(job.projection)
        raise
    finally:
        pages.close()
    return done


class _JobFailed(Exception):
    """One model's fold or flush raised (the cause); which model it was."""

    def __init__(self, job: _Job) -> None:
        super().__init__(job.name)
        self.job = job


def _restart_carefully(
    session: Session, jobs: list[_Job], failed: _Job, owner: str, until: datetime | None
) -> None:
    """After a rolled-back checkpoint: every model back to its last checkpoint, the failed one
    to an empty shadow, from where it is applied with ``apply_or_isolate`` (a folded state
    written at a checkpoint may already hold the failing event, so it is not resumed)."""
    for job in jobs:
        _discard(job.projection)
        job.position = job.committed
    projection = failed.projection
    with session.transaction() as tx:
        _drop(tx, [f"{t}{SHADOW}" for t in projection.tables])
        for statement in projection.schema(tx.dialect, SHADOW):
            if not _deferred(statement):
                tx.execute(statement)
        tracking.lock(tx, failed.name + SHADOW)
        tracking.advance(tx, failed.name + SHADOW, 0, event_time=None, owner=owner, until=until)
    failed.careful = True
    failed.start = failed.position = failed.committed = failed.applied = 0
    failed.event_time = None


# --- steps ------------------------------------------------------------------------------------


def _lock(session: Session, names: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for name in names:
        while not session.try_lock(f"rebuild:{name}"):
            if time.monotonic() >= deadline:
                raise RebuildBusy(f"Model baca '{name}' sedang dibangun ulang oleh proses lain.")
            time.sleep(0.2)


def _exists(tx: Tx, table: str) -> bool:
    if tx.dialect == "postgres":
        return tx.scalar("SELECT to_regclass(?)", (table,)) is not None
    return tx.scalar("SELECT count(*) FROM sqlite_master WHERE name = ?", (table,)) > 0


def _drop(tx: Tx, tables: Sequence[str]) -> None:
    for table in tables:
        tx.execute(f"DROP TABLE IF EXISTS {table}")


def _prepare(session: Session, projections: list[Projection], until: datetime | None) -> list[_Job]:
    """Resume each model's shadow from its last checkpoint, or start it empty."""
    jobs: list[_Job] = []
    with session.transaction() as tx:
        tracking.ensure_schema(tx)
        found = tracking.read(tx)
        for projection in projections:
            shadow = projection.name + SHADOW
            position = found.get(shadow)
            resumable = (
                position is not None
                and until is None
                and position.until is None
                and position.signature == tracking.signature(projection, tx.dialect)
                and all(_exists(tx, f"{t}{SHADOW}") for t in projection.tables)
            )
            if resumable and position is not None:
                start = position.position
                log.info("rebuild of %s resumes from %d", projection.name, start)
            else:
                start = 0
                _drop(tx, [f"{t}{SHADOW}" for t in projection.tables])
                tracking.remove(tx, shadow)
                tracking.lock(tx, shadow)
                tracking.advance(
                    tx,
                    shadow,
                    0,
                    event_time=None,
                    owner="rebuild",
                    until=until,
                    signature=tracking.signature(projection, tx.dialect),
                )
            for statement in projection.schema(tx.dialect, SHADOW):
                if not _deferred(statement):
                    tx.execute(statement)
            jobs.append(_Job(projection, start))
    return jobs


def _deferred(statement: str) -> bool:
    """Plain secondary indexes are built once the shadow is full (faster than row by row), and
    what is set on them after. Unique indexes are created up front: an ``ON CONFLICT`` may rely
    on them."""
    return statement.lstrip().upper().startswith(("CREATE INDEX", "ALTER INDEX"))


def _build_indexes(session: Session, jobs: list[_Job]) -> None:
    """The indexes left out while feeding, then fresh planner statistics: the swapped-in tables
    are new to PostgreSQL, whose plans without statistics (until autovacuum gets round to them)
    made the review queue and search several times slower just after a rebuild.

    On PostgreSQL the statements run over ``INDEX_WORKERS`` connections at once (the shadow
    tables are committed by the final checkpoint; each index stands alone), so the server
    builds on every core instead of one index after another. An ``ALTER INDEX`` runs right
    after its index, on the same connection; the ``ANALYZE``s run once every index is built,
    so they see the indexes' expressions and their statistics targets."""
    groups: list[list[str]] = []
    for job in jobs:
        for statement in job.projection.schema(session.dialect, SHADOW):
            if not _deferred(statement):
                continue
            if statement.lstrip().upper().startswith("ALTER INDEX") and groups:
                groups[-1].append(statement)  # after the index the statement before created
            else:
                groups.append([statement])
    if session.dialect != "postgres":  # SQLite: ANALYZE after the swap (statistics go by name)
        with session.transaction() as tx:
            for group in groups:
                for statement in group:
                    tx.execute(statement)
        return
    # GIN (search) indexes first: the longest builds start first.
    groups.sort(key=lambda group: "USING GIN" not in group[0].upper())
    _run_apart(session, groups)
    _run_apart(session, [[f"ANALYZE {t}{SHADOW}"] for job in jobs for t in job.projection.tables])


def _run_apart(session: Session, groups: list[list[str]]) -> None:
    """Each group's statements in order, the groups over ``INDEX_WORKERS`` connections."""
    work: queue.SimpleQueue[list[str]] = queue.SimpleQueue()
    for group in groups:
        work.put(group)
    failures: list[BaseException] = []

    def build() -> None:
        import psycopg

        try:
            with psycopg.connect(session.target.url, autocommit=True) as conn:
                # Sorts and GIN builds in memory rather than on disk.
                conn.execute("SET maintenance_work_mem = '256MB'")
                while not failures:
                    try:
                        group = work.get_nowait()
                    except queue.Empty:
                        return
                    for statement in group:
                        conn.execute(statement)  # type: ignore[arg-type]
        except BaseException as exc:
            failures.append(exc)

    workers = [
        threading.Thread(target=build, name=f"sirisma-rebuild-index-{i}", daemon=True)
        for i in range(INDEX_WORKERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[0]


def _feed(tx: Tx, jobs: list[_Job], envelopes: list[Envelope], last: int) -> None:
    for job in jobs:
        if last <= job.position:
            continue
        mine = job.take(envelopes)
        if mine:
            if job.careful:
                apply_or_isolate(tx, job.projection, mine, SHADOW, job.poisoned)
            else:
                try:
                    if job.folding:
                        job.projection.fold(tx, mine, SHADOW)  # type: ignore[attr-defined]
                    else:
                        job.projection.apply(tx, mine, SHADOW)
                except Exception as exc:
                    raise _JobFailed(job) from exc
            job.applied += len(mine)
            job.event_time = mine[-1].event.timestamp
        job.position = last


def _checkpoint(tx: Tx, jobs: list[_Job], owner: str, until: datetime | None, final: bool) -> None:
    for job in jobs:
        if job.folding and not job.careful:  # careful: each ``apply`` flushed its own rows
            try:
                if job.lazy:
                    job.projection.flush(tx, SHADOW, final=final)  # type: ignore[attr-defined]
                else:
                    job.projection.flush(tx, SHADOW)  # type: ignore[attr-defined]
            except Exception as exc:
                raise _JobFailed(job) from exc
        tracking.lock(tx, job.name + SHADOW)
        tracking.advance(
            tx, job.name + SHADOW, job.position, event_time=job.event_time, owner=owner, until=until
        )


def _swap(
    session: Session,
    event_log: EventLog,
    decoder: Decoder,
    job: _Job,
    page_size: int,
    owner: str,
    until: datetime | None,
    skipped: dict[int, tuple[str, str]],
) -> None:
    """Catch the shadow up under the live tracking row's lock, then put it in place; events
    that could not be decoded are left out and quarantined for the model instead."""
    projection = job.projection
    conn = session.conn if event_log.postgres else None
    try:
        with session.transaction() as tx:
            tracking.ensure_schema(tx)
            tracking.hold_schema(tx)  # concurrent set-ups and migrations wait for the swap
            tracking.lock(tx, projection.name)
            while True:
                rows = event_log.read(job.position, page_size, conn)
                if not rows:
                    break
                mine = job.take(decoder.decode(rows, skipped))
                if mine:
                    apply_or_isolate(tx, projection, mine, SHADOW, job.poisoned)
                    job.applied += len(mine)
                    job.event_time = mine[-1].event.timestamp
                job.position = rows[-1][0]
            if job.folding and not job.careful:
                projection.flush(tx, SHADOW)  # type: ignore[attr-defined]
            _drop(tx, projection.tables)
            for table in projection.tables:
                tx.execute(f"ALTER TABLE {table}{SHADOW} RENAME TO {table}")
            _rename_indexes(tx, projection)
            if tx.dialect == "sqlite":
                for table in projection.tables:
                    tx.execute(f"ANALYZE {table}")
            quarantine.forget(tx, projection.name)  # every other event is in the new tables
            for nid, bad in sorted(job.quarantined(skipped).items()):
                originator = bad.originator_id or None
                quarantine.record(
                    tx, projection.name, nid, bad.topic, originator, bad.error, bad.attempts
                )
            tracking.advance(
                tx,
                projection.name,
                job.position,
                event_time=job.event_time,
                owner=owner,
                until=until,
                signature=tracking.signature(projection, tx.dialect),
            )
            tracking.remove(tx, projection.name + SHADOW)
    except BaseException:
        _discard(projection)
        raise
    _discard(projection)
    log.info("read model %s rebuilt up to %d", projection.name, job.position)


def _rename_indexes(tx: Tx, projection: Projection) -> None:
    """Give the swapped tables' indexes their live names (and create any that are missing)."""
    for table in projection.tables:
        if tx.dialect == "postgres":
            names = [
                r[0]
                for r in tx.execute(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND tablename = ?",
                    (table,),
                ).fetchall()
            ]
            for name in names:
                if SHADOW in name:
                    tx.execute(f"ALTER INDEX {name} RENAME TO {name.replace(SHADOW, '')}")
        else:
            names = [
                r[0]
                for r in tx.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                    "AND sql IS NOT NULL",
                    (table,),
                ).fetchall()
            ]
            for name in names:
                if SHADOW in name:
                    tx.execute(f"DROP INDEX {name}")
    for statement in projection.schema(tx.dialect, ""):
        tx.execute(statement)


def _discard(projection: Projection) -> None:
    discard = getattr(projection, "discard", None)
    if discard is not None:
        discard()


# --- reading ----------------------------------------------------------------------------------


class _Pages:
    """The log's pages from ``after`` to its current end, read ahead in a thread on PostgreSQL."""

    def __init__(self, event_log: EventLog, target: Target, after: int, size: int) -> None:
        self.event_log, self.target, self.after, self.size = event_log, target, after, size
        self._stop = threading.Event()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=4)
        self._thread: threading.Thread | None = None
        self._iter = self._generate()

    def __iter__(self) -> Iterator[list[RawRow]]:
        return self

    def __next__(self) -> list[RawRow]:
        return next(self._iter)

    def _generate(self) -> Iterator[list[RawRow]]:
        if not self.event_log.postgres:
            position = self.after
            while True:
                rows = self.event_log.read(position, self.size)
                if not rows:
                    return
                yield rows
                position = rows[-1][0]
                if len(rows) < self.size:
                    return
        self._thread = threading.Thread(target=self._read, name="sirisma-rebuild-read", daemon=True)
        self._thread.start()
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _read(self) -> None:
        import psycopg

        try:
            with psycopg.connect(self.target.settings.database_url, autocommit=True) as conn:
                position = self.after
                while not self._stop.is_set():
                    rows = self.event_log.read(position, self.size, conn)
                    if rows:
                        self._put(rows)
                        position = rows[-1][0]
                    if len(rows) < self.size:
                        break
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)
            return
        self._put(None)

    def _put(self, item: Any) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(queue.Full):
                self._queue.put(item, timeout=0.2)
                return

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _pages(event_log: EventLog, target: Target, after: int, size: int) -> _Pages:
    return _Pages(event_log, target, after, size)
