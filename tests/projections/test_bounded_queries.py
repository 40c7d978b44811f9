"""Lists that cost what a page costs (issue 19): ``total`` exact up to ``COUNT_BOUND`` and
flagged as an estimate beyond it, the catalogue's relevance window paged without gaps or
repeats, and the status board and queue answering in one statement, empty pages included.

The bounds are lowered for the test (module attributes read at call time), so a few dozen
innovations cross them on both dialects."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from projections import queries
from projections.target import Target
from services.commands import Commands
from services.config import Settings
from services.db import Tx
from services.domain.aggregate import Context
from services.domain.innovation import Innovation
from services.eventstore.store import EventStore
from tests.factories import World, complete_profile
from tests.projections.conftest import catch_up
from tests.projections.test_queries import (
    BASE,
    Spy,
    _principal,
    expected_catalogue,
    publish,
    seed_catalogue,
)


def _propose(world: World, count: int) -> None:
    rng = random.Random(11)
    call = world.commands.call(world.call_id)
    made = []
    for n in range(count):
        op = world.operator if n % 3 else world.other_operator
        ctx = Context(actor=op, now=BASE - timedelta(minutes=rng.randrange(5000)))
        title = f"Layanan Desa Terpadu {n}" if n % 4 else f"Posyandu Remaja {n}"
        made.append(
            Innovation.propose(
                ctx,
                uuid4(),
                call=call,
                organisation_id=op.organisation_id,
                submitter_kind="opd",
                profile=complete_profile(title),
            )
        )
    world.commands.store.save(*made)


def test_search_total_is_exact_up_to_the_bound_and_an_estimate_beyond(
    settings: Settings, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(Commands(store), now=BASE)
    _propose(world, 40)
    catch_up(settings, store)
    monkeypatch.setattr(queries.common, "COUNT_BOUND", 12)
    db = Target(settings).database()
    try:
        admin = _principal(world.admin, "admin")
        rows = db.rows("SELECT id, title, updated_at FROM rm_innovations")
        broad = sorted(
            (r for r in rows if "Desa" in r["title"]), key=lambda r: (r["updated_at"], r["id"])
        )
        broad.sort(key=lambda r: r["updated_at"], reverse=True)  # updated_at DESC, then id
        assert len(broad) > 12
        found: list[UUID] = []
        for offset in range(0, len(broad) + 5, 5):
            spy = Spy(db)
            page = queries.innovations.list_innovations(
                spy, admin, q="layanan desa", limit=5, offset=offset
            )
            assert page.total_is_estimate
            assert page.total > 12  # an estimate, never below the bound
            assert max(spy.returned) <= 5
            found += [i.id for i in page.items]
        assert found == [UUID(r["id"]) for r in broad]
        narrow = queries.innovations.list_innovations(db, admin, q="posyandu")
        assert not narrow.total_is_estimate
        assert narrow.total == sum(1 for r in rows if "Posyandu" in r["title"]) <= 12
        unfiltered = queries.innovations.list_innovations(db, admin)
        assert unfiltered.total_is_estimate and unfiltered.total > 12
        at_bound = queries.innovations.list_innovations(
            db, admin, q="layanan desa", limit=1, organisation=world.other_opd_id
        )
        expected = sum(1 for r in broad if r["id"] in _ids_of(db, world.other_opd_id))
        assert expected <= 12
        assert (at_bound.total, at_bound.total_is_estimate) == (expected, False)
    finally:
        db.close()


def _ids_of(db: object, organisation: UUID) -> set[str]:
    return {
        r["id"]
        for r in db.rows(  # type: ignore[attr-defined]
            "SELECT id FROM rm_innovations WHERE organisation_id = ?", [str(organisation)]
        )
    }


def test_catalogue_ranks_the_newest_window_then_pages_the_rest_by_date(
    settings: Settings, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With more matches than ``RANK_WINDOW``: the newest matches by relevance, then the older
    ones by publication time; every page size covers the whole order exactly once, including
    pages that straddle the window's end."""
    world = World(Commands(store), now=BASE)
    made = seed_catalogue(world, random.Random(7))
    catch_up(settings, store)
    publish(world, made, lambda n: True)
    catch_up(settings, store)
    monkeypatch.setattr(queries.catalogue, "RANK_WINDOW", 10)
    monkeypatch.setattr(queries.common, "COUNT_BOUND", 20)
    db = Target(settings).database()
    try:
        for q in ("layanan", "desa", "warga"):
            everything = expected_catalogue(db, made, q)
            assert len(everything) > 20, q
            by_date = sorted(everything, key=lambda e: str(e[0]))
            by_date.sort(key=lambda e: e[2], reverse=True)  # latest published, then id
            window = sorted(by_date[:10], key=lambda e: str(e[0]))
            window.sort(key=lambda e: (e[1], e[2]), reverse=True)
            order = [e[0] for e in window + by_date[10:]]
            for limit in (3, 7, 10, 24):
                found: list[UUID] = []
                for offset in range(0, len(order) + limit, limit):
                    spy = Spy(db)
                    page = queries.catalogue.public_catalogue(spy, q=q, limit=limit, offset=offset)
                    assert page.total_is_estimate and page.total > 20
                    assert max(spy.returned) <= limit
                    found += [i.id for i in page.items]
                assert found == order, (q, limit)
        narrow = {"organisation": world.opd_id, "kind": "digital", "theme": "non_tematik"}
        few = queries.catalogue.public_catalogue(db, q="desa", **narrow)
        expected = expected_catalogue(db, made, "desa", **narrow)
        assert 0 < len(expected) <= 20
        assert (few.total, few.total_is_estimate) == (len(expected), False)
    finally:
        db.close()


def test_status_board_and_queue_answer_counts_on_an_empty_page(
    settings: Settings, store: EventStore
) -> None:
    world = World(Commands(store), now=BASE)
    _propose(world, 9)
    catch_up(settings, store)
    db = Target(settings).database()
    try:
        full = queries.board.status_board(db, organisation_id=world.opd_id)
        assert full.items and full.organisation_name == "Dinas Dukcapil"
        assert full.total == len(full.items) == sum(full.counts.values())
        beyond = queries.board.status_board(db, organisation_id=world.opd_id, offset=50)
        assert (beyond.items, beyond.counts, beyond.total) == ([], full.counts, full.total)
        assert beyond.organisation_name == "Dinas Dukcapil"
        drafts = queries.board.status_board(db, organisation_id=world.opd_id, status=["draft"])
        assert drafts.total == full.counts.get("draft", 0) == len(drafts.items)
        nothing = queries.board.status_board(db, organisation_id=uuid4())
        assert (nothing.items, nothing.counts, nothing.total) == ([], {}, 0)
        admin = _principal(world.admin, "admin")
        queue = queries.queue.review_queue(db, admin, sla_working_days=5, offset=500)
        assert queue.items == [] and queue.total == sum(queue.counts.values())
    finally:
        db.close()


def test_search_words_are_written_into_the_statement_safely(
    settings: Settings, store: EventStore
) -> None:
    """The tsquery is part of the SQL text (no generic plan): quotes and tsquery operators in
    ``q`` are not words, so they change nothing; the same search repeated past psycopg's
    prepare threshold (5) on one connection answers the same page."""
    world = World(Commands(store), now=BASE)
    _propose(world, 12)
    catch_up(settings, store)
    db = Target(settings).database()
    try:
        admin = _principal(world.admin, "admin")
        plain = queries.innovations.list_innovations(db, admin, q="posyandu remaja")
        assert plain.total == 3 and not plain.total_is_estimate
        for q in ("posyandu' & remaja", "'posyandu':* | !remaja", "posyandu\\' remaja)"):
            tricky = queries.innovations.list_innovations(db, admin, q=q)
            assert [i.id for i in tricky.items] == [i.id for i in plain.items], q
            public = queries.catalogue.public_catalogue(db, q=q)
            assert public.total == 0 and public.items == []  # nothing is published
        for _ in range(8):
            again = queries.innovations.list_innovations(db, admin, q="posyandu remaja")
            assert [i.id for i in again.items] == [i.id for i in plain.items]
            assert again.total == plain.total
        scoped = queries.innovations.list_innovations(
            db, admin, q="posyandu", organisation=world.other_opd_id
        )
        assert (
            scoped.total
            == len(scoped.items)
            == sum(1 for i in plain.items if i.organisation_id == world.other_opd_id)
        )
    finally:
        db.close()


def test_an_estimate_is_planned_once_per_minute_per_statement(
    postgres_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of one broad search reuse PostgreSQL's estimate (no EXPLAIN per page) until it is
    ``ESTIMATE_SECONDS`` old; another database or another search plans its own."""
    store = EventStore(postgres_settings)
    try:
        world = World(Commands(store), now=BASE)
        _propose(world, 20)
        catch_up(postgres_settings, store)
    finally:
        store.close()
    monkeypatch.setattr(queries.common, "COUNT_BOUND", 5)
    monkeypatch.setattr(queries.common, "_estimates", {})
    explained: list[str] = []
    db = Target(postgres_settings).database()
    real_scalar = Tx.scalar

    def spying(tx: Tx, sql: str, params: Any = ()) -> Any:
        if sql.startswith("EXPLAIN"):
            explained.append(sql)
        return real_scalar(tx, sql, params)

    monkeypatch.setattr(Tx, "scalar", spying)
    try:
        admin = _principal(world.admin, "admin")
        first = queries.innovations.list_innovations(db, admin, q="layanan", limit=3)
        second = queries.innovations.list_innovations(db, admin, q="layanan", limit=3, offset=3)
        assert first.total_is_estimate and second.total_is_estimate
        assert first.total == second.total > 5
        assert len(explained) == 1
        queries.innovations.list_innovations(db, admin, q="desa", limit=3)
        assert len(explained) == 2  # another statement: its own estimate
        monkeypatch.setattr(queries.common, "ESTIMATE_SECONDS", 0.0)
        queries.innovations.list_innovations(db, admin, q="layanan", limit=3)
        assert len(explained) == 3  # too old: planned again
    finally:
        db.close()
