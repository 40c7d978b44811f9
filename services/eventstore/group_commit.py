"""Group commit for the PostgreSQL event recorder: many concurrent commands, one transaction.

Why: the library's recorder keeps notification ids gap-free *in commit order* (what projections
rely on: a reader that has seen id N never later finds a committed id < N) by serialising every
insert transaction behind one lock (``LOCK TABLE … EXCLUSIVE``, or the audit recorder's
transaction-scoped advisory lock). Each writer then holds that lock for its own round trips and
commit, so throughput stops at one commit at a time however many writers there are.

How: ``insert_events`` (called by ``Application.save`` in a request thread) queues the command's
stored events. If no commit is in progress in this process, the caller leads: it takes everything
queued (its own command first) and writes it in ONE transaction under the SAME lock; callers
that arrive meanwhile wait, and when the leader is done it hands the lead to the first of them,
whose next commit carries all of them:

1. take the lock (so commit order = id order still holds against every other process) and
   ``NOTIFY`` the channel once;
2. one query finds which (stream, version) pairs already exist; a command that would collide
   with the log, or with an earlier command of the same group, fails alone with the library's
   ``IntegrityError`` (the store turns it into ``ConcurrencyConflict`` for its caller);
3. the accepted commands' events go in with one multi-row insert, in queue order, under a
   SAVEPOINT, with their hash chain rows in the same statement (``_insert_rows`` of
   ``services.eventstore.recorders``), and COMMIT follows in the same pipelined round trip. Should
   that insert still fail (a constraint a writer that bypassed the lock broke, a state the
   chain cannot seal), the group rolls back to the savepoint and falls back to one SAVEPOINT
   per command, so only the offending command fails, with its own error; only a lost
   connection fails the whole group;
4. wake each caller with its own notification ids.

A group of one command skips steps 2–3's check and savepoint: on the chained recorder, when its
streams' previous links are held, lock, NOTIFY and insert are ONE statement committed on its own
(``ChainedPostgresRecorder._append_alone``); otherwise BEGIN, lock, NOTIFY, insert and COMMIT
go in one pipelined round trip (``services.eventstore.pipelined``). A duplicate fails it alone.
A larger group whose links are all held is tried as that one statement first (a duplicate rolls
it back whole, and the group then takes steps 1–4).

Groups never run concurrently: one leader per process at a time, and every process's groups
(and the plain recorder's single saves) queue for the same lock, under which each stream's
previous link is read. So a stream never sits in two groups in flight, and two commands of one
group that write the same version are caught by step 2. Each command's events stay contiguous
and in order, streams chain exactly as they would one command at a time (the lookup of a
stream's previous link sees earlier commands of the group inside the transaction), and a group
is bounded (``MAX_GROUP_COMMANDS``, ``MAX_GROUP_EVENTS``) so one commit never grows without
limit. A caller alone commits in its own
thread exactly as before (no hand-off to another thread); callers that arrive while a commit is
in flight share the next one. A forked child (uvicorn workers) starts with an empty queue.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Sequence
from threading import Event
from typing import Any

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from services.eventstore.pipelined import one_round_trip, rollback
from services.eventstore.recorders import ChainedPostgresRecorder
from services.eventstore.subscription import ListenFirst

MAX_GROUP_COMMANDS = 512
MAX_GROUP_EVENTS = 20_000


_CONNECTION_LOST = (psycopg.OperationalError, psycopg.InterfaceError)


def _alone(exc: Exception) -> Exception:
    """What the one failing command's caller hears: the library's IntegrityError for a
    duplicate (the store turns it into a concurrency conflict), otherwise the error itself."""
    return IntegrityError(str(exc)) if isinstance(exc, psycopg.IntegrityError) else exc


class _NoWait:
    """The ``wake`` of a request whose caller leads at once: it never waits, so nothing need
    wake it (a ``threading.Event`` per command cost a lock and a condition)."""

    __slots__ = ()

    def set(self) -> None:
        pass


_LEADS = _NoWait()


class _Request:
    __slots__ = ("done", "error", "events", "ids", "links", "wake")

    def __init__(self, events: Sequence[StoredEvent]) -> None:
        self.events = events
        self.links: dict[Any, tuple[int, str]] = {}  # chain links to remember once committed
        #: Set when done, or when handed the lead; a real event only for a caller that waits.
        self.wake: Event | _NoWait = _LEADS
        self.done = False
        self.ids: list[int] | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """Mixin for a ``PostgresApplicationRecorder`` (subclass): concurrent inserts share commits.

    Everything the base recorder does per insert (lock statements, NOTIFY, the insert itself,
    and its ``_fetch_ids_after_insert_events`` hook) is reused; only the transaction around them
    is shared by the commands of a group.
    """

    datastore: PostgresDatastore
    events_table_name: str

    def _group_init(self) -> None:
        self._gc_pid = os.getpid()
        self._gc_lock = threading.Lock()
        self._gc_queue: deque[_Request] = deque()
        self._gc_leading = False
        self.groups_committed = 0  # for tests and benchmarks: how many transactions were used
        self.in_flight = 0  # commands in the group being committed now
        oid_type = Identifier(self.datastore.originator_id_type)
        self._existing_statement = SQL(
            "SELECT e.originator_id, e.originator_version FROM {s}.{t} e "
            "JOIN unnest(%s::{o}[], %s::bigint[]) AS w(oid, v) "
            "ON e.originator_id = w.oid AND e.originator_version = w.v"
        ).format(
            s=Identifier(self.datastore.schema), t=Identifier(self.events_table_name), o=oid_type
        )

    @property
    def queued(self) -> int:
        """Commands waiting for the next commit (for tests and benchmarks)."""
        return len(self._gc_queue)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if kwargs.get("tracking") is not None:
            raise PersistenceError("group commit records application events only (no tracking)")
        if not stored_events:
            return []
        request = _Request(stored_events)
        with self._gc_lock:
            if self._gc_pid != os.getpid():  # forked: the parent's queue and leader are not ours
                self._gc_pid = os.getpid()
                self._gc_queue = deque()
                self._gc_leading = False
            self._gc_queue.append(request)
            lead = not self._gc_leading
            self._gc_leading = True
            if not lead:  # under the lock: a leader may set it as soon as it is released
                request.wake = wake = Event()
        if not lead:
            wake.wait()
        if not request.done:  # leading now: this request heads the queue
            self._lead()
        if request.error is not None:
            raise request.error
        return request.ids

    def _lead(self) -> None:
        """Commit one group (the head of the queue and whatever queued behind it), then pass
        the lead to the next waiting caller, or give it up."""
        with self._gc_lock:
            group: list[_Request] = []
            events = 0
            while self._gc_queue and (
                not group or (len(group) < MAX_GROUP_COMMANDS and events < MAX_GROUP_EVENTS)
            ):
                request = self._gc_queue.popleft()
                group.append(request)
                events += len(request.events)
            self.in_flight = len(group)
        try:
            self._commit_group(group)
        except BaseException as exc:  # the whole group failed: every caller hears why
            for request in group:
                request.error = exc
            if not isinstance(exc, Exception):
                raise
        finally:
            self.in_flight = 0
            for request in group:
                request.done = True
                request.wake.set()
            with self._gc_lock:
                if self._gc_queue:
                    self._gc_queue[0].wake.set()  # its thread leads the next commit
                else:
                    self._gc_leading = False

    def _commit_group(self, group: list[_Request]) -> None:
        if len(group) == 1:
            self._commit_alone(group[0])
            return
        if self._commit_together(group):
            return
        pending: list[_Request] = []
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            try:
                # Round trip 1: BEGIN, the writers' lock, NOTIFY, which pairs already exist.
                with conn.pipeline(), conn.cursor() as tx:
                    tx.execute(b"BEGIN")
                    self._lock_table(curs)  # type: ignore[attr-defined]
                    self._notify_channel(curs)  # type: ignore[attr-defined]
                    self._select_existing(curs, group)
                pending = self._refuse_conflicts(curs, group)
                # Round trip 2: the accepted commands in one insert, and COMMIT.
                try:
                    with conn.pipeline(), conn.cursor() as tx:
                        tx.execute(b"SAVEPOINT sirisma_group")
                        if pending:
                            self._insert_many(curs, pending, fetch=False)
                        tx.execute(b"COMMIT")
                    if pending:
                        self._assign_ids(curs, pending)
                except _CONNECTION_LOST:
                    raise
                except Exception as exc:
                    if len(pending) == 1:  # the only command failed: roll back, it fails alone
                        pending[0].ids, pending[0].error = None, _alone(exc)
                        pending = []
                        rollback(conn)
                    else:
                        conn.execute(b"ROLLBACK TO SAVEPOINT sirisma_group")
                        self._one_by_one(conn, curs, pending)
                        conn.execute(b"COMMIT")
            except BaseException:
                rollback(conn)
                raise
        self.groups_committed += 1
        for request in pending:
            if request.error is None and request.ids is None:  # pragma: no cover - defensive
                request.error = PersistenceError("notification ids were not returned")
            if request.error is None:
                self._remember_links(request.links)  # type: ignore[attr-defined]

    def _commit_together(self, group: list[_Request]) -> bool:
        """The whole group as ONE statement when every stream's previous link is held (the
        chained recorder's ``_append_alone``: lock, NOTIFY, the events in queue order with their
        chain rows, committed on its own). False, with nothing stored, when a link is not held,
        an event cannot be sealed (nothing was sent) or a version is taken (the statement rolled
        back whole): the group then takes the checked path, which fails the culprit alone."""
        append = getattr(self, "_append_alone", None)
        if append is None:
            return False
        try:
            appended = append([e for r in group for e in r.events])
        except (*_CONNECTION_LOST, InterfaceError, OperationalError):
            raise  # the whole group fails, as on the checked path
        except Exception:  # noqa: BLE001 (the checked path tells each command its own error)
            return False
        if appended is None:
            return False
        ids, links = appended
        _hand_out(ids, group)
        self._remember_links(links)  # type: ignore[attr-defined]
        self.groups_committed += 1
        return True

    def _one_by_one(self, conn: Any, curs: Any, pending: list[_Request]) -> None:
        """After the group's insert failed: one SAVEPOINT per command, so the culprit fails
        alone with its own error and the others are stored."""
        for request in pending:
            conn.execute(b"SAVEPOINT sirisma_one")
            try:
                self._insert_many(curs, [request])
            except _CONNECTION_LOST:
                raise
            except Exception as exc:
                conn.execute(b"ROLLBACK TO SAVEPOINT sirisma_one")
                request.ids = None
                request.error = _alone(exc)
            else:
                conn.execute(b"RELEASE SAVEPOINT sirisma_one")

    def _commit_alone(self, request: _Request) -> None:
        """A group of one: BEGIN, lock, NOTIFY, the insert (with its chain rows, on the chained
        recorder) and COMMIT pipelined in one round trip; a duplicate fails it alone."""
        error: Exception | None = None
        append = getattr(self, "_append_alone", None)  # the chained recorder's one statement
        if append is not None:
            try:
                appended = append(request.events)
            except IntegrityError as exc:  # its implicit transaction rolled back: nothing stored
                request.ids, request.error = None, exc
                self.groups_committed += 1
                return
            if appended is not None:
                request.ids, links = appended
                self._remember_links(links)  # type: ignore[attr-defined]
                self.groups_committed += 1
                return
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            try:
                with one_round_trip(conn):
                    self._lock_table(curs)  # type: ignore[attr-defined]
                    self._notify_channel(curs)  # type: ignore[attr-defined]
                    self._insert(curs, [request])
            except psycopg.IntegrityError as exc:  # rolled back: nothing of it was stored
                error = exc
            if error is None:
                self._assign_ids(curs, [request])
        if error is not None:
            request.ids, request.error = None, IntegrityError(str(error))
        else:
            self._remember_links(request.links)  # type: ignore[attr-defined]
        self.groups_committed += 1

    def _select_existing(self, curs: Any, group: list[_Request]) -> None:
        oids: list[Any] = []
        versions: list[int] = []
        for request in group:
            for e in request.events:
                oids.append(e.originator_id)
                versions.append(e.originator_version)
        curs.execute(self._existing_statement, (oids, versions), prepare=True)

    def _refuse_conflicts(self, curs: Any, group: list[_Request]) -> list[_Request]:
        """Fail (alone) each command whose (stream, version) pairs exist (the rows of
        ``_select_existing`` on ``curs``) or are taken earlier in the group; return the others,
        in queue order."""
        taken = {(str(r["originator_id"]), int(r["originator_version"])) for r in curs.fetchall()}
        accepted: list[_Request] = []
        for request in group:
            keys = [(str(e.originator_id), e.originator_version) for e in request.events]
            clash = next((k for k in keys if k in taken), None)
            if clash is None and len(set(keys)) != len(keys):
                clash = next(k for k in keys if keys.count(k) > 1)
            if clash is not None:
                request.error = IntegrityError(
                    f"duplicate key value violates unique constraint: (originator_id, "
                    f"originator_version)=({clash[0]}, {clash[1]}) already exists"
                )
                continue
            taken.update(keys)
            accepted.append(request)
        return accepted

    def _insert_many(self, curs: Any, requests: list[_Request], *, fetch: bool = True) -> None:
        self._insert(curs, requests)
        if fetch:  # in a pipeline the ids arrive at its Sync: the caller assigns them after it
            self._assign_ids(curs, requests)

    def _insert(self, curs: Any, requests: list[_Request]) -> None:
        # The recorder's rows without its lock and NOTIFY (taken once for the group).
        events = [e for r in requests for e in r.events]
        links = self._insert_rows(curs, events)  # type: ignore[attr-defined]
        for request in requests:
            request.links = links

    def _assign_ids(self, curs: Any, requests: list[_Request]) -> None:
        """The inserted rows' ids (RETURNING notification_id), in insert order."""
        events = [e for r in requests for e in r.events]
        ids = list(self._fetch_ids_after_insert_events(curs, events) or [])  # type: ignore[attr-defined]
        if len(ids) != len(events):
            raise PersistenceError(f"expected {len(events)} notification ids, got {len(ids)}")
        _hand_out(ids, requests)


def _hand_out(ids: Sequence[int], requests: list[_Request]) -> None:
    """Each command its own ids: the inserted rows' ids in insert (queue) order."""
    position = 0
    for request in requests:
        count = len(request.events)
        request.ids = list(ids[position : position + count])
        position += count


class GroupCommitPostgresRecorder(GroupCommit, ListenFirst, PostgresApplicationRecorder):
    """The library's recorder with group commit (what the library's own test cases run on)."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._group_init()

    def _insert_rows(self, curs: Any, events: Sequence[StoredEvent]) -> dict[Any, Any]:
        # The aggregate recorder's plain insert (the application recorder's version would take
        # the lock and NOTIFY again); RETURNING notification_id is part of the statement.
        PostgresAggregateRecorder._insert_stored_events(self, curs, events)
        return {}

    def _remember_links(self, links: dict[Any, Any]) -> None:
        pass  # no chain


class GroupCommitChainedRecorder(GroupCommit, ChainedPostgresRecorder):
    """SI-RISMA's recorder on PostgreSQL: the audit hash chain, written with group commit."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._group_init()


GROUP_COMMIT_RECORDER_TOPIC = f"{__name__}:{GroupCommitChainedRecorder.__qualname__}"
