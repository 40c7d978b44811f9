"""Signed day roots and checkpoints over the event chain: sealed once per finished day, made on
demand, and held against the events recomputed from their stored bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from services.audit.integrity import verify_store
from services.audit.keys import KEYS_STREAM, Signer, generate, key_history
from services.audit.seals import (
    GENESIS,
    all_seals,
    checkpoint,
    ensure_schema,
    live_inputs,
    seal_days,
    trusted_keys,
)
from services.audit.verify_bundle import signature_ok
from services.commands import Commands
from services.config import Settings
from services.db import Database
from services.domain.aggregate import Context
from services.domain.values import ProfilePatch
from services.eventstore.chain import JAKARTA
from services.eventstore.store import EventStore
from tests.factories import World


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return generate(tmp_path / "kunci" / "audit.pem")


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    ensure_schema(database)
    yield database
    database.close()


def _past_world(store: EventStore, days_ago: int = 3) -> tuple[World, UUID]:
    world = World(Commands(store), now=datetime.now(UTC) - timedelta(days=days_ago))
    return world, world.complete_draft()


def test_every_finished_day_is_sealed_once_chained_and_signed(
    store: EventStore, db: Database, signer: Signer
) -> None:
    world, _ = _past_world(store)
    first_day = world.now.astimezone(JAKARTA).date()
    now = datetime.now(UTC)
    sealed = seal_days(store, db, signer, now)
    yesterday = now.astimezone(JAKARTA).date() - timedelta(days=1)
    if now < datetime.combine(now.astimezone(JAKARTA).date(), datetime.min.time(), JAKARTA) + (
        timedelta(minutes=5)
    ):
        yesterday -= timedelta(days=1)  # inside the grace: yesterday is not sealed yet
    assert [s.day for s in sealed] == [
        (first_day + timedelta(days=i)).isoformat() for i in range((yesterday - first_day).days + 1)
    ]
    assert seal_days(store, db, signer, now) == []  # idempotent
    previous, after = GENESIS, 0
    for seal in sealed:
        payload = json.loads(seal.payload)
        assert signature_ok(signer.public_raw, seal.payload.encode(), seal.signature)
        assert (payload["previous_root"], payload["after_notification_id"]) == (previous, after)
        previous, after = seal.root, seal.last_notification_id
    # The first day holds every event so far (empty days after it are sealed too).
    assert sealed[0].last_notification_id == store.max_notification_id() - 1  # + key activation
    assert [k.key_id for k in key_history(store)] == [signer.key_id]
    report = verify_store(store, seals=live_inputs(db, trusted_keys(store, signer)))
    assert report.ok, report.message
    assert report.seals is not None and report.seals.days == len(sealed)


def test_a_checkpoint_covers_today_and_a_bundle_made_today_is_verifiable_today(
    store: EventStore, db: Database, signer: Signer
) -> None:
    world, iid = _past_world(store)
    seal_days(store, db, signer)
    today = Context(actor=world.operator, now=datetime.now(UTC))
    world.commands.update_profile(today, iid, ProfilePatch(goals="Tujuan hari ini"))
    point = checkpoint(store, db, signer)
    assert point.kind == "checkpoint"
    assert point.last_notification_id == store.max_notification_id()
    assert point.after_notification_id == max(
        s.last_notification_id for s in all_seals(db) if s.kind == "day"
    )
    report = verify_store(store, seals=live_inputs(db, trusted_keys(store, signer)))
    assert report.ok, report.message
    assert report.seals is not None
    assert (report.seals.checkpoints, report.seals.unsealed_events) == (1, 0)


def test_a_seal_by_a_key_the_auditor_did_not_pin_fails(
    store: EventStore, db: Database, signer: Signer, tmp_path: Path
) -> None:
    _past_world(store)
    seal_days(store, db, signer)
    other = generate(tmp_path / "lain.pem")
    report = verify_store(store, seals=live_inputs(db, {other.key_id: other.public_raw}))
    assert not report.ok
    assert report.seals is not None and report.seals.first_break is not None
    assert report.seals.first_break.kind == "seal_key"


def test_a_rotated_key_is_an_event_and_both_keys_verify(
    store: EventStore, db: Database, signer: Signer, tmp_path: Path
) -> None:
    world, iid = _past_world(store)
    seal_days(store, db, signer)
    rotated = generate(tmp_path / "baru.pem")
    world.commands.update_profile(
        Context(actor=world.operator, now=datetime.now(UTC)), iid, ProfilePatch(goals="x")
    )
    checkpoint(store, db, rotated)
    history = key_history(store)
    assert [k.key_id for k in history] == [signer.key_id, rotated.key_id]
    assert history[0].valid_from < history[1].valid_from
    assert store.events(KEYS_STREAM)[-1].TOPIC == "audit.SigningKeyActivated"
    assert verify_store(store, seals=live_inputs(db, trusted_keys(store, rotated))).ok


def test_a_deleted_day_seal_breaks_the_chain_of_days(
    store: EventStore, db: Database, signer: Signer
) -> None:
    _past_world(store, days_ago=4)
    sealed = seal_days(store, db, signer)
    assert len(sealed) >= 3
    with db.transaction() as tx:
        tx.execute("DELETE FROM audit_seals WHERE seal_id = ?", (sealed[1].seal_id,))
    report = verify_store(store, seals=live_inputs(db, trusted_keys(store, signer)))
    assert not report.ok
    assert report.seals is not None and report.seals.first_break is not None
    assert report.seals.first_break.kind == "seal_chain"
    assert report.seals.first_break.day == sealed[2].day


def test_days_are_calendar_days_in_wib(store: EventStore, db: Database, signer: Signer) -> None:
    # 23.30 WIB on 1 March is 16.30 UTC: the event belongs to 1 March, not to the UTC day.
    late = datetime(2025, 3, 1, 16, 30, tzinfo=UTC)
    World(Commands(store), now=late)
    sealed = seal_days(store, db, signer, now=datetime(2025, 3, 2, 0, 0, tzinfo=UTC))
    assert [s.day for s in sealed] == ["2025-03-01"]
    assert date.fromisoformat(sealed[0].day) == late.astimezone(JAKARTA).date()


def test_a_late_commit_stamped_earlier_extends_its_day(
    store: EventStore, db: Database, signer: Signer
) -> None:
    """Ranges follow the log: a day ends at the last event stamped on it, so an event committed
    in between (stamped the day after) is sealed with it; nothing is left out or sealed twice."""
    d1 = datetime(2025, 3, 3, 3, 0, tzinfo=UTC)  # 10.00 WIB
    world = World(Commands(store), now=d1)
    iid = world.complete_draft()
    first_day_end = store.max_notification_id()
    ahead = Context(actor=world.operator, now=d1 + timedelta(days=2))  # a clock running ahead
    world.commands.update_profile(ahead, iid, ProfilePatch(goals="dari jam yang maju"))
    behind = Context(actor=world.operator, now=d1 + timedelta(days=1))
    world.commands.update_profile(behind, iid, ProfilePatch(goals="hari kedua"))
    sealed = seal_days(store, db, signer, now=d1 + timedelta(days=3))
    assert [(s.day, s.after_notification_id, s.last_notification_id) for s in sealed] == [
        ("2025-03-03", 0, first_day_end),
        ("2025-03-04", first_day_end, first_day_end + 2),
        ("2025-03-05", first_day_end + 2, first_day_end + 2),
    ]
    assert verify_store(store, seals=live_inputs(db, trusted_keys(store, signer))).ok
