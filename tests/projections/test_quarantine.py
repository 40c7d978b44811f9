"""No single event halts a read model (issue 15, item 1b), on real PostgreSQL.

Poison is written straight into the event store, bypassing every boundary: a proposal whose title
holds a NUL (PostgreSQL ``text`` cannot store it) and an event of a known topic whose state no
code can decode. The runner applies everything around them, quarantines them, reports them in
status and on ``/metrics``, and ``retry-quarantined`` applies an event again once the code is
fixed.
"""

from __future__ import annotations

from typing import Any

import pytest

from projections.catalogue import CatalogueProjection
from projections.innovations import InnovationsProjection
from projections.runner import Runner
from projections.status import status
from projections.target import Target
from services import quarantine
from services.commands import Commands
from services.config import Settings
from services.domain import events as ev
from services.domain.values import ProfilePatch
from services.eventstore.store import EventStore
from services.reads import requeue
from tests.factories import World
from tests.poison import poison_proposal, undecodable


def quarantined(settings: Settings) -> set[tuple[str, int]]:
    return {(i.follower, i.notification_id) for i in requeue.pending(settings)}


def titles(settings: Settings) -> set[str]:
    session = Target(settings).connect()
    try:
        return {r[0] for r in session.rows("SELECT title FROM rm_innovations")}
    finally:
        session.close()


def test_poison_events_are_quarantined_and_every_model_goes_on(postgres_settings: Settings) -> None:
    store = EventStore(postgres_settings)
    try:
        world = World(Commands(store))
        world.complete_draft("Sebelum Racun")
        nul, _ = poison_proposal(store)
        bad = undecodable(store)
        world.complete_draft("Sesudah Racun")
        head = store.max_notification_id()

        runner = Runner(postgres_settings, store=store, attempts=2, retry_pause=0.0)
        runner.catch_up()  # before the fix: stopped at the NUL for good (paused, retried forever)

        assert all(p == head for p in runner.positions().values())
        assert {"Sebelum Racun", "Sesudah Racun"} <= titles(postgres_settings)
        held = quarantined(postgres_settings)
        assert ("innovations", nul) in held  # its text columns cannot hold the NUL
        wanting = [m.name for m in runner.models if m.wants_topic(ev.Submitted.TOPIC)]
        assert wanting and {(name, bad) for name in wanting} <= held
        items = {(i.follower, i.notification_id): i for i in requeue.pending(postgres_settings)}
        assert "NUL" in items[("innovations", nul)].error
        assert "\x00" not in items[("innovations", nul)].error
        assert "cannot be decoded" in items[(wanting[0], bad)].error

        # Status reports them per model; the quarantine survives a new runner (a restart).
        counts = {s.name: s.quarantined for s in status(postgres_settings, store=store)}
        assert counts["innovations"] == len([h for h in held if h[0] == "innovations"])
        again = Runner(postgres_settings, store=store, attempts=2, retry_pause=0.0)
        assert again.catch_up() == 0
        assert quarantined(postgres_settings) == held

        # The NUL cannot be stored by any code: a retry fails again and stays, with its error.
        outcomes = requeue.retry(postgres_settings, ["innovations"], notification_id=nul)
        assert [(o.released, o.notification_id) for o in outcomes] == [(False, nul)]
        stays = {i.notification_id: i for i in requeue.pending(postgres_settings, ["innovations"])}
        assert stays[nul].retried_at is not None and stays[nul].retry_error
    finally:
        store.close()


def test_an_event_a_buggy_model_cannot_apply_is_retried_after_the_fix(
    settings: Settings, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both backends: the catalogue fails on one event only; the others apply it, the catalogue
    quarantines it and goes on; once 'fixed', retry-quarantined applies it and it leaves."""
    world = World(Commands(store))
    world.complete_draft("Satu")
    target = store.max_notification_id() + 1  # the proposal of "Dua", which the catalogue wants
    iid = world.complete_draft("Dua")
    original = CatalogueProjection.apply

    def buggy(self: Any, tx: Any, batch: Any, suffix: str = "") -> None:
        if any(e.notification_id == target for e in batch):
            raise RuntimeError("galat program pada satu peristiwa")
        original(self, tx, batch, suffix)

    monkeypatch.setattr(CatalogueProjection, "apply", buggy)
    runner = Runner(settings, store=store, attempts=3, retry_pause=0.0)
    runner.catch_up()
    head = store.max_notification_id()
    assert all(p == head for p in runner.positions().values())
    assert quarantined(settings) == {("catalogue", target)}
    item = requeue.pending(settings)[0]
    assert item.attempts == 3 and item.originator_id == str(iid)
    assert "galat program" in item.error

    monkeypatch.setattr(CatalogueProjection, "apply", original)  # the fix is deployed
    outcomes = requeue.retry(settings, store=store)
    assert [(o.follower, o.notification_id, o.released) for o in outcomes] == [
        ("catalogue", target, True)
    ]
    assert quarantined(settings) == set()


def test_the_quarantine_is_counted_on_metrics(settings: Settings, store: EventStore) -> None:
    from prometheus_client import generate_latest

    from projections import metrics
    from services.metrics import REGISTRY

    World(Commands(store)).complete_draft("Satu")
    session = Target(settings).connect()
    try:
        with session.transaction() as tx:
            from projections import tracking

            tracking.ensure_schema(tx)
            quarantine.record(tx, "innovations", 2, "t", None, "galat", 5)
            quarantine.record(tx, quarantine.RELAY, 3, "t", None, "galat", 5)
            counts = quarantine.counts(tx)
    finally:
        session.close()
    statuses = status(settings, store=store)
    metrics.publish(statuses, counts[quarantine.RELAY])
    text = generate_latest(REGISTRY).decode()
    assert 'sirisma_projection_quarantined_events{model="innovations"} 1.0' in text
    assert 'sirisma_projection_quarantined_events{model="catalogue"} 0.0' in text
    assert "sirisma_relay_quarantined_events 1.0" in text


def test_a_rebuild_leaves_an_undecodable_event_in_quarantine(
    settings: Settings, store: EventStore
) -> None:
    """Before: the rebuild (also the runner's automatic one after an upgrade) raised on it."""
    from projections.rebuild import rebuild

    world = World(Commands(store))
    world.complete_draft("Satu")
    bad = undecodable(store)
    world.complete_draft("Dua")
    report = rebuild(settings, store=store)
    assert report.position == store.max_notification_id()
    wanting = {
        m.name for m in Runner(settings, store=store).models if m.wants_topic(ev.Submitted.TOPIC)
    }
    assert quarantined(settings) == {(name, bad) for name in wanting}
    assert {"Satu", "Dua"} <= titles(settings)


def test_a_model_whose_automatic_rebuild_meets_poison_is_built_by_the_runner(
    postgres_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade (a new ``version``) the runner rebuilds the model; the rebuild stops on
    the NUL, so the runner applies the log itself, quarantining it, instead of never starting."""
    from projections.innovations import InnovationsProjection

    store = EventStore(postgres_settings)
    try:
        world = World(Commands(store))
        world.complete_draft("Sebelum Racun")
        nul, _ = poison_proposal(store)
        world.complete_draft("Sesudah Racun")
        Runner(postgres_settings, store=store, attempts=2, retry_pause=0.0).catch_up()
        monkeypatch.setattr(InnovationsProjection, "version", 99, raising=False)
        runner = Runner(postgres_settings, store=store, attempts=2, retry_pause=0.0)
        runner.catch_up(timeout=30)
        head = store.max_notification_id()
        assert all(p == head for p in runner.positions().values())
        assert ("innovations", nul) in quarantined(postgres_settings)
        assert {"Sebelum Racun", "Sesudah Racun"} <= titles(postgres_settings)
    finally:
        store.close()


def test_a_manual_rebuild_quarantines_an_event_it_cannot_write_and_goes_on(
    postgres_settings: Settings,
) -> None:
    """Before: ``sirisma rebuild`` stopped on the NUL (the live runner quarantined it). Now the
    model that cannot write it is rebuilt again around it, the others keep their fold."""
    from projections.rebuild import rebuild

    store = EventStore(postgres_settings)
    try:
        world = World(Commands(store))
        world.complete_draft("Sebelum Racun")
        nul, oid = poison_proposal(store)
        world.complete_draft("Sesudah Racun")
        head = store.max_notification_id()
        report = rebuild(postgres_settings, store=store, checkpoint_events=5)
        assert report.position == head
        assert all(m.position == head for m in report.models)
        pending = requeue.pending(postgres_settings)
        held = {i.follower: i for i in pending if i.notification_id == nul}
        assert "innovations" in held and held["innovations"].originator_id == str(oid)
        assert "NUL" in held["innovations"].error
        assert {"Sebelum Racun", "Sesudah Racun"} <= titles(postgres_settings)
        # The live runner agrees: nothing left to apply, the same quarantine.
        runner = Runner(postgres_settings, store=store, attempts=2, retry_pause=0.0)
        assert runner.catch_up() == 0
        assert ("innovations", nul) in quarantined(postgres_settings)
    finally:
        store.close()


def test_a_rebuild_quarantines_an_event_a_buggy_fold_cannot_take(
    settings: Settings, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both backends: the catalogue's fold (the rebuild's fast path) and its apply fail on one
    event; the rebuild finishes, the catalogue quarantines only that event, and holds the rest."""
    from projections.rebuild import rebuild

    world = World(Commands(store))
    world.complete_draft("Satu")
    target = store.max_notification_id() + 1  # the proposal of "Dua", which the catalogue wants
    iid = world.complete_draft("Dua")
    world.complete_draft("Tiga")
    fold, apply = CatalogueProjection.fold, CatalogueProjection.apply

    def broken(original: Any) -> Any:
        def run(self: Any, tx: Any, batch: Any, suffix: str = "") -> None:
            if any(e.notification_id == target for e in batch):
                raise RuntimeError("galat program pada satu peristiwa")
            original(self, tx, batch, suffix)

        return run

    monkeypatch.setattr(CatalogueProjection, "fold", broken(fold))
    monkeypatch.setattr(CatalogueProjection, "apply", broken(apply))
    report = rebuild(settings, store=store)
    head = store.max_notification_id()
    assert all(m.position == head for m in report.models)
    assert {m.name: m.quarantined for m in report.models}["catalogue"] == 1
    assert quarantined(settings) == {("catalogue", target)}
    item = requeue.pending(settings)[0]
    assert item.originator_id == str(iid) and "galat program" in item.error
    assert {"Satu", "Dua", "Tiga"} <= titles(settings)  # the innovations model is whole

    monkeypatch.setattr(CatalogueProjection, "fold", fold)  # the fix is deployed
    monkeypatch.setattr(CatalogueProjection, "apply", apply)
    outcomes = requeue.retry(settings, store=store)
    assert [(o.follower, o.notification_id, o.released) for o in outcomes] == [
        ("catalogue", target, True)
    ]


def test_a_live_runner_drops_the_state_it_kept_when_a_retry_wrote_the_tables(
    settings: Settings, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both backends. A running model keeps each innovation's fold between batches. An event it
    quarantined is applied later by ``retry-quarantined``, from another process, straight into
    its tables; the runner's next batch on that innovation must start from those rows, not
    from the fold it kept (which would write the old title back)."""
    world = World(Commands(store))
    iid = world.complete_draft("Judul Lama")
    operator = world.ctx(world.operator)
    runner = Runner(settings, store=store, attempts=1, retry_pause=0.0)
    session = runner.target.connect()

    def step_all() -> None:
        while runner._step(session):  # noqa: SLF001 - the unit under test
            pass

    try:
        runner._prepare(session)  # noqa: SLF001
        runner._acquire(session)  # noqa: SLF001
        step_all()
        renamed = world.commands.update_profile(operator, iid, ProfilePatch(title="Judul Baru"))
        original = InnovationsProjection.apply

        def buggy(self: Any, tx: Any, batch: Any, suffix: str = "") -> None:
            if any(e.notification_id == renamed.notification_id for e in batch):
                raise RuntimeError("galat program pada satu peristiwa")
            original(self, tx, batch, suffix)

        monkeypatch.setattr(InnovationsProjection, "apply", buggy)
        step_all()
        assert quarantined(settings) == {("innovations", renamed.notification_id)}
        world.commands.update_profile(operator, iid, ProfilePatch(goals="Tujuan kedua."))
        step_all()  # the runner now keeps this innovation's fold, with the old title
        assert titles(settings) == {"Judul Lama"}

        monkeypatch.setattr(InnovationsProjection, "apply", original)  # the fix is deployed
        assert [o.released for o in requeue.retry(settings, store=store)] == [True]
        assert titles(settings) == {"Judul Baru"}

        world.commands.update_profile(operator, iid, ProfilePatch(goals="Tujuan ketiga."))
        step_all()
        assert titles(settings) == {"Judul Baru"}
        assert runner.positions()["innovations"] == store.max_notification_id()
    finally:
        runner._release_all()  # noqa: SLF001
        session.close()
