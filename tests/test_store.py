"""The event store on a real database: optimistic concurrency, atomic saves, upcasting and the
msgspec mapper's round trips, on the embedded SQLite file and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent

from services.commands import Commands
from services.config import Settings
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import Call
from services.domain.errors import InvalidValue
from services.domain.events import CATALOGUE, Event, Proposed, _topic
from services.domain.innovation import Innovation
from services.domain.innovation_views import to_state
from services.domain.organisation import Account, Organisation
from services.domain.rubric import load_rubric
from services.domain.values import Budget, CallKind, KrenovaEntry, ProfilePatch
from services.eventstore.store import ConcurrencyConflict, EventStore, MsgspecMapper, NotFound
from tests.factories import World, complete_profile

RUBRIC = load_rubric(2025)


@pytest.fixture
def postgres_store(postgres_settings: Settings) -> Iterator[EventStore]:
    store = EventStore(postgres_settings)
    yield store
    store.close()


# ==== concurrency ===============================================================================


def race(*writers: Any) -> list[Any]:
    """Run each writer in its own thread, released together by a barrier; return the results."""
    barrier = threading.Barrier(len(writers))
    results: list[Any] = [None] * len(writers)

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            results[i] = writers[i]()
        except Exception as exc:  # the conflict is the expected outcome for the loser
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    return results


def test_two_concurrent_writers_exactly_one_wins(postgres_settings: Settings) -> None:
    """Two processes (two stores, two pools) edit the same innovation from the same version."""
    first, second = EventStore(postgres_settings), EventStore(postgres_settings)
    try:
        world = World(Commands(first))
        op = world.ctx(world.operator)
        iid = world.complete_draft()
        for round_no in range(5):  # a few rounds, so the race is really run more than once
            copies = [store.load(Innovation, iid) for store in (first, second)]
            version = copies[0].version
            assert copies[1].version == version
            for who, copy in zip("AB", copies, strict=True):
                copy.update_profile(op, ProfilePatch(goals=f"Tujuan {who}{round_no}"))
                copy.update_profile(op, ProfilePatch(results=f"Hasil {who}{round_no}"))
            events_before = len(first.events(iid))
            max_before = first.max_notification_id()

            a, b = copies
            results = race(lambda a=a: first.save(a), lambda b=b: second.save(b))

            winners = [i for i, r in enumerate(results) if isinstance(r, list)]
            losers = [r for r in results if isinstance(r, ConcurrencyConflict)]
            assert len(winners) == 1 and len(losers) == 1, results
            conflict = losers[0]
            assert conflict.aggregate_id == iid
            assert conflict.attempted_version == version + 1
            assert conflict.current_version == version + 2
            assert f"versi saat ini {version + 2}" in str(conflict)
            # Only the winner's two events are stored; none of the loser's. (On PostgreSQL the
            # loser may have used up sequence numbers: notification ids can have gaps.)
            assert len(first.events(iid)) == events_before + 2
            new = list(first.notifications(max_before + 1, 10))
            assert [n.id for n in new] == results[winners[0]]
            assert first.max_notification_id() == new[-1].id
            assert [(n.originator_id, n.originator_version) for n in new] == [
                (iid, version + 1),
                (iid, version + 2),
            ]
            stored = second.load(Innovation, iid)
            who = "AB"[winners[0]]
            assert (stored.profile.goals, stored.profile.results) == (
                f"Tujuan {who}{round_no}",
                f"Hasil {who}{round_no}",
            )
    finally:
        first.close()
        second.close()


def test_concurrent_save_of_two_aggregates_is_all_or_nothing(postgres_store: EventStore) -> None:
    """A writer saving X and Y together races a writer saving X alone: if X conflicts, Y's
    event is not stored either."""
    world = World(Commands(postgres_store))
    op = world.ctx(world.operator)
    x_id, y_id = world.complete_draft("Inovasi X"), world.complete_draft("Inovasi Y")
    for round_no in range(5):
        x_pair, y_pair = (
            postgres_store.load(Innovation, x_id),
            postgres_store.load(Innovation, y_id),
        )
        x_alone = postgres_store.load(Innovation, x_id)
        y_version = y_pair.version
        x_pair.update_profile(op, ProfilePatch(goals=f"pasangan {round_no}"))
        y_pair.update_profile(op, ProfilePatch(goals=f"pasangan {round_no}"))
        x_alone.update_profile(op, ProfilePatch(goals=f"sendiri {round_no}"))
        max_before = postgres_store.max_notification_id()

        pair, alone = race(
            lambda x=x_pair, y=y_pair: postgres_store.save(x, y),
            lambda x=x_alone: postgres_store.save(x),
        )
        new = list(postgres_store.notifications(max_before + 1, 10))

        y_now = postgres_store.load(Innovation, y_id)
        if isinstance(pair, ConcurrencyConflict):
            assert isinstance(alone, list)
            assert pair.aggregate_id == x_id
            assert y_now.version == y_version  # nothing of the pair was stored
            assert [(n.originator_id, n.id) for n in new] == [(x_id, alone[0])]
        else:
            assert isinstance(alone, ConcurrencyConflict)
            assert len(pair) == 2
            assert y_now.profile.goals == f"pasangan {round_no}"
            assert [(n.originator_id, n.id) for n in new] == list(
                zip((x_id, y_id), pair, strict=True)
            )


def test_stale_pair_conflicts_and_stores_neither(store: EventStore) -> None:
    """Deterministic version of the above, on both databases: X is stale, Y is fine."""
    world = World(Commands(store))
    op = world.ctx(world.operator)
    x_id, y_id = world.complete_draft("Inovasi X"), world.complete_draft("Inovasi Y")
    stale_x, y = store.load(Innovation, x_id), store.load(Innovation, y_id)
    world.commands.update_profile(op, x_id, ProfilePatch(goals="disimpan lebih dulu"))
    stale_x.update_profile(op, ProfilePatch(goals="terlambat"))
    y.update_profile(op, ProfilePatch(goals="ikut terlambat"))
    y.update_profile(op, ProfilePatch(results="dua peristiwa"))
    counts = (len(store.events(x_id)), len(store.events(y_id)), store.max_notification_id())
    with pytest.raises(ConcurrencyConflict) as info:
        store.save(y, stale_x)
    assert info.value.aggregate_id == x_id
    assert info.value.current_version == stale_x.version  # the other writer's version
    assert info.value.attempted_version == stale_x.version
    assert (len(store.events(x_id)), len(store.events(y_id)), store.max_notification_id()) == counts
    assert store.load(Innovation, x_id).profile.goals == "disimpan lebih dulu"


# ==== upcasting =================================================================================


@_topic("test")
class Noted(Event, frozen=True, kw_only=True):
    """A test event now at version 2: v1 had ``note`` and no ``tags``."""

    text: str
    amount: Decimal
    tags: tuple[str, ...]
    class_version: ClassVar[int] = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["text"] = state.pop("note")
        state["tags"] = ["dari-v1"]


def test_an_old_class_version_is_read_back_through_the_upcaster(store: EventStore) -> None:
    assert CATALOGUE[Noted.TOPIC] is Noted
    stream = uuid4()
    actor = Actor(uuid4(), Role.ADMIN, None)
    v1_state = {
        "originator_id": str(stream),
        "originator_version": 1,
        "timestamp": "2024-03-01T02:00:00Z",
        "actor": {"account_id": str(actor.account_id), "role": "admin", "organisation_id": None},
        "correlation_id": "lama",
        "note": "catatan versi pertama",
        "amount": "1500000.50",
    }
    store.recorder.insert_events(
        [StoredEvent(stream, 1, Noted.TOPIC, msgspec.json.encode(v1_state))]
    )
    v2 = Noted(
        originator_id=stream,
        originator_version=2,
        timestamp=datetime(2025, 1, 1, tzinfo=UTC),
        actor=actor,
        text="catatan versi kedua",
        amount=Decimal("0.10"),
        tags=("baru",),
    )
    stored_v2 = store.app.mapper.to_stored_event(v2)
    assert msgspec.json.decode(stored_v2.state)["class_version"] == 2
    store.recorder.insert_events([stored_v2])

    old, new = store.events(stream)
    assert isinstance(old, Noted)
    assert (old.text, old.tags, old.amount) == (
        "catatan versi pertama",
        ("dari-v1",),
        Decimal("1500000.50"),
    )
    assert old.timestamp == datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
    assert old.actor == actor
    assert old.correlation_id == "lama"
    assert new == v2  # a current record is not upcast again
    assert str(new.amount) == "0.10"


# ==== mapper round trips ========================================================================


def test_uuid_datetime_decimal_and_nested_structs_round_trip(store: EventStore) -> None:
    """What goes in comes out equal — types, precision and time zones included — on both DBs."""
    jakarta = ZoneInfo("Asia/Jakarta")
    now = datetime(2025, 6, 2, 9, 30, 15, 123456, tzinfo=jakarta)
    admin = Actor(uuid4(), Role.ADMIN, uuid4())
    call = Call.open(
        Context(actor=admin, now=now - timedelta(days=1)),
        uuid4(),
        kind=CallKind.ANNUAL,
        title="Inovasi Daerah 2025",
        budget_year=2025,
        opens_at=now - timedelta(days=1),
        deadline=now + timedelta(days=1),
        eligible_kinds=("opd",),
        rubric_year=2025,
    )
    operator = Actor(uuid4(), Role.OPERATOR, uuid4())
    budget = Budget(
        apbd_t0=Decimal("1250000000.50"),
        apbd_t1=Decimal("0.10"),
        apbd_t2=Decimal("123456789012345678.99"),
        other_sources="CSR",
    )
    profile = msgspec.structs.replace(
        complete_profile(),
        budget=budget,
        urusan_lain=("1.02", "1.06"),
        krenova=KrenovaEntry(members=("Rina", "Agus")),
    )
    innovation = Innovation.propose(
        Context(actor=operator, correlation_id="req-1", now=now),
        uuid4(),
        call=call,
        organisation_id=operator.organisation_id,
        submitter_kind="opd",
        profile=profile,
    )
    innovation.update_profile(
        Context(actor=operator, now=now + timedelta(minutes=1)),
        ProfilePatch(budget=Budget(apbd_t0=Decimal("-0.00")), trial_date=None),
    )
    original = list(innovation.pending_events)
    store.save(call, innovation)

    events = store.events(innovation.id)
    assert events == original
    assert [msgspec.json.encode(e) for e in events] == [msgspec.json.encode(e) for e in original]
    proposed = events[0]
    assert isinstance(proposed, Proposed)
    assert isinstance(proposed.originator_id, UUID) and proposed.originator_id == innovation.id
    assert proposed.timestamp == now and proposed.timestamp.utcoffset() == timedelta(hours=7)
    assert proposed.timestamp.microsecond == 123456
    t0, t1, t2 = (
        proposed.profile.budget.apbd_t0,
        proposed.profile.budget.apbd_t1,
        proposed.profile.budget.apbd_t2,
    )
    assert all(isinstance(v, Decimal) for v in (t0, t1, t2))
    assert (str(t0), str(t1), str(t2)) == ("1250000000.50", "0.10", "123456789012345678.99")
    assert proposed.profile.trial_date == date(2023, 3, 1)
    assert proposed.profile.krenova == KrenovaEntry(members=("Rina", "Agus"))
    # The patch keeps "set to None" apart from "not set".
    patch = events[1].changes  # type: ignore[attr-defined]
    assert patch.trial_date is None and patch.goals is msgspec.UNSET
    loaded = store.load(Innovation, innovation.id)
    assert loaded.profile.trial_date is None
    assert msgspec.json.encode(to_state(loaded, RUBRIC, call)) == msgspec.json.encode(
        to_state(innovation, RUBRIC, call)
    )
    assert store.load(Call, call.id).deadline == call.deadline


def test_mapper_alone_round_trips_every_decimal_exactly() -> None:
    mapper = MsgspecMapper()
    for text in ("0", "0.01", "-12.340", "1E+3", "99999999999999999999.99"):
        event = Noted(
            originator_id=uuid4(),
            originator_version=1,
            timestamp=datetime(2025, 1, 1, tzinfo=UTC),
            actor=Actor.system(),
            text="x",
            amount=Decimal(text),
            tags=(),
        )
        back = mapper.to_domain_event(mapper.to_stored_event(event))
        assert back == event and str(back.amount) == text


# ==== loading ===================================================================================


def test_load_refuses_unknown_ids_and_ids_of_another_kind(store: EventStore) -> None:
    world = World(Commands(store))
    with pytest.raises(NotFound):
        store.load(Innovation, uuid4())
    # Organisation and account ids are public (uuid5 of code / username): loading one of them
    # as an innovation is "not found", not a server error.
    for other in (world.opd_id, world.operator.account_id):
        assert other is not None
        with pytest.raises(NotFound):
            store.load(Innovation, other)
    assert store.load(Organisation, world.opd_id).code == "DISDUKCAPIL"
    assert world.admin.account_id is not None
    assert store.load(Account, world.admin.account_id).role == Role.ADMIN


def test_load_at_a_past_version_and_read_notifications_in_order(store: EventStore) -> None:
    world = World(Commands(store))
    iid = world.complete_draft()
    current = store.load(Innovation, iid)
    first = store.load(Innovation, iid, version=1)
    assert first.version == 1 and not first.documents
    assert current.version == store.current_version(iid) > 1
    ids = [n.id for n in store.iter_notifications(batch=7)]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == store.max_notification_id()


def test_an_account_binds_only_to_an_organisation_id(store: EventStore) -> None:
    """Any stored id exists; only an organisation's id may be an account's organisation."""
    world = World(Commands(store))
    system = Context(actor=Actor.system(), now=world.now)
    assert world.admin.account_id is not None
    for wrong in (world.admin.account_id, world.call_id, uuid4()):
        before = store.max_notification_id()
        with pytest.raises(InvalidValue) as info:
            world.commands.create_account(
                system,
                username="op.palsu",
                full_name="Operator Palsu",
                email="op@sragenkab.go.id",
                role=Role.OPERATOR,
                organisation_id=wrong,
                password_hash="x",
            )
        assert info.value.field == "organisation_id"
        with pytest.raises(InvalidValue):
            world.commands.change_account_organisation(system, world.admin.account_id, wrong)
        assert store.max_notification_id() == before
    world.commands.change_account_organisation(system, world.admin.account_id, world.opd_id)
    assert store.load(Account, world.admin.account_id).organisation_id == world.opd_id


# ==== the stream cache ==========================================================================


def test_a_load_sees_what_another_process_wrote_after_it_cached_the_stream(
    settings: Settings,
) -> None:
    """Two stores on one log (two HTTP workers): each keeps its own cache, and a load of the
    latest version still asks the log for newer events, so neither serves stale state."""
    first, second = EventStore(settings), EventStore(settings)
    try:
        world = World(Commands(first))
        iid = world.complete_draft()
        before = second.load(Innovation, iid)  # cached in the second store now
        Commands(first).claim_indicator(world.ctx(world.operator), iid, no=1, level=2)
        after = second.load(Innovation, iid)
        assert after.version == before.version + 1
        assert after.claims[1].level == 2
        # A past version comes from the cache alone and is exactly the state then.
        assert second.load(Innovation, iid, before.version).claims == before.claims
        replayed = Innovation.replay(second.events(iid))
        assert replayed is not None and replayed.version == after.version
    finally:
        first.close()
        second.close()


def test_the_cache_holds_no_event_of_a_refused_save(store: EventStore) -> None:
    world = World(Commands(store))
    iid = world.complete_draft()
    mine, theirs = store.load(Innovation, iid), store.load(Innovation, iid)
    ctx = world.ctx(world.operator)
    mine.claim_indicator(ctx, RUBRIC, no=1, level=1)
    theirs.claim_indicator(ctx, RUBRIC, no=1, level=3)
    store.save(theirs)
    with pytest.raises(ConcurrencyConflict):
        store.save(mine)
    assert store.load(Innovation, iid).claims[1].level == 3
    assert store.cache.version(iid) == theirs.version


def test_a_long_run_of_saves_rebases_the_held_state_and_every_load_is_the_log_replayed(
    store: EventStore,
) -> None:
    """The held tail never reaches ``rebase_after``: the state at the newest version becomes the
    base (a private copy), and each load from it is exactly the stream replayed from the log."""
    world = World(Commands(store))
    iid = world.complete_draft()
    ctx = world.ctx(world.operator)
    bases = set()
    for n in range(3 * store.cache.rebase_after):
        Commands(store).claim_indicator(ctx, iid, no=n % 19 + 1, level=n % 3 + 1)
        held = store.cache.get(iid)
        assert held is not None and len(held.tail) < store.cache.rebase_after
        bases.add(held.base_version)
        loaded = store.load(Innovation, iid)
        replayed = Innovation.replay(store.events(iid))
        assert replayed is not None and loaded.version == replayed.version == held.version
        assert msgspec.to_builtins(to_state(loaded, RUBRIC, None)) == msgspec.to_builtins(
            to_state(replayed, RUBRIC, None)
        )
        assert loaded is not held.base
    assert len(bases) >= 3  # rebased along the way, not once


def test_the_cache_is_bounded_and_a_store_without_it_loads_the_same(
    settings: Settings,
) -> None:
    small = EventStore(msgspec.structs.replace(settings, stream_cache_events=12))
    off = EventStore(msgspec.structs.replace(settings, stream_cache_events=0))
    try:
        world = World(Commands(small))
        ids = [world.complete_draft(f"Inovasi {n}") for n in range(3)]
        for iid in ids:
            cached, uncached = small.load(Innovation, iid), off.load(Innovation, iid)
            assert msgspec.to_builtins(to_state(cached, RUBRIC, None)) == msgspec.to_builtins(
                to_state(uncached, RUBRIC, None)
            )
        held = [small.cache.get(i) for i in ids]
        assert 0 < sum(len(h.tail) + 1 for h in held if h is not None) <= 12
        assert off.cache.get(ids[0]) is None
    finally:
        small.close()
        off.close()


# ==== snapshots ==================================================================================


def _grow(store: EventStore, world: World, iid: UUID, to: int) -> Innovation:
    ctx = world.ctx(world.operator)
    innovation = store.load(Innovation, iid)
    n = 0
    while innovation.version < to:
        n += 1
        innovation.claim_indicator(ctx, RUBRIC, no=n % 19 + 1, level=n % 3 + 1)
        store.save(innovation)
    return innovation


def test_a_long_stream_loads_from_a_snapshot_the_same_as_from_every_event(
    settings: Settings,
) -> None:
    """Both backends: saves passing a multiple of ``snapshot_every`` store a snapshot; a fresh
    store (no memory) loads from it and agrees with a full replay, at the latest version and
    at past ones. Snapshots are not events: not in the log, not in the chain."""
    from services.audit.integrity import verify_store

    writer = EventStore(settings, snapshot_every=10)
    fresh, plain = EventStore(settings, snapshot_every=10), EventStore(settings, snapshot_every=0)
    try:
        world = World(Commands(writer))
        iid = world.complete_draft()
        start, before = writer.load(Innovation, iid).version, writer.max_notification_id()
        _grow(writer, world, iid, 47)
        assert writer.max_notification_id() - before == 47 - start  # one notification per event
        recorder = writer.app.factory.aggregate_recorder("snapshots")
        stored = [s.originator_version for s in recorder.select_events(iid)]
        assert stored and all(v % 10 == 0 for v in stored) and max(stored) == 40
        assert all(n.topic != "sirisma.audit.snapshot" for n in writer.notifications(1, 100_000))
        assert verify_store(writer).ok
        for version in (None, 47, 40, 33, 5):
            a, b = fresh.load(Innovation, iid, version), plain.load(Innovation, iid, version)
            assert a.version == b.version == (version or 47)
            assert msgspec.to_builtins(to_state(a, RUBRIC, None)) == msgspec.to_builtins(
                to_state(b, RUBRIC, None)
            )
        fresh.cache.clear()
        replays: list[int] = []
        original = Innovation.replay.__func__  # type: ignore[attr-defined]

        def counting(cls: Any, events: Any, into: Any = None) -> Any:
            events = list(events)
            replays.append(len(events))
            return original(cls, events, into)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Innovation, "replay", classmethod(counting))
            fresh.load(Innovation, iid)  # from the snapshot at 40: 7 events replayed
            fresh.load(Innovation, iid)  # from memory: none
        assert replays == [7, 0]
    finally:
        for s in (writer, fresh, plain):
            s.close()


def test_a_snapshot_that_no_longer_fits_is_ignored(settings: Settings) -> None:
    """A forged or stale snapshot row (its link is not the chain's) is never used."""
    writer = EventStore(settings, snapshot_every=10)
    try:
        world = World(Commands(writer))
        iid = world.complete_draft()
        _grow(writer, world, iid, 25)
        recorder = writer.app.factory.aggregate_recorder("snapshots")
        data = recorder.select_events(iid, desc=True, limit=1)[0].state
        forged = json_replace_link(data)
        recorder.insert_events([StoredEvent(iid, 25, "sirisma.audit.snapshot", forged)])
        fresh = EventStore(settings, snapshot_every=10)
        try:
            loaded = fresh.load(Innovation, iid)
            assert loaded.version == 25
            assert loaded.claims == writer.load(Innovation, iid).claims
        finally:
            fresh.close()
    finally:
        writer.close()


def json_replace_link(data: bytes) -> bytes:
    import json

    snap = json.loads(data)
    snap["link"] = "0" * 64
    return json.dumps(snap).encode()
