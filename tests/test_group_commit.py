"""Group commit (services/eventstore/group_commit.py) on real PostgreSQL.

The library's own recorder test cases run against the group-commit recorder (insert/select,
notification ids, IntegrityError on a duplicate, concurrent writers and readers, LISTEN/NOTIFY
subscription, non-interleaving ids). Then SI-RISMA's chained recorder: commands queued while a
commit is held up share one transaction; a conflicting command fails alone (the store's caller
gets ConcurrencyConflict); the hash chain verifies after concurrent group commits.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlparse
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)

from services.eventstore import group_commit
from services.eventstore.group_commit import (
    GroupCommitChainedRecorder,
    GroupCommitPostgresRecorder,
    _Request,
)
from services.eventstore.pipelined import kept_cursor
from services.eventstore.recorders import ChainedPostgresRecorder
from tests.factories import stored_event


def datastore_for(
    url: str,
    pool_size: int = 4,
    max_overflow: int = 8,
    kind: type[PostgresDatastore] = PostgresDatastore,
) -> PostgresDatastore:
    u = urlparse(url)
    return kind(
        dbname=u.path.lstrip("/"),
        host=u.hostname or "127.0.0.1",
        port=u.port or 5432,
        user=unquote(u.username or "postgres"),
        password=unquote(u.password or ""),
        pool_size=pool_size,
        max_overflow=max_overflow,
    )


class _OnFreshDatabase:
    """unittest-style cases get a fresh database from the session's PostgreSQL fixture."""

    url: str
    datastore: PostgresDatastore

    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str) -> Iterator[None]:
        self.url = postgres_url
        self.datastore = datastore_for(postgres_url)
        yield
        self.datastore.close()


# ---- the library's own test cases -------------------------------------------------------------


class TestLibraryApplicationRecorderCases(_OnFreshDatabase, ApplicationRecorderTestCase):
    def create_recorder(self) -> GroupCommitPostgresRecorder:
        recorder = GroupCommitPostgresRecorder(self.datastore)
        recorder.create_table()
        return recorder

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestLibraryNonInterleavingCase(_OnFreshDatabase, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> GroupCommitPostgresRecorder:
        recorder = GroupCommitPostgresRecorder(self.datastore)
        recorder.create_table()
        return recorder


class TestChainedNonInterleavingCase(_OnFreshDatabase, NonInterleavingNotificationIDsBaseCase):
    """The same race on SI-RISMA's recorder, with events the chain can seal (versions from 1)."""

    def create_recorder(self) -> GroupCommitChainedRecorder:
        recorder = GroupCommitChainedRecorder(self.datastore)
        recorder.create_table()
        return recorder

    def create_stack(self, originator_id: UUID | str) -> Sequence[StoredEvent]:
        assert isinstance(originator_id, UUID)
        return [stored_event(originator_id, v) for v in range(1, self.insert_num + 1)]


# ---- SI-RISMA's chained recorder with group commit ----------------------------------------------


@pytest.fixture
def chained(postgres_url: str) -> Iterator[GroupCommitChainedRecorder]:
    datastore = datastore_for(postgres_url)
    recorder = GroupCommitChainedRecorder(datastore)
    recorder.create_table()
    yield recorder
    datastore.close()


def _lock_key(recorder: GroupCommitChainedRecorder) -> str:
    text = recorder.lock_table_statements[1].decode()  # composed once, as bytes
    return text.split("pg_advisory_xact_lock(")[1].split(")")[0]


def _hold_writers_back(url: str, key: str) -> psycopg.Connection[Any]:
    """Another session holds the writers' lock: the leader waits on its first group while
    every later command queues up behind it."""
    conn = psycopg.connect(url)
    conn.execute(f"SELECT pg_advisory_xact_lock({key})")
    return conn


def _wait_until(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def _run_concurrently(
    recorder: GroupCommitChainedRecorder, url: str, commands: list[list[StoredEvent]]
) -> tuple[list[Any], int]:
    """Insert every command from its own thread while the lock is held, then release it.

    Returns each command's outcome (ids or the exception) and how many transactions were used."""
    before = recorder.groups_committed
    holder = _hold_writers_back(url, _lock_key(recorder))
    outcomes: list[Any] = [None] * len(commands)

    def insert(i: int) -> None:
        try:
            outcomes[i] = recorder.insert_events(commands[i])
        except Exception as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=insert, args=(i,)) for i in range(len(commands))]
    for t in threads:
        t.start()
    # The leader took the first command(s) and waits for the lock; the rest are queued.
    _wait_until(
        lambda: recorder.in_flight > 0 and recorder.in_flight + recorder.queued == len(commands)
    )
    holder.rollback()
    holder.close()
    for t in threads:
        t.join(30)
        assert not t.is_alive()
    return outcomes, recorder.groups_committed - before


def test_queued_commands_share_one_transaction_and_a_conflict_fails_alone(
    chained: GroupCommitChainedRecorder, postgres_url: str
) -> None:
    existing = uuid4()
    chained.insert_events([stored_event(existing, 1), stored_event(existing, 2)])
    shared = uuid4()
    streams = [uuid4() for _ in range(20)]
    commands: list[list[StoredEvent]] = [[stored_event(s, 1), stored_event(s, 2)] for s in streams]
    commands.insert(5, [stored_event(existing, 2)])  # already in the log
    commands.insert(8, [stored_event(shared, 1)])  # wins: first in the group
    # Loses to the one above.
    commands.insert(12, [stored_event(shared, 1), stored_event(shared, 2)])
    commands.insert(15, [stored_event(existing, 3)])  # the stream's real next version: fine

    outcomes, transactions = _run_concurrently(chained, postgres_url, commands)

    # Whatever order the threads queued in: the duplicate of a stored version fails, and of the
    # two commands racing for the shared stream's first version, exactly one fails; alone.
    failed = {i for i, o in enumerate(outcomes) if isinstance(o, IntegrityError)}
    assert all(isinstance(o, list) for i, o in enumerate(outcomes) if i not in failed)
    assert 5 in failed and len(failed & {8, 12}) == 1 and len(failed) == 2
    assert transactions == 2  # the first command(s) alone, then all the queued ones together

    # Winners got their own ids, contiguous per command, all distinct.
    ids = [i for o in outcomes if isinstance(o, list) for i in o]
    assert (
        len(ids) == len(set(ids)) == sum(len(c) for i, c in enumerate(commands) if i not in failed)
    )
    for o in outcomes:
        if isinstance(o, list):
            assert o == list(range(o[0], o[0] + len(o)))
    notifications = chained.select_notifications(start=None, limit=1000)
    assert [n.id for n in notifications] == sorted(n.id for n in notifications)
    stored = {(n.originator_id, n.originator_version) for n in notifications}
    for s in streams:
        assert {(s, 1), (s, 2)} <= stored
    assert (existing, 3) in stored
    _assert_chain_whole(chained)


def test_only_a_caller_that_waits_gets_an_event_to_be_woken_by(
    chained: GroupCommitChainedRecorder, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caller that leads at once commits in its own thread and never waits: no
    ``threading.Event`` is made for it. Callers queued behind a commit each get one, and are
    woken with their ids (the queued test above checks the ids)."""
    made: list[threading.Event] = []

    class Counted(threading.Event):
        def __init__(self) -> None:
            super().__init__()
            made.append(self)

    monkeypatch.setattr(group_commit, "Event", Counted)
    assert chained.insert_events([stored_event(uuid4(), 1)]) is not None
    assert made == []
    commands = [[stored_event(uuid4(), 1)] for _ in range(6)]
    outcomes, transactions = _run_concurrently(chained, postgres_url, commands)
    assert all(isinstance(o, list) and len(o) == 1 for o in outcomes)
    assert transactions == 2 and len(made) == 5  # the first alone; the five queued behind it
    assert all(event.is_set() for event in made)


def test_a_constraint_missed_by_the_check_falls_back_to_one_savepoint_per_command(
    postgres_url: str,
) -> None:
    """If the bulk insert still hits a duplicate (a writer that bypassed the lock), the group
    is retried command by command: only the duplicate fails."""

    class Unchecked(GroupCommitChainedRecorder):
        def _refuse_conflicts(self, curs: Any, group: list[_Request]) -> list[_Request]:
            return list(group)

    datastore = datastore_for(postgres_url)
    try:
        recorder = Unchecked(datastore)
        recorder.create_table()
        taken = uuid4()
        recorder.insert_events([stored_event(taken, 1)])
        streams = [uuid4() for _ in range(6)]
        commands = [[stored_event(s, 1)] for s in streams]
        commands.insert(3, [stored_event(taken, 1)])
        # Alone in its transaction, the duplicate fails and the transaction rolls back whole.
        with pytest.raises(IntegrityError):
            recorder.insert_events([stored_event(taken, 1)])
        assert [n.originator_id for n in recorder.select_notifications(None, 10)] == [taken]
        outcomes, transactions = _run_concurrently(recorder, postgres_url, commands)  # type: ignore[arg-type]
        assert transactions == 2
        assert isinstance(outcomes[3], IntegrityError)
        assert all(isinstance(o, list) and len(o) == 1 for i, o in enumerate(outcomes) if i != 3)
        _assert_chain_whole(recorder)  # type: ignore[arg-type]
    finally:
        datastore.close()


def test_the_store_reports_a_lost_race_as_a_concurrency_conflict(postgres_settings: Any) -> None:
    """Through EventStore (the app's path, group commit by default): two writers of the same
    version of one innovation at once, one wins, the other gets ConcurrencyConflict."""
    from services.commands import Commands
    from services.domain.values import ProfilePatch
    from services.eventstore.store import ConcurrencyConflict, EventStore
    from tests.factories import World

    store = EventStore(postgres_settings)
    try:
        assert isinstance(store.recorder, GroupCommitChainedRecorder)
        world = World(Commands(store))
        iid = world.complete_draft()
        c = world.commands
        first, second = c.innovation(iid), c.innovation(iid)
        first.update_profile(world.ctx(world.operator), ProfilePatch(goals="Tujuan A"))
        second.update_profile(world.ctx(world.operator), ProfilePatch(goals="Tujuan B"))
        results: list[Any] = [None, None]
        barrier = threading.Barrier(2)

        def save(i: int, aggregate: Any) -> None:
            barrier.wait()
            try:
                results[i] = store.save(aggregate)
            except Exception as exc:
                results[i] = exc

        threads = [
            threading.Thread(target=save, args=(i, a)) for i, a in enumerate((first, second))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        conflicts = [r for r in results if isinstance(r, ConcurrencyConflict)]
        assert len(conflicts) == 1
        assert conflicts[0].current_version == first.version
        assert c.innovation(iid).version == first.version
        from services.audit.integrity import verify_store

        assert verify_store(store).ok
    finally:
        store.close()


def test_concurrent_writers_keep_the_hash_chain_whole(chained: GroupCommitChainedRecorder) -> None:
    """Many threads appending to a few shared streams (retrying lost races) and to their own."""
    shared = [uuid4() for _ in range(4)]
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        own = uuid4()
        try:
            for v in range(1, 16):
                chained.insert_events([stored_event(own, v)])
                stream = shared[(n + v) % len(shared)]
                for _ in range(200):
                    current = max(
                        (
                            e.originator_version
                            for e in chained.select_events(stream, desc=True, limit=1)
                        ),
                        default=0,
                    )
                    try:
                        chained.insert_events([stored_event(stream, current + 1)])
                        break
                    except IntegrityError:
                        continue
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert chained.groups_committed < 12 * 15 * 2  # some commits were shared
    _assert_chain_whole(chained)


def _assert_chain_whole(recorder: GroupCommitChainedRecorder) -> None:
    from services.audit.integrity import Verifier

    verifier = Verifier()
    position = 0
    while True:
        page = recorder.link_page(position, 1000)
        for rec in page:
            verifier.feed(rec)
        if len(page) < 1000:
            break
        position = page[-1].notification_id
    report = verifier.report()
    assert report.ok, report.message
    assert report.events > 0


# ---- atomicity: any failure inside the transaction stores nothing (issue 15, item 11) ---------


def _naive(oid: UUID, version: int) -> StoredEvent:
    """An event the chain cannot seal: its timestamp has no time zone."""
    state = json.dumps(
        {"originator_id": str(oid), "originator_version": version,
         "timestamp": datetime.now().isoformat()}  # noqa: DTZ005 - naive on purpose
    ).encode()  # fmt: skip
    return StoredEvent(oid, version, "innovation.ProfileUpdated", state)


def _undecodable(oid: UUID, version: int) -> StoredEvent:
    return StoredEvent(oid, version, "innovation.ProfileUpdated", b"\xff not json")


class _SealSkipped(ChainedPostgresRecorder):
    """SI-RISMA's PostgreSQL insert path (its own ``insert_events``, lock, append-only triggers,
    id hook) with the library's plain row insert, so the library's cases (whose states are not
    JSON) run on it unchanged."""

    def _insert_rows(self, curs: Any, stored_events: Sequence[StoredEvent]) -> dict[Any, Any]:
        PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events)
        return {}

    def _append_alone(self, stored_events: Sequence[StoredEvent]) -> None:
        return None  # the one-statement save seals its rows: these states are not JSON


class TestChainedInsertPathLibraryCases(_OnFreshDatabase, ApplicationRecorderTestCase):
    def create_recorder(self) -> ChainedPostgresRecorder:
        recorder = _SealSkipped(self.datastore)
        recorder.create_table()
        return recorder

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestPlainChainedNonInterleavingCase(_OnFreshDatabase, NonInterleavingNotificationIDsBaseCase):
    """The race on the chained recorder without group commit (``SIRISMA_GROUP_COMMIT=0``)."""

    def create_recorder(self) -> ChainedPostgresRecorder:
        recorder = ChainedPostgresRecorder(self.datastore)
        recorder.create_table()
        return recorder

    def create_stack(self, originator_id: UUID | str) -> Sequence[StoredEvent]:
        assert isinstance(originator_id, UUID)
        return [stored_event(originator_id, v) for v in range(1, self.insert_num + 1)]


@pytest.mark.parametrize("bad", [_naive, _undecodable], ids=["naive-timestamp", "undecodable"])
@pytest.mark.parametrize("kind", ["plain", "group-commit"])
def test_a_failure_while_sealing_the_chain_stores_nothing(
    postgres_url: str, kind: str, bad: Any
) -> None:
    """The library re-raised such an error after its transaction had committed: the event was
    stored without its chain link while the caller heard the write failed."""
    datastore = datastore_for(postgres_url)
    try:
        cls = ChainedPostgresRecorder if kind == "plain" else GroupCommitChainedRecorder
        recorder = cls(datastore)
        recorder.create_table()
        good = uuid4()
        recorder.insert_events([stored_event(good, 1)])
        poisoned = uuid4()
        with pytest.raises(Exception) as raised:
            recorder.insert_events([stored_event(poisoned, 1), bad(poisoned, 2)])
        assert not isinstance(raised.value, IntegrityError)
        stored = recorder.select_notifications(None, 10)
        assert [(n.originator_id, n.originator_version) for n in stored] == [(good, 1)]
        assert recorder.orphan_links(10) == []
        _assert_chain_whole(recorder)  # type: ignore[arg-type]
        # The recorder still works, and the next event takes the next id.
        ids = recorder.insert_events([stored_event(poisoned, 1)])
        assert ids is not None and len(ids) == 1
        _assert_chain_whole(recorder)  # type: ignore[arg-type]
    finally:
        datastore.close()


def test_a_command_failing_with_another_error_in_a_group_fails_alone(
    chained: GroupCommitChainedRecorder, postgres_url: str
) -> None:
    """A command the chain cannot seal, queued with others: it gets its own error, every other
    command of the group commits."""
    streams = [uuid4() for _ in range(8)]
    commands: list[list[StoredEvent]] = [[stored_event(s, 1), stored_event(s, 2)] for s in streams]
    bad_stream = uuid4()
    commands.insert(4, [stored_event(bad_stream, 1), _naive(bad_stream, 2)])
    commands.insert(7, [_undecodable(uuid4(), 1)])

    outcomes, _ = _run_concurrently(chained, postgres_url, commands)

    failed = {i for i, o in enumerate(outcomes) if isinstance(o, Exception)}
    assert failed == {4, 7}
    assert not any(isinstance(outcomes[i], IntegrityError) for i in failed)
    stored = {
        (n.originator_id, n.originator_version) for n in chained.select_notifications(None, 100)
    }
    assert stored == {(s, v) for s in streams for v in (1, 2)}
    _assert_chain_whole(chained)


def test_the_mapper_refuses_compression_and_encryption(tmp_path: Any) -> None:
    from services.config import Settings
    from services.eventstore.store import EventStore, UnsupportedMapperOption

    settings = Settings(data_dir=str(tmp_path))
    for name, topic in (
        ("COMPRESSOR_TOPIC", "eventsourcing.compressor:ZlibCompressor"),
        ("CIPHER_TOPIC", "eventsourcing.cipher:AESCipher"),
    ):
        with pytest.raises(UnsupportedMapperOption):
            EventStore(settings, env={name: topic})


@pytest.mark.parametrize("kind", ["plain", "group-commit"])
def test_a_save_whose_links_are_held_is_one_statement_and_the_chain_verifies(
    postgres_url: str, kind: str
) -> None:
    """``_append_alone``: the writers' lock, NOTIFY, events and chain rows in one statement when
    each stream's previous link is held (a new stream, or one this process wrote or read); the
    pipelined transaction when one is not. Both leave a whole chain; a duplicate stores nothing."""
    datastore = datastore_for(postgres_url)
    try:
        cls = ChainedPostgresRecorder if kind == "plain" else GroupCommitChainedRecorder
        recorder = cls(datastore)
        recorder.create_table()
        one, two = uuid4(), uuid4()

        def one_statement(events: list[StoredEvent]) -> None:
            appended = recorder._append_alone(events)
            assert appended is not None and len(appended[0]) == len(events)
            recorder._remember_links(appended[1])  # as insert_events does once committed

        # New streams, several versions of each in one batch (up to 4 as scalars, more as arrays).
        one_statement([stored_event(one, v) for v in (1, 2, 3)])
        one_statement([stored_event(two, v) for v in range(1, 7)])
        one_statement([stored_event(one, 4), stored_event(two, 7)])  # both previous links held
        recorder.links.clear()
        assert recorder._append_alone([stored_event(one, 5)]) is None  # not held: nothing sent
        ids = recorder.insert_events([stored_event(one, 5)])  # the pipelined path reads the link
        assert ids is not None and len(ids) == 1
        # The link is held again: one statement.
        ids = recorder.insert_events([stored_event(one, 6), stored_event(one, 7)])
        assert ids is not None and ids[1] == ids[0] + 1
        with pytest.raises(IntegrityError):
            recorder.insert_events([stored_event(two, 7)])
        stored = [
            (n.originator_id, n.originator_version) for n in recorder.select_notifications(None, 50)
        ]
        assert stored == [(one, v) for v in (1, 2, 3)] + [(two, v) for v in range(1, 7)] + [
            (one, 4),
            (two, 7),
            (one, 5),
            (one, 6),
            (one, 7),
        ]
        assert recorder.orphan_links(10) == []
        _assert_chain_whole(recorder)  # type: ignore[arg-type]
    finally:
        datastore.close()


def test_a_save_waits_for_the_writers_lock_before_it_draws_an_id(
    chained: GroupCommitChainedRecorder, postgres_url: str
) -> None:
    """The one-statement save takes the writers' lock before its first notification id: a save
    that starts while another session holds the lock gets an id after the one that session
    draws later, so commit order stays id order."""
    holder = _hold_writers_back(postgres_url, _lock_key(chained))
    try:
        result: list[Any] = []
        writer = threading.Thread(
            target=lambda: result.append(chained._append_alone([stored_event(uuid4(), 1)]))
        )
        writer.start()
        time.sleep(0.5)
        assert writer.is_alive()  # waiting for the lock
        row = holder.execute(
            f"INSERT INTO {chained.events_table_name} (originator_id, originator_version, topic, "
            "state) VALUES (%s, 1, 'x', '{}') RETURNING notification_id",
            (uuid4(),),
        ).fetchone()
        assert row is not None
        holder.commit()
        writer.join(10)
        assert result and result[0] is not None
        assert result[0][0][0] > row[0]
    finally:
        holder.close()


def test_a_group_whose_links_are_held_is_one_statement(
    chained: GroupCommitChainedRecorder, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queued commands on streams whose previous links are held commit together as ONE
    statement (``_commit_together``), not the checked path's two round trips; each command
    still gets its own contiguous ids, in queue order, and the chain stays whole."""
    held = uuid4()
    chained.insert_events([stored_event(held, 1), stored_event(held, 2)])  # its link now held
    commands: list[list[StoredEvent]] = [[stored_event(uuid4(), 1), stored_event(uuid4(), 1)]]
    commands += [[stored_event(s, 1), stored_event(s, 2)] for s in (uuid4() for _ in range(6))]
    commands.append([stored_event(held, 3)])
    checked: list[int] = []
    real = GroupCommitChainedRecorder._select_existing
    monkeypatch.setattr(
        GroupCommitChainedRecorder,
        "_select_existing",
        lambda self, curs, group: checked.append(len(group)) or real(self, curs, group),
    )

    outcomes, transactions = _run_concurrently(chained, postgres_url, commands)

    assert transactions == 2  # the first command(s) alone, then all the queued ones together
    assert checked == []  # no group took the checked path
    assert all(isinstance(o, list) for o in outcomes)
    for o, command in zip(outcomes, commands, strict=True):
        assert o == list(range(o[0], o[0] + len(command)))
    ids = sorted(i for o in outcomes for i in o)
    assert len(ids) == len(set(ids)) == sum(len(c) for c in commands)
    _assert_chain_whole(chained)


def test_the_load_and_save_reuse_one_cursor_per_connection_and_survive_a_failed_insert(
    postgres_url: str,
) -> None:
    """``kept_cursor``: the one-statement save and the streams' load run on a cursor kept with
    the pooled connection (its adapters already learned). A duplicate that fails the insert
    leaves it usable; each call reads only its own statement's rows; a closed one is replaced."""
    datastore = datastore_for(postgres_url, 1, 0)  # one connection: every call below runs on it
    try:
        recorder = ChainedPostgresRecorder(datastore)
        recorder.create_table()
        one, two = uuid4(), uuid4()
        appended = recorder._append_alone([stored_event(one, 1), stored_event(one, 2)])
        assert appended is not None
        recorder._remember_links(appended[1])  # as insert_events does once committed
        with datastore.get_connection() as conn:
            kept = getattr(conn, "_sirisma_tuple_cursor", None)
        assert kept is not None and kept_cursor(conn) is kept
        with pytest.raises(IntegrityError):  # version 2 taken: the statement stores nothing
            recorder.insert_events([stored_event(one, 2)])
        ids = recorder.insert_events([stored_event(one, 3)])
        assert ids is not None and len(ids) == 1
        assert recorder.insert_events([stored_event(two, 1)]) is not None
        found = recorder.select_streams([(one, 1), (two, 0)])
        assert [v for v, _, _ in found[one]] == [2, 3]
        assert [v for v, _, _ in found[two]] == [1]
        assert recorder.select_streams([(one, 3), (two, 1)]) == {one: [], two: []}
        assert kept_cursor(conn) is kept  # the same cursor all along
        kept.close()
        assert recorder.select_streams([(one, 2)]) == {one: [found[one][1]]}
        assert kept_cursor(conn) is not kept and not kept_cursor(conn).closed
        _assert_chain_whole(recorder)  # type: ignore[arg-type]
    finally:
        datastore.close()
