"""Tamper evidence: the chain is written with every event, verify finds the exact broken link,
and the database refuses to change or remove event rows."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import psycopg
import pytest

from services.audit.integrity import verify_store
from services.commands import Commands
from services.config import Settings, load_settings
from services.eventstore.chain import GENESIS, link_hash
from services.eventstore.store import EventStore
from tests.factories import World

EVENTS, CHAIN = "sirisma_events", "sirisma_events_chain"


def _seed(store: EventStore) -> tuple[World, UUID]:
    world = World(Commands(store))
    iid = world.complete_draft()
    world.commands.submit(world.ctx(world.operator), iid)
    return world, iid


def test_every_event_is_sealed_to_the_one_before(store: EventStore) -> None:
    _, iid = _seed(store)
    events = store.recorder.select_events(iid)
    chain = store.recorder.chain_for(iid)
    assert [c.originator_version for c in chain] == [e.originator_version for e in events]
    prev = GENESIS
    for stored, link in zip(events, chain, strict=True):
        prev = link_hash(prev, iid, stored.originator_version, stored.topic, stored.state)
        assert link.hash == prev
    report = verify_store(store)
    assert report.ok, report.message
    assert report.events == store.max_notification_id()
    assert report.first_break is None and report.days and report.head == report.days[-1].root


def test_a_failed_save_leaves_no_chain_row(store: EventStore) -> None:
    from services.eventstore.store import ConcurrencyConflict

    world, iid = _seed(store)
    c = world.commands
    first, second = c.innovation(iid), c.innovation(iid)
    first.withdraw(world.ctx(world.operator), "a")
    second.withdraw(world.ctx(world.operator), "b")
    store.save(first)
    with pytest.raises(ConcurrencyConflict):
        store.save(second)
    assert len(store.recorder.chain_for(iid)) == first.version
    assert verify_store(store).ok


# ---- PostgreSQL ---------------------------------------------------------------------------


def _nid(conn: psycopg.Connection, iid: UUID, version: int) -> int:
    row = conn.execute(
        f"SELECT notification_id FROM {EVENTS} WHERE originator_id=%s AND originator_version=%s",
        (iid, version),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_superuser_edit_of_one_event_is_reported_at_its_exact_position(
    postgres_settings: Settings,
) -> None:
    store = EventStore(postgres_settings)
    try:
        _, iid = _seed(store)
        assert verify_store(store).ok
        with psycopg.connect(postgres_settings.database_url, autocommit=True) as conn:
            nid = _nid(conn, iid, 2)
            with conn.transaction():
                conn.execute(f"ALTER TABLE {EVENTS} DISABLE TRIGGER {EVENTS}_append_only")
                conn.execute(
                    f"UPDATE {EVENTS} SET state = convert_to(replace(convert_from(state, 'UTF8'),"
                    " 'sk-1.pdf', 'sk-X.pdf'), 'UTF8') "
                    "WHERE originator_id=%s AND originator_version=2",
                    (iid,),
                )
                conn.execute(f"ALTER TABLE {EVENTS} ENABLE TRIGGER {EVENTS}_append_only")
        report = verify_store(store)
        assert not report.ok
        assert report.breaks_total == 1  # each link is checked on its own: only the edited row
        first = report.first_break
        assert first is not None
        assert (first.kind, first.originator_id, first.originator_version) == ("altered", iid, 2)
        assert first.notification_id == nid
        assert f"versi 2 (notifikasi {nid})" in report.message
    finally:
        store.close()


def test_superuser_delete_is_reported_as_gap_and_orphan(postgres_settings: Settings) -> None:
    store = EventStore(postgres_settings)
    try:
        _, iid = _seed(store)
        with psycopg.connect(postgres_settings.database_url, autocommit=True) as conn:
            nid = _nid(conn, iid, 5)
            with conn.transaction():
                conn.execute(f"ALTER TABLE {EVENTS} DISABLE TRIGGER USER")
                conn.execute(
                    f"DELETE FROM {EVENTS} WHERE originator_id=%s AND originator_version=5", (iid,)
                )
                conn.execute(f"ALTER TABLE {EVENTS} ENABLE TRIGGER USER")
        report = verify_store(store)
        kinds = {(b.kind, b.originator_version, b.notification_id) for b in report.breaks}
        assert ("orphan_link", 5, nid) in kinds
        assert any(k == "missing_event" and v == 6 for k, v, _ in kinds)
        assert report.first_break is not None and report.first_break.notification_id == nid
    finally:
        store.close()


@pytest.mark.parametrize("table", [EVENTS, CHAIN])
def test_trigger_blocks_update_delete_and_truncate_even_for_the_owner(
    postgres_settings: Settings, table: str
) -> None:
    store = EventStore(postgres_settings)
    try:
        _, iid = _seed(store)
        before = store.recorder.select_events(iid)
        with psycopg.connect(postgres_settings.database_url, autocommit=True) as conn:
            for statement in (
                f"UPDATE {table} SET originator_version = originator_version + 1000",
                f"DELETE FROM {table} WHERE originator_id = '{iid}'",
                f"TRUNCATE {table}",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                    conn.execute(statement)
        assert store.recorder.select_events(iid) == before
        assert verify_store(store).ok
    finally:
        store.close()


def test_the_app_role_can_append_but_never_update_or_delete(
    postgres_settings: Settings,
) -> None:
    """The deployment shape: an owner role creates the tables, the app role only appends."""
    owner_store = EventStore(postgres_settings)  # creates tables, triggers, snapshot table
    url = postgres_settings.database_url
    role = "sirisma_app_test"
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname=%s", (role,)).fetchone()
            if not exists:
                conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'app-secret'")
            for statement in owner_store.recorder.grant_statements(role):
                conn.execute(statement)
        parts = urlsplit(url)
        app_url = urlunsplit(
            parts._replace(netloc=f"{role}:app-secret@{parts.netloc.rsplit('@', 1)[-1]}")
        )
        app_settings = load_settings(
            env={}, data_dir=postgres_settings.data_dir, database_url=app_url
        )
        app_store = EventStore(app_settings, env={"CREATE_TABLE": "no"})
        try:
            _, iid = _seed(app_store)  # INSERTs (events + chain) work without UPDATE/DELETE
            with psycopg.connect(app_url, autocommit=True) as conn:
                for statement in (
                    f"UPDATE {EVENTS} SET topic = 'x' WHERE originator_id = '{iid}'",
                    f"DELETE FROM {EVENTS} WHERE originator_id = '{iid}'",
                    f"UPDATE {CHAIN} SET hash = 'x' WHERE originator_id = '{iid}'",
                    f"DELETE FROM {CHAIN} WHERE originator_id = '{iid}'",
                    f"ALTER TABLE {EVENTS} DISABLE TRIGGER USER",
                ):
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        conn.execute(statement)
            assert verify_store(app_store).ok
            # Reading history writes snapshots (a cache): allowed to the app role too.
            from services.audit.timeline import Timeline

            timeline = Timeline(app_store, snapshot_every=2)
            assert timeline.state_at(iid, 6).version == 6
            assert timeline.snapshots.select_events(iid)
        finally:
            app_store.close()
    finally:
        owner_store.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")


# ---- SQLite (embedded) --------------------------------------------------------------------


def test_sqlite_edit_is_reported_and_triggers_refuse(sqlite_settings: Settings) -> None:
    store = EventStore(sqlite_settings)
    try:
        _, iid = _seed(store)
        path = str(sqlite_settings.event_db_path)
        with sqlite3.connect(path) as conn:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute("DELETE FROM stored_events")
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute("UPDATE stored_events_chain SET hash = 'x'")
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TRIGGER stored_events_no_update")
            conn.execute(
                "UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), 'sk-1.pdf', "
                "'sk-X.pdf') AS BLOB) WHERE originator_id=? AND originator_version=2",
                (iid.hex,),
            )
            nid = conn.execute(
                "SELECT rowid FROM stored_events WHERE originator_id=? AND originator_version=2",
                (iid.hex,),
            ).fetchone()[0]
        report = verify_store(store)
        first = report.first_break
        assert first is not None and not report.ok
        assert (first.kind, first.originator_version, first.notification_id) == ("altered", 2, nid)
    finally:
        store.close()


def test_concurrent_writers_and_multi_stream_saves_keep_the_chain_whole(
    store: EventStore,
) -> None:
    """Several threads save at once (one of them several streams in one transaction)."""
    import threading

    from services.domain.values import ProfilePatch

    world = World(Commands(store))
    ids = [world.complete_draft(f"Inovasi {i}") for i in range(4)]
    errors: list[BaseException] = []

    def edit(iid: UUID) -> None:
        try:
            for k in range(10):
                world.commands.update_profile(
                    world.ctx(world.operator), iid, ProfilePatch(goals=f"Tujuan {k}")
                )
        except BaseException as exc:  # reported below, never swallowed
            errors.append(exc)

    def edit_two_at_once() -> None:
        try:
            for k in range(5):
                a, b = world.commands.innovation(ids[0]), world.commands.innovation(ids[1])
                ctx = world.ctx(world.operator)
                a.update_profile(ctx, ProfilePatch(results=f"Hasil A{k}"))
                b.update_profile(ctx, ProfilePatch(results=f"Hasil B{k}"))
                try:
                    store.save(a, b)
                except Exception as exc:  # a clash with the single-stream writers is fine
                    if type(exc).__name__ != "ConcurrencyConflict":
                        raise
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(iid,)) for iid in ids[2:]]
    threads.append(threading.Thread(target=edit_two_at_once))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    report = verify_store(store)
    assert report.ok, report.message
    for iid in ids:
        events = store.recorder.select_events(iid)
        assert len(store.recorder.chain_for(iid)) == len(events)
